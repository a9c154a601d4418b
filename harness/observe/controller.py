"""The controller's timeline: leadership and broker state replayed from the KRaft metadata log records in
the history (``metadata`` ops). Pure: it reads the history only.

Replay follows the controller's own merge rules (``PartitionRegistration.merge``): a change record names
only what changed; a ``leader`` of -2 (or none) leaves the leader and the leader epoch as they were; any
other value sets the leader and bumps the leader epoch, even to the same node; every change record
bumps the partition epoch; ``leaderRecoveryState`` -1 (or none) leaves it as it was. Leader -1 is "no
leader". An election is unclean when the controller marks it so, by setting the leader recovery state
to RECOVERING (1), or, failing that mark, when the new leader was neither in the ISR nor among the
eligible leader replicas (KIP-966) just before.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace

from harness.history.loader import History
from harness.history.ops import OpType

NO_LEADER = -1
NO_CHANGE = -2
RECOVERING = 1


@dataclass(frozen=True)
class PartitionState:
    leader: int
    isr: tuple[int, ...]
    replicas: tuple[int, ...]
    elr: tuple[int, ...] = ()
    """Eligible leader replicas (KIP-966): out of the ISR, but safe to elect."""
    leader_epoch: int = 0
    partition_epoch: int = 0
    recovery: int = 0
    """The leader recovery state: 0 recovered, 1 recovering (after an unclean election)."""
    last_known_elr: tuple[int, ...] = ()
    """KIP-966's last known eligible leader replicas, kept when the ISR and the ELR are both empty."""


@dataclass(frozen=True)
class PartitionChange:
    """One record of the controller about a partition, and the state it led to."""

    time: float | None
    """History time (s) of the record's batch; None without the run's wall-clock start."""
    offset: int
    topic: str
    partition: int
    before: PartitionState | None
    after: PartitionState

    @property
    def leader_changed(self) -> bool:
        return self.before is None or self.before.leader != self.after.leader

    @property
    def unclean(self) -> bool:
        if self.before is None or self.after.leader == NO_LEADER or not self.leader_changed:
            return False
        if self.after.recovery == RECOVERING and self.before.recovery != RECOVERING:
            return True
        return self.after.leader not in self.before.isr and self.after.leader not in self.before.elr

    @property
    def last_known_leader(self) -> bool:
        """An election of the last known eligible leader replica (KIP-966): ISR and ELR were empty, so the
        controller took one from the last known ELR. Kafka marks it RECOVERING (an unclean election in
        Kafka's own terms, its log may lack records) even with unclean election off."""
        return (self.before is not None and self.leader_changed and not self.before.isr and not self.before.elr
                and self.after.leader in self.before.last_known_elr)


@dataclass(frozen=True)
class BrokerEvent:
    time: float | None
    offset: int
    node: int
    what: str
    """registered, fenced, unfenced, controlled shutdown, unregistered"""


@dataclass(frozen=True)
class ControllerEvent:
    time: float | None
    offset: int
    leader: int
    epoch: int


@dataclass
class ControllerTimeline:
    partitions: list[PartitionChange] = field(default_factory=list)
    brokers: list[BrokerEvent] = field(default_factory=list)
    controllers: list[ControllerEvent] = field(default_factory=list)
    read: bool = False
    """Whether the metadata log was read at all (False: there is no ground truth to go by)."""
    error: str | None = None

    def leader_changes(self) -> list[PartitionChange]:
        return [c for c in self.partitions if c.before is not None and c.leader_changed]

    def unclean_elections(self) -> list[PartitionChange]:
        return [c for c in self.partitions if c.unclean]

    def state_at(self, topic: str, partition: int, time: float) -> PartitionState | None:
        """The partition's state as the controller had it at history time ``time``."""
        state = None
        for c in self.partitions:
            if c.topic == topic and c.partition == partition and c.time is not None and c.time <= time:
                state = c.after
        return state


def _ints(v) -> tuple[int, ...]:
    return tuple(v or ())


