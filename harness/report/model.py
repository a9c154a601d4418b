"""The report model: everything a report says, built once from a loaded history and the check results.

JSON, Markdown, HTML and the plots all render this one model, so they state the same facts. Times in
the model count from the start of the workload (the history's ``phase: workload`` op); without that op,
from the start of the run. Data flows one way: the model reads the history and never talks to a cluster.
"""

from __future__ import annotations

import inspect
import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.checks import DEFAULT_MUST_BE_ZERO
from harness.checks.result import MAX_EXAMPLES, CheckResult, Verdict
from harness.history.loader import History
from harness.history.ops import OpType
from harness.observe.leadership import leader_changes

SUMMARY_FAULTS = 6
"""The summary names this many faults; the rest are counted."""


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
        return self.result.to_dict(must_be_zero=self.must_be_zero)


@dataclass
class Effect:
    """What the cluster was seen to do after a fault started or healed (or that it was not seen)."""

    phase: str
    seen: bool
    observed: str | None
    time: float | None
    after_s: float | None
    error: str | None = None
    """When not seen: what was looked for."""


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

    @property
    def nodes_text(self) -> str:
        if not self.nodes:
            return "no node"
        return ("node " if len(self.nodes) == 1 else "nodes ") + ", ".join(str(n) for n in self.nodes)

    @property
    def window_text(self) -> str:
        if self.start is None:
            return "never started"
        if self.end is None:
            return f"from {self.start:.1f} s, not healed"
        return f"from {self.start:.1f} s to {self.end:.1f} s ({self.end - self.start:.1f} s)"


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
    """Things about the history itself worth saying (it is empty, it has no final read, ...)."""
    settings: dict[str, Any]
    plots: dict[str, str] = field(default_factory=dict)
    """Plot name -> path relative to the run directory; filled in when the report is written."""

    @property
    def summary_text(self) -> str:
        return " ".join(self.summary)

    @property
    def title(self) -> str:
        return self.scenario or "unnamed run"

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (report.json): plain JSON types only."""
        d = {
            "run_id": self.run_id, "scenario": self.scenario, "description": self.description,
            "started_at": self.started_at, "duration_s": self.duration_s, "image": self.image,
            "verdict": self.verdict, "summary": self.summary_text,
            "time_origin": {"workload_start_s": self.workload_start,
                            "note": "fault, effect, leader-change, sweep and wait times count from the workload "
                                    "start (from the run start when workload_start_s is null)"},
            "checks": {name: c.to_json() for name, c in self.checks.items()},
            "findings": self.findings,
            "counts": _plain(self.counts),
            "faults": [_plain(f) for f in self.faults],
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
        return json.loads(json.dumps(d, default=str))  # exactly what report.json will hold


def _plain(obj) -> dict[str, Any]:
    return asdict(obj)


def _leader_change_json(c: LeaderChange) -> dict[str, Any]:
    return {"time": c.time, "topic": c.topic, "partition": c.partition, "from": c.from_leader, "to": c.to_leader,
            "epoch_from": c.epoch_from, "epoch_to": c.epoch_to, "isr_before": c.isr_before, "unclean": c.unclean}


# -- building -------------------------------------------------------------------------------------


def build_model(history: History, results: dict[str, CheckResult] | None = None) -> Report:
    """The report of a loaded history; ``results`` are its check results (run here when not given)."""
    from harness.checks.suite import run_checks

    if results is None:
        results = run_checks(history)
    info = next((op.value for op in history.ops if op.f == "run" and op.process == "harness"
                 and isinstance(op.value, dict)), {})
    scenario = info.get("scenario") or {}
    must_be_zero = set((scenario.get("expect") or {}).get("must_be_zero", DEFAULT_MUST_BE_ZERO))
    origin = next((op.time for op in history.ops
                   if op.f == "phase" and isinstance(op.value, dict) and op.value.get("phase") == "workload"), None)
    at = _clock(origin)

    checks = {name: _check(name, r, name in must_be_zero, at) for name, r in results.items()}
    verdicts = [Verdict(c.verdict) for c in checks.values()]
    worst = Verdict.worst(verdicts)
    verdict = {Verdict.FAIL: "fail", Verdict.UNKNOWN: "unknown"}.get(worst, "pass")

    sends = history.sends()
    outcome = sends["outcome"]
    counts = Counts(sent=int(len(sends)), acknowledged=int((outcome == "ok").sum()),
                    failed=int((outcome == "fail").sum()), indeterminate=int((outcome == "info").sum()),
                    unanswered=int(outcome.isna().sum()), read=int(len(history.reads("read"))))
    notices = []
    if not history.ops:
        notices.append("The history file holds no operations: nothing ran, or nothing was recorded.")
    elif not history.by_f("read"):
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
        faults=_faults(history, at), leader_changes=_leader_changes(history, at),
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
    )
    report.summary = summarise(report, scenario)
    return report


def _clock(origin: float | None):
    """Seconds on the run's clock -> seconds since the workload started, rounded for reading."""
    def at(t: float | None) -> float | None:
        if t is None or (isinstance(t, float) and math.isnan(t)):
            return None
        return round(float(t) - (origin or 0.0), 2)
    return at


