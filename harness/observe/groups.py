"""Consumer groups as their coordinator sees them: sampled during the run, and their committed offsets after it.

The members record what they were told (assignments, commit results); these observations record what
the coordinator holds: the group's state and members, which broker coordinates it, and, after the final
read, the offsets it kept. The checks hold the two against each other.

Describing a group and reading its offsets are Admin requests to its coordinator, which can abort the
process that makes them when a fault drops the connection (see ``harness.observe.group_probe``): they run
in a child process. Which broker coordinates a group is read from plain metadata instead
(``harness.observe.coordinators``).
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
import time

from harness.history.ops import OpType
from harness.history.relay import relay
from harness.history.schema import GroupOffsets, GroupSample
from harness.history.writer import HistoryWriter
from harness.observe import group_probe
from harness.observe.coordinators import (
    OFFSETS_TOPIC,
    coordinator_of,
    coordinator_partition,
)

__all__ = ["OFFSETS_TOPIC", "GroupSampler", "coordinator_of", "coordinator_partition", "describe_now",
           "record_group_offsets"]

PROCESS = "group-sampler"
INTERVAL_S = 1.0
MAX_RESTARTS = 20


def describe_now(bootstrap: str, group_id: str, topic: str) -> GroupSample | None:
    """The group as its coordinator describes it now (None: it could not be described)."""
    values, _ = group_probe.ask("describe", {"bootstrap": bootstrap, "groups": [[group_id, topic]],
                                             "history_start": time.monotonic()}, timeout_s=20.0)
    for v in values:
        if isinstance(v, list) and len(v) == 5 and v[1] == "ok" and v[2] == "group":
            return GroupSample.from_value(v[3])
    return None


class GroupSampler:
    """Describes each group every ``interval_s`` from a child process, until ``end`` or stopped; a child
    that dies is recorded and replaced."""

    def __init__(self, bootstrap: str, groups: list[tuple[str, str]], history: HistoryWriter, end: float,
                 interval_s: float = INTERVAL_S):
        self.bootstrap, self.groups, self.history, self.interval_s = bootstrap, groups, history, interval_s
        self.end = end
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._run, name=PROCESS, daemon=True)

    def __enter__(self) -> GroupSampler:
        if self.groups:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:  # no child is started after this
            self._stop.set()
            child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
        if self._thread.is_alive():
            self._thread.join(15)
        if child is not None and child.poll() is None:
            child.kill()

    def _run(self) -> None:
        for _ in range(MAX_RESTARTS + 1):
            if self._stop.is_set() or time.monotonic() >= self.end:
                return
            config = {"bootstrap": self.bootstrap, "groups": [list(g) for g in self.groups],
                      "history_start": self.history.start, "interval_s": self.interval_s, "end": self.end}
            with tempfile.TemporaryFile(mode="w+") as err:
                with self._lock:  # a stop either comes first (nothing starts) or sees this child
                    if self._stop.is_set():
                        return
                    child = self._child = group_probe.spawn("sample", config, stderr=err)
                assert child.stdout is not None
                relay(child.stdout, self.history, PROCESS)
                rc = child.wait()
                if rc != 0 and not self._stop.is_set():
                    err.seek(0)
                    error = group_probe.died(rc, err.read())
                    for group_id, topic in self.groups:
                        self.history.info(PROCESS, GroupSample(group=group_id, topic=topic), error=error)
            if rc == 0:
                return


def record_group_offsets(bootstrap: str, groups: list[tuple[str, str]], history: HistoryWriter) -> int:
    """The coordinator's committed offsets of each group, as ``group_offsets`` ops; returns how many were read."""
    values, error = group_probe.ask("offsets", {"bootstrap": bootstrap, "groups": [list(g) for g in groups],
                                                "history_start": history.start}, timeout_s=60.0)
    read, said = 0, set()
    for v in values:
        try:
            time_, type_, f, value, err = v
            rec = GroupOffsets.from_value(value)
        except (ValueError, TypeError):
            continue
        history.record(PROCESS, OpType(type_), rec, err, at=float(time_))
        said.add(rec.group)
        read += type_ == "ok"
    for group_id, topic in groups:
        if group_id not in said:
            history.info(PROCESS, GroupOffsets(group=group_id, topic=topic), error=error or "the probe said nothing")
    return read
