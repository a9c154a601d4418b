"""The report's consumer-group and transaction sections, built from the history (part of the report model).

A **consumer group** section per group the history names (``member``, ``assignment``, ``commit``, ``group``
and ``group_offsets`` ops, and polls whose reader is ``group:<group id>``):

- its members, replacements included: when each started, how it ended (closed, killed, exited), when it
  was paused;
- which partitions each member held over time, from its rebalance callbacks. The classic protocol's eager
  assignors hand a member its whole assignment (``assigned`` replaces what it held); cooperative assignors
  and the consumer protocol (KIP-848) hand it only the change (``assigned`` adds, ``revoked`` and ``lost``
  remove). A killed or exited member holds nothing from then on; a paused one still believes it holds
  its partitions, so two members can hold one partition at once;
- its rebalances. The history records no generation (nor member epoch), so rebalances are derived from
  the callbacks: consecutive callbacks of the group make one rebalance while a revoked member still waits
  for its next assignment or while they come within ``REBALANCE_GAP_S`` of each other; a member revoked
  again after an assignment in the same stretch starts the next one (a new generation). A stretch counts
  only if it changed what some member held. The revocations of a member leaving at the end of the run
  (its next event is ``closed``) are its leave, not a rebalance;
- its coordinator over time, from the group sampler (when a sample first showed another node), and how
  often the group could not be described;
- its commits: ``ok``, refused (``fail``, by error name) and unknown (``info``, and a manual commit that
  was invoked but never answered: its member was killed while it waited);
- its committed offsets after the run beside the log end offsets of the final read;
- the records its members processed (polled), and, when the checks ran, ``group_reprocessed``'s count and
  ``group_availability``'s table for the group.

A **transactions** section: per transactional id, the transactions begun, committed, aborted as planned,
failed (surely not committed) and unknown (an ``info`` completion, or none at all), with their error
names; and per topic the ``stable`` outcome after the heal: every last stable offset caught up with its
high watermark, or the partitions left behind.

Every time counts from the workload start (the model's clock ``at``). Nothing here talks to a cluster.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from harness.checks.result import CheckResult
from harness.history.loader import History
from harness.history.ops import Op, OpType

REBALANCE_GAP_S = 5.0
"""Callbacks further apart than this (with no revoked member waiting for its assignment) are two rebalances:
the consumer protocol's default heartbeat interval, at which a member learns of its next target assignment."""
SAMPLE_GAP_S = 2.5
"""The group sampler describes each group every second: samples further apart than this had failures between
them, so a coordinator move there is known only to lie between them."""
GROUP_READER = "group:"
LEAVES = frozenset({"killed", "exited", "closed"})
"""Member events after which its process holds nothing."""
DETAIL_PROCESS = re.compile(r"\((?P<process>[^,()\s]+), pid (?P<pid>\d+)\)")
"""The member a member fault's detail names: "SIGKILL member 0 of group g (group-g-0, pid 123)"."""

Clock = Callable[[Any], Any]


# -- the model ----------------------------------------------------------------------------------------------


@dataclass
class MemberLife:
    """One member process of a group (a replacement is a process of its own, with the same ``member`` index)."""

    member: int
    process: str
    pid: int | None
    start: float | None
    """When its process started (None: the history does not say)."""
    end: float | None = None
    """When it ended (None: still running when the history ends)."""
    ended_by: str | None = None
    """How it ended: ``closed`` (left cleanly at the end), ``killed`` or ``exited``."""
    error: str | None = None
    """Why it exited, when it exited with an error."""
    paused: list[dict[str, float | None]] = field(default_factory=list)
    """Each pause: ``start`` (SIGSTOP) and ``end`` (SIGCONT; None: never resumed)."""


@dataclass
class Held:
    """A member process holding a partition, from ``start`` to ``end`` (None: to the end of the history)."""

    process: str
    member: int
    partition: int
    start: float
    end: float | None
    ended_by: str | None = None
    """What ended it: ``revoked``, ``lost``, ``assigned`` (an eager assignment without it), ``killed``,
    ``exited``, ``closed``; None when it was never ended."""


