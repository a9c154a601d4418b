"""Comparing settings: one scenario across a matrix of acks, min.insync.replicas, unclean leader election
and idempotence, each cell repeated with different seeds, on one shared cluster (a new topic per run).

The matrix and the documented expectations are pure; ``run_comparison`` runs it; ``write_comparison``
writes comparison.json, comparison.md and heatmaps from the per-run reports alone.
"""

from __future__ import annotations

import datetime as _dt
import json
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

    @property
    def label(self) -> str:
        return (f"acks={self.acks} minISR={self.min_insync_replicas} unclean={str(self.unclean).lower()} "
                f"idem={str(self.idempotence).lower()}")

    def apply(self, scenario: Scenario, seed: int, topic: str) -> Scenario:
        producers = [p.model_copy(update={"acks": self.acks, "enable_idempotence": self.idempotence})
                     for p in scenario.workload.producers]
        return scenario.model_copy(update={
            "seed": seed,
            "topic": scenario.topic.model_copy(update={"name": topic, "min_insync_replicas": self.min_insync_replicas,
                                                       "unclean_leader_election": self.unclean}),
            "workload": scenario.workload.model_copy(update={"producers": producers}),
        })


def matrix(acks=ACKS, min_isr=MIN_ISR, unclean=UNCLEAN, idempotence=(False, True)) -> list[Cell]:
    """Every combination; idempotence applies only with acks=all (librdkafka requires it)."""
    return [Cell(a, m, u, i) for a in acks for m in min_isr for u in unclean for i in idempotence
            if a == "all" or not i]


def documented(cell: Cell) -> dict[str, str]:
    """What Kafka documents for this configuration, per check: "0" (guaranteed none) or "may"."""
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


CHECK_COLUMNS = ("lost_writes", "duplicates", "nonmonotonic_send", "realtime_order", "uncommitted_reads")


def row(cell: Cell, repeat: int, report: dict[str, Any], run_dir: str) -> dict[str, Any]:
    checks = report["checks"]
    overall = checks.get("availability", {}).get("notes", {}).get("overall", {})
    return {**asdict(cell), "cell": cell.label, "repeat": repeat, "run_dir": run_dir,
            **{c: checks[c]["count"] for c in CHECK_COLUMNS},
            "acknowledged": report["counts"]["acknowledged"], "sent": report["counts"]["sent"],
            "availability": overall.get("ok"), "p99_ms": overall.get("p99_ms"),
            "duplicate_causes": dict(checks["duplicates"].get("notes", {}).get("causes", {})),
            "decided": all(checks[c]["verdict"] != "unknown" for c in CHECK_COLUMNS)}


def cause_totals(runs: pd.DataFrame) -> dict[str, int]:
    """Duplicates per cause, summed over a cell's runs (documented causes included: they are not counted)."""
    totals: dict[str, int] = {}
    for causes in runs.get("duplicate_causes", pd.Series(dtype=object)):
        for cause, n in (causes if isinstance(causes, dict) else {}).items():
            totals[cause] = totals.get(cause, 0) + int(n)
    return totals


def causes_text(totals: dict[str, int]) -> str:
    """``149 client_epoch_bump (documented)``, or "" when there were none."""
    from harness.checks.duplicates import DOCUMENTED_CAUSES

    return ", ".join(f"{n} {cause}{' (documented)' if cause in DOCUMENTED_CAUSES else ''}"
                     for cause, n in sorted(totals.items(), key=lambda kv: -kv[1]))


def summarize(rows: list[dict[str, Any]], cells: list[Cell]) -> pd.DataFrame:
    """One line per cell: mean, min and max over repeats, and whether the outcome fits the documentation."""
    df = pd.DataFrame(rows)
    out = []
    for cell in cells:
        runs = df[df["cell"] == cell.label]
        if runs.empty:
            continue
        line: dict[str, Any] = {"cell": cell.label, "acks": cell.acks, "min_isr": cell.min_insync_replicas,
                                "unclean": cell.unclean, "idempotence": cell.idempotence, "repeats": len(runs)}
        for col in (*CHECK_COLUMNS, "availability", "p99_ms"):
            values = pd.to_numeric(runs[col], errors="coerce")
            line[col] = round(float(values.mean()), 3) if values.notna().any() else None
            line[f"{col}_min"] = None if values.isna().all() else float(values.min())
            line[f"{col}_max"] = None if values.isna().all() else float(values.max())
        expect = documented(cell)
        broken = [c for c, e in expect.items() if e == "0" and (runs[c] > 0).any()]
        undecided = not runs["decided"].all()
        line["documented"] = ", ".join(f"{c}: {'none' if e == '0' else 'possible'}" for c, e in expect.items())
        line["matches"] = "no: " + ", ".join(broken) if broken else ("undecided" if undecided else "yes")
        line["why"] = why(cell)
        line["duplicate_causes"] = cause_totals(runs)
        out.append(line)
    return pd.DataFrame(out)


def _spread(line: pd.Series, col: str) -> str:
    lo, hi, mean = line[f"{col}_min"], line[f"{col}_max"], line[col]
    if mean is None or pd.isna(mean):
        return "–"
    return f"{mean:g}" if lo == hi else f"{mean:g} ({lo:g}–{hi:g})"


