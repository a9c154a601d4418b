"""The durability report of a saved history (so any run can be re-reported offline), and writing it.

``build_report`` gives the report model (``harness.report.model``); ``write_report`` renders it to
``report.json`` (machine-readable, stable names), ``report.md`` and a self-contained ``report.html``,
with the plots. Writing first removes the old reports and plots, and writes each file whole (to a
temporary name, then renamed), so a report that fails half-way never leaves an old verdict behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.checks.result import CheckResult
from harness.history.loader import History
from harness.report.model import Report, build_model

REPORT_FILES = ("report.json", "report.md", "report.html")


def build_report(history: History, results: dict[str, CheckResult] | None = None) -> Report:
    """The report model of a loaded history (the checks are run here unless ``results`` are given)."""
    return build_model(history, results)


def remove_reports(run_dir: Path | str) -> None:
    """Remove a run directory's reports and plots, so none of them outlives the history they came from."""
    from harness.report.plots import PLOTS

    run_dir = Path(run_dir)
    for name in REPORT_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for name in PLOTS:
        (run_dir / "plots" / f"{name}.png").unlink(missing_ok=True)


def _write_whole(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(report: Report, run_dir: Path | str, history: History | None = None) -> list[Path]:
    """report.json, report.md and report.html; with the history, also plots/*.png (embedded in the HTML).

    The old files go first; if anything fails, none of the three is left behind."""
    from harness.report.plots import draw_all
    from harness.report.render import render_html, render_json, render_markdown

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    remove_reports(run_dir)
    try:
        plots = draw_all(history, run_dir / "plots", report) if history is not None else {}
        report.plots = {name: p.relative_to(run_dir).as_posix() for name, p in plots.items()}
        texts = {"report.json": render_json(report), "report.md": render_markdown(report),
                 "report.html": render_html(report, run_dir)}
        for name, text in texts.items():
            _write_whole(run_dir / name, text)
    except BaseException:
        remove_reports(run_dir)
        raise
    return [*(run_dir / name for name in REPORT_FILES), *plots.values()]