@dataclass
class Move:
    """One partition whose holders a rebalance changed (a holder gone before it is marked, "(killed)"; a
    paused one too, "(paused)")."""

    partition: int
    before: list[str]
    after: list[str]


@dataclass
class Rebalance:
    """A stretch of rebalance callbacks of one group that changed what some member held."""

    start: float
    end: float
    callbacks: int
    moves: list[Move]
    first: bool = False
    """The group's first assignment (nobody held anything before)."""


@dataclass
class CoordinatorChange:
    """The group's coordinator as the sampler saw it: ``to_node`` first seen at ``time``; ``from_node`` last
    seen at ``last_seen_time`` (None for the first coordinator). The move happened in between."""

    time: float
    from_node: int | None
    to_node: int
    last_seen_time: float | None


@dataclass
class Commits:
    ok: int = 0
    failed: int = 0
    unknown: int = 0
    """``info`` completions (the outcome is unknown)."""
    unanswered: int = 0
    """Manual commits invoked and never completed (their member died waiting); unknown too."""
    failed_errors: dict[str, int] = field(default_factory=dict)
    unknown_errors: dict[str, int] = field(default_factory=dict)


@dataclass
class CommittedOffset:
    partition: int
    committed: int | None
    """None: nothing committed (the coordinator's -1)."""
    log_end: int | None
    """The end offset the final read read to (None: no final read of it)."""
    behind: int | None


@dataclass
class GroupSection:
    """One consumer group, as the report shows it."""

    id: str
    topic: str | None
    protocol: str | None
    commit: str | None
    """``manual`` or ``auto``."""
    assignor: str
    """``eager`` (the classic protocol's whole-assignment callbacks) or ``incremental``."""
    members: list[MemberLife]
    rebalances: list[Rebalance]
    coordinator_changes: list[CoordinatorChange]
    describe_failures: dict[str, int]
    """Error -> how many of the sampler's descriptions of the group failed with it."""
    commits: Commits
    offsets: list[CommittedOffset] | None
    """The committed offsets after the run; None when the history has none."""
    offsets_error: str | None
    processed: int
    """Records the group's polls returned (every delivery)."""
    distinct: int
    """Distinct (partition, offset) among them."""
    reprocessed: int | None = None
    """``group_reprocessed``'s count for this group; None when that check did not run or did not say."""
    reprocessed_causes: dict[str, int] | None = None
    availability: list[dict[str, Any]] | None = None
    """``group_availability``'s rows for this group (its notes, times from the workload start)."""
    held: list[Held] = field(default_factory=list)
    """Who held which partition when (the groups plot draws it)."""

    @property
    def replacements(self) -> int:
        return sum(1 for m in self.members if replacement_of(m.process))

    @property
    def coordinator(self) -> int | None:
        """The first coordinator the sampler saw."""
        return self.coordinator_changes[0].to_node if self.coordinator_changes else None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["replacements"] = self.replacements
        if self.reprocessed is None:
            del d["reprocessed"], d["reprocessed_causes"]
        if self.availability is None:
            del d["availability"]
        return d


@dataclass
class TxnProducer:
    """One transactional id's transactions."""

    transactional_id: str
    processes: list[str]
    begun: int = 0
    planned_commit: int = 0
    planned_abort: int = 0
    committed: int = 0
    aborted: int = 0
    """Aborted as planned."""
    failed: int = 0
    """Surely not committed (``fail``)."""
    unknown: int = 0
    """``info``: the outcome is unknown."""
    unanswered: int = 0
    """Begun and never completed in the history (unknown too)."""
    errors: dict[str, int] = field(default_factory=dict)


@dataclass
class StableOutcome:
    """Each partition's last stable offset beside its high watermark after the heal."""

    topic: str
    caught_up: bool
    time: float
    after_heal_s: float | None
    """From the heal (the ``heal`` phase) to this reading."""
    waited_s: float
    partitions: list[list[int]]
    """``[partition, LSO, high watermark]``."""
    error: str | None = None

    @property
    def stuck(self) -> list[list[int]]:
        return [p for p in self.partitions if p[1] < p[2]]


