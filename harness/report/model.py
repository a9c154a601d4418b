"""The report model: everything a report says, built once from a loaded history and the check results.

JSON, Markdown, HTML and the plots all render this one model, so they state the same facts. Every time
in the model counts from the start of the workload (the history's ``phase: workload`` op); without that
op, from the start of the run. That includes the checks' notes and examples, which the checks write on
the history's clock: the model shifts every number whose key names a time (see ``is_time_key``: ``time``,
``start``, ``end`` and any ``*_time``, at any depth, so also the availability check's fault windows).
Keys ending in ``_s`` or ``_ms`` are durations and stay as they are. Data flows one way: the model reads
the history and never talks to a cluster.

A fault's facts come from two sources. What the nemesis *saw live* (its effect lines, polled while the
fault was in force) and, when the history holds the controller's metadata log, what the controller
*recorded* during the fault and up to ``HEAL_WINDOW_S`` after its heal: leader changes with their
epochs, ISR changes of the partitions whose ISR held the fault's nodes, fencing of those nodes, and
controller moves. The controller is the authority, so no fact has two answers. Each expected effect
whose expectation the history names (``expect`` on the effect op) is decided from the record
(``harness.observe.fault_effects``): seen or not, when, with its leader (-1: offline), leader epoch and
ISR; a live verdict that disagrees is noted, and loses. Only what the record cannot decide (no record,
an old history without expectations, dropped packets) keeps its live verdict, labelled as live, and
those live lines lose their leader epoch when the record is there (a live poll may catch an epoch
before or after it moved).
"""

from __future__ import annotations

import inspect
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.checks import DEFAULT_MUST_BE_ZERO, expand_checks
from harness.checks.causes import unexplained_anomalies
from harness.checks.codes import outcome_is
from harness.checks.result import MAX_EXAMPLES, CheckResult, Verdict
from harness.history.loader import History
from harness.history.ops import OpType
from harness.observe.controller import (
    NO_LEADER,
    ControllerTimeline,
    PartitionChange,
    controller_timeline,
)
from harness.observe.fault_effects import Expectation, Happened, Undecided, decide
from harness.observe.leadership import leader_changes
from harness.report.groups import (
    GroupSection,
    TransactionsSection,
    fault_member,
    group_sections,
    group_sentence,
    transactions_section,
    transactions_sentence,
)

SUMMARY_FAULTS = 6
"""The summary names this many faults; the rest are counted."""
HEAL_WINDOW_S = 30.0
"""A fault's controller facts run from its start to this many seconds after its heal; so does the window in
which the record decides its start effect."""
HEAL_EFFECT_WINDOW_S = 60.0
"""The record decides a heal effect (a full ISR again) within this many seconds of the heal: the live
watcher's deadline (``harness.nemesis.core.EFFECT_TIMEOUT_S``)."""
FROM_RECORD = "controller"
LIVE = "live"
LIVE_EPOCH = re.compile(r", leader epoch [^,]* -> [^,]*(?=,|$)")
"""The epoch part of a live effect line ("..., leader epoch 0 -> 1, after 6.5 s")."""


@dataclass
class Table:
    """A small table for people: column labels and rows of cells already written as text."""

    columns: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Check:
    """One check's outcome, with its notes and examples worded for people."""

    name: str
    verdict: str
    count: int
    must_be_zero: bool
    finds: str
    """What the check looks for, in a few words."""
    examples: list[dict[str, Any]]
    notes: dict[str, Any]
    skipped: str | None
    facts: list[tuple[str, str]]
    """The notes that are single values, as (label, value) pairs."""
    tables: list[Table]
    """The notes that are tables, then the examples."""
    result: CheckResult = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """The check as report.json holds it: its notes and examples with times from the workload start."""
        d = {"verdict": self.verdict, "count": self.count, "must_be_zero": self.must_be_zero,
             "examples": self.examples, "notes": self.notes}
        if self.skipped:
            d["skipped"] = self.skipped
        return d


@dataclass
class Effect:
    """A fault's expected effect after it started or healed: seen or not, decided from the controller's
    record (``source`` "controller") when the history names what was awaited and has the record, else as
    the nemesis saw it live (``source`` "live")."""

    phase: str
    seen: bool
    observed: str | None
    """From the record: the fact with its time. Live: as recorded, without its leader epoch when the
    controller's record is there (it has the epochs)."""
    time: float | None
    """From the record: when it happened. Live: when the watcher recorded it."""
    after_s: float | None
    error: str | None = None
    """When not seen: what was looked for."""
    source: str = LIVE
    expect: str | None = None
    """What was awaited (``leader_moved``, ``isr_dropped``, ...); None in histories older than that."""
    leader: int | None = None
    """From the record: the partition's leader then; -1 when it had none (offline)."""
    epoch: int | None = None
    """From the record: the leader epoch then (the controller's epoch for a controller move)."""
    isr: list[int] | None = None
    offline: bool = False
    live_seen: bool | None = None
    """What the live watcher said, when the record decided."""
    disagreement: str | None = None
    """When the live watcher said otherwise than the record (the record wins)."""


