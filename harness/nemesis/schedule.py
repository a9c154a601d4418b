"""When faults happen: a timeline runner, and a pure, seeded random schedule.

``random_schedule`` is Jepsen's flip-flop with staggered intervals: a fault, a quiet period, the next
fault, each length drawn from its range. The same seed gives the same schedule.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
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


POLL_S = 0.2
"""How often the schedule looks again while a fault waits for another's effect or injection."""


@dataclass
class Slot:
    """One fault of the schedule and what became of it (times are seconds since the schedule started)."""

    spec: FaultSpec
    fault: ActiveFault | None = None
    injected_at: float | None = None
    done: bool = False
    """Healed, or never to be injected (failed or skipped)."""

    @property
    def waiting(self) -> bool:
        return not self.done and self.injected_at is None


Action = tuple[str, Slot, str]
"""("inject" | "heal" | "skip", the fault's slot, why it is skipped)."""


class Schedule:
    """Runs a timeline of faults against the nemesis in a thread. ``stop()`` ends it early and leaves
    what is still in force to the nemesis's owner, whose one sweep heals it.

    A fault starts ``at_s`` after the workload starts, or, with ``after``, after another fault was seen to
    take effect; it heals ``duration_s`` after its own start, or, with ``heal_after``, after another's.
    Which inject or heal is due is decided by ``due``, a pure function of what happened so far, so the
    timing rules are tested without a cluster.

    A fault that cannot be injected (its target has no leader, the kernel lacks netem) or whose awaited
    effect was not seen is recorded as failed in the history and the timeline goes on; every injected
    fault heals by ``end_s``.
    """

    def __init__(self, nemesis: Nemesis | None, faults: list[FaultSpec], end_s: float, log=print):
        self.nemesis = nemesis
        self.slots = [Slot(f) for f in sorted(faults, key=lambda f: f.at_s)]
        self._named = {s.spec.name: s for s in self.slots if s.spec.name}
        self.end_s = end_s
        self.log = log
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nemesis-schedule", daemon=True)
        self._t0 = 0.0

    @property
    def faults(self) -> list[FaultSpec]:
        return [s.spec for s in self.slots]

    def start(self) -> Schedule:
        self._t0 = self.nemesis.history.now()
        self._thread.start()
        return self

    def _elapsed(self) -> float:
        return self.nemesis.history.now() - self._t0

    # -- when (pure) ----------------------------------------------------------------------------

    def start_time(self, slot: Slot) -> float | str | None:
        """When the fault is due to start; a reason (text) when it never will; None while that is unknown."""
        spec = slot.spec
        if spec.after is None:
            return spec.at_s
        anchor = self._named[spec.after]
        if anchor.fault is None:
            return f"{spec.after!r}, which it waits for, was not injected" if anchor.done else None
        if anchor.fault.start_effect_at is None:
            return None
        effect = anchor.fault.start_effect
        if effect is None or effect.observed is None:
            what = f" ({effect.expected})" if effect is not None and effect.expected else ""
            return f"the effect of {spec.after!r}{what} was not seen"
        return anchor.fault.start_effect_at - self._t0 + spec.at_s

    def heal_time(self, slot: Slot) -> float | None:
        """When an injected fault is due to heal (by the end at the latest); None while that is unknown."""
        spec, end = slot.spec, self.end_s
        if spec.duration_s is None:
            return end
        base = slot.injected_at
        if spec.heal_after is not None:
            anchor = self._named[spec.heal_after]
            if anchor.injected_at is not None:
                base = anchor.injected_at
            elif not anchor.done:
                return None  # not injected yet: waits (the end still heals it)
        return min(max(base + spec.duration_s, slot.injected_at), end)

    def due(self, now: float) -> tuple[list[Action], float | None]:
        """What is due at ``now`` and when to look next (None: nothing is left to do)."""
        actions: list[Action] = []
        nxt = None

        def later(t: float) -> None:
            nonlocal nxt
            nxt = t if nxt is None else min(nxt, t)

        for slot in self.slots:
            if slot.done:
                continue
            if slot.waiting:
                t = self.start_time(slot)
                if isinstance(t, str):
                    actions.append(("skip", slot, t))
                elif t is not None and t >= self.end_s or t is None and now >= self.end_s:
                    actions.append(("skip", slot, f"{slot.spec.after!r}, which it waits for, took effect too "
                                                  "late: the workload ended first"))
                elif t is None:
                    later(now + POLL_S)
                elif t <= now:
                    actions.append(("inject", slot, ""))
                else:
                    later(t)
            else:
                t = self.heal_time(slot)
                if t is None:
                    later(min(now + POLL_S, self.end_s))
                elif t <= now:
                    actions.append(("heal", slot, ""))
                else:
                    later(t)
        return actions, (now if actions else nxt)  # after acting, look again: a heal may be due at once

    # -- running ----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                now = self._elapsed()
                actions, nxt = self.due(now)
                for what, slot, reason in actions:
                    self._do(what, slot, reason, now)
                if nxt is None:
                    return
                if not actions and self._stop.wait(max(0.0, nxt - self._elapsed())):
                    return
                if self._stop.is_set():
                    return
        except Exception as exc:  # reported by the runner; the nemesis's owner heals what is left
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _do(self, what: str, slot: Slot, reason: str, now: float) -> None:
        if what == "skip":
            slot.done = True
            self.nemesis.skip(slot.spec, reason)
            self.errors.append(f"{slot.spec.kind.value} {slot.spec.target.describe()} not injected: {reason}")
            self.log(f"  fault not injected: {reason}")
        elif what == "inject":
            slot.injected_at = now
            try:
                fault = slot.fault = self.nemesis.inject(slot.spec)
            except FaultError as exc:
                slot.done, slot.injected_at = True, None
                self.errors.append(str(exc))
                self.log(f"  fault not injected: {exc}")
                return
            self.log(f"  {fault.spec.kind.value} {fault.target.describe()} -> node(s) {fault.nodes}")
        else:
            slot.done = True
            self.nemesis.heal(slot.fault)
            self.log(f"  healed {slot.fault.spec.kind.value} of {slot.fault.target.describe()}")

    def stop(self, timeout_s: float = 120.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)