@dataclass
class TransactionsSection:
    producers: list[TxnProducer]
    stable: list[StableOutcome]

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.producers)

    def to_json(self) -> dict[str, Any]:
        return {"producers": [asdict(p) for p in self.producers],
                "stable": [{**asdict(s), "stuck": s.stuck} for s in self.stable]}


# -- consumer groups ------------------------------------------------------------------------------------------


def replacement_of(process: str) -> int:
    """k for the k-th replacement of a member (``...-r<k>``), else 0."""
    m = re.search(r"-r(\d+)$", process)
    return int(m.group(1)) if m else 0


def _group_of(history: History, op: Op) -> str | None:
    if op.f in ("member", "assignment", "commit", "group", "group_offsets"):
        g = history.fields(op).get("group")
        return g if isinstance(g, str) else None
    return None


def group_sections(history: History, scenario: dict[str, Any], results: dict[str, CheckResult],
                   check_notes: dict[str, dict[str, Any]], at: Clock) -> list[GroupSection]:
    """A section per consumer group the history names (none for a run without groups): the scenario's order
    first, then the others as they first appear. ``check_notes`` are the checks' notes with times already
    counted from the workload start."""
    by_group: dict[str, list[Op]] = {}
    for op in history.ops:
        g = _group_of(history, op)
        if g is not None:
            by_group.setdefault(g, []).append(op)
    if not by_group:
        return []
    workload = scenario.get("workload") or {}
    topic = (scenario.get("topic") or {}).get("name")
    specs = {f"{topic}.{s.get('name')}": s for s in workload.get("groups") or [] if isinstance(s, dict)}
    order = [g for g in specs if g in by_group] + [g for g in by_group if g not in specs]
    ends = _end_offsets(history)
    polls = history.reads("poll")
    return [_group(history, g, by_group[g], specs.get(g) or {}, ends, polls, results, check_notes, at)
            for g in order]


def _group(history: History, gid: str, ops: list[Op], spec: dict[str, Any], ends: dict[tuple[str, int], int],
           polls, results: dict[str, CheckResult], check_notes: dict[str, dict[str, Any]], at: Clock) -> GroupSection:
    fields = history.fields
    topic = next((fields(op).get("topic") for op in ops if fields(op).get("topic")), None)
    protocol = spec.get("protocol") or next((fields(op).get("protocol") for op in ops if op.f == "assignment"), None)
    commit = spec.get("commit") or next(("auto" if fields(op).get("auto") else "manual"
                                         for op in ops if op.f == "commit"), None)
    strategy = str((spec.get("settings") or {}).get("partition.assignment.strategy", ""))
    eager = protocol == "classic" and "cooperative" not in strategy
    members, held, rebalances = _lives(history, ops, eager, at)
    changes, failures = _coordinators(history, ops, at)
    offsets, offsets_error = _offsets(history, ops, topic, ends)
    reader = f"{GROUP_READER}{gid}"
    mine = polls[(polls["reader"] == reader).to_numpy(dtype=bool)] if len(polls) else polls
    distinct = int(len(mine[["partition", "offset"]].drop_duplicates())) if len(mine) else 0
    section = GroupSection(id=gid, topic=topic, protocol=protocol, commit=commit,
                           assignor="eager" if eager else "incremental", members=members, rebalances=rebalances,
                           coordinator_changes=changes, describe_failures=failures,
                           commits=_commits(history, ops), offsets=offsets, offsets_error=offsets_error,
                           processed=int(len(mine)), distinct=distinct, held=held)
    _from_checks(section, results, check_notes)
    return section


def _from_checks(section: GroupSection, results: dict[str, CheckResult], notes: dict[str, dict[str, Any]]) -> None:
    """What the group checks said about this group, where they ran: group_reprocessed's count (its per-group
    notes) and group_availability's rows."""
    r = results.get("group_reprocessed")
    if r is not None and not r.skipped:
        per_group = (r.notes.get("per_group") or {}).get(section.id)
        if isinstance(per_group, dict):
            extra = per_group.get("extra_deliveries", per_group.get("count"))
            if isinstance(extra, int):
                section.reprocessed = extra
                section.reprocessed_causes = {k: v for k, v in per_group.items()
                                              if isinstance(v, int) and k in ("rebalance", "offset_reset",
                                                                              "unexplained")}
    a = notes.get("group_availability")
    r = results.get("group_availability")
    if a is not None and r is not None and not r.skipped:
        rows = [{k: v for k, v in row.items() if k != "group"}
                for value in a.values() if isinstance(value, list)
                for row in value if isinstance(row, dict) and row.get("group") == section.id]
        section.availability = rows


