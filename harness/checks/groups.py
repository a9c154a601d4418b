"""What the consumer-group checks share: the run's groups and, per group, its members' commits, rebalance
callbacks, lives and offset resets, and the coordinator's committed offsets after the run.

A scenario's ``[[workload.groups]]`` run members that subscribe with group id ``<topic>.<name>``. Each member
is a process of its own (``group-<name>-<n>``, ``-r<k>`` for a replacement after a kill) whose polls are
``poll`` ops with reader ``group:<group id>``; it records its rebalance callbacks (``assignment``), its
commits (``commit``) and its offset resets (``reset``) under its own process name. The harness records each
member's life (``member``), samples the group (``group``) and reads its committed offsets after the final
read (``group_offsets``). All of this is small (a few ops per second per member), so it is kept as plain
Python objects; only the polls, which hold the records, are worked on as columns.

Members stamp their ops with the machine's monotonic clock, as the harness does, but their reports reach the
history through a relay per member: history order is each member's own order, not the order across
members. So whatever compares ops of different processes (a commit against another member's, a
rebalance between two deliveries) compares their times, never their places in the history.

A group is known from the scenario (the ``run`` op) and from any op that names it, so a history without its
run op is still checked. Which process is whose member: the processes of the ops that name their group
(``assignment``, ``commit``, and polls by a group reader), and failing those the process name
(``group-<name>-...``), so that a member that only reset its position is still known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.checks.codes import memo
from harness.history.loader import History
from harness.history.ops import OpType

GROUP_PREFIX = "group:"
"""A group member's polls name their reader ``group:<group id>``."""
NO_GROUPS = "the run has no consumer group"
OFFSET_RESET = "offset_reset"
REBALANCE = "rebalance"
ZOMBIE = "zombie"
UNEXPLAINED = "unexplained"

_GROUP_OPS = ("member", "assignment", "commit", "group", "group_offsets")
_MEMBER_NAME = re.compile(r"^group-(?P<name>.+)-\d+(?:-r\d+)?$")


def group_reader(group: str) -> str:
    """The reader a group's polls name."""
    return GROUP_PREFIX + group


def is_group_reader(reader: Any) -> bool:
    return isinstance(reader, str) and reader.startswith(GROUP_PREFIX)


