"""The durability report, built from a saved history alone (so any run can be re-reported offline).

``report.json`` is the machine-readable record (stable names); ``report.md`` is for people.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.checks import DEFAULT_MUST_BE_ZERO
from harness.checks.result import Verdict
from harness.checks.suite import run_checks
from harness.history.loader import History
from harness.observe.leadership import leader_changes


def _run_info(history: History) -> dict[str, Any]:
    runs = [op.value for op in history.ops if op.f == "run" and op.process == "harness"]
    return runs[0] if runs else {}


def build_report(history: History) -> dict[str, Any]:
    info = _run_info(history)
    scenario = info.get("scenario", {})
    must_be_zero = set(scenario.get("expect", {}).get("must_be_zero", DEFAULT_MUST_BE_ZERO))
    results = run_checks(history)
    checks = {name: r.to_dict(must_be_zero=name in must_be_zero) for name, r in results.items()}
    verdicts = [r.verdict(name in must_be_zero) for name, r in results.items()]
    worst = Verdict.worst(verdicts)
    verdict = {Verdict.FAIL: "fail", Verdict.UNKNOWN: "unknown"}.get(worst, "pass")

    sends = history.sends()
    outcome = sends["outcome"]
    reads = history.reads("read")
    faults = history.faults()
    for f in faults:
        for key in ("start", "end"):
            f[key] = None if f[key] is None else round(f[key], 2)
    duration = history.ops[-1].time if history.ops else 0.0
    return {
        "run_id": info.get("run_id"),
        "scenario": scenario.get("name"),
        "description": scenario.get("description", ""),
        "started_at": info.get("started_at"),
        "duration_s": round(duration, 1),
        "image": info.get("image"),
        "verdict": verdict,
        "checks": checks,
        "findings": sorted(n for n, v in zip(results, verdicts) if v is Verdict.FINDING),
        "counts": {
            "sent": int(len(sends)),
            "acknowledged": int((outcome == "ok").sum()),
            "failed": int((outcome == "fail").sum()),
            "indeterminate": int((outcome == "info").sum()),
            "unanswered": int(outcome.isna().sum()),
            "read": int(len(reads)),
        },
        "faults": faults,
        "leader_changes": leader_changes(history),
        "settings": {
            "topic": scenario.get("topic"),
            "producers": scenario.get("workload", {}).get("producers"),
            "brokers": scenario.get("cluster", {}).get("brokers"),
            "broker_settings": scenario.get("cluster", {}).get("broker_settings"),
        },
        "incomplete_reads": [op.error for op in history.incomplete_reads()],
        "client_errors": [f"{op.process}: {op.error}" for op in history.by_f("producer") if op.error],
    }


def write_report(report: dict[str, Any], run_dir: Path | str, history: History | None = None) -> list[Path]:
    """report.json and report.md; with the history, also plots/*.png and a self-contained report.html."""
    from harness.report.plots import draw_all

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    plots = draw_all(history, run_dir / "plots") if history is not None else {}
    report["plots"] = {name: str(p.relative_to(run_dir)) for name, p in plots.items()}
    json_path = run_dir / "report.json"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    md_path = run_dir / "report.md"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    html_path = run_dir / "report.html"
    html_path.write_text(render_html(report, run_dir), encoding="utf-8")
    return [json_path, md_path, html_path, *plots.values()]


def render_html(r: dict[str, Any], run_dir: Path) -> str:
    """One file with everything, plots embedded, so it can be mailed or attached to a CI run."""
    import base64
    import html

    from harness.checks.result import Verdict

    e = html.escape
    colour = {"pass": "#2a9d8f", "fail": "#e76f51", "unknown": "#e9c46a", "finding": "#f4a261",
              "skipped": "#adb5bd"}
    c = r["counts"]
    rows = "".join(
        f"<tr><td>{e(name)}</td><td style='background:{colour.get(ch['verdict'], '#fff')}'>{e(ch['verdict'])}</td>"
        f"<td>{ch['count']}</td><td>{'yes' if ch['must_be_zero'] else 'no'}</td>"
        f"<td><code>{e(json.dumps(ch['examples'][:3], default=str))[:600]}</code></td>"
        f"<td><code>{e(json.dumps(ch['notes'], default=str))[:600]}</code></td></tr>"
        for name, ch in r["checks"].items())
    faults = "".join(
        f"<li><b>{e(str(f['kind']))}</b> {e(str(f['target']))} → nodes {e(str(f['nodes']))}, "
        f"{f['start']} s to {f['end']} s<ul>"
        + "".join(f"<li>{e(str(x['phase']))}: {e(str(x['observed'] if x['seen'] else 'not observed'))}</li>"
                  for x in f["effects"])
        + "".join(f"<li>error: {e(err)}</li>" for err in f.get("errors", [])) + "</ul></li>"
        for f in r["faults"]) or "<li>none</li>"
    changes = "".join(
        f"<li>t={ch['time']} s: {e(str(ch['topic']))}-{ch['partition']} leader {ch['from']} → {ch['to']} "
        f"(epoch {ch['epoch_from']} → {ch['epoch_to']})"
        + (f" <b style='color:#e76f51'>unclean</b>: {ch['to']} was not in the ISR {e(str(ch['isr_before']))}"
           if ch.get("unclean") else "") + "</li>"
        for ch in r["leader_changes"]) or "<li>none sampled</li>"
    problems = "".join(f"<li>client: {e(x)}</li>" for x in r.get("client_errors", [])) + "".join(
        f"<li>final read: {e(str(x))}</li>" for x in r.get("incomplete_reads", []))
    images = ""
    for name, rel in r.get("plots", {}).items():
        data = base64.b64encode((run_dir / rel).read_bytes()).decode()
        images += f"<h3>{e(name)}</h3><img alt='{e(name)}' src='data:image/png;base64,{data}' style='max-width:100%'>"
    verdict = r["verdict"]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{e(str(r['scenario']))}: {e(verdict)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}}
code{{font-size:11px;word-break:break-all}}</style></head><body>
<h1>Durability report: {e(str(r['scenario']))}</h1>
<p style="font-size:1.4em">Verdict: <b style="color:{colour.get(verdict, '#222')}">{e(verdict.upper())}</b>
{('&nbsp; findings: ' + e(', '.join(r['findings']))) if r.get('findings') else ''}</p>
<p>run <code>{e(str(r['run_id']))}</code> · started {e(str(r['started_at']))} · {r['duration_s']} s ·
image <code>{e(str(r['image']))}</code></p><p>{e(r.get('description') or '')}</p>
<h2>Operations</h2><table><tr><th>sent</th><th>acknowledged</th><th>failed</th><th>indeterminate</th>
<th>unanswered</th><th>read back</th></tr><tr><td>{c['sent']}</td><td>{c['acknowledged']}</td><td>{c['failed']}</td>
<td>{c['indeterminate']}</td><td>{c['unanswered']}</td><td>{c['read']}</td></tr></table>
<h2>Checks</h2><table><tr><th>check</th><th>verdict</th><th>count</th><th>must be zero</th><th>examples</th>
<th>notes</th></tr>{rows}</table>
<h2>Faults</h2><ul>{faults}</ul>
<h2>Leader changes</h2><ul>{changes}</ul>
{('<h2>Client errors and incomplete reads</h2><ul>' + problems + '</ul>') if problems else ''}
<h2>Plots</h2>{images or '<p>No plots (the history has no sends or samples).</p>'}
<p style="color:#888">Verdicts: {', '.join(v.value for v in Verdict)}. Re-render offline with
<code>kafka-chaos report {e(str(run_dir))}</code>.</p></body></html>
"""


def render_markdown(r: dict[str, Any]) -> str:
    c = r["counts"]
    lines = [
        f"# Durability report: {r['scenario']}",
        "",
        f"**Verdict: {r['verdict'].upper()}**  ·  run `{r['run_id']}`  ·  started {r['started_at']}  ·  "
        f"{r['duration_s']} s  ·  image `{r['image']}`",
        "",
    ]
    if r.get("description"):
        lines += [r["description"].strip(), ""]
    lines += [
        "## Operations",
        "",
        "| sent | acknowledged | failed | indeterminate | unanswered | read back |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {c['sent']} | {c['acknowledged']} | {c['failed']} | {c['indeterminate']} | {c['unanswered']} | {c['read']} |",
        "",
        "## Checks",
        "",
        "| check | verdict | count | must be zero | examples |",
        "|---|---|---:|---|---|",
    ]
    for name, ch in r["checks"].items():
        ex = "; ".join(json.dumps(e, default=str) for e in ch["examples"][:2]) or "–"
        lines.append(f"| {name} | {ch['verdict']} | {ch['count']} | {'yes' if ch['must_be_zero'] else 'no'} | "
                     f"{ex.replace('|', '/')} |")
    notes = {n: ch["notes"] for n, ch in r["checks"].items() if ch["notes"]}
    if notes:
        lines += ["", "Notes: " + "; ".join(f"{n}: {json.dumps(v, default=str)}" for n, v in notes.items())]
    lines += ["", "## Faults", ""]
    if not r["faults"]:
        lines.append("No faults were injected.")
    for f in r["faults"]:
        lines.append(f"- **{f['kind']}** {f['target']} → node(s) {f['nodes']}, from {f['start']} s to {f['end']} s")
        for e in f["effects"]:
            seen = e["observed"] if e["seen"] else f"not observed ({e.get('observed')})"
            lines.append(f"  - {e['phase']}: {seen}")
        for err in f.get("errors", []):
            lines.append(f"  - error: {err}")
    lines += ["", "## Leader changes", ""]
    if not r["leader_changes"]:
        lines.append("None sampled.")
    for ch in r["leader_changes"]:
        lines.append(f"- t={ch['time']} s: {ch['topic']}-{ch['partition']} leader {ch['from']} → {ch['to']} "
                     f"(epoch {ch['epoch_from']} → {ch['epoch_to']})"
                     + (f" **unclean**: {ch['to']} was not in the ISR {ch['isr_before']}" if ch.get("unclean") else ""))
    if r.get("client_errors"):
        lines += ["", "## Client errors", ""] + [f"- {e}" for e in r["client_errors"]]
    if r["incomplete_reads"]:
        lines += ["", "## Incomplete final reads", ""] + [f"- {e}" for e in r["incomplete_reads"]]
    if r.get("plots"):
        lines += ["", "## Plots", ""] + [f"![{name}]({rel})" for name, rel in r["plots"].items()]
    return "\n".join(lines) + "\n"