def _lives(history: History, ops: list[Op], eager: bool, at: Clock
           ) -> tuple[list[MemberLife], list[Held], list[Rebalance]]:
    """The group's members, who held which partition when, and its rebalances, from its member and
    assignment ops in time order (members record on their own clocks, so history order is not time order)."""
    events = sorted((op for op in ops if op.f in ("member", "assignment")), key=lambda op: (op.time, op.index))
    closing = _closing_revocations(history, events)
    lives: dict[str, MemberLife] = {}
    holding: dict[str, dict[int, float]] = {}  # process -> partition -> since (history time)
    gone: dict[int, str] = {}  # partition -> its last holder, marked, when nobody holds it (killed, ...)
    held: list[Held] = []
    rebalances: list[Rebalance] = []
    stretch: dict[str, Any] | None = None
    waiting: set[str] = set()  # revoked members awaiting their next assignment
    assigned_in_stretch: set[str] = set()

    def life(op: Op, member: int | None = None) -> MemberLife:
        if op.process not in lives:
            idx = member if member is not None else _index(op.process)
            lives[op.process] = MemberLife(member=idx, process=op.process, pid=None, start=None)
        return lives[op.process]

    def holders() -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for process, parts in holding.items():
            paused = any(w["end"] is None for w in lives[process].paused) if process in lives else False
            for p in parts:
                out.setdefault(p, []).append(process + (" (paused)" if paused else ""))
        for p, who in gone.items():
            out.setdefault(p, [who])
        return {p: sorted(v) for p, v in out.items()}

    def release(process: str, partitions, t: float, why: str) -> None:
        parts = holding.get(process, {})
        for p in sorted(set(partitions) & set(parts)):
            since = parts.pop(p)
            held.append(Held(process=process, member=lives[process].member if process in lives else
                             _index(process), partition=p, start=at(since), end=at(t), ended_by=why))
            if why in LEAVES and not any(p in other for other in holding.values()):
                gone[p] = f"{process} ({why})"

    def finish() -> None:
        nonlocal stretch
        if stretch is not None and stretch["changed"]:
            before, after = stretch["before"], stretch["after"]
            moves = [Move(partition=p, before=before.get(p, []), after=after.get(p, []))
                     for p in sorted(set(before) | set(after)) if before.get(p, []) != after.get(p, [])]
            rebalances.append(Rebalance(start=at(stretch["start"]), end=at(stretch["end"]),
                                        callbacks=stretch["callbacks"], moves=moves,
                                        first=not rebalances and not any(before.values())))
        stretch = None

    for op in events:
        v = history.fields(op)
        t = op.time
        if op.f == "member":
            m = life(op, v.get("member"))
            event = v.get("event")
            if event == "started":
                m.start, m.pid = at(t), v.get("pid")
            elif event == "paused":
                m.paused.append({"start": at(t), "end": None})
            elif event == "resumed":
                if m.paused and m.paused[-1]["end"] is None:
                    m.paused[-1]["end"] = at(t)
            elif event in LEAVES:
                m.end, m.ended_by = at(t), event
                m.error = op.error if op.type is not OpType.OK else None
                release(op.process, list(holding.get(op.process, {})), t, event)
                waiting.discard(op.process)
            continue
        life(op)
        event = v.get("event")
        partitions = set(v.get("partitions") or [])
        mine = holding.setdefault(op.process, {})
        before = set(mine)
        if event == "assigned":
            after = partitions if eager else before | partitions
        else:
            after = before - partitions
        if op.index in closing:  # a member leaving at the end: not a rebalance
            release(op.process, before - after, t, "closed")
            continue
        new_generation = event != "assigned" and op.process in assigned_in_stretch
        if stretch is not None and (new_generation or (not waiting and t - stretch["end"] > REBALANCE_GAP_S)):
            finish()
        if stretch is None:
            stretch = {"start": t, "end": t, "callbacks": 0, "changed": False, "before": holders()}
            assigned_in_stretch = set()
        release(op.process, before - after, t, event if event != "assigned" else "assigned")
        for p in sorted(after - before):
            mine[p] = t
            gone.pop(p, None)
        stretch["end"] = t
        stretch["callbacks"] += 1
        stretch["changed"] |= before != after
        stretch["after"] = holders()  # as the callback left it (a kill or a pause later is not this rebalance's)
        if event == "assigned":
            waiting.discard(op.process)
            assigned_in_stretch.add(op.process)
        else:
            waiting.add(op.process)
    finish()
    for process, parts in holding.items():  # held to the end of the history
        for p, since in parts.items():
            held.append(Held(process=process, member=lives[process].member, partition=p, start=at(since), end=None))
    held.sort(key=lambda h: (h.member, h.start, h.partition))
    members = sorted(lives.values(), key=lambda m: (m.member, replacement_of(m.process), m.process))
    return members, held, rebalances


