"""A fault's expected effect decided from the controller's record, after the run. Pure: it reads a replayed
``ControllerTimeline`` only.

The nemesis records with each effect what it waited for (an *expectation*: ``leader_moved``,
``isr_dropped``, ``controller_moved``, ``isr_full``, ``any_change``, ``packets_dropped``). Its live watcher
polls, so it can miss a change that came and went between two looks, or catch an epoch before or after
it moved. The controller's metadata log holds every change, so the report takes the verdict from here
and a saved run re-reports the same answer. ``decide`` says when the expected change happened
(``Happened``, with the leader or -1 for an offline partition, the leader epoch and the ISR), that it did
not happen in the window (None), or that the record cannot tell (``Undecided``: no record, no
expectation, or something the controller does not record, such as dropped packets); then the live
verdict stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.observe.controller import NO_LEADER, ControllerTimeline, PartitionChange, PartitionState

LEADER_MOVED = "leader_moved"
ISR_DROPPED = "isr_dropped"
CONTROLLER_MOVED = "controller_moved"
ISR_FULL = "isr_full"
ANY_CHANGE = "any_change"
PACKETS_DROPPED = "packets_dropped"
PARTITION_EXPECTS = frozenset({LEADER_MOVED, ISR_DROPPED, ISR_FULL, ANY_CHANGE})
"""The expectations about one partition: ``topic`` and ``partition`` say which."""
DECIDABLE = PARTITION_EXPECTS | {CONTROLLER_MOVED}
"""What the controller's record can decide; ``packets_dropped`` stays live."""
LIVE_ONLY = frozenset({PACKETS_DROPPED, "coordinator_moved", "member_left", "member_joined"})
"""What the controller does not record: packets, and a group's or transactional id's coordinator and members
(their state is in ``__consumer_offsets`` and ``__transaction_state``, not in the metadata log). The live
verdict stands for these."""


def _nodes(nodes) -> str:
    return "[" + ", ".join(str(n) for n in nodes) + "]"


@dataclass(frozen=True)
class Expectation:
    """What a watcher waited for, as the effect op records it."""

    what: str
    topic: str | None = None
    partition: int | None = None
    nodes: tuple[int, ...] = ()

    @classmethod
    def of(cls, effect: dict[str, Any]) -> Expectation | None:
        """From one of ``History.faults()``'s effects; None for a history older than expectations."""
        what = effect.get("expect")
        if not what:
            return None
        return cls(what, effect.get("topic"), effect.get("partition"), tuple(effect.get("nodes") or ()))

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.partition}"

    def describe(self) -> str:
        """What was awaited, in words ("the leader of t-0 to move away from [1]")."""
        return {
            LEADER_MOVED: f"the leader of {self.name} to move away from {_nodes(self.nodes)}",
            ISR_DROPPED: f"the ISR of {self.name} to drop {_nodes(self.nodes)}",
            CONTROLLER_MOVED: f"the active controller to move away from {_nodes(self.nodes)}",
            ISR_FULL: f"a full ISR of {self.name}",
            ANY_CHANGE: f"any change of leader or ISR of {self.name}",
            PACKETS_DROPPED: f"packets to be dropped on {_nodes(self.nodes)}",
            "coordinator_moved": f"the group's coordinator to move away from {_nodes(self.nodes)}",
            "member_left": "the member to leave the group's description",
            "member_joined": "the member (or its replacement) to be in the group's description again",
        }.get(self.what, self.what)


@dataclass(frozen=True)
class Happened:
    """The expected change as the controller recorded it."""

    time: float
    """History time of the record that made it true (the window's start when it already held then)."""
    text: str
    """The fact in words, without times (the report adds them on its own clock)."""
    leader: int | None = None
    """The partition's leader then; -1 (``NO_LEADER``): no leader, the partition is offline."""
    epoch: int | None = None
    """The leader epoch then (for ``controller_moved``, the controller's epoch)."""
    isr: tuple[int, ...] | None = None
    controller: int | None = None
    already: bool = False
    """It held already when the window opened (nothing had to change)."""
    back: tuple[float, int, int] | None = None
    """For an offline partition: when it had a leader again, which, and under which leader epoch."""

    @property
    def offline(self) -> bool:
        return self.leader == NO_LEADER


@dataclass(frozen=True)
class Undecided:
    """The record cannot decide this effect; the live verdict stands."""

    reason: str


Verdict = Happened | Undecided | None
"""None: the record holds the window and the expected change is not in it."""


def decide(tl: ControllerTimeline, expect: Expectation | None, since: float | None, until: float) -> Verdict:
    """Whether and when ``expect`` came true in the controller's record between history times ``since`` (a
    fault's start, or its heal for ``isr_full``) and ``until``."""
    if expect is None:
        return Undecided("the history does not say what was awaited (recorded before expectations were)")
    if not tl.read:
        return Undecided("the history has no controller record")
    if expect.what not in DECIDABLE:
        return Undecided(f"the controller does not record {expect.what.replace('_', ' ')}")
    if since is None:
        return Undecided("the fault has no time to look from")
    if expect.what == CONTROLLER_MOVED:
        return _controller_moved(tl, set(expect.nodes), since, until)
    changes = [c for c in tl.partitions if (c.topic, c.partition) == (expect.topic, expect.partition)]
    if not changes:
        return Undecided(f"the controller's record has no partition {expect.name}")
    if any(c.time is None for c in changes):
        return Undecided("the controller's record has no times (the history names no wall-clock start)")
    baseline = tl.state_at(expect.topic, expect.partition, since)
    if baseline is None:
        return Undecided(f"the controller had not created {expect.name} by then")
    return _partition(expect, baseline, [c for c in changes if since < c.time <= until], since)


