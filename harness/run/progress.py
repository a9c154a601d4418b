"""Progress of a run's workload: elapsed time against the duration, send outcomes, active faults.

On a terminal it is one live status block (rich), redrawn a few times a second; elsewhere (CI logs,
pipes) it is a plain log line every ``LOG_EVERY_S`` seconds, so logs stay readable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

LOG_EVERY_S = 5.0


@dataclass(frozen=True)
class Snapshot:
    elapsed_s: float
    duration_s: float
    invoked: int
    ok: int
    fail: int
    info: int
    faults: list[str] = field(default_factory=list)
    """Descriptions of the faults in force now."""

    def line(self) -> str:
        return (f"t={self.elapsed_s:5.1f}s/{self.duration_s:g}s sent={self.invoked} ok={self.ok} "
                f"fail={self.fail} info={self.info} faults={'; '.join(self.faults) or 'none'}")


class WorkloadProgress:
    """Call ``show`` often (it throttles itself); use as a context manager around the workload."""

    def __init__(self, log: Callable[[str], None], live: bool = False, console: Console | None = None):
        self.log = log
        self._live = Live(console=console or Console(), refresh_per_second=4, transient=False) if live else None
        self._logged = float("-inf")

    def __enter__(self) -> WorkloadProgress:
        if self._live:
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._live:
            self._live.stop()

    def show(self, snap: Snapshot) -> None:
        if self._live:
            self._live.update(render(snap))
            return
        now = time.monotonic()
        if now - self._logged >= LOG_EVERY_S:
            self._logged = now
            self.log("  " + snap.line())


def render(snap: Snapshot) -> Group:
    """The live block: a bar for the workload's time, the send outcomes, and the faults in force."""
    counts = Table.grid(padding=(0, 2))
    counts.add_row(Text("sent", style="bold"), Text(f"{snap.invoked:,}"),
                   Text("ok", style="bold green"), Text(f"{snap.ok:,}"),
                   Text("fail", style="bold red"), Text(f"{snap.fail:,}"),
                   Text("info", style="bold yellow"), Text(f"{snap.info:,}"))
    bar = Table.grid(padding=(0, 1))
    bar.add_row(Text("workload", style="bold"),
                ProgressBar(total=snap.duration_s, completed=min(snap.elapsed_s, snap.duration_s), width=40),
                Text(f"{snap.elapsed_s:5.1f}s / {snap.duration_s:g}s"))
    faults = Text("faults  ", style="bold")
    faults.append("; ".join(snap.faults) if snap.faults else "none in force",
                  style="magenta" if snap.faults else "dim")
    return Group(bar, counts, faults)