def _index(process: str) -> int:
    """A member's index from its process name (``group-<name>-<index>[-r<k>]``); -1 when it has none."""
    m = re.search(r"-(\d+)(?:-r\d+)?$", process)
    return int(m.group(1)) if m else -1


def _closing_revocations(history: History, events: list[Op]) -> set[int]:
    """The revocations (by op index) of members that leave cleanly right after: their next event is
    ``closed``."""
    out: set[int] = set()
    nxt: dict[str, Op] = {}
    for op in reversed(events):
        v = history.fields(op)
        if op.f == "assignment" and v.get("event") in ("revoked", "lost"):
            after = nxt.get(op.process)
            if after is not None and after.f == "member" and history.fields(after).get("event") == "closed":
                out.add(op.index)
                continue  # the member's next event is still its close
        nxt[op.process] = op
    return out


def _coordinators(history: History, ops: list[Op], at: Clock) -> tuple[list[CoordinatorChange], dict[str, int]]:
    changes: list[CoordinatorChange] = []
    failures: Counter[str] = Counter()
    current: int | None = None
    last_seen: float | None = None
    for op in sorted((op for op in ops if op.f == "group"), key=lambda op: (op.time, op.index)):
        if op.type is not OpType.OK:
            failures[str(op.error or "no reason given")] += 1
            continue
        node = history.fields(op).get("coordinator")
        if not isinstance(node, int) or node < 0:
            continue
        if node != current:
            changes.append(CoordinatorChange(time=at(op.time), from_node=current, to_node=node,
                                             last_seen_time=at(last_seen) if current is not None else None))
            current = node
        last_seen = op.time
    return changes, dict(failures)


def _commits(history: History, ops: list[Op]) -> Commits:
    c = Commits()
    failed: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    waiting: dict[str, bool] = {}  # process -> a manual commit invoked and not answered yet
    for op in sorted((op for op in ops if op.f == "commit"), key=lambda op: (op.time, op.index)):
        if op.type is OpType.INVOKE:
            if waiting.get(op.process):
                c.unanswered += 1
            waiting[op.process] = True
            continue
        if not history.fields(op).get("auto"):
            waiting[op.process] = False
        if op.type is OpType.OK:
            c.ok += 1
        elif op.type is OpType.FAIL:
            c.failed += 1
            failed[str(op.error or "no error named")] += 1
        else:
            c.unknown += 1
            unknown[str(op.error or "no error named")] += 1
    c.unanswered += sum(1 for w in waiting.values() if w)
    c.failed_errors, c.unknown_errors = dict(failed.most_common()), dict(unknown.most_common())
    return c


def _end_offsets(history: History) -> dict[tuple[str, int], int]:
    """Each partition's end offset as the final read aimed for it: the leader reader's, else the highest
    any final reader named."""
    leader: dict[tuple[str, int], int] = {}
    other: dict[tuple[str, int], int] = {}
    for op in history.ops:
        if op.f != "read" or op.type is OpType.INVOKE:
            continue
        v = history.fields(op)
        end = v.get("end_offset")
        if not isinstance(end, int):
            continue
        key = (v.get("topic"), v.get("partition"))
        if v.get("reader") == "leader":
            leader[key] = end
        else:
            other[key] = max(end, other.get(key, end))
    return {**other, **leader}