def _partition(expect: Expectation, baseline: PartitionState, changes: list[PartitionChange],
               since: float) -> Happened | None:
    """The first state, from the baseline at ``since`` on, in which the expectation holds."""
    holds = _HOLDS[expect.what]
    if holds(expect, baseline, baseline):
        return _happened(expect, baseline, baseline, since, already=True)
    for i, c in enumerate(changes):
        if holds(expect, baseline, c.after):
            back = _back(changes[i + 1:]) if c.after.leader == NO_LEADER else None
            return _happened(expect, baseline, c.after, c.time, back=back)
    return None


def _full(s: PartitionState) -> bool:
    return bool(s.replicas) and set(s.isr) == set(s.replicas)


_HOLDS = {
    LEADER_MOVED: lambda e, base, s: s.leader not in e.nodes,  # to another node, or to none (offline)
    ISR_DROPPED: lambda e, base, s: not set(e.nodes) & set(s.isr),
    ISR_FULL: lambda e, base, s: _full(s),
    ANY_CHANGE: lambda e, base, s: (s.leader, s.isr) != (base.leader, base.isr),
}


def _back(later: list[PartitionChange]) -> tuple[float, int, int] | None:
    """When an offline partition had a leader again (among the changes after it went offline)."""
    c = next((c for c in later if c.after.leader != NO_LEADER), None)
    return None if c is None else (c.time, c.after.leader, c.after.leader_epoch)


def _happened(expect: Expectation, base: PartitionState, s: PartitionState, time: float, already: bool = False,
              back: tuple[float, int, int] | None = None) -> Happened:
    return Happened(time=time, text=_partition_text(expect, base, s, already), leader=s.leader,
                    epoch=s.leader_epoch, isr=s.isr, already=already, back=back)


def _partition_text(e: Expectation, base: PartitionState, s: PartitionState, already: bool) -> str:
    """The fact in words: the leader (or "offline"), the leader epoch and the ISR, whatever was awaited."""
    epochs = f"leader epoch {s.leader_epoch}" if already or s.leader_epoch == base.leader_epoch else \
        f"leader epoch {base.leader_epoch} → {s.leader_epoch}"
    state = f"{epochs}, ISR {_nodes(s.isr)}"
    if s.leader == NO_LEADER:
        was = "" if already else f", was {base.leader}"
        return f"{e.name} offline: no leader (-1{was}), {state}"
    if e.what == LEADER_MOVED:
        return (f"leader of {e.name} already {s.leader} (away from {_nodes(e.nodes)}) when the fault started, {state}"
                if already else f"leader of {e.name} moved from {base.leader} to {s.leader}, {state}")
    lead = f"leader {s.leader}, {epochs}"
    if e.what == ISR_DROPPED:
        return (f"ISR of {e.name} already without {_nodes(e.nodes)} when the fault started: {_nodes(s.isr)}; {lead}"
                if already else f"ISR of {e.name} shrank from {_nodes(base.isr)} to {_nodes(s.isr)}; {lead}")
    if e.what == ISR_FULL:
        return (f"ISR of {e.name} already full when healed: {_nodes(s.isr)}; {lead}" if already else
                f"ISR of {e.name} full again: {_nodes(s.isr)}; {lead}")
    moved = [f"leader {base.leader} → {s.leader}"] if s.leader != base.leader else []
    shrank = [f"ISR {_nodes(base.isr)} → {_nodes(s.isr)}"] if s.isr != base.isr else []
    return f"{e.name} changed: {', '.join(moved + shrank)}; {lead}"


def _controller_moved(tl: ControllerTimeline, nodes: set[int], since: float, until: float) -> Verdict:
    """The first controller elected away from ``nodes`` (a quorum with no leader is not a move)."""
    events = [ev for ev in tl.controllers if ev.time is not None]
    if not events:
        return Undecided("the controller's record holds no controller election")
    before = [ev for ev in events if ev.time <= since]
    old = before[-1] if before else None
    if old is not None and old.leader != NO_LEADER and old.leader not in nodes:
        return Happened(time=since, text=f"active controller already {old.leader} (away from {_nodes(nodes)}) when "
                                         f"the fault started (controller epoch {old.epoch})",
                        epoch=old.epoch, controller=old.leader, already=True)
    for ev in events:
        if since < ev.time <= until and ev.leader != NO_LEADER and ev.leader not in nodes:
            frm = old.leader if old is not None and old.leader != NO_LEADER else _nodes(sorted(nodes))
            return Happened(time=ev.time, text=f"active controller moved from {frm} to {ev.leader} "
                                               f"(controller epoch {ev.epoch})", epoch=ev.epoch, controller=ev.leader)
    return None