def render_markdown(summary: pd.DataFrame, meta: dict[str, Any]) -> str:
    lines = [f"# Comparison: {meta['scenario']}", "",
             f"{meta['repeats']} run(s) per cell, seeds {meta['seeds']}, one cluster, a new topic per run; "
             f"started {meta['started_at']}.", "", f"Command: `{meta['command']}`", "",
             "| cell | lost acked writes | duplicates | nonmonotonic sends | realtime order | uncommitted reads "
             "| availability (ok share) "
             "| p99 ack latency ms | matches the documentation |", "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for _, line in summary.iterrows():
        lines.append(f"| {line['cell']} | {_spread(line, 'lost_writes')} | {_spread(line, 'duplicates')} | "
                     f"{_spread(line, 'nonmonotonic_send')} | {_spread(line, 'realtime_order')} | "
                     f"{_spread(line, 'uncommitted_reads')} | "
                     f"{_spread(line, 'availability')} | {_spread(line, 'p99_ms')} | {line['matches']} |")
    lines += ["", "Values are means over the repeats, with (min–max) where they differ.", "",
              "## What Kafka documents, per cell", ""]
    for _, line in summary.iterrows():
        dups = causes_text(line.get("duplicate_causes") or {})
        lines.append(f"- **{line['cell']}**: {line['documented']}. {line['why']}."
                     + (f" Duplicates read, by the cause their batch headers show: {dups}." if dups else ""))
    lines += ["", "![lost writes](heatmap_lost_writes.png)", "", "![availability](heatmap_availability.png)", ""]
    return "\n".join(lines)


def heatmaps(summary: pd.DataFrame, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for col, title, cmap in (("lost_writes", "lost acknowledged writes (mean)", "Reds"),
                             ("availability", "share of sends acknowledged (mean)", "Greens")):
        df = summary.assign(rows=summary["acks"].map(lambda a: f"acks={a}") + summary["idempotence"].map(
            lambda i: " idem" if i else ""), cols=summary.apply(
            lambda r: f"minISR={r['min_isr']}\nunclean={str(r['unclean']).lower()}", axis=1))
        grid = df.pivot_table(index="rows", columns="cols", values=col, aggfunc="mean")
        fig, ax = plt.subplots(figsize=(7, 0.6 * len(grid) + 1.8), constrained_layout=True)
        im = ax.imshow(grid.to_numpy(dtype=float), cmap=cmap, aspect="auto")
        ax.set_xticks(range(len(grid.columns)), grid.columns, fontsize=8)
        ax.set_yticks(range(len(grid.index)), grid.index, fontsize=8)
        for (i, j), v in pd.DataFrame(grid.to_numpy()).stack().items():
            label = f"{v:,.0f}" if float(v).is_integer() else f"{v:.3g}"  # 1,309 rather than 1.31e+03
            ax.text(j, i, label, ha="center", va="center", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(title, fontsize=10)
        path = out_dir / f"heatmap_{col}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def write_comparison(rows: list[dict[str, Any]], cells: list[Cell], out_dir: Path, meta: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(rows, cells)
    (out_dir / "comparison.json").write_text(json.dumps(
        {**meta, "runs": rows, "cells": summary.to_dict(orient="records")}, indent=2, default=str) + "\n")
    heatmaps(summary, out_dir)
    md = out_dir / "comparison.md"
    md.write_text(render_markdown(summary, meta))
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
        cell = Cell(**{k: old[k] for k in fields})
        if cell not in cells:
            cells.append(cell)
        log(f"[{n}/{len(saved['runs'])}] re-checking {old['run_dir']}")
        rows.append(row(cell, old["repeat"], report_run(out / old["run_dir"]), old["run_dir"]))
    meta = {k: v for k, v in saved.items() if k not in ("runs", "cells")}
    return write_comparison(rows, cells, out, meta)


def run_comparison(scenario: Scenario, cells: list[Cell], repeats: int, out_dir: Path | str, command: str,
                   log=print) -> Path:
    from harness.cluster.config import ImageSpec
    from harness.cluster.image import ensure_image
    from harness.cluster.kraft import KafkaCluster
    from harness.run.runner import cluster_config, run_scenario

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(out_dir) / f"compare-{scenario.name}-{stamp}"
    image = scenario.cluster.image or ensure_image(ImageSpec(scenario.cluster.kafka_version), log=log)
    meta = {"scenario": scenario.name, "repeats": repeats, "seeds": [scenario.seed + r for r in range(repeats)],
            "started_at": _dt.datetime.now().isoformat(timespec="seconds"), "command": command}
    rows: list[dict[str, Any]] = []
    total = len(cells) * repeats
    with KafkaCluster(cluster_config(scenario, image), log=log) as cluster:
        for n, (cell, r) in enumerate(((c, r) for c in cells for r in range(repeats)), 1):
            topic = f"{scenario.topic.name}-{n}"
            log(f"[{n}/{total}] {cell.label}, repeat {r + 1}")
            result = run_scenario(cell.apply(scenario, scenario.seed + r, topic), out_dir=out / "runs",
                                  log=lambda *_: None, cluster=cluster, run_name=f"{n:02d}-{topic}")
            rows.append(row(cell, r, result.report, str(result.run_dir.relative_to(out))))
            c = rows[-1]
            log(f"        lost {c['lost_writes']}, duplicates {c['duplicates']}, nonmonotonic sends "
                f"{c['nonmonotonic_send']}, realtime order {c['realtime_order']}, availability {c['availability']}")
            write_comparison(rows, cells, out, meta)  # a partial table survives an interrupted comparison
    return out