def _offsets(history: History, ops: list[Op], topic: str | None, ends: dict[tuple[str, int], int]
             ) -> tuple[list[CommittedOffset] | None, str | None]:
    final = [op for op in ops if op.f == "group_offsets"]
    if not final:
        return None, None
    op = final[-1]
    if op.type is not OpType.OK:
        return None, str(op.error or "the committed offsets could not be read")
    v = history.fields(op)
    t = v.get("topic") or topic
    out = []
    for row in v.get("offsets") or []:
        partition, offset = row[0], row[1]
        committed = offset if offset >= 0 else None
        end = ends.get((t, partition))
        behind = None if end is None else end - (committed or 0)
        out.append(CommittedOffset(partition=partition, committed=committed, log_end=end, behind=behind))
    return sorted(out, key=lambda o: o.partition), None


# -- member faults -----------------------------------------------------------------------------------------------


def fault_member(history: History, fault: dict[str, Any]) -> str | None:
    """The member process a member fault (no broker node) acted on: the one its detail names, else the
    member op (killed, paused) recorded while it was injected; None for any other fault."""
    if fault.get("nodes"):
        return None
    m = DETAIL_PROCESS.search(str(fault.get("detail") or ""))
    if m:
        return m.group("process")
    start, in_force = fault.get("start"), fault.get("in_force")
    if start is None or in_force is None:
        return None
    hits = [op.process for op in history.by_f("member") if start <= op.time <= in_force
            and history.fields(op).get("event") in ("killed", "paused")]
    return hits[0] if len(hits) == 1 else None


# -- transactions ------------------------------------------------------------------------------------------------


def transactions_section(history: History, at: Clock) -> TransactionsSection | None:
    """The transactions section; None for a history without ``txn`` and ``stable`` ops."""
    txns = history.by_f("txn")
    stables = history.by_f("stable")
    if not txns and not stables:
        return None
    producers: dict[str, TxnProducer] = {}
    errors: dict[str, Counter[str]] = {}
    open_: dict[tuple[str, int], bool] = {}
    for op in txns:
        v = history.fields(op)
        tid = str(v.get("transactional_id"))
        p = producers.setdefault(tid, TxnProducer(transactional_id=tid, processes=[]))
        if op.process not in p.processes:
            p.processes.append(op.process)
        key = (tid, v.get("n"))
        if op.type is OpType.INVOKE:
            p.begun += 1
            if v.get("action") == "abort":
                p.planned_abort += 1
            else:
                p.planned_commit += 1
            open_[key] = True
            continue
        open_[key] = False
        if op.type is OpType.OK:
            if v.get("action") == "abort":
                p.aborted += 1
            else:
                p.committed += 1
            continue
        if op.type is OpType.FAIL:
            p.failed += 1
        else:
            p.unknown += 1
        errors.setdefault(tid, Counter())[str(op.error or "no error named")] += 1
    for (tid, _), still in open_.items():
        if still:
            producers[tid].unanswered += 1
    for tid, counter in errors.items():
        producers[tid].errors = dict(counter.most_common())
    heal = next((op.time for op in history.ops if op.f == "phase" and isinstance(op.value, dict)
                 and op.value.get("phase") == "heal"), None)
    stable = []
    for op in stables:
        v = history.fields(op)
        stable.append(StableOutcome(topic=str(v.get("topic")), caught_up=op.type is OpType.OK, time=at(op.time),
                                    after_heal_s=round(op.time - heal, 2) if heal is not None else None,
                                    waited_s=v.get("waited_s"), partitions=[list(p) for p in v.get("partitions") or []],
                                    error=op.error if op.type is not OpType.OK else None))
    return TransactionsSection(producers=sorted(producers.values(), key=lambda p: p.transactional_id), stable=stable)


# -- in words ----------------------------------------------------------------------------------------------------


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def errors_text(errors: dict[str, int]) -> str:
    """``{"UNKNOWN_MEMBER_ID": 2, "X": 1}`` -> ``UNKNOWN_MEMBER_ID ×2, X``."""
    return ", ".join(f"{e} ×{n}" if n > 1 else e for e, n in errors.items())


