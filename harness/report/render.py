"""Rendering the report model: report.json for tools, report.md and report.html for people.

All three take the same ``Report`` and say the same things in the same order: summary, operations,
checks (with their notes and examples as tables), the consumer groups and the transactions (only for runs
that have them), faults (with detail, what the controller recorded, each
expected effect from the controller's record or seen live, and errors), leader changes, healing (the wait
for a full ISR and the sweep), schedule and client errors, incomplete reads, plots.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from harness.checks.result import Verdict
from harness.report.groups import (
    GroupSection,
    TransactionsSection,
    commits_text,
    coordinator_text,
    errors_text,
    stable_text,
)
from harness.report.model import FROM_RECORD, Effect, Fault, Report, Table, _table, cell, json_plain, leader_text

COLOURS = {"pass": "#2a9d8f", "fail": "#e76f51", "unknown": "#e9c46a", "finding": "#f4a261", "skipped": "#adb5bd"}
MAX_RECORDED_LINES = 12
"""A fault shows this many of the controller's records; report.json has them all."""
COUNT_LABELS = [("sent", "sent"), ("acknowledged", "acknowledged"), ("failed", "failed"),
                ("indeterminate", "indeterminate"), ("unanswered", "unanswered"), ("read", "read back")]


def render_json(r: Report) -> str:
    """report.json; a value that is not JSON raises (TypeError, naming where), never written as a string."""
    return json.dumps(json_plain(r.to_json()), indent=2, allow_nan=False) + "\n"


# -- shared wording -----------------------------------------------------------------------------------


def header_line(r: Report) -> str:
    origin = (f"workload started {r.workload_start:.1f} s into the run; times below count from then"
              if r.workload_start is not None else "times count from the start of the run")
    parts = [f"run {r.run_id}" if r.run_id else "", f"started {r.started_at}" if r.started_at else "",
             f"{r.duration_s} s", f"image {r.image}" if r.image else "", origin]
    return " · ".join(x for x in parts if x)


def fault_lines(f: Fault) -> list[str]:
    """Under a fault: its detail, what the controller recorded, its expected effects (from the controller's
    record, or seen live where the record cannot decide), where the live watcher disagreed, its errors."""
    lines = [f"detail: {f.detail}"] if f.detail else []
    lines += [f"recorded by the controller: {rec.line}" for rec in f.recorded[:MAX_RECORDED_LINES]]
    if len(f.recorded) > MAX_RECORDED_LINES:
        lines.append(f"recorded by the controller: {len(f.recorded) - MAX_RECORDED_LINES} more (see report.json)")
    for e in f.effects:
        lines.append(effect_line(e))
        if e.disagreement:
            lines.append(f"{e.phase}, {e.disagreement}; the controller's record wins")
    return lines + [f"error: {err}" for err in f.errors]


def effect_line(e: Effect) -> str:
    """One expected effect, saying where its verdict comes from."""
    if e.source == FROM_RECORD:
        return (f"{e.phase}, from the controller's record: {e.observed}" if e.seen else
                f"{e.phase}, not in the controller's record: {e.error}")
    if e.seen:
        return f"{e.phase}, seen live: {e.observed}"
    why = e.error or e.observed
    return f"{e.phase}, not seen live within the deadline" + (f" ({why})" if why else "")


def leader_change_line(c) -> str:
    frm, to = leader_text(c.from_leader), leader_text(c.to_leader)
    text = f"{c.time:.2f} s: {c.topic}-{c.partition} leader {frm} → {to} (epoch {c.epoch_from} → {c.epoch_to})"
    if c.unclean:
        elr = f", eligible {c.elr_before}" if c.elr_before else ""
        text += f" UNCLEAN: {c.to_leader} was not in the ISR {c.isr_before}{elr}"
    if c.source != "controller":
        text += " [from samples]"
    return text


def _at(t: float | None) -> str:
    return "–" if t is None else f"{t:.2f}"


def group_title(g: GroupSection) -> str:
    how = ", ".join(x for x in (f"{g.protocol} protocol" if g.protocol else None,
                                f"{g.commit} commit" if g.commit else None) if x)
    return g.id + (f" ({how})" if how else "")