def _faults(history: History, at) -> list[Fault]:
    missed = {(op.value.get("id"), op.value.get("phase")): op.error for op in history.by_f("effect")
              if op.type is not OpType.OK and isinstance(op.value, dict)}
    out = []
    for f in history.faults():
        effects = [Effect(phase=str(e.get("phase")), seen=bool(e.get("seen")), observed=e.get("observed"),
                          time=at(e.get("time")), after_s=e.get("after_s"),
                          error=None if e.get("seen") else missed.get((f.get("id"), e.get("phase"))))
                   for e in f.get("effects", [])]
        out.append(Fault(id=str(f.get("id")), kind=str(f.get("kind")), target=str(f.get("target")),
                         nodes=f.get("nodes"), detail=f.get("detail"), start=at(f.get("start")), end=at(f.get("end")),
                         effects=effects, errors=list(f.get("errors", []))))
    return out


def _leader_changes(history: History, at) -> list[LeaderChange]:
    return [LeaderChange(time=at(c["time"]), topic=c["topic"], partition=c["partition"], from_leader=c["from"],
                         to_leader=c["to"], epoch_from=c["epoch_from"], epoch_to=c["epoch_to"],
                         isr_before=list(c["isr_before"]), unclean=c["unclean"])
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


def _check(name: str, r: CheckResult, must_be_zero: bool, at) -> Check:
    facts: list[tuple[str, str]] = []
    tables: list[Table] = []
    for key, value in r.notes.items():
        share = "share" in key or name == "availability"
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            rows = [{"": k, **v} for k, v in value.items()]
            tables.append(_table(label(key), rows, at, share))
        elif isinstance(value, dict) and value:
            tables.append(_table(label(key), [value], at, share))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append(_table(label(key), value, at, share))
        else:
            facts.append((label(key), cell(key, value, at, share)))
    examples = r.examples[:MAX_EXAMPLES]
    if examples and not any(examples == v[:MAX_EXAMPLES] for v in r.notes.values() if isinstance(v, list)):
        more = f" (the first {len(examples)} of {r.count:,})" if r.count > len(examples) else ""
        tables.append(_table("examples" + more, examples, at, name == "availability"))
    return Check(name=name, verdict=r.verdict(must_be_zero).value, count=r.count, must_be_zero=must_be_zero,
                 finds=_finds(name), examples=examples, notes=r.notes, skipped=r.skipped, facts=facts,
                 tables=tables, result=r)


def _finds(name: str) -> str:
    """The first line of the check's module docstring, after its name ("lost_writes: acknowledged ...")."""
    from harness.checks.suite import CHECKS

    check = CHECKS.get(name)
    doc = (inspect.getmodule(check).__doc__ or "") if check else ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return first.split(":", 1)[1].strip() if first.startswith(f"{name}:") else first


TIME_KEYS = {"time": "at (s)", "start": "start (s)", "end": "end (s)", "invoke_time": "invoked at (s)",
             "complete_time": "completed at (s)"}
"""Columns that hold times on the run's clock: shown counted from the workload start."""
SHARE_KEYS = {"ok", "fail", "info", "unanswered", "leader", "same-rack follower", "other broker"}
ID_WORDS = ("offset", "partition", "leader", "node", "broker", "epoch", "fault", "index")
"""Keys whose numbers are ids or positions, written without thousands separators."""


def label(key: str) -> str:
    """A note's key as words: ``first_ok_after_heal_s`` -> ``first ok after heal (s)``."""
    if key in TIME_KEYS:
        return TIME_KEYS[key]
    for suffix, unit in (("_ms", " (ms)"), ("_s", " (s)")):
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " ") + unit
    return key.replace("_", " ")


def cell(key: str, value: Any, at, share: bool = False) -> str:
    """One value as text: thousands separated, times from the workload start, shares as percentages."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in TIME_KEYS and isinstance(value, (int, float)):
        return f"{at(value):.2f}"
    if isinstance(value, int):
        return str(value) if any(w in key for w in ID_WORDS) else f"{value:,}"
    if isinstance(value, float):
        if share and key in SHARE_KEYS and 0.0 <= value <= 1.0:
            return f"{value * 100:.1f}%"
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(key, v, at, share) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{label(k)} {cell(k, v, at, share)}" for k, v in value.items()) or "none"
    return str(value)


def _table(title: str, rows: list[dict[str, Any]], at, share: bool) -> Table:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return Table(columns=[label(k) for k in keys],
                 rows=[[cell(k, row.get(k), at, share) for k in keys] for row in rows], title=title)


# -- the summary ----------------------------------------------------------------------------------


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def _fault_phrase(f: Fault) -> str:
    text = f"{f.kind} {f.target} → {f.nodes_text}"
    if f.start is not None:
        text += f" at {f.start:.1f} s" + (f" for {f.end - f.start:.1f} s" if f.end is not None else ", never healed")
    else:
        text += ", not injected"
    if f.detail:
        text += f": {f.detail}"
    return text


def summarise(r: Report, scenario: dict[str, Any]) -> list[str]:
    """The report in a few sentences: what ran, what the faults did, what the checks found."""
    if r.notices and not r.checks and not r.counts.sent:
        return list(r.notices)
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
        not_seen = sum(1 for f in r.faults for e in f.effects if not e.seen)
        failed = sum(1 for f in r.faults if f.errors)
        if failed:
            out.append(f"{_n(failed, 'fault')} reported errors (see Faults).")
        if not_seen:
            out.append(f"{_n(not_seen, 'expected effect')} of the faults did not show within the deadline.")
    unclean = [c for c in r.leader_changes if c.unclean]
    if r.leader_changes:
        out.append(f"The sampler saw {_n(len(r.leader_changes), 'leader change')}"
                   + (f", {len(unclean)} of them unclean." if unclean else "."))

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