def commits_text(c: Commits) -> str:
    text = f"{c.ok:,} ok"
    text += f", {c.failed:,} refused" + (f" ({errors_text(c.failed_errors)})" if c.failed_errors else "")
    unknown = c.unknown + c.unanswered
    parts = [errors_text(c.unknown_errors)] if c.unknown_errors else []
    if c.unanswered:
        parts.append(f"{c.unanswered:,} never answered")
    return text + f", {unknown:,} unknown" + (f" ({'; '.join(parts)})" if parts else "")


def move_time_text(c: CoordinatorChange) -> str:
    """When a coordinator move happened, as closely as the samples tell: ``at 24.1 s``, or ``between 10.0 and
    26.9 s`` when the samples in between could not describe the group."""
    if c.last_seen_time is not None and c.time - c.last_seen_time > SAMPLE_GAP_S:
        return f"between {c.last_seen_time:.1f} and {c.time:.1f} s"
    return f"at {c.time:.1f} s"


def coordinator_text(g: GroupSection) -> str:
    """``node 3 throughout`` or ``3 → 2 at 24.1 s`` (every change, in order)."""
    if not g.coordinator_changes:
        return "never seen"
    first, *moves = g.coordinator_changes
    if not moves:
        return f"node {first.to_node} throughout"
    return f"{first.to_node} " + " ".join(f"→ {c.to_node} {move_time_text(c)}" for c in moves)


def group_sentence(g: GroupSection) -> str:
    """One sentence for the summary."""
    how = ", ".join(x for x in (g.protocol, f"{g.commit} commit" if g.commit else None) if x)
    parts = [_n(len(g.rebalances), "rebalance")]
    if len(g.coordinator_changes) > 1:
        parts.append(f"coordinator {coordinator_text(g)}")
    parts.append(f"{_n(g.commits.ok, 'commit')} ok")
    if g.commits.failed:
        parts.append(f"{g.commits.failed:,} refused ({errors_text(g.commits.failed_errors)})")
    unknown = g.commits.unknown + g.commits.unanswered
    if unknown:
        parts.append(f"{unknown:,} unknown")
    if g.reprocessed:
        parts.append(f"{_n(g.reprocessed, 'record')} processed more than once")
    behind = [o for o in g.offsets or [] if o.behind]
    if behind:
        parts.append("committed offsets behind the log end on " +
                     ", ".join(f"p{o.partition} by {o.behind:,}" for o in behind))
    if g.offsets_error:
        parts.append("its committed offsets could not be read")
    return f"Group {g.id}{f' ({how})' if how else ''}: {', '.join(parts)}."


def stable_text(s: StableOutcome) -> str:
    when = f"{s.after_heal_s:.1f} s after the heal" if s.after_heal_s is not None else f"at {s.time:.1f} s"
    if s.caught_up:
        return f"{s.topic}: every LSO caught up with its high watermark {when}"
    stuck = ", ".join(f"{s.topic}-{p} LSO {lso:,} < high watermark {hw:,}" for p, lso, hw in s.stuck)
    return f"{s.topic}: stuck after waiting {s.waited_s:g} s ({when}): " + (stuck or s.error or "unreadable")


def transactions_sentence(t: TransactionsSection) -> str:
    unknown = t.total("unknown") + t.total("unanswered")
    text = (f"Transactions: {t.total('begun'):,} begun, {t.total('committed'):,} committed, "
            f"{t.total('aborted'):,} aborted as planned, {t.total('failed'):,} failed, {unknown:,} unknown")
    errors: Counter[str] = Counter()
    for p in t.producers:
        errors.update(p.errors)
    if errors:
        text += f" ({errors_text(dict(errors.most_common()))})"
    if not t.stable:
        return text + "."
    stuck = [s for s in t.stable if not s.caught_up]
    if not stuck:
        whens = [s.after_heal_s for s in t.stable if s.after_heal_s is not None]
        return text + ("; every LSO caught up" + (f" {max(whens):.1f} s after the heal" if whens else "") + ".")
    return text + "; " + "; ".join(stable_text(s) for s in stuck) + "."