@dataclass
class Recorded:
    """One fact the controller recorded in its metadata log while a fault was in force or soon after."""

    time: float
    phase: str
    """"start" (while the fault was in force) or "heal" (after its heal)."""
    after_s: float
    """Seconds after the fault's start, or after its heal."""
    kind: str
    """"leader", "isr", "broker" or "controller"."""
    text: str
    data: dict[str, Any]
    """The fact's figures: topic, partition, leader_from / leader_to (-1: no leader), epoch_from / epoch_to,
    isr_from / isr_to, unclean; node and event; controller_from / controller_to and controller_epoch."""

    @property
    def line(self) -> str:
        return f"{self.time:.2f} s ({self.after_s:.1f} s after {self.phase}): {self.text}"


@dataclass
class Fault:
    id: str
    kind: str
    target: str
    nodes: list[int] | None
    detail: str | None
    start: float | None
    end: float | None
    effects: list[Effect]
    errors: list[str]
    recorded: list[Recorded] = field(default_factory=list)
    """What the controller recorded (empty when the history has no metadata log)."""
    in_force: float | None = None
    """When the inject finished (``start`` is when it was asked for); a busy machine can part them by seconds."""
    member: str | None = None
    """For a fault of a consumer-group member (no broker node): the member's process."""

    @property
    def nodes_text(self) -> str:
        """What the target resolved to: its nodes, or the member process of a member fault."""
        if self.member:
            return self.member
        if not self.nodes:
            return "no node"
        return ("node " if len(self.nodes) == 1 else "nodes ") + ", ".join(str(n) for n in self.nodes)

    @property
    def injected(self) -> bool:
        """False for a fault that was asked for but failed, or that the schedule did not inject (its errors say why)."""
        return self.in_force is not None

    @property
    def window_text(self) -> str:
        if self.start is None:
            return "never started"
        if not self.injected:
            return f"not injected (at {self.start:.1f} s)"
        late = f" (in force from {self.in_force:.1f} s)" if self.in_force is not None and \
            self.in_force - self.start >= 0.5 else ""
        if self.end is None:
            return f"from {self.start:.1f} s{late}, not healed"
        return f"from {self.start:.1f} s to {self.end:.1f} s ({self.end - self.start:.1f} s){late}"


@dataclass
class LeaderChange:
    time: float
    topic: str
    partition: int
    from_leader: int
    to_leader: int
    epoch_from: int | None
    epoch_to: int | None
    isr_before: list[int]
    unclean: bool
    """To -1 means the partition was left with no leader; from -1, it got one again."""
    source: str = "samples"
    """Where the change is known from: "controller" (its metadata log) or "samples" (the 1 s poll)."""
    elr_before: list[int] = field(default_factory=list)


@dataclass
class Sweep:
    """One run of the heal-everything sweep: what it had to fix and what it could not."""

    time: float
    fixed: list[str]
    left: list[str]
    error: str | None


@dataclass
class HealthyWait:
    """The wait, after healing, for every partition to have a full ISR."""

    topic: str | None
    reached: bool
    after_s: float | None
    time: float
    error: str | None


@dataclass
class Counts:
    sent: int
    acknowledged: int
    failed: int
    indeterminate: int
    unanswered: int
    read: int


@dataclass
class ClientError:
    process: str
    error: str
    times: int

    def __str__(self) -> str:
        return f"{self.process}: {self.error}" + (f" (×{self.times})" if self.times > 1 else "")