def group_rows(readers: pd.Series) -> np.ndarray:
    """A mask of the rows of a read table's ``reader`` column that are a group's polls: per category when the
    column is categorical (a few readers), never a Python test per row."""
    if isinstance(readers.dtype, pd.CategoricalDtype):
        hit = np.array([is_group_reader(c) for c in readers.cat.categories] + [False], dtype=bool)
        return hit[readers.cat.codes.to_numpy()]  # code -1 (none) takes the last entry
    return readers.astype(object).str.startswith(GROUP_PREFIX, na=False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class Commit:
    """One partition of one acknowledged (``ok``) commit."""

    group: str
    topic: str
    process: str
    partition: int
    offset: int
    """The next offset to process."""
    auto: bool
    start: int
    """The op index the commit began at: its invoke (a manual commit), its ok (an auto commit: no invoke)."""
    start_time: float
    """When it began (as ``start``)."""
    index: int
    """The op index of its ok."""
    time: float
    """When it was acknowledged (its ok)."""


@dataclass(frozen=True)
class Event:
    """A rebalance callback, a member's life event or an offset reset: where in the history, who, what."""

    index: int
    time: float
    process: str
    event: str
    partitions: tuple[int, ...] = ()


@dataclass
class FinalOffsets:
    """The coordinator's committed offsets after the run (``group_offsets``): ``offsets`` per partition (-1:
    none committed); None when they could not be read (``error`` says why) or were never asked for."""

    offsets: dict[int, int] | None = None
    error: str | None = None
    index: int | None = None
    time: float | None = None
    process: str | None = None


@dataclass
class Group:
    """One consumer group of the run and what its members and the harness recorded about it."""

    id: str
    topic: str | None = None
    members: set[str] = field(default_factory=set)
    """The processes of its members (each replacement its own)."""
    commits: list[Commit] = field(default_factory=list)
    """Every partition of every ok commit, in the order of their ok."""
    outcomes: dict[str, int] = field(default_factory=lambda: {"ok": 0, "fail": 0, "info": 0})
    """How many commits ended each way (an unanswered manual commit counts nowhere)."""
    assignments: list[Event] = field(default_factory=list)
    lives: list[Event] = field(default_factory=list)
    """``member`` events (started, closed, killed, paused, resumed, exited), as the harness saw them."""
    resets: list[Event] = field(default_factory=list)
    """Offset resets by its members (``partitions``: the one reset)."""
    final: FinalOffsets = field(default_factory=FinalOffsets)

    @property
    def reader(self) -> str:
        return group_reader(self.id)

    def reset_times(self, partition: int) -> list[float]:
        """When its members reset their position in ``partition``, in time order."""
        return sorted(e.time for e in self.resets if partition in e.partitions)

    def assignment_times(self, partition: int) -> list[float]:
        """When a rebalance callback (any member, any event) named ``partition``, in time order."""
        return sorted(e.time for e in self.assignments if partition in e.partitions)

    def lost_after(self, process: str, partition: int, time: float) -> bool:
        """Whether ``process``'s next rebalance callback naming ``partition`` after ``time`` is ``lost``: what it
        processed then was of a partition already taken from it (its session had expired) without its knowing."""
        later = [e for e in self.assignments if e.process == process and partition in e.partitions and e.time > time]
        return bool(later) and min(later, key=lambda e: e.time).event == "lost"

    def life_times(self, *events: str) -> list[float]:
        """When its members had one of these life events, in time order."""
        return sorted(e.time for e in self.lives if e.event in events)


def groups(history: History) -> dict[str, Group]:
    """Every consumer group of the run, by group id (worked out once per history)."""
    return memo(history, "groups", lambda: _groups(history))


def _scenario_groups(history: History) -> dict[str, str]:
    """Group id -> topic, from the scenario's ``workload.groups`` (the ``run`` op)."""
    for op in history.ops:
        if op.f == "run" and isinstance(op.value, dict):
            scenario = op.value.get("scenario") or {}
            topic = (scenario.get("topic") or {}).get("name")
            specs = (scenario.get("workload") or {}).get("groups") or []
            if not isinstance(topic, str):
                return {}
            return {f"{topic}.{s.get('name', 'group')}": topic for s in specs if isinstance(s, dict)}
    return {}


def _groups(history: History) -> dict[str, Group]:
    out: dict[str, Group] = {gid: Group(gid, topic) for gid, topic in _scenario_groups(history).items()}
    member_of: dict[str, str] = {}
    pending: dict[str, tuple[int, float, list]] = {}  # a member's manual commit in flight: invoke index, time, offsets
    resets = []
    for op in history.ops:
        f = op.f
        if f == "poll":
            reader = history.fields(op).get("reader")
            if is_group_reader(reader):
                g = out.setdefault(reader[len(GROUP_PREFIX):], Group(reader[len(GROUP_PREFIX):]))
                g.topic = g.topic or history.fields(op).get("topic")
                g.members.add(op.process)
                member_of.setdefault(op.process, g.id)
            continue
        if f == "reset":
            if op.type is OpType.OK:
                resets.append(op)
            continue
        if f not in _GROUP_OPS or not isinstance(op.value, dict):
            continue
        v = op.value
        g = out.setdefault(v["group"], Group(v["group"]))
        g.topic = g.topic or v.get("topic")
        if f == "assignment":
            g.members.add(op.process)
            member_of.setdefault(op.process, g.id)
            g.assignments.append(Event(op.index, op.time, op.process, v["event"], tuple(v["partitions"])))
        elif f == "member":
            g.lives.append(Event(op.index, op.time, op.process, v["event"]))
        elif f == "commit":
            g.members.add(op.process)
            member_of.setdefault(op.process, g.id)
            _commit(g, op, v, pending)
        elif f == "group_offsets":
            g.final = FinalOffsets(_final(v) if op.type is OpType.OK else None, op.error, op.index, op.time,
                                   op.process)
    for op in resets:
        gid = member_of.get(op.process) or _by_name(op.process, op.value.get("topic"), out)
        if gid is not None and gid in out and out[gid].topic in (None, op.value.get("topic")):
            out[gid].resets.append(Event(op.index, op.time, op.process, "reset", (op.value["partition"],)))
    return out


def _by_name(process: str, topic: str | None, known: dict[str, Group]) -> str | None:
    """The group a process belongs to by its name, ``group-<name>-<n>[-r<k>]``: group id ``<topic>.<name>``."""
    m = _MEMBER_NAME.match(process or "")
    if not m or topic is None:
        return None
    gid = f"{topic}.{m.group('name')}"
    return gid if gid in known else None


def _offsets(v: dict) -> list[tuple[int, int]]:
    """A commit's (partition, offset) pairs; entries without an offset, or a negative one (librdkafka's
    "no offset"), are left out."""
    out = []
    for entry in v.get("offsets") or []:
        if len(entry) >= 2 and entry[1] >= 0:
            out.append((int(entry[0]), int(entry[1])))
    return out


def _commit(g: Group, op, v: dict, pending: dict[str, tuple[int, float, list]]) -> None:
    """One commit op: an invoke is held until its member's outcome; an ok adds its partitions."""
    auto = bool(v.get("auto"))
    if op.type is OpType.INVOKE:
        pending[op.process] = (op.index, op.time, _offsets(v))
        return
    start, start_time, asked = (op.index, op.time, []) if auto else pending.pop(op.process, (op.index, op.time, []))
    g.outcomes[op.type.value] = g.outcomes.get(op.type.value, 0) + 1
    if op.type is not OpType.OK:
        return
    for partition, offset in _offsets(v) or asked:
        g.commits.append(Commit(g.id, v.get("topic") or g.topic or "", op.process, partition, offset, auto, start,
                                start_time, op.index, op.time))


def _final(v: dict) -> dict[int, int]:
    return {int(e[0]): int(e[1]) for e in v.get("offsets") or [] if len(e) >= 2}


def count_between(times: np.ndarray, after: np.ndarray, before: np.ndarray) -> np.ndarray:
    """For each (after, before) pair, how many of ``times`` (sorted) lie strictly between them."""
    return np.searchsorted(times, before, "left") - np.searchsorted(times, after, "right")


def group_partitions(history: History, g: Group) -> list[int]:
    """The partitions of a group's topic the history knows of: from its final offsets, its commits and
    assignments, and the acknowledged sends of its topic."""
    parts: set[int] = set(g.final.offsets or {})
    parts.update(c.partition for c in g.commits)
    parts.update(p for e in g.assignments for p in e.partitions)
    sends = history.sends()
    if len(sends) and g.topic is not None:
        mine = sends[(sends["topic"] == g.topic).to_numpy(dtype=bool) & sends["partition"].notna().to_numpy(dtype=bool)]
        parts.update(int(p) for p in pd.unique(mine["partition"].to_numpy(dtype=np.int64)))
    return sorted(parts)