def group_lines(g: GroupSection) -> list[str]:
    """A consumer group's facts, one line each; its tables come from ``group_tables``."""
    lines = [f"topic {g.topic}; {g.assignor} rebalance callbacks "
             + ("(each names the member's whole assignment)" if g.assignor == "eager" else "(each names a change)")]
    lines.append(f"members: {len(g.members) - g.replacements}" +
                 (f", and {g.replacements} replacement{'s' if g.replacements != 1 else ''}" if g.replacements else ""))
    if g.coordinator_changes:
        first, *moves = g.coordinator_changes
        lines.append(f"coordinator: {coordinator_text(g)} (node {first.to_node} first seen at {first.time:.2f} s)")
        lines += [f"coordinator moved from {c.from_node} to {c.to_node}: first seen at {c.time:.2f} s, "
                  f"{c.from_node} last seen at {_at(c.last_seen_time)} s" for c in moves]
    else:
        lines.append("coordinator: never seen by the group sampler")
    if g.describe_failures:
        lines.append(f"the group sampler could not describe the group {sum(g.describe_failures.values()):,} "
                     f"time(s): {errors_text(g.describe_failures)}")
    first = " (the first is the initial assignment)" if g.rebalances and g.rebalances[0].first else ""
    lines.append(f"rebalances: {len(g.rebalances):,}{first}")
    lines.append(f"commits: {commits_text(g.commits)}")
    lines.append(f"records processed: {g.processed:,} ({g.distinct:,} distinct offsets)")
    if g.reprocessed is not None:
        causes = "; ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in (g.reprocessed_causes or {}).items())
        lines.append(f"processed more than once: {g.reprocessed:,}" + (f" ({causes})" if causes else ""))
    if g.offsets_error:
        lines.append(f"committed offsets after the run: could not be read ({g.offsets_error})")
    elif g.offsets is None:
        lines.append("committed offsets after the run: not recorded")
    return lines


def _who(holders: list[str]) -> str:
    return ", ".join(holders) or "nobody"


def group_tables(g: GroupSection) -> list[Table]:
    """A consumer group's members, rebalances, committed offsets and, from group_availability, its
    consumption through each fault."""
    members = Table(columns=["member", "process", "pid", "started (s)", "ended", "paused (s)"], title="members", rows=[
        [str(m.member), m.process, str(m.pid) if m.pid is not None else "–", _at(m.start),
         f"{m.ended_by} at {_at(m.end)} s" + (f" ({m.error})" if m.error else "") if m.ended_by else "running at the end",
         ", ".join(f"{_at(w['start'])} to {_at(w['end'])}" for w in m.paused) or "–"] for m in g.members])
    tables = [members]
    if g.rebalances:
        tables.append(Table(columns=["from (s)", "to (s)", "callbacks", "partitions moved"], title="rebalances", rows=[
            [_at(rb.start), _at(rb.end), f"{rb.callbacks:,}",
             ("first assignment: " if rb.first else "")
             + ("; ".join(f"p{m.partition} {_who(m.before)} → {_who(m.after)}" for m in rb.moves)
                or "none (every member got its partitions back)")] for rb in g.rebalances]))
    if g.offsets:
        tables.append(Table(columns=["partition", "committed", "log end", "behind"],
                            title="committed offsets after the run, beside the final read's end offsets", rows=[
                                [str(o.partition), cell("offset", o.committed), cell("offset", o.log_end),
                                 cell("behind", o.behind)] for o in g.offsets]))
    if g.availability:
        tables.append(_table("consumption through each fault (group_availability)", g.availability, False))
    return tables


TXN_COLUMNS = [("begun", "begun"), ("planned_commit", "planned commit"), ("planned_abort", "planned abort"),
               ("committed", "committed"), ("aborted", "aborted as planned"), ("failed", "failed"),
               ("unknown", "unknown"), ("unanswered", "never completed")]


def transactions_table(t: TransactionsSection) -> Table:
    return Table(columns=["transactional id", "producer", *(name for _, name in TXN_COLUMNS), "errors"], rows=[
        [p.transactional_id, ", ".join(p.processes), *(f"{getattr(p, key):,}" for key, _ in TXN_COLUMNS),
         errors_text(p.errors) or "none"] for p in t.producers])


def stable_lines(t: TransactionsSection) -> list[str]:
    return [stable_text(s) for s in t.stable] or ["The history has no reading of the last stable offsets."]


