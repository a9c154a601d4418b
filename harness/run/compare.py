"""Comparing settings: one scenario across a matrix of acks, min.insync.replicas, unclean leader election
and idempotence, as a controlled experiment: in each repeat every cell runs at once, side by side under the
same faults (one topic per cell, all with the same replica assignment), on one shared cluster; a repeat is a
new seed.

The matrix and the documented expectations are pure; ``run_comparison`` runs it; ``write_comparison``
writes comparison.json, comparison.md and heatmaps from the per-run reports alone.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import re
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.run.scenario import Scenario

ACKS = ("0", "1", "all")
MIN_ISR = (1, 2)
UNCLEAN = (False, True)


@dataclass(frozen=True)
class Cell:
    acks: str
    min_insync_replicas: int
    unclean: bool
    idempotence: bool
    kafka_version: str | None = None
    """Set when the comparison runs several Kafka versions (one cluster each); None: the scenario's."""
    isolation: str | None = None
    """Set when the comparison varies consumers' ``isolation.level`` (every consumer and group member of the
    cell reads with it); None: as the scenario says."""

    @property
    def label(self) -> str:
        return (f"acks={self.acks} minISR={self.min_insync_replicas} unclean={str(self.unclean).lower()} "
                f"idem={str(self.idempotence).lower()}" + (f" kafka={self.kafka_version}" if self.kafka_version else "")
                + (f" isolation={self.isolation}" if self.isolation else ""))

    def apply(self, scenario: Scenario, seed: int, topic: str) -> Scenario:
        producers = [p.model_copy(update={"acks": self.acks, "enable_idempotence": self.idempotence})
                     for p in scenario.workload.producers]
        workload = {"producers": producers}
        if self.isolation:
            workload["consumers"] = [c.model_copy(update={"settings": {**c.settings, "isolation.level": self.isolation}})
                                     for c in scenario.workload.consumers]
            workload["groups"] = [g.model_copy(update={"settings": {**g.settings, "isolation.level": self.isolation}})
                                  for g in scenario.workload.groups]
        update = {
            "seed": seed,
            "topic": scenario.topic.model_copy(update={"name": topic, "min_insync_replicas": self.min_insync_replicas,
                                                       "unclean_leader_election": self.unclean}),
            "workload": scenario.workload.model_copy(update=workload),
        }
        if self.kafka_version:
            update["cluster"] = scenario.cluster.model_copy(update={"kafka_version": self.kafka_version,
                                                                    "image": None})
        return scenario.model_copy(update=update)


def matrix(acks=ACKS, min_isr=MIN_ISR, unclean=UNCLEAN, idempotence=(False, True),
           versions: tuple[str, ...] | list[str] = (), isolation: tuple[str, ...] | list[str] = ()) -> list[Cell]:
    """Every combination; idempotence applies only with acks=all (librdkafka requires it). With more than one
    Kafka version, every combination once per version; with isolation levels, once per level."""
    return [Cell(a, m, u, i, v, iso) for v in (versions if len(versions) > 1 else [None])
            for iso in (isolation or [None]) for a in acks
            for m in min_isr for u in unclean for i in idempotence if a == "all" or not i]


CHECK_COLUMNS = ("lost_writes", "duplicates", "nonmonotonic_send", "realtime_order", "uncommitted_reads")
WORKLOAD_CHECKS = ("aborted_reads", "open_txn_reads", "torn_transactions", "lost_transactions", "stuck_lso",
                   "txn_duplicates", "committed_offsets_backwards", "group_skipped", "group_reprocessed")
"""Checks of transactions and consumer groups: shown per cell, in a table of their own, when a run had them."""
TITLES = {"lost_writes": "lost writes", "duplicates": "duplicates", "nonmonotonic_send": "nonmonotonic sends",
          "realtime_order": "realtime order", "uncommitted_reads": "uncommitted reads"}

# -- what Kafka documents, and for which versions -------------------------------------------------------------

ELR_DEFAULT_FROM = (4, 1)
"""Eligible leader replicas (KIP-966): available but off in 4.0, on by default for new clusters from 4.1."""

KAFKA_VERSIONS_NOTE = (
    "Eligible leader replicas (KIP-966; on by default for new clusters from Kafka 4.1, in 4.0 available but off, "
    "`eligible.leader.replicas.version=1` turning them on): the high watermark does not advance while the ISR "
    "is below min.insync.replicas, and a new leader comes from the ISR, then the eligible leader replicas, then "
    "the last known leader; unclean elections are still governed by unclean.leader.election.enable. No check's "
    "documented answer (none or possible) changes with them, so the table reads the same before and after 4.1; "
    "what changes is how a cell can come to lose writes (each cell's line below says how).")