@dataclass
class Report:
    """A run's durability report."""

    run_id: str | None
    scenario: str | None
    description: str
    started_at: str | None
    duration_s: float
    image: str | None
    workload_start: float | None
    """When the workload started, in seconds since the run started (None: the history does not say)."""
    verdict: str
    summary: list[str]
    """The report in a few sentences, for the top of every rendering."""
    counts: Counts
    checks: dict[str, Check]
    findings: list[str]
    faults: list[Fault]
    leader_changes: list[LeaderChange]
    sweeps: list[Sweep]
    healthy: HealthyWait | None
    schedule_errors: list[str]
    client_errors: list[ClientError]
    incomplete_reads: list[str]
    notices: list[str]
    """Things about the history itself worth saying (it has no final read, no workload start, ...)."""
    settings: dict[str, Any]
    controller_record: bool = False
    """Whether the history holds the controller's metadata log (the authority on leaders, ISRs, epochs)."""
    plots: dict[str, str] = field(default_factory=dict)
    """Plot name -> path relative to the run directory; filled in when the report is written."""
    unexplained: list[str] = field(default_factory=list)
    """Anomalies with no recorded cause (Kafka promised otherwise: a Kafka bug or a harness bug), one
    sentence each; they lead the summary."""
    groups: list[GroupSection] = field(default_factory=list)
    """One section per consumer group (none for a run without groups)."""
    transactions: TransactionsSection | None = None
    """The transactions section (None for a run without transactions)."""

    @property
    def summary_text(self) -> str:
        return " ".join(self.summary)

    @property
    def title(self) -> str:
        return self.scenario or "unnamed run"

    @property
    def topic(self) -> str | None:
        """The run's topic, as the scenario names it (None: the history does not say)."""
        topic = self.settings.get("topic")
        return topic.get("name") if isinstance(topic, dict) else None

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (report.json): plain JSON types only."""
        d = {
            "run_id": self.run_id, "scenario": self.scenario, "description": self.description,
            "started_at": self.started_at, "duration_s": self.duration_s, "image": self.image,
            "verdict": self.verdict, "summary": self.summary_text, "unexplained": self.unexplained,
            "time_origin": {"workload_start_s": self.workload_start,
                            "note": "every time in this file counts from the workload start (from the run start "
                                    "when workload_start_s is null): faults, effects, controller records, leader "
                                    "changes, sweeps, the ISR wait, and in the checks' notes and examples every "
                                    "number under a key named time, start, end or *_time; keys ending in _s or "
                                    "_ms are durations"},
            "controller_record": self.controller_record,
            "checks": {name: c.to_json() for name, c in self.checks.items()},
            "findings": self.findings,
            "counts": _plain(self.counts),
            "faults": [_fault_json(f) for f in self.faults],
            "leader_changes": [_leader_change_json(c) for c in self.leader_changes],
            "sweeps": [_plain(s) for s in self.sweeps],
            "healthy": _plain(self.healthy) if self.healthy else None,
            "schedule_errors": self.schedule_errors,
            "settings": self.settings,
            "incomplete_reads": self.incomplete_reads,
            "client_errors": [str(e) for e in self.client_errors],
            "notices": self.notices,
            "plots": self.plots,
        }
        if self.groups:  # only for runs that have them: a plain run's report.json stays as it was
            d["groups"] = [g.to_json() for g in self.groups]
        if self.transactions is not None:
            d["transactions"] = self.transactions.to_json()
        return json_plain(d)  # exactly what report.json will hold


def json_plain(value: Any, where: str = "report") -> Any:
    """``value`` as plain JSON types (tuples become lists); a value JSON cannot hold (an object, NaN, a
    non-string key) raises TypeError naming where it is, rather than being written as some string."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [json_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        bad = next((k for k in value if not isinstance(k, str)), None)
        if bad is not None:
            raise TypeError(f"{where}: key {bad!r} is not a string; report.json takes JSON values only")
        return {k: json_plain(v, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(f"{where}: {type(value).__name__} {value!r} is not a JSON value; report.json takes JSON "
                    "values only")


def _plain(obj) -> dict[str, Any]:
    return asdict(obj)


def _fault_json(f: Fault) -> dict[str, Any]:
    d = _plain(f)
    if f.member is None:  # a broker fault's JSON stays as it was
        del d["member"]
    return d


def _leader_change_json(c: LeaderChange) -> dict[str, Any]:
    return {"time": c.time, "topic": c.topic, "partition": c.partition, "from": c.from_leader, "to": c.to_leader,
            "epoch_from": c.epoch_from, "epoch_to": c.epoch_to, "isr_before": c.isr_before,
            "elr_before": c.elr_before, "unclean": c.unclean, "source": c.source}


# -- building -------------------------------------------------------------------------------------


def build_model(history: History, results: dict[str, CheckResult] | None = None) -> Report:
    """The report of a loaded history; ``results`` are its check results (run here when not given)."""
    from harness.checks.suite import run_checks

    if results is None:
        results = run_checks(history)
    info = next((op.value for op in history.ops if op.f == "run" and op.process == "harness"
                 and isinstance(op.value, dict)), {})
    scenario = info.get("scenario") or {}
    must_be_zero = set(expand_checks((scenario.get("expect") or {}).get("must_be_zero", DEFAULT_MUST_BE_ZERO)))
    origin = next((op.time for op in history.ops
                   if op.f == "phase" and isinstance(op.value, dict) and op.value.get("phase") == "workload"), None)
    at = _clock(origin)
    timeline = controller_timeline(history)
    topic = (scenario.get("topic") or {}).get("name")

    checks = {name: _check(name, r, name in must_be_zero, at) for name, r in results.items()}
    verdicts = [Verdict(c.verdict) for c in checks.values()]
    worst = Verdict.worst(verdicts)
    verdict = {Verdict.FAIL: "fail", Verdict.UNKNOWN: "unknown"}.get(worst, "pass")

    sends = history.sends()
    counts = Counts(sent=int(len(sends)), acknowledged=outcome_is(history, "ok").sum().item(),
                    failed=outcome_is(history, "fail").sum().item(),
                    indeterminate=outcome_is(history, "info").sum().item(),
                    unanswered=outcome_is(history, None).sum().item(), read=int(len(history.reads("read"))))
    notices = []  # (a history with no op at all never gets here: the loader refuses it)
    if not history.by_f("read"):
        notices.append("The history has no final read, so lost writes cannot be decided.")
    if history.ops and origin is None:
        notices.append("The history does not say when the workload started; times count from the run start.")

    report = Report(
        run_id=info.get("run_id"), scenario=scenario.get("name"), description=(scenario.get("description") or ""),
        started_at=info.get("started_at"),
        duration_s=round(history.ops[-1].time, 1) if history.ops else 0.0,
        image=info.get("image"), workload_start=None if origin is None else round(origin, 3), verdict=verdict,
        summary=[], counts=counts, checks=checks,
        findings=sorted(name for name, c in checks.items() if c.verdict == Verdict.FINDING.value),
        faults=_faults(history, at, timeline, topic), leader_changes=_leader_changes(history, at),
        groups=group_sections(history, scenario, results, {name: c.notes for name, c in checks.items()}, at),
        transactions=transactions_section(history, at),
        sweeps=_sweeps(history, at), healthy=_healthy(history, at),
        schedule_errors=[op.error for op in history.by_f("phase")
                         if op.type is OpType.INFO and op.error and op.error.startswith("nemesis")],
        client_errors=_client_errors(history),
        incomplete_reads=[str(op.error) for op in history.incomplete_reads()],
        notices=notices,
        settings={"topic": scenario.get("topic"),
                  "producers": (scenario.get("workload") or {}).get("producers"),
                  "brokers": (scenario.get("cluster") or {}).get("brokers"),
                  "broker_settings": (scenario.get("cluster") or {}).get("broker_settings")},
        controller_record=timeline.read,
    )
    # Anomalies no documented cause explains come first: they are what the report is for.
    report.unexplained = unexplained_anomalies(results)
    report.summary = [f"UNEXPLAINED: {line}" for line in report.unexplained] + summarise(report, scenario)
    return report


def _clock(origin: float | None):
    """Seconds on the run's clock -> seconds since the workload started, rounded for reading."""
    def at(t: float | None) -> float | None:
        if t is None or (isinstance(t, float) and math.isnan(t)):
            return None
        return round(float(t) - (origin or 0.0), 3)
    return at


def _faults(history: History, at, timeline: ControllerTimeline, topic: str | None) -> list[Fault]:
    out = []
    for f in history.faults():
        member = fault_member(history, f)
        # A member fault touches no broker: what the controller recorded meanwhile is not its doing.
        recorded = [] if member else _recorded(timeline, topic, f.get("start"), f.get("end"), f.get("nodes") or [], at)
        effects = [_effect(e, f, timeline, at) for e in f.get("effects", [])]
        out.append(Fault(id=str(f.get("id")), kind=str(f.get("kind")), target=str(f.get("target")),
                         nodes=f.get("nodes"), detail=f.get("detail"), start=at(f.get("start")), end=at(f.get("end")),
                         effects=effects, errors=list(f.get("errors", [])), recorded=recorded,
                         in_force=at(f.get("in_force")), member=member))
    return out


def _effect(e: dict[str, Any], f: dict[str, Any], tl: ControllerTimeline, at) -> Effect:
    """One expected effect: decided from the controller's record when it can, else the live verdict."""
    expect = Expectation.of(e)
    live = _live_effect(e, tl.read, expect, at)
    since, until = _effect_window(str(e.get("phase")), f.get("start"), f.get("end"))
    verdict = decide(tl, expect, since, until)
    if isinstance(verdict, Undecided):
        return live
    assert expect is not None and since is not None  # decide() is undecided without them
    if verdict is None:
        derived = Effect(phase=live.phase, seen=False, observed=None, time=None, after_s=None,
                         error=f"{expect.describe()}, from {at(since):.2f} s to {_until_text(until, at)}",
                         source=FROM_RECORD, expect=expect.what)
    else:
        derived = _from_record(live.phase, verdict, since, expect, at)
    derived.live_seen = live.seen
    if live.seen != derived.seen:
        missed = (live.error or "").removeprefix("not seen: ") or "no reason given"
        derived.disagreement = (f"the live watcher saw it: {live.observed}" if live.seen else
                                f"the live watcher did not see this within its deadline (it awaited {missed})")
    return derived


def _live_effect(e: dict[str, Any], controller_record: bool, expect: Expectation | None, at) -> Effect:
    seen = bool(e.get("seen"))
    return Effect(phase=str(e.get("phase")), seen=seen, observed=_live(e.get("observed"), controller_record),
                  time=at(e.get("time")), after_s=e.get("after_s"), error=None if seen else e.get("error"),
                  source=LIVE, expect=expect.what if expect else None)


def _effect_window(phase: str, start: float | None, end: float | None) -> tuple[float | None, float]:
    """Where the record is searched (history times): a start effect from the fault's start to
    ``HEAL_WINDOW_S`` after its heal (to the end of the record when it never healed), the same window as
    its recorded facts; a heal effect from the heal to ``HEAL_EFFECT_WINDOW_S`` after it."""
    if phase == "heal":
        return end, (end + HEAL_EFFECT_WINDOW_S if end is not None else math.inf)
    return start, (end + HEAL_WINDOW_S if end is not None else math.inf)


def _until_text(until: float, at) -> str:
    return "the end of the record" if math.isinf(until) else f"{at(until):.2f} s"


def _from_record(phase: str, h: Happened, since: float, expect: Expectation, at) -> Effect:
    """An effect the controller recorded, in words with its time on the report's clock."""
    after_s = round(h.time - since, 2)
    text = f"{h.text}, {'from' if h.offline else 'at'} {at(h.time):.2f} s ({after_s:.1f} s after {phase})"
    if h.offline:
        if h.back is not None:
            t, leader, epoch = h.back
            text += f"; a leader again at {at(t):.2f} s: {leader}, leader epoch {epoch}"
        else:
            text += "; no leader again in the record"
    return Effect(phase=phase, seen=True, observed=text, time=at(h.time), after_s=after_s, source=FROM_RECORD,
                  expect=expect.what, leader=h.leader, epoch=h.epoch,
                  isr=list(h.isr) if h.isr is not None else None, offline=h.offline)


def _live(observed: str | None, controller_record: bool) -> str | None:
    """A live effect line, without its leader epoch when the controller's record (which has it) is there."""
    if observed is None or not controller_record:
        return observed
    return LIVE_EPOCH.sub("", observed)


def leader_text(node: int) -> str:
    return "no leader" if node == NO_LEADER else str(node)


def _nodes(nodes) -> str:
    return "[" + ", ".join(str(n) for n in nodes) + "]"


def _recorded(tl: ControllerTimeline, topic: str | None, start: float | None, end: float | None,
              nodes: list[int], at) -> list[Recorded]:
    """What the controller recorded from a fault's start (history time) to ``HEAL_WINDOW_S`` after its heal
    (to the end of the record when it never healed): leader changes of the run's topic, ISR changes of
    the partitions whose ISR held the fault's nodes when it started, fencing of those nodes, and
    controller moves."""
    if not tl.read or start is None:
        return []
    until = end + HEAL_WINDOW_S if end is not None else math.inf

    def inside(t: float | None) -> bool:
        return t is not None and start <= t <= until

    def fact(t: float, kind: str, text: str, data: dict[str, Any]) -> Recorded:
        healed = end is not None and t >= end
        return Recorded(time=at(t), phase="heal" if healed else "start",
                        after_s=round(t - (end if healed else start), 2), kind=kind, text=text, data=data)

    held = _partitions_holding(tl, topic, start, set(nodes))
    out: list[Recorded] = []
    for c in tl.partitions:
        if not inside(c.time) or c.before is None or (topic is not None and c.topic != topic):
            continue
        text, data = _partition_fact(c, (c.topic, c.partition) in held)
        if text:
            out.append(fact(c.time, "leader" if c.leader_changed else "isr", text, data))
    for b in tl.brokers:
        if inside(b.time) and b.node in nodes:
            out.append(fact(b.time, "broker", f"broker {b.node} {b.what}", {"node": b.node, "event": b.what}))
    previous = None
    for ev in tl.controllers:
        if inside(ev.time) and ev.leader != previous:
            text = (f"the controller quorum has no leader (epoch {ev.epoch})" if ev.leader == NO_LEADER else
                    f"active controller moved from {previous} to {ev.leader} (epoch {ev.epoch})"
                    if previous not in (None, NO_LEADER) else f"active controller is {ev.leader} (epoch {ev.epoch})")
            out.append(fact(ev.time, "controller", text, {"controller_from": previous, "controller_to": ev.leader,
                                                          "controller_epoch": ev.epoch}))
        previous = ev.leader
    return sorted(out, key=lambda r: r.time)


def _partitions_holding(tl: ControllerTimeline, topic: str | None, t: float, nodes: set[int]) -> set[tuple[str, int]]:
    """The partitions of ``topic`` whose ISR held one of ``nodes`` at history time ``t`` (their replicas,
    for a partition the controller had not created yet)."""
    held = set()
    for key in {(c.topic, c.partition) for c in tl.partitions if topic is None or c.topic == topic}:
        state = tl.state_at(key[0], key[1], t)
        members = state.isr if state is not None else next(c.after.replicas for c in tl.partitions
                                                            if (c.topic, c.partition) == key)
        if nodes & set(members):
            held.add(key)
    return held


def _partition_fact(c: PartitionChange, isr_matters: bool) -> tuple[str, dict[str, Any]]:
    """One partition record in words: its leader change (with epochs), and its ISR change where it matters."""
    before, after = c.before, c.after
    assert before is not None
    name = f"{c.topic}-{c.partition}"
    parts = []
    data: dict[str, Any] = {"topic": c.topic, "partition": c.partition}
    if c.leader_changed:
        epochs = f"leader epoch {before.leader_epoch} → {after.leader_epoch}"
        if after.leader == NO_LEADER:
            parts.append(f"{name} left with no leader (was {leader_text(before.leader)}), {epochs}")
        elif before.leader == NO_LEADER:
            parts.append(f"{name} has a leader again: {after.leader}, {epochs}")
        else:
            parts.append(f"leader of {name} moved from {before.leader} to {after.leader}, {epochs}")
        if c.unclean:
            parts[-1] += f", UNCLEAN ({after.leader} was not in the ISR {_nodes(before.isr)})"
        data.update(leader_from=before.leader, leader_to=after.leader, epoch_from=before.leader_epoch,
                    epoch_to=after.leader_epoch, unclean=c.unclean)
    if isr_matters and before.isr != after.isr:
        old, new = set(before.isr), set(after.isr)
        verb = "shrank" if new < old else "grew" if new > old else "changed"
        parts.append(f"ISR of {name} {verb} from {_nodes(before.isr)} to {_nodes(after.isr)}")
        data.update(isr_from=list(before.isr), isr_to=list(after.isr))
    return "; ".join(parts), data


def _leader_changes(history: History, at) -> list[LeaderChange]:
    return [LeaderChange(time=at(c["time"]), topic=c["topic"], partition=c["partition"], from_leader=c["from"],
                         to_leader=c["to"], epoch_from=c["epoch_from"], epoch_to=c["epoch_to"],
                         isr_before=list(c["isr_before"]), unclean=c["unclean"], source=c.get("source", "samples"),
                         elr_before=list(c.get("elr_before") or []))
            for c in leader_changes(history)]


def _sweeps(history: History, at) -> list[Sweep]:
    out = []
    for op in history.by_f("sweep"):
        v = op.value if isinstance(op.value, dict) else {}
        out.append(Sweep(time=at(op.time), fixed=[str(x) for x in v.get("fixed") or []],
                         left=[str(x) for x in v.get("left") or []],
                         error=op.error if op.type is not OpType.OK else None))
    return out


def _healthy(history: History, at) -> HealthyWait | None:
    ops = history.by_f("healthy")
    if not ops:
        return None
    op = ops[-1]
    v = op.value if isinstance(op.value, dict) else {}
    return HealthyWait(topic=v.get("topic"), reached=op.type is OpType.OK, after_s=v.get("after_s"),
                       time=at(op.time), error=op.error)


def _client_errors(history: History) -> list[ClientError]:
    """Producer failures and consumer poll errors, one line per (client, error) with how often."""
    seen: Counter[tuple[str, str]] = Counter()
    for op in history.ops:
        if op.error and (op.f == "producer" or (op.f == "poll" and op.type is not OpType.OK)):
            seen[(op.process, str(op.error))] += 1
    return [ClientError(p, e, n) for (p, e), n in seen.items()]


# -- checks, for people -----------------------------------------------------------------------------


def is_time_key(key: Any) -> bool:
    """Whether a note's or an example's key names a point in time on the history's clock (``time``,
    ``start``, ``end``, ``*_time``); durations end in ``_s`` or ``_ms`` and are not times."""
    return isinstance(key, str) and (key in ("time", "start", "end") or key.endswith("_time"))


def shift_times(value: Any, at, key: Any = None) -> Any:
    """A copy of a check's notes or examples with every time counted from the workload start: each number
    (or list of numbers) under a time key (``is_time_key``), at any depth."""
    if isinstance(value, dict):
        return {k: shift_times(v, at, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shift_times(v, at, key) for v in value]
    if is_time_key(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return at(value)
    return value


def _check(name: str, r: CheckResult, must_be_zero: bool, at) -> Check:
    facts: list[tuple[str, str]] = []
    tables: list[Table] = []
    notes = shift_times(r.notes, at)
    for key, value in notes.items():
        share = "share" in key or name == "availability"
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            rows = [{"": k, **v} for k, v in value.items()]
            tables.append(_table(label(key), rows, share))
        elif isinstance(value, dict) and value:
            tables.append(_table(label(key), [value], share))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append(_table(label(key), value, share))
        else:
            facts.append((label(key), cell(key, value, share)))
    examples = shift_times(r.examples[:MAX_EXAMPLES], at)
    if examples and not any(examples == v[:MAX_EXAMPLES] for v in notes.values() if isinstance(v, list)):
        more = f" (the first {len(examples)} of {r.count:,})" if r.count > len(examples) else ""
        tables.append(_table("examples" + more, examples, name == "availability"))
    return Check(name=name, verdict=r.verdict(must_be_zero).value, count=r.count, must_be_zero=must_be_zero,
                 finds=_finds(name), examples=examples, notes=notes, skipped=r.skipped, facts=facts,
                 tables=tables, result=r)


def _finds(name: str) -> str:
    """The first paragraph of the check's docstring, or of its module's, after its name ("lost_writes:
    acknowledged ...")."""
    from harness.checks.suite import CHECKS

    check = CHECKS.get(name)
    own = (inspect.getdoc(check) or "") if check else ""  # checks sharing a module say it in their own docstring
    doc = own if own.startswith(f"{name}:") else ((inspect.getmodule(check).__doc__ or "") if check else "")
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return first.split(":", 1)[1].strip() if first.startswith(f"{name}:") else first


TIME_KEYS = {"time": "at (s)", "start": "start (s)", "end": "end (s)", "invoke_time": "invoked at (s)",
             "complete_time": "completed at (s)"}
"""Labels of the commonest time keys (any ``*_time`` is "... at (s)"); their values are already counted from
the workload start (``shift_times``)."""
SHARE_KEYS = {"ok", "fail", "info", "unanswered", "leader", "same-rack follower", "other broker"}
ID_WORDS = ("offset", "partition", "leader", "node", "broker", "epoch", "fault", "index")
"""Keys whose numbers are ids or positions, written without thousands separators."""


def label(key: str) -> str:
    """A note's key as words: ``first_ok_after_heal_s`` -> ``first ok after heal (s)``."""
    if key in TIME_KEYS:
        return TIME_KEYS[key]
    if is_time_key(key):
        return key[: -len("_time")].replace("_", " ") + " at (s)"
    for suffix, unit in (("_ms", " (ms)"), ("_s", " (s)")):
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " ") + unit
    return key.replace("_", " ")


def cell(key: str, value: Any, share: bool = False) -> str:
    """One value as text: thousands separated, times to the hundredth, shares as percentages."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_time_key(key) and isinstance(value, (int, float)):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value) if any(w in key for w in ID_WORDS) else f"{value:,}"
    if isinstance(value, float):
        if share and key in SHARE_KEYS and 0.0 <= value <= 1.0:
            return f"{value * 100:.1f}%"
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(key, v, share) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{label(k)} {cell(k, v, share)}" for k, v in value.items()) or "none"
    return str(value)


def _table(title: str, rows: list[dict[str, Any]], share: bool) -> Table:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return Table(columns=[label(k) for k in keys],
                 rows=[[cell(k, row.get(k), share) for k in keys] for row in rows], title=title)


# -- the summary ----------------------------------------------------------------------------------


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def _fault_phrase(f: Fault) -> str:
    text = f"{f.kind} {f.target} → {f.nodes_text}"
    if f.start is not None and f.injected:
        text += f" at {f.start:.1f} s" + (f" for {f.end - f.start:.1f} s" if f.end is not None else ", never healed")
    else:
        text += ", not injected" + (f" ({f.errors[-1].removeprefix('fault: ')})" if f.errors else "")
    if f.detail:
        text += f": {f.detail}"
    recorded = _recorded_phrase(f)
    if recorded:
        text += f" (the controller recorded {recorded})"
    return text


def _recorded_phrase(f: Fault) -> str:
    """The controller's facts about a fault in a few words: its leader changes (the first few named),
    how many ISR changes, its nodes' fencing, controller moves."""
    leaders = [r for r in f.recorded if r.kind == "leader"]
    isr = [r for r in f.recorded if "isr_to" in r.data]
    fencing = [r for r in f.recorded if r.kind == "broker"]
    moves = [r for r in f.recorded if r.kind == "controller"]
    parts = []
    for r in leaders[:3]:
        d = r.data
        name = f"{d['topic']}-{d['partition']}"
        text = (f"{name} with leader {d['leader_to']} again" if d["leader_from"] == NO_LEADER else
                f"{name} leader {d['leader_from']} → {leader_text(d['leader_to'])}")
        parts.append(f"{text} at epoch {d['epoch_to']}" + (" (unclean)" if d["unclean"] else ""))
    if len(leaders) > 3:
        parts.append(f"{len(leaders) - 3} more leader changes")
    if isr:
        parts.append(_n(len(isr), "ISR change"))
    if fencing:
        parts.append(", ".join(f"broker {r.data['node']} {r.data['event']}" for r in fencing[:4])
                     + (f" and {len(fencing) - 4} more broker events" if len(fencing) > 4 else ""))
    if moves:
        parts.append(_n(len(moves), "controller move"))
    return "; ".join(parts)


def _effects_phrases(r: Report) -> list[str]:
    """The expected effects of the faults that were not seen, by the derived verdict: per the controller's
    record where it decided, live otherwise; and how often the live watcher said otherwise than the record."""
    effects = [e for f in r.faults for e in f.effects]
    by_record = sum(1 for e in effects if not e.seen and e.source == FROM_RECORD)
    live = sum(1 for e in effects if not e.seen and e.source == LIVE)
    disagreed = sum(1 for e in effects if e.disagreement)
    out = []
    if by_record:
        out.append(f"{_n(by_record, 'expected effect')} of the faults did not happen, per the controller's record.")
    if live:
        out.append(f"{_n(live, 'expected effect')} of the faults {'was' if live == 1 else 'were'} "
                   "not seen live within the deadline"
                   + (" (the controller's record is under Faults)." if r.controller_record else "."))
    if disagreed:
        out.append(f"The live watcher disagreed with the controller's record on {_n(disagreed, 'effect')}; "
                   "the record's verdict stands (see Faults).")
    return out


def summarise(r: Report, scenario: dict[str, Any]) -> list[str]:
    """The report in a few sentences: what ran, what the faults did, what the checks found."""
    out = []
    cluster = scenario.get("cluster") or {}
    duration = (scenario.get("workload") or {}).get("duration_s")
    setup = ", ".join(x for x in (f"{cluster['brokers']} brokers" if cluster.get("brokers") else "",
                                  f"{duration:g} s of workload" if isinstance(duration, (int, float)) else "") if x)
    if r.scenario:
        out.append(f"Scenario {r.scenario}{f' ({setup})' if setup else ''}.")

    if not r.faults:
        out.append("No faults were injected.")
    else:
        shown = "; ".join(_fault_phrase(f) for f in r.faults[:SUMMARY_FAULTS])
        more = f"; and {len(r.faults) - SUMMARY_FAULTS} more" if len(r.faults) > SUMMARY_FAULTS else ""
        out.append(f"{_n(len(r.faults), 'fault')}: {shown}{more}.")
        brokers = [f for f in r.faults if not f.member]  # a member fault's window is not searched
        if r.controller_record and brokers and not any(f.recorded for f in brokers):
            out.append("The controller recorded no leader, ISR or fencing change during the faults.")
        failed = sum(1 for f in r.faults if f.errors)
        if failed:
            out.append(f"{_n(failed, 'fault')} reported errors (see Faults).")
        out += _effects_phrases(r)
    if r.leader_changes:
        who = "The controller recorded" if r.leader_changes[0].source == "controller" else "The sampler saw"
        unclean = sum(1 for c in r.leader_changes if c.unclean)
        leaderless = sum(1 for c in r.leader_changes if c.to_leader == NO_LEADER)
        extra = [f"{unclean} unclean" if unclean else "",
                 f"{leaderless} leaving a partition with no leader" if leaderless else ""]
        extra = [x for x in extra if x]
        out.append(f"{who} {_n(len(r.leader_changes), 'leader change')}"
                   + (f", {' and '.join(extra)}." if extra else "."))

    c = r.counts
    writes = f"{_n(c.sent, 'write')} sent, {c.acknowledged:,} acknowledged"
    if c.failed or c.indeterminate or c.unanswered:
        writes += f", {c.failed:,} failed, {c.indeterminate:,} indeterminate, {c.unanswered:,} unanswered"
    lost = r.checks.get("lost_writes")
    if lost is None or lost.skipped:
        writes += "."
    elif lost.verdict == Verdict.UNKNOWN.value:
        reason = lost.notes.get("reason") or lost.notes.get("error") or "a final read did not finish"
        writes += f"; whether any were lost is undecided ({reason})."
    else:
        writes += f", {lost.count:,} lost" + (" (allowed by this scenario)" if lost.verdict == "finding" else "") + "."
    out.append(writes)
    dups = r.checks.get("duplicates")
    documented = dups.notes.get("documented", 0) if dups is not None else 0
    if isinstance(documented, int) and documented:
        causes = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in (dups.notes.get("causes") or {}).items()
                           if k in ("client_epoch_bump", "retry_without_idempotence") and v)
        out.append(f"{_n(documented, 'value')} written twice by documented client behaviour ({causes}): "
                   "noted, not counted as duplicates.")
    out += [group_sentence(g) for g in r.groups]
    if r.transactions is not None:
        out.append(transactions_sentence(r.transactions))

    failed_checks = [ch for ch in r.checks.values() if ch.verdict == Verdict.FAIL.value]
    unknown = [ch for ch in r.checks.values() if ch.verdict == Verdict.UNKNOWN.value]
    findings = [ch for ch in r.checks.values() if ch.verdict == Verdict.FINDING.value]
    safety = [ch for ch in r.checks.values() if ch.must_be_zero and not ch.skipped]
    if failed_checks:
        out.append("Failed: " + ", ".join(f"{ch.name} found {ch.count:,}" for ch in failed_checks) + ".")
    if unknown:
        why = [f"{ch.name} ({ch.notes.get('reason') or ch.notes.get('error') or 'see its notes'})" for ch in unknown]
        out.append("Could not decide: " + ", ".join(why) + ".")
    if not failed_checks and not unknown and safety:
        names = ", ".join(ch.name for ch in safety)
        out.append(f"All {_n(len(safety), 'safety check')} passed ({names})." if len(safety) > 1
                   else f"The one safety check, {names}, passed.")
    if findings:
        out.append("Findings the scenario allows: " + ", ".join(f"{ch.name} {ch.count:,}" for ch in findings) + ".")

    if r.healthy is not None:
        out.append(f"After healing, every partition had a full ISR within {r.healthy.after_s} s."
                   if r.healthy.reached else f"After healing, the ISR never filled up again ({r.healthy.error}).")
    if r.sweeps:
        fixed = [x for s in r.sweeps for x in s.fixed]
        left = [x for s in r.sweeps for x in s.left]
        if not fixed and not left:
            out.append("The heal-everything sweep found nothing left over.")
        else:
            if fixed:
                out.append(f"The heal-everything sweep had to fix: {', '.join(fixed)}.")
            if left:
                out.append(f"It could not fix: {', '.join(left)}.")
    if r.schedule_errors:
        out.append(f"The fault schedule reported {_n(len(r.schedule_errors), 'error')}.")
    if r.incomplete_reads:
        out.append(f"{_n(len(r.incomplete_reads), 'final read')} did not reach the end offset in time.")
    if r.client_errors:
        out.append(f"Clients reported {_n(sum(e.times for e in r.client_errors), 'error')}.")
    return out + r.notices