def healing_lines(r: Report) -> list[str]:
    lines = []
    if r.healthy is not None:
        h = r.healthy
        lines.append(f"Full ISR on every partition of {h.topic} {h.after_s} s after healing (at {h.time:.1f} s)."
                     if h.reached else f"No full ISR after healing: {h.error} (gave up at {h.time:.1f} s).")
    for s in r.sweeps:
        if not s.fixed and not s.left:
            lines.append(f"Sweep at {s.time:.1f} s: nothing left over.")
        else:
            text = f"Sweep at {s.time:.1f} s: fixed {', '.join(s.fixed) or 'nothing'}"
            lines.append(text + (f"; could not fix {', '.join(s.left)}." if s.left else "."))
    return lines


def problem_sections(r: Report) -> list[tuple[str, list[str]]]:
    return [(title, items) for title, items in (
        ("Schedule errors", r.schedule_errors),
        ("Client errors", [str(e) for e in r.client_errors]),
        ("Incomplete final reads", r.incomplete_reads),
        ("About this history", r.notices if len(r.summary) > len(r.notices) else []),
    ) if items]


# -- Markdown -----------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> list[str]:
    lines = [f"*{t.title}*", ""] if t.title else []
    lines.append("| " + " | ".join(_md_cell(c) or " " for c in t.columns) + " |")
    lines.append("|" + "|".join("---" for _ in t.columns) + "|")
    return lines + ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]


def _md_workload_sections(r: Report) -> list[str]:
    """The consumer groups and the transactions, for runs that have them (nothing otherwise)."""
    lines = []
    if r.groups:
        lines += ["", "## Consumer groups"]
        for g in r.groups:
            lines += ["", f"### {group_title(g)}", ""] + [f"- {x}" for x in group_lines(g)]
            for t in group_tables(g):
                lines += [""] + _md_table(t)
    if r.transactions is not None:
        lines += ["", "## Transactions", ""] + _md_table(transactions_table(r.transactions))
        lines += ["", "Last stable offsets after the heal:", ""] + [f"- {x}" for x in stable_lines(r.transactions)]
    return lines


def render_markdown(r: Report) -> str:
    lines = [f"# Durability report: {r.title}", "", f"**Verdict: {r.verdict.upper()}**", "",
             " ".join(r.summary), "", f"<sub>{header_line(r)}</sub>", ""]
    if r.description:
        lines += ["> " + r.description.strip().replace("\n", "\n> "), ""]
    c = r.counts
    lines += ["## Operations", "",
              "| " + " | ".join(label for _, label in COUNT_LABELS) + " |",
              "|" + "---:|" * len(COUNT_LABELS),
              "| " + " | ".join(f"{getattr(c, key):,}" for key, _ in COUNT_LABELS) + " |", "",
              "## Checks", "", "| check | verdict | count | must be zero | looks for |", "|---|---|---:|---|---|"]
    for ch in r.checks.values():
        lines.append(f"| {ch.name} | {ch.verdict} | {ch.count:,} | {'yes' if ch.must_be_zero else 'no'} | "
                     f"{_md_cell(ch.finds)} |")
    for ch in r.checks.values():
        if not (ch.facts or ch.tables or ch.skipped):
            continue
        lines += ["", f"### {ch.name}: {ch.verdict}, {ch.count:,}"]
        if ch.skipped:
            lines += ["", f"Skipped: {ch.skipped}."]
        if ch.facts:
            lines += [""] + [f"- {label}: {value}" for label, value in ch.facts]
        for t in ch.tables:
            lines += [""] + _md_table(t)
    lines += _md_workload_sections(r)
    lines += ["", "## Faults", ""]
    if not r.faults:
        lines.append("No faults were injected.")
    for f in r.faults:
        lines.append(f"- **{f.id} {f.kind}** {f.target} → {f.nodes_text}, {f.window_text}")
        lines += [f"  - {line}" for line in fault_lines(f)]
    lines += ["", "## Leader changes", ""]
    lines += [f"- {leader_change_line(ch)}" for ch in r.leader_changes] or ["None."]
    lines += ["", "## Healing", ""]
    lines += [f"- {line}" for line in healing_lines(r)] or ["The history records no heal or sweep."]
    for title, items in problem_sections(r):
        lines += ["", f"## {title}", ""] + [f"- {x}" for x in items]
    if r.plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({rel})" for name, rel in r.plots.items()]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------------------------