"""What eligible leader replicas change (KAFKA-FACTS.md): the same none/possible per check, other paths to loss."""


def parse_version(version: Any) -> tuple[int, int] | None:
    """``"4.3.1"`` -> ``(4, 3)``; None for anything else (unknown, "trunk")."""
    m = re.match(r"^\s*(\d+)\.(\d+)", str(version or ""))
    return (int(m[1]), int(m[2])) if m else None


def elr_by_default(kafka_version: Any) -> bool | None:
    """Whether eligible leader replicas are on by default in this Kafka version; None when it is unknown."""
    v = parse_version(kafka_version)
    return None if v is None else v >= ELR_DEFAULT_FROM


def versions_note(kafka_version: Any, image: str | None = None) -> str:
    """Which Kafka version the documented table is read for, and what eligible leader replicas change."""
    if parse_version(kafka_version) is None:
        head = ("Kafka version: " + (f"{kafka_version} (not a release number)" if kafka_version else
                                     "not recorded (a comparison from before versions were recorded)")
                + ". What Kafka documents, below and in \"matches the documentation\", is read for Kafka 4.x. ")
    else:
        on = elr_by_default(kafka_version)
        head = (f"Kafka version: {kafka_version}" + (f" (image {image})" if image else "")
                + ". What Kafka documents, below and in \"matches the documentation\", holds for this version, "
                + ("which has eligible leader replicas on by default. " if on else
                   "which does not have eligible leader replicas on by default. "))
    return head + KAFKA_VERSIONS_NOTE


def documented(cell: Cell) -> dict[str, str]:
    """What Kafka documents for this configuration, per check: "0" (guaranteed none) or "may".

    The same for every Kafka version this harness runs: eligible leader replicas (4.1+) change how a loss can
    happen, not whether one may (``elr_note``)."""
    durable = cell.acks == "all" and cell.min_insync_replicas >= 2 and not cell.unclean
    return {
        "lost_writes": "0" if durable else "may",
        "duplicates": "0" if cell.idempotence else "may",
        "nonmonotonic_send": "0" if cell.idempotence else "may",
        "realtime_order": "0" if durable else "may",
        "uncommitted_reads": "0",
    }


def why(cell: Cell) -> str:
    reasons = []
    if cell.acks != "all":
        reasons.append(f"acks={cell.acks} acknowledges before replication")
    if cell.min_insync_replicas < 2:
        reasons.append("min.insync.replicas=1 lets a lone replica acknowledge")
    if cell.unclean:
        reasons.append("unclean election may elect a stale replica")
    if not cell.idempotence:
        reasons.append("retries without idempotence may duplicate")
    return "; ".join(reasons) or "acks=all, min.insync.replicas=2, clean election, idempotent: nothing may be lost"


def elr_note(cell: Cell, kafka_version: Any = None) -> str:
    """How eligible leader replicas (on by default from Kafka 4.1) change this cell's expectation; "" for a
    version without them by default. Unknown version: the note, for a cluster of 4.1 or later."""
    on = elr_by_default(kafka_version)
    if on is False:
        return ""
    if cell.min_insync_replicas < 2:
        text = ("eligible leader replicas act only while the ISR is below min.insync.replicas, so with "
                "min.insync.replicas=1 they change nothing here")
    else:
        parts = []
        if cell.acks != "all":
            parts.append(f"the high watermark stops while the ISR is below min.insync.replicas="
                         f"{cell.min_insync_replicas}, so writes a lone leader takes (acks={cell.acks} counts them "
                         "as acknowledged at once) stay unreadable until a follower catches up, and a leader "
                         "elected from the eligible replicas need not hold them: loss stays possible")
        if cell.unclean:
            parts.append("an unclean election comes only when neither the ISR nor the eligible leader replicas "
                         "can provide a leader, so fewer fault sequences lose writes; loss stays possible")
        if not parts:
            parts.append("a replica that left the ISR while it was below min.insync.replicas can still be elected "
                         "cleanly: the promise is unchanged, with more replicas to elect from")
        text = "; ".join(parts)
    return ("With eligible leader replicas (Kafka 4.1 and later): " if on else
            "If the cluster ran Kafka 4.1 or later (eligible leader replicas on): ") + text


# -- one run ---------------------------------------------------------------------------------------------------


