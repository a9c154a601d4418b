"""When faults happen: a timeline runner, and a pure, seeded random schedule.

``random_schedule`` is Jepsen's flip-flop with staggered intervals: a fault, a quiet period, the next
fault, each length drawn from its range. The same seed gives the same schedule.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING

from harness.errors import FaultError

if TYPE_CHECKING:
    from harness.nemesis.core import ActiveFault, Nemesis
    from harness.nemesis.spec import FaultSpec, RandomFaults


def random_schedule(spec: RandomFaults, end_s: float, seed: int) -> list[FaultSpec]:
    from harness.nemesis.faults.registry import fault_kind
    from harness.nemesis.spec import FaultSpec

    rng = random.Random(seed)
    faults: list[FaultSpec] = []
    t = spec.start_s
    while t < end_s and len(faults) < spec.max_faults:
        kind = rng.choice(spec.kinds)
        target = rng.choice(spec.targets)
        length = round(rng.uniform(*spec.fault_s), 2)
        quiet = round(rng.uniform(*spec.quiet_s), 2)
        params = fault_kind(kind).random_params(spec, rng)  # RandomFaults admits only kinds that have one
        faults.append(FaultSpec(kind=kind, target=target, at_s=round(t, 2), duration_s=min(length, end_s - t),
                                **params))
        t += length + quiet
    return faults


class Schedule:
    """Runs a timeline of faults against the nemesis in a thread. ``stop()`` ends it early and leaves
    what is still in force to the nemesis's owner, whose one sweep heals it.

    A fault that cannot be injected (its target has no leader, the kernel lacks netem) is recorded as
    failed in the history and the timeline goes on; every injected fault heals by ``end_s``.
    """

    def __init__(self, nemesis: Nemesis, faults: list[FaultSpec], end_s: float, log=print):
        self.nemesis = nemesis
        self.faults = sorted(faults, key=lambda f: f.at_s)
        self.end_s = end_s
        self.log = log
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nemesis-schedule", daemon=True)
        self._t0 = 0.0

    def start(self) -> Schedule:
        self._t0 = self.nemesis.history.now()
        self._thread.start()
        return self

    def _elapsed(self) -> float:
        return self.nemesis.history.now() - self._t0

    def timeline(self) -> list[tuple[float, str, int]]:
        """(time, "inject" | "heal", fault index), in the order they happen. Every fault heals by end_s."""
        events = []
        for i, f in enumerate(self.faults):
            heal_at = self.end_s if f.duration_s is None else min(f.at_s + f.duration_s, self.end_s)
            events.append((f.at_s, 2 * i, "inject", i))
            events.append((max(heal_at, f.at_s), 2 * i + 1, "heal", i))
        return [(t, what, i) for t, _, what, i in sorted(events)]

    def _run(self) -> None:
        active: dict[int, ActiveFault] = {}
        try:
            for t, what, i in self.timeline():
                if self._stop.wait(max(0.0, t - self._elapsed())):
                    break
                if what == "inject":
                    try:
                        fault = active[i] = self.nemesis.inject(self.faults[i])
                    except FaultError as exc:
                        self.errors.append(str(exc))
                        self.log(f"  fault not injected: {exc}")
                        continue
                    self.log(f"  {fault.spec.kind.value} {fault.target.describe()} -> node(s) {fault.nodes}")
                elif i in active:
                    fault = active.pop(i)
                    self.nemesis.heal(fault)
                    self.log(f"  healed {fault.spec.kind.value} of {fault.target.describe()}")
        except Exception as exc:  # reported by the runner; the nemesis's owner heals what is left
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def stop(self, timeout_s: float = 120.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)