def _html_table(t: Table) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    return (f"<p><i>{e(t.title)}</i></p>" if t.title else "") + f"<table><tr>{head}</tr>{body}</table>"


def _ul(items: list[str], empty: str) -> str:
    e = html.escape
    return "<ul>" + ("".join(f"<li>{e(x)}</li>" for x in items) or f"<li>{e(empty)}</li>") + "</ul>"


def render_html(r: Report, run_dir: Path) -> str:
    """One file with everything, plots embedded, so it can be mailed or attached to a CI run."""
    e = html.escape
    c = r.counts
    rows = "".join(
        f"<tr><td>{e(ch.name)}</td><td style='background:{COLOURS.get(ch.verdict, '#fff')}'>{e(ch.verdict)}</td>"
        f"<td>{ch.count:,}</td><td>{'yes' if ch.must_be_zero else 'no'}</td><td>{e(ch.finds)}</td></tr>"
        for ch in r.checks.values())
    details = ""
    for ch in r.checks.values():
        if not (ch.facts or ch.tables or ch.skipped):
            continue
        details += f"<h3>{e(ch.name)}: {e(ch.verdict)}, {ch.count:,}</h3>"
        if ch.skipped:
            details += f"<p>Skipped: {e(ch.skipped)}.</p>"
        if ch.facts:
            details += _ul([f"{label}: {value}" for label, value in ch.facts], "")
        details += "".join(_html_table(t) for t in ch.tables)
    faults = "".join(f"<li><b>{e(f.id)} {e(f.kind)}</b> {e(f.target)} → {e(f.nodes_text)}, {e(f.window_text)}"
                     f"{_ul(fault_lines(f), 'nothing recorded') if fault_lines(f) else ''}</li>"
                     for f in r.faults) or "<li>No faults were injected.</li>"
    problems = "".join(f"<h2>{e(title)}</h2>{_ul(items, '')}" for title, items in problem_sections(r))
    workload = ""
    if r.groups:
        workload += "<h2>Consumer groups</h2>" + "".join(
            f"<h3>{e(group_title(g))}</h3>{_ul(group_lines(g), '')}" + "".join(_html_table(t) for t in group_tables(g))
            for g in r.groups)
    if r.transactions is not None:
        workload += (f"<h2>Transactions</h2>{_html_table(transactions_table(r.transactions))}"
                     f"<p>Last stable offsets after the heal:</p>{_ul(stable_lines(r.transactions), '')}")
    images = ""
    for name, rel in r.plots.items():
        data = base64.b64encode((run_dir / rel).read_bytes()).decode()
        images += f"<h3>{e(name)}</h3><img alt='{e(name)}' src='data:image/png;base64,{data}' style='max-width:100%'>"
    description = f"<blockquote>{e(r.description.strip())}</blockquote>" if r.description else ""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{e(r.title)}: {e(r.verdict)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin-bottom:1em}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;
font-size:13px}}blockquote{{color:#555;white-space:pre-line}}</style></head><body>
<h1>Durability report: {e(r.title)}</h1>
<p style="font-size:1.4em">Verdict: <b style="color:{COLOURS.get(r.verdict, '#222')}">{e(r.verdict.upper())}</b></p>
<p class="summary">{e(' '.join(r.summary))}</p>
<p style="color:#666;font-size:0.9em">{e(header_line(r))}</p>{description}
<h2>Operations</h2><table><tr>{''.join(f'<th>{e(label)}</th>' for _, label in COUNT_LABELS)}</tr>
<tr>{''.join(f'<td>{getattr(c, key):,}</td>' for key, _ in COUNT_LABELS)}</tr></table>
<h2>Checks</h2><table><tr><th>check</th><th>verdict</th><th>count</th><th>must be zero</th><th>looks for</th></tr>
{rows}</table>{details}{workload}
<h2>Faults</h2><ul>{faults}</ul>
<h2>Leader changes</h2>{_ul([leader_change_line(ch) for ch in r.leader_changes], 'None.')}
<h2>Healing</h2>{_ul(healing_lines(r), 'The history records no heal or sweep.')}
{problems}
<h2>Plots</h2>{images or '<p>No plots (the history has no sends or samples).</p>'}
<p style="color:#888">Verdicts: {', '.join(v.value for v in Verdict)}. Re-render offline with
<code>kafka-chaos report {e(str(run_dir))}</code>.</p></body></html>
"""