def lost_write_causes(check: dict[str, Any]) -> dict[str, int] | None:
    """Lost writes per cause from a report's ``checks.lost_writes``: {} with none lost, None when some were lost
    but the report names no cause (a report from before causes)."""
    from harness.checks.causes import CAUSES

    notes = check.get("notes") or {}
    causes = {c: int(notes[c]) for c in CAUSES if isinstance(notes.get(c), int) and notes[c] > 0}
    if not causes and (check.get("count") or 0) > 0:
        return None
    return causes


def row(cell: Cell, repeat: int, report: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One run's line: each check's count and verdict, the lost writes' and duplicates' causes, availability."""
    checks = report["checks"]
    overall = checks.get("availability", {}).get("notes", {}).get("overall", {})
    return {**asdict(cell), "cell": cell.label, "repeat": repeat, "run_dir": run_dir,
            **{c: checks[c]["count"] if c in checks else None for c in CHECK_COLUMNS},
            "verdicts": {c: checks[c]["verdict"] for c in CHECK_COLUMNS if c in checks},
            "acknowledged": report["counts"]["acknowledged"], "sent": report["counts"]["sent"],
            "availability": overall.get("ok"), "p99_ms": overall.get("p99_ms"),
            "duplicate_causes": dict(checks.get("duplicates", {}).get("notes", {}).get("causes", {})),
            "lost_write_causes": lost_write_causes(checks.get("lost_writes", {})),
            "decided": all(checks[c]["verdict"] != "unknown" for c in CHECK_COLUMNS if c in checks),
            "workload_checks": {c: [checks[c]["count"], checks[c]["verdict"]] for c in WORKLOAD_CHECKS
                                if c in checks and checks[c]["verdict"] != "skipped"},
            "not_injected": [f"{f['kind']} {f['target']}: {(f.get('errors') or ['no reason recorded'])[-1]}"
                             .replace(": fault: not injected: ", ": ")
                             for f in report.get("faults", []) if f.get("start") is not None
                             and f.get("in_force") is None and f.get("errors")]}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def outcome(run: dict[str, Any], check: str) -> str:
    """``observed`` (count > 0), ``none`` (decided, nothing found), ``undecided`` or ``skipped``.

    A row from before per-check verdicts were kept (no ``verdicts``) has only ``decided`` for all checks: when
    that is false, every check it found nothing in is undecided (which one was is not recorded)."""
    count = run.get(check)
    if not _missing(count) and count > 0:
        return "observed"  # a count is never above 0 with an unknown verdict: what was found was found
    verdicts = run.get("verdicts")
    if isinstance(verdicts, dict):
        v = verdicts.get(check)
        return {"skipped": "skipped", "unknown": "undecided", None: "undecided"}.get(v, "none")
    if _missing(count):
        return "undecided"
    return "none" if run.get("decided") is True else "undecided"


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """The Wilson score interval (95% by default) for a probability seen k times in n trials; None for n=0."""
    if n <= 0:
        return None
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


# -- one cell --------------------------------------------------------------------------------------------------


def cause_totals(runs: pd.DataFrame | list[dict[str, Any]], field: str = "duplicate_causes") -> dict[str, int]:
    """Anomalies per cause, summed over a cell's runs (for duplicates, documented causes included: they are not
    counted). A run without the field (an older row) adds nothing."""
    items = runs.get(field, pd.Series(dtype=object)) if isinstance(runs, pd.DataFrame) else [
        r.get(field) for r in runs]
    totals: dict[str, int] = {}
    for causes in items:
        for cause, n in (causes if isinstance(causes, dict) else {}).items():
            totals[cause] = totals.get(cause, 0) + int(n)
    return totals


def causes_text(totals: dict[str, int]) -> str:
    """``149 client_epoch_bump (documented)``, or "" when there were none."""
    from harness.checks.duplicates import DOCUMENTED_CAUSES

    return ", ".join(f"{n:,} {cause}{' (documented)' if cause in DOCUMENTED_CAUSES else ''}"
                     for cause, n in sorted(totals.items(), key=lambda kv: -kv[1]))


def lost_causes_per_cell(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A cell's lost writes by cause: ``{"totals": {cause: writes}, "runs": {cause: runs}, "unrecorded": runs}``,
    ``unrecorded`` counting the runs that lost writes with no cause on record (older rows, older reports)."""
    totals: dict[str, int] = {}
    in_runs: dict[str, int] = {}
    unrecorded = 0
    for r in runs:
        if outcome(r, "lost_writes") != "observed":
            continue
        causes = r.get("lost_write_causes")
        if not isinstance(causes, dict) or not causes:
            unrecorded += 1
            continue
        for cause, n in causes.items():
            totals[cause] = totals.get(cause, 0) + int(n)
            in_runs[cause] = in_runs.get(cause, 0) + 1
    return {"totals": totals, "runs": in_runs, "unrecorded": unrecorded}