_REPLAYED: weakref.WeakKeyDictionary[History, ControllerTimeline] = weakref.WeakKeyDictionary()
"""One replay per loaded history: the checks, the report and the plots all ask for it."""


def controller_timeline(history: History) -> ControllerTimeline:
    """Replay the history's metadata records; empty (``read`` False) when the history has none."""
    if history not in _REPLAYED:
        _REPLAYED[history] = _replay(history)
    return _REPLAYED[history]


def _replay(history: History) -> ControllerTimeline:
    wall_start = next((op.value.get("wall_start") for op in history.ops if op.f == "run"), None)
    tl = ControllerTimeline()
    names: dict[str, str] = {}
    states: dict[tuple[str, int], PartitionState] = {}
    for op in history.ops:
        if op.f != "metadata":
            continue
        if op.type is not OpType.OK:
            tl.error = op.error
            continue
        tl.read = True
        v = op.value
        t = None if wall_start is None else round(v["time_ms"] / 1000 - wall_start, 3)
        d = v["data"]
        kind = v["type"]
        if kind == "TOPIC_RECORD":
            names[d["topicId"]] = d["name"]
        elif kind in ("PARTITION_RECORD", "PARTITION_CHANGE_RECORD"):
            topic = names.get(d["topicId"], d["topicId"])
            key = (topic, d["partitionId"])
            before = states.get(key)
            if kind == "PARTITION_RECORD":
                after = PartitionState(d.get("leader", NO_LEADER), _ints(d.get("isr")), _ints(d.get("replicas")),
                                       _ints(d.get("eligibleLeaderReplicas")), d.get("leaderEpoch", 0),
                                       d.get("partitionEpoch", 0), d.get("leaderRecoveryState", 0))
            elif before is None:
                continue  # a change to a partition whose creation was not kept: nothing to merge into
            else:
                after = _merge(before, d)
            states[key] = after
            tl.partitions.append(PartitionChange(t, v["offset"], topic, d["partitionId"], before, after))
        elif kind == "REGISTER_BROKER_RECORD":
            tl.brokers.append(BrokerEvent(t, v["offset"], d["brokerId"], "registered"))
        elif kind == "BROKER_REGISTRATION_CHANGE_RECORD":
            what = {1: "fenced", -1: "unfenced"}.get(d.get("fenced", 0))
            if d.get("inControlledShutdown", 0) == 1:
                what = "controlled shutdown"
            if what:
                tl.brokers.append(BrokerEvent(t, v["offset"], d["brokerId"], what))
        elif kind in ("FENCE_BROKER_RECORD", "UNFENCE_BROKER_RECORD"):
            tl.brokers.append(BrokerEvent(t, v["offset"], d["id"], "fenced" if kind.startswith("FENCE") else "unfenced"))
        elif kind == "UNREGISTER_BROKER_RECORD":
            tl.brokers.append(BrokerEvent(t, v["offset"], d["brokerId"], "unregistered"))
        elif kind == "LEADER_CHANGE":
            tl.controllers.append(ControllerEvent(t, v["offset"], d.get("leaderId", -1), v["controller_epoch"]))
    return tl


def _merge(s: PartitionState, d: dict) -> PartitionState:
    leader = d.get("leader", NO_CHANGE)
    recovery = d.get("leaderRecoveryState", -1)
    changed = replace(
        s,
        isr=_ints(d["isr"]) if d.get("isr") is not None else s.isr,
        replicas=_ints(d["replicas"]) if d.get("replicas") is not None else s.replicas,
        elr=_ints(d["eligibleLeaderReplicas"]) if d.get("eligibleLeaderReplicas") is not None else s.elr,
        last_known_elr=_ints(d["lastKnownElr"]) if d.get("lastKnownElr") is not None else s.last_known_elr,
        recovery=recovery if recovery != -1 else s.recovery,
        partition_epoch=s.partition_epoch + 1,
    )
    if leader != NO_CHANGE:
        changed = replace(changed, leader=leader, leader_epoch=s.leader_epoch + 1)
    return changed