def lost_causes_text(c: dict[str, Any]) -> str:
    """``3,202 unclean_election (2 runs), 3 unexplained (1 run)``; "" when no run lost writes."""
    parts = [f"{n:,} {cause} ({c['runs'][cause]} run{'s' if c['runs'][cause] != 1 else ''})"
             for cause, n in sorted(c["totals"].items(), key=lambda kv: -kv[1])]
    if c["unrecorded"]:
        parts.append(f"causes not recorded in {c['unrecorded']} run{'s' if c['unrecorded'] != 1 else ''}")
    return ", ".join(parts)


def _number(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _check_stats(runs: list[dict[str, Any]], check: str) -> dict[str, Any]:
    """k of N (N: runs that decided the check), undecided and skipped runs, and the counts' median and range
    over the N runs."""
    outcomes = [outcome(r, check) for r in runs]
    counts = [float(r[check]) if o == "observed" else 0.0 for r, o in zip(runs, outcomes)
              if o in ("observed", "none")]
    out: dict[str, Any] = {f"{check}_runs": outcomes.count("observed"), f"{check}_of": len(counts),
                           f"{check}_undecided": outcomes.count("undecided"),
                           f"{check}_skipped": outcomes.count("skipped"),
                           f"{check}_median": statistics.median(counts) if counts else None,
                           f"{check}_min": min(counts) if counts else None,
                           f"{check}_max": max(counts) if counts else None}
    return out


def summarize(rows: list[dict[str, Any]], cells: list[Cell], kafka_version: Any = None) -> pd.DataFrame:
    """One line per cell: per check, observed in k of N runs (undecided runs are not in N) with the counts'
    median and range; for lost writes the 95% Wilson interval of the probability that a run loses writes and
    the causes; availability and p99 as mean and range; what Kafka documents and whether the outcome fits."""
    out = []
    for cell in cells:
        runs = [r for r in rows if r.get("cell") == cell.label]
        if not runs:
            continue
        version = cell.kafka_version or kafka_version
        line: dict[str, Any] = {"cell": cell.label, "acks": cell.acks, "min_isr": cell.min_insync_replicas,
                                "unclean": cell.unclean, "idempotence": cell.idempotence, "repeats": len(runs),
                                "versioned": cell.kafka_version is not None}
        for check in CHECK_COLUMNS:
            line.update(_check_stats(runs, check))
        interval = wilson(line["lost_writes_runs"], line["lost_writes_of"])
        line["lost_writes_p_low"], line["lost_writes_p_high"] = interval or (None, None)
        for col in ("availability", "p99_ms"):
            values = pd.to_numeric(pd.Series([r.get(col) for r in runs], dtype=object), errors="coerce")
            line[col] = round(float(values.mean()), 3) if values.notna().any() else None
            line[f"{col}_min"] = None if values.isna().all() else float(values.min())
            line[f"{col}_max"] = None if values.isna().all() else float(values.max())
        expect = documented(cell)
        line["documented"] = ", ".join(f"{c}: {'none' if e == '0' else 'possible'}" for c, e in expect.items())
        line["promised_none"] = [c for c, e in expect.items() if e == "0"]
        line["duplicate_causes"] = cause_totals(runs)
        line["lost_write_causes"] = lost_causes_per_cell(runs)
        line["matches"] = _matches(line, expect)
        line["why"] = why(cell)
        line["elr"] = elr_note(cell, version)
        line["kafka_version"] = version
        out.append(line)
    return pd.DataFrame(out)


def _runs_text(n: int) -> str:
    return f"{n} run{'s' if n != 1 else ''}"


def _matches(line: dict[str, Any], expect: dict[str, str]) -> str:
    """``yes``; ``no: lost writes in 2 of 5 runs (3 unexplained)``, naming each broken "none" promise with the
    causes the runs show; or ``undecided: ...`` when a "none" promise could not be checked in some run."""
    from harness.checks.duplicates import DOCUMENTED_CAUSES

    broken, undecided = [], []
    for c, e in expect.items():
        if e != "0":
            continue
        k, n, u = line[f"{c}_runs"], line[f"{c}_of"], line[f"{c}_undecided"]
        if k:
            if c == "lost_writes":
                why_ = lost_causes_text(line["lost_write_causes"])
            elif c == "duplicates":
                why_ = causes_text({k_: v for k_, v in line["duplicate_causes"].items()
                                    if k_ not in DOCUMENTED_CAUSES})
            else:
                why_ = ""
            broken.append(f"{TITLES[c]} in {k} of {_runs_text(n)}" + (f" ({why_})" if why_ else ""))
        elif u:
            undecided.append((c, u))
    if broken:
        return "no: " + "; ".join(broken)
    if not undecided:
        return "yes"
    by_runs: dict[int, list[str]] = {}
    for c, u in undecided:
        by_runs.setdefault(u, []).append(TITLES[c])
    return "undecided: " + "; ".join(f"{', '.join(names)} in {u} of {_runs_text(line['repeats'])}"
                                     for u, names in by_runs.items())


# -- the table ---------------------------------------------------------------------------------------------------


def _spread(line: pd.Series, col: str) -> str:
    lo, hi, mean = line[f"{col}_min"], line[f"{col}_max"], line[col]
    if _missing(mean):
        return "–"
    return f"{mean:g}" if lo == hi else f"{mean:g} ({lo:g}–{hi:g})"


def _k_of_n(line: pd.Series, check: str) -> str:
    """``2 of 5``, ``2 of 4 (+1 undecided)``, ``undecided`` or ``skipped``."""
    k, n, u, s = (int(line[f"{check}_{x}"]) for x in ("runs", "of", "undecided", "skipped"))
    if n == 0:
        return "undecided" if u else ("skipped" if s else "–")
    return f"{k} of {n}" + (f" (+{u} undecided)" if u else "")


def _median_range(line: pd.Series, check: str) -> str:
    med, lo, hi = line[f"{check}_median"], line[f"{check}_min"], line[f"{check}_max"]
    if _missing(med):
        return "–"
    return _number(med) if lo == hi else f"{_number(med)} ({_number(lo)}–{_number(hi)})"


def _check_cell(line: pd.Series, check: str) -> str:
    """A check's column: ``0 of 5``, or ``2 of 5, median 0 (0–467)`` when some run observed it."""
    text = _k_of_n(line, check)
    return text + f", median {_median_range(line, check)}" if line[f"{check}_runs"] else text


def _p_loss(line: pd.Series) -> str:
    lo, hi = line["lost_writes_p_low"], line["lost_writes_p_high"]
    return "–" if _missing(lo) else f"{lo:.0%}–{hi:.0%}"


def _promised(line: pd.Series) -> str:
    none = list(line["promised_none"])
    return "all five" if len(none) == len(CHECK_COLUMNS) else ", ".join(TITLES[c] for c in none) or "–"


def _resets_text(meta: dict[str, Any]) -> str:
    """How the cluster was made clean between repeats (a comparison from before resets says nothing)."""
    resets = meta.get("resets")
    if not resets:
        return ""
    fresh = [x for x in resets if not x.get("verified")]
    text = (f" Between repeats the cluster was reset and verified clean (the previous repeat's topics deleted and "
            f"gone from every broker, every broker running and registered, no fault left): "
            f"{len(resets) - len(fresh)} of {len(resets)} resets verified")
    if fresh:
        text += "; after the others a fresh cluster: " + "; ".join(
            f"before repeat {x['before_repeat']}: {', '.join(x['problems'])}" for x in fresh)
    return text + "."


def _incomplete_text(rows: list[dict[str, Any]]) -> str:
    """The repeats whose fault schedule did not run in full (a fault the schedule skipped or that failed): in
    them a cell's outcome may be "it did not happen" because the faults did not."""
    seen: dict[tuple[Any, int], list[str]] = {}
    for r in rows:
        if r.get("not_injected"):
            seen.setdefault((r.get("kafka_version"), int(r["repeat"])), r["not_injected"])
    if not seen:
        return ""
    return ("Repeats whose fault schedule did not run in full (every cell of such a repeat saw the same "
            "faults, but not all of the scenario's): " + "; ".join(
                f"repeat {rep + 1}" + (f" on Kafka {v}" if v else "") + f" ({', '.join(why)})"
                for (v, rep), why in sorted(seen.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))) + ".")


def _versions_notes(summary: pd.DataFrame, version: Any, image: str | None) -> list[str]:
    """The version note: one for the comparison's version, or, when cells ran on several versions (one cluster
    each, the same seeds and schedule), one per version."""
    versions = list(dict.fromkeys(summary["kafka_version"])) if "versioned" in summary and \
        summary["versioned"].any() else []
    if not versions:
        return [versions_note(version, image), ""]
    return [f"Kafka versions side by side: {', '.join(map(str, versions))} (one cluster each; the same seeds, so "
            "the same fault schedule, and the same cells).", "",
            *[f"- {versions_note(v)}" for v in versions], ""]


def render_markdown(summary: pd.DataFrame, meta: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> str:
    version = meta.get("kafka_version")
    lines = [f"# Comparison: {meta['scenario']}", "",
             (f"{meta['repeats']} run(s) per cell, seeds {meta['seeds']}, one cluster; "
              + ("every cell in each run, side by side under the same faults (one topic per cell, the same "
                 "replica assignment); " if meta.get("layout") == "lanes" else "a new topic and run per cell; ")
              + f"started {meta['started_at']}." + _resets_text(meta)), "",
             *([text, ""] if (text := _incomplete_text(rows or [])) else []), f"Command: `{meta['command']}`", "",
             *_versions_notes(summary, version, meta.get("image")),
             ("| cell | lost acked writes: runs | P(a run loses writes), 95% | lost per run: median (range) "
              "| duplicates | nonmonotonic sends | realtime order | uncommitted reads | availability (ok share) "
              "| p99 ack latency ms | Kafka documents none of | matches the documentation |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for _, line in summary.iterrows():
        lines.append(f"| {line['cell']} | {_k_of_n(line, 'lost_writes')} | {_p_loss(line)} | "
                     f"{_median_range(line, 'lost_writes')} | {_check_cell(line, 'duplicates')} | "
                     f"{_check_cell(line, 'nonmonotonic_send')} | {_check_cell(line, 'realtime_order')} | "
                     f"{_check_cell(line, 'uncommitted_reads')} | {_spread(line, 'availability')} | "
                     f"{_spread(line, 'p99_ms')} | {_promised(line)} | {line['matches']} |")
    lines += ["", ("\"k of N\": a run observes a check's anomaly when its count is above 0; N counts only the runs "
              "that decided the check: a run whose verdict for it is unknown (say, a partition never read to "
              "the end) is left out of N and shown as \"+u undecided\" (a run from an older comparison that "
              "recorded only one verdict for all checks is undecided in every check it found nothing in). "
              "Medians and ranges are over those N runs; the probability that a run loses writes is the 95% "
              "Wilson score interval for k of N. Availability and p99 are means over the repeats, with "
              "(min–max) where they differ. Lost writes' causes (from each run's report): unclean_election, "
              "acks_below_all and lone_leader_min_isr_1 are documented ways to lose acknowledged writes; "
              "unexplained means none of them applies; undecided, that the controller's record was not read."),
              "", f"## What Kafka {version or ''} documents, per cell".replace("  ", " "), ""]
    for _, line in summary.iterrows():
        dups = causes_text(line.get("duplicate_causes") or {})
        lost = line.get("lost_write_causes")
        lost = lost_causes_text(lost) if isinstance(lost, dict) else ""
        elr = line.get("elr") or ""
        lines.append(f"- **{line['cell']}**: {line['documented']}. {line['why']}."
                     + (f" {elr}." if elr else "")
                     + (f" Lost writes, by the cause the controller's record shows: {lost}." if lost else "")
                     + (f" Duplicates read, by the cause their batch headers show: {dups}." if dups else ""))
    lines += _workload_checks_table(summary, rows or [])
    lines += ["", "![lost writes](heatmap_lost_writes.png)", "", "![availability](heatmap_availability.png)", ""]
    return "\n".join(lines)


def _workload_checks_table(summary: pd.DataFrame, rows: list[dict[str, Any]]) -> list[str]:
    """Transaction and group checks per cell, as "k of N runs (total)", when some run had them (with a
    ``--isolation`` dimension, read_uncommitted cells are where aborted records are read, and allowed)."""
    names = [c for c in WORKLOAD_CHECKS if any(c in (r.get("workload_checks") or {}) for r in rows)]
    if not names:
        return []
    lines = ["", "## Transactions and consumer groups, per cell", "",
             "| cell | " + " | ".join(n.replace("_", " ") for n in names) + " |",
             "|---|" + "---:|" * len(names)]
    for _, line in summary.iterrows():
        runs = [r.get("workload_checks") or {} for r in rows if r.get("cell") == line["cell"]]
        cells = []
        for n in names:
            had = [r[n] for r in runs if n in r]
            k = sum(1 for count, _ in had if count)
            total = sum(count for count, _ in had)
            cells.append(f"{k} of {len(had)}" + (f" ({total:,})" if total else "") if had else "–")
        lines.append(f"| {line['cell']} | " + " | ".join(cells) + " |")
    lines += ["", "\"k of N\": runs whose count was above 0, of the runs that ran the check; in brackets, the "
              "total count. group reprocessed is allowed (at-least-once); the others must stay at 0."]
    return lines


def _grid(summary: pd.DataFrame) -> tuple[list[str], list[str], dict[tuple[str, str], pd.Series]]:
    """Heatmap rows (acks, idempotence), columns (min ISR, unclean) and the cell line at each place."""
    at = {}
    for _, line in summary.iterrows():
        r = (f"Kafka {line['kafka_version']}\n" if line.get("versioned") is True else "") \
            + f"acks={line['acks']}" + (" idem" if line["idempotence"] else "")
        c = f"minISR={line['min_isr']}\nunclean={str(line['unclean']).lower()}"
        at[(r, c)] = line
    return sorted({r for r, _ in at}), sorted({c for _, c in at}), at


def heatmaps(summary: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Lost writes: colour by the share of runs that lost writes, each cell "k/N", the median and the range;
    availability: colour by the mean share acknowledged, with the range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    def lost(line: pd.Series) -> tuple[float, str]:
        n = int(line["lost_writes_of"])
        if n == 0:
            return float("nan"), "undecided"
        text = f"{int(line['lost_writes_runs'])}/{n}"
        if line["lost_writes_undecided"]:
            text += f" (+{int(line['lost_writes_undecided'])} undecided)"
        if line["lost_writes_runs"]:
            text += f"\nmedian {_number(line['lost_writes_median'])}"
        if line["lost_writes_min"] != line["lost_writes_max"]:
            text += f"\n({_number(line['lost_writes_min'])}–{_number(line['lost_writes_max'])})"
        return line["lost_writes_runs"] / n, text

    def available(line: pd.Series) -> tuple[float, str]:
        mean, lo, hi = line["availability"], line["availability_min"], line["availability_max"]
        if _missing(mean):
            return float("nan"), "–"
        return float(mean), f"{mean:.2f}" + ("" if lo == hi else f"\n({lo:.2f}–{hi:.2f})")

    rows, cols, at = _grid(summary)
    paths = []
    for name, title, cmap, value, bar in (
            ("lost_writes", ("lost acknowledged writes: runs that lost writes (k/N), median per run (range);\n"
                             "framed: Kafka documents no loss there"),
             "Reds", lost, "share of runs that lost writes"),
            ("availability", "share of sends acknowledged: mean (range)", "Greens", available, "mean ok share")):
        grid = np.full((len(rows), len(cols)), np.nan)
        labels = {}
        for (r, c), line in at.items():
            i, j = rows.index(r), cols.index(c)
            grid[i, j], labels[(i, j)] = value(line)
        fig, ax = plt.subplots(figsize=(8, 0.85 * len(rows) + 1.9), constrained_layout=True)
        im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto", vmin=0, vmax=1)
        ax.set_xticks(range(len(cols)), cols, fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        for (i, j), label in labels.items():
            dark = not np.isnan(grid[i, j]) and grid[i, j] > 0.6
            ax.text(j, i, label, ha="center", va="center", fontsize=8, color="white" if dark else "black")
        if name == "lost_writes":
            for (r, c), line in at.items():
                if "lost_writes" in line["promised_none"]:
                    ax.add_patch(plt.Rectangle((cols.index(c) - 0.47, rows.index(r) - 0.47), 0.94, 0.94,
                                               fill=False, edgecolor="tab:blue", linewidth=2.5))
        fig.colorbar(im, ax=ax, shrink=0.8, label=bar)
        ax.set_title(title, fontsize=10)
        path = out_dir / f"heatmap_{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def write_comparison(rows: list[dict[str, Any]], cells: list[Cell], out_dir: Path, meta: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {**meta, "kafka_version": meta.get("kafka_version")}  # None: not recorded (an older comparison)
    summary = summarize(rows, cells, meta["kafka_version"])
    (out_dir / "comparison.json").write_text(json.dumps(
        {**meta, "runs": rows, "cells": summary.to_dict(orient="records")}, indent=2, default=str) + "\n")
    heatmaps(summary, out_dir)
    md = out_dir / "comparison.md"
    md.write_text(render_markdown(summary, meta, rows))
    return md


def rebuild_comparison(out_dir: Path | str, report_run=None, log=print) -> Path:
    """Re-check every run of a saved comparison from its history and rebuild the table (no cluster): a
    comparison is re-reported like a run, with whatever checks this harness has. ``report_run(run_dir)``
    re-reports one run and returns its report.json as a dict."""
    out = Path(out_dir)
    saved = json.loads((out / "comparison.json").read_text())
    fields = {f for f in Cell.__dataclass_fields__}
    rows, cells = [], []
    for n, old in enumerate(saved["runs"], 1):
        cell = Cell(**{k: old[k] for k in fields if k in old})  # older rows have no kafka_version
        if cell not in cells:
            cells.append(cell)
        log(f"[{n}/{len(saved['runs'])}] re-checking {old['run_dir']}")
        rows.append(row(cell, old["repeat"], report_run(out / old["run_dir"]), old["run_dir"]))
    meta = {k: v for k, v in saved.items() if k not in ("runs", "cells")}
    return write_comparison(rows, cells, out, meta)


def run_comparison(scenario: Scenario, cells: list[Cell], repeats: int, out_dir: Path | str, command: str,
                   log=print) -> Path:
    """Every cell at once, under one fault schedule, once per repeat: one cluster per Kafka version for all its
    repeats; each repeat is one run (seed ``scenario.seed + r``, the same for every version) in which each cell
    has its own topic (the same replica assignment for all), producers and readers; each cell's report is cut
    from that run's history."""
    from harness.cluster.config import DEFAULT_KAFKA_VERSION, ImageSpec
    from harness.cluster.image import ensure_image
    from harness.cluster.kraft import KafkaCluster
    from harness.run.reset import reset_cluster
    from harness.run.runner import cluster_config, run_lanes

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(out_dir) / f"compare-{scenario.name}-{stamp}"
    versions = list(dict.fromkeys(c.kafka_version for c in cells))
    default = scenario.cluster.kafka_version or DEFAULT_KAFKA_VERSION
    meta = {"scenario": scenario.name, "repeats": repeats, "seeds": [scenario.seed + r for r in range(repeats)],
            "started_at": _dt.datetime.now().isoformat(timespec="seconds"), "command": command,
            "kafka_version": default if versions == [None] else ", ".join(str(v) for v in versions),
            "layout": "lanes"}
    rows: list[dict[str, Any]] = []
    for version in versions:
        group = [c for c in cells if c.kafka_version == version]
        base = group[0].apply(scenario, scenario.seed, scenario.topic.name) if version else scenario
        image = base.cluster.image or ensure_image(ImageSpec(base.cluster.kafka_version), log=log)
        meta.setdefault("images", []).append(image)
        meta["image"] = ", ".join(meta["images"])
        with contextlib.ExitStack() as stack:
            cluster = stack.enter_context(KafkaCluster(cluster_config(base, image), log=log))
            previous: list[tuple[str, Scenario]] = []
            for r in range(repeats):
                seed = scenario.seed + r
                lanes = [(cell.label, cell.apply(scenario, seed, f"{scenario.topic.name}-r{r}-c{i:02d}"))
                         for i, cell in enumerate(group)]
                if r > 0:  # the cluster as a fresh one would be, or a fresh one
                    problems = reset_cluster(cluster, [s.topic.name for _, s in previous],
                                             groups=[g.group_id(s.topic.name) for _, s in previous
                                                     for g in s.workload.groups])
                    meta.setdefault("resets", []).append(
                        {"kafka_version": version, "before_repeat": r + 1, "verified": not problems,
                         "problems": problems})
                    if problems:
                        log(f"reset not verified ({'; '.join(problems)}): a fresh cluster for repeat {r + 1}")
                        stack.close()
                        cluster = stack.enter_context(KafkaCluster(cluster_config(base, image), log=log))
                previous = lanes
                log(f"[{r + 1}/{repeats}] {len(group)} cells side by side, seed {seed}"
                    + (f", Kafka {version}" if version else ""))
                results = run_lanes(base.model_copy(update={"seed": seed}), lanes, out_dir=out / "runs",
                                    log=lambda *_: None, cluster=cluster,
                                    run_name=(f"kafka-{version}-" if version else "") + f"r{r + 1:02d}")
                for cell, result in zip(group, results):
                    rows.append(row(cell, r, result.report, str(result.run_dir.relative_to(out))))
                    c = rows[-1]
                    log(f"        {cell.label}: lost {c['lost_writes']}, duplicates {c['duplicates']}, "
                        f"nonmonotonic sends {c['nonmonotonic_send']}, realtime order {c['realtime_order']}, "
                        f"availability {c['availability']}")
                write_comparison(rows, cells, out, meta)  # a partial table survives an interrupted comparison
    return out
