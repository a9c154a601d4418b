"""Every rendering says the same things, and writing a report never leaves an old verdict behind."""

from __future__ import annotations

import gzip
import html
import json
from pathlib import Path

import pytest

from harness.checks import GROUP_CHECK_NAMES, TXN_CHECK_NAMES
from harness.report import build as build_module
from harness.report import render as render_module
from harness.report.build import REPORT_FILES, build_report, write_report
from harness.run.cli import main
from tests.crafted import clean_run
from tests.report.test_model import DETAIL, controller_run, eventful_run

OLD_RUN = Path(__file__).resolve().parent.parent / "data" / "example-run-2026-11-21.history.jsonl.gz"
"""The example run shipped before this report model existed (no schema version, no Kafka records)."""


def _written(tmp_path: Path) -> dict[str, str]:
    h = eventful_run().history()
    write_report(build_report(h), tmp_path, h)
    return {name: (tmp_path / name).read_text() for name in REPORT_FILES}


def test_every_rendering_shows_the_summary_the_fault_detail_and_the_sweep(tmp_path):
    texts = _written(tmp_path)
    report = json.loads(texts["report.json"])
    assert report["faults"][0]["detail"] == DETAIL
    assert report["sweeps"][0]["left"] == ["broker 2 keeps 1 rule(s)"]
    assert report["healthy"]["after_s"] == 2.5
    assert report["schedule_errors"] == ["nemesis: could not inject pause on node 3"]
    summary = report["summary"]
    assert "The heal-everything sweep had to fix: resumed 3." in summary
    for name in ("report.md", "report.html"):
        text = texts[name] if name == "report.md" else html.unescape(texts[name])
        assert summary in text, name
        assert f"detail: {DETAIL}" in text, name
        assert "start, seen live: leader of t-0 moved from 1 to 2, leader epoch 0 -> 1, after 1.5 s" in text, name
        assert "heal, not seen live within the deadline (not seen: ISR of t-0 back to [1, 2, 3])" in text, name
        assert "fixed resumed 3; could not fix broker 2 keeps 1 rule(s)" in text, name
        assert "Full ISR on every partition of t 2.5 s after healing" in text, name
        assert "nemesis: could not inject pause on node 3" in text, name
        assert "p0: fatal _FENCED: fenced by a newer producer" in text, name
        assert "timed out before the end offset" in text, name


def test_notes_are_tables_and_sentences_not_json(tmp_path):
    md = _written(tmp_path)["report.md"]
    assert '{"' not in md and "Notes:" not in md
    assert "- acknowledged: 20" in md
    assert "| fault | kind | target | start (s) | end (s) |" in md  # availability's fault windows


def test_a_failed_write_leaves_no_report_behind(tmp_path, monkeypatch):
    _written(tmp_path)
    h = clean_run(5).history()

    def broken(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr(render_module, "render_html", broken)
    with pytest.raises(RuntimeError):
        write_report(build_report(h), tmp_path, h)
    assert not any((tmp_path / name).exists() for name in REPORT_FILES)


def _saved(tmp_path: Path, lines: list[str]) -> Path:
    (tmp_path / "history.jsonl").write_text("".join(line + "\n" for line in lines))
    return tmp_path


def test_a_report_that_cannot_be_built_is_an_internal_error_and_removes_the_old_one(tmp_path, monkeypatch, capsys):
    run_dir = _saved(tmp_path, [op.to_json() for op in clean_run(6, consumers=False).ops])
    assert main(["report", str(run_dir)]) == 0
    assert json.loads((run_dir / "report.json").read_text())["verdict"] == "pass"
    capsys.readouterr()

    def broken(*_):
        raise KeyError("times")

    monkeypatch.setattr(build_module, "build_model", broken)
    assert main(["report", str(run_dir)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("kafka-chaos: internal error while building the report") and "please report it" in err
    assert not any((run_dir / name).exists() for name in REPORT_FILES)


def test_a_malformed_history_never_exits_1_and_leaves_no_old_verdict(tmp_path, capsys):
    good = [op.to_json() for op in clean_run(6, consumers=False).ops]
    run_dir = _saved(tmp_path, good)
    assert main(["report", str(run_dir)]) == 0
    capsys.readouterr()
    first = next(i for i, line in enumerate(good) if json.loads(line)["f"] == "send")
    send = json.loads(good[first])
    del send["value"]["times"]  # a send without its times
    _saved(run_dir, [*good[:first], json.dumps(send), *good[first + 1:]])
    assert main(["report", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kafka-chaos: {run_dir / 'history.jsonl'}:{first + 1}: ") and "Traceback" not in err
    assert "times" in err and err.count("\n") == 1
    assert not any((run_dir / name).exists() for name in REPORT_FILES)


def test_an_empty_history_file_is_bad_input(tmp_path, capsys):
    run_dir = _saved(tmp_path, [])
    assert main(["report", str(run_dir)]) == 2
    assert "the history file is empty" in capsys.readouterr().err
    assert not any((run_dir / name).exists() for name in REPORT_FILES)


def test_each_fault_shows_what_the_controller_recorded_and_what_was_seen_live(tmp_path):
    h = controller_run(leaderless=True).history()
    write_report(build_report(h), tmp_path, h)
    md = (tmp_path / "report.md").read_text()
    page = html.unescape((tmp_path / "report.html").read_text())
    report = json.loads((tmp_path / "report.json").read_text())
    fault = md[md.index("- **f1 isolate**"):md.index("## Leader changes")]
    lines = [line.strip() for line in fault.strip().splitlines()[1:]]
    assert lines[0] == f"- detail: {DETAIL}"
    assert lines[1].startswith("- recorded by the controller: 16.0") and lines[1].endswith(
        "(6.0 s after start): leader of t-0 moved from 1 to 2, leader epoch 0 → 1; ISR of t-0 shrank from "
        "[1, 2, 3] to [2, 3]")
    assert any(line.endswith("t-1 left with no leader (was 2), leader epoch 0 → 1") for line in lines)
    assert any(line.endswith("(2.0 s after heal): broker 1 unfenced") for line in lines)
    assert lines[-2:] == ["- start, seen live: leader of t-0 moved from 1 to 2, after 6.5 s",
                          "- heal, seen live: ISR of t-0 back to [1, 2, 3] 3.0 s after heal"]
    assert "0 -> 0" not in md + page + json.dumps(report)
    for line in lines:
        assert line[2:] in page
    assert "t-1 leader 2 → no leader (epoch 0 → 1)" in md and "t-1 leader 2 → no leader (epoch 0 → 1)" in page
    assert [(c["from"], c["to"]) for c in report["leader_changes"] if c["partition"] == 1] == [(2, -1), (-1, 2)]
    assert report["controller_record"] is True


def test_every_time_in_every_rendering_counts_from_the_workload_start(tmp_path):
    h = eventful_run(lost=7).read([], partition=1).history()
    write_report(build_report(h), tmp_path, h)
    report = json.loads((tmp_path / "report.json").read_text())
    start = report["faults"][0]["start"]
    assert 1.9 < start < 2.2  # 12 s on the run's clock, 2 s into the workload
    assert all(1.9 < e["complete_time"] < 5.2 for e in report["checks"]["lost_writes"]["examples"])
    assert 1.9 < report["checks"]["availability"]["notes"]["fault_windows"][0]["start"] < 2.2
    md = (tmp_path / "report.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| f1 | isolate |"))
    assert "| 2.0" in row and "| 12.0" not in row


def test_an_old_example_run_keeps_its_verdict_and_counts(tmp_path, capsys):
    (tmp_path / "history.jsonl").write_bytes(gzip.decompress(OLD_RUN.read_bytes()))
    assert main(["report", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "pass"
    assert report["counts"] == {"sent": 6000, "acknowledged": 6000, "failed": 0, "indeterminate": 0,
                                "unanswered": 0, "read": 11552}
    assert {name: (c["verdict"], c["count"]) for name, c in report["checks"].items()} == {
        "lost_writes": ("finding", 3112), "unseen": ("finding", 3112), "duplicates": ("pass", 0),
        "inconsistent_offsets": ("pass", 0), "phantom_values": ("pass", 0), "failed_sends_landed": ("skipped", 0),
        "final_reads_disagree": ("pass", 0), "nonmonotonic_send": ("pass", 0), "realtime_order": ("pass", 0),
        "nonmonotonic_poll": ("pass", 0), "int_nonmonotonic_poll": ("pass", 0), "poll_skip": ("pass", 0),
        "int_poll_skip": ("pass", 0), "uncommitted_reads": ("pass", 0), "follower_reads": ("pass", 0),
        "availability": ("pass", 0), "replica_divergence": ("skipped", 0),
        **dict.fromkeys(GROUP_CHECK_NAMES, ("skipped", 0)),
        **dict.fromkeys(TXN_CHECK_NAMES, ("skipped", 0))}  # an old run: no group, no transactions
    # The 1,825 sends that got offsets below earlier ones were lost to the leader change, counted once.
    assert report["checks"]["nonmonotonic_send"]["notes"]["explained_by_truncation"] == 1825
    assert report["checks"]["inconsistent_offsets"]["notes"]["acknowledged_offset_rewritten_after_loss"] > 0
    assert report["faults"][0]["detail"] == "isolated node 1 from [2, 3] (clients still reach them)"
    assert set(report["plots"]) == {"timeline", "partitions", "follower_reads"}


def test_every_rendering_says_where_each_effects_verdict_comes_from(tmp_path):
    from tests.report.test_model import expecting_run

    h = expecting_run("leader_moved", isr=(1,), live_heal=None,
                      steps=[(0.5, {"leader": -1}), (13.0, {"leader": 1})]).history()
    write_report(build_report(h), tmp_path, h)
    effect = json.loads((tmp_path / "report.json").read_text())["faults"][0]["effects"][0]
    assert (effect["source"], effect["leader"], effect["offline"], effect["live_seen"]) == ("controller", -1, True,
                                                                                            False)
    for name in ("report.md", "report.html"):
        text = html.unescape((tmp_path / name).read_text())
        assert ("start, from the controller's record: t-0 offline: no leader (-1, was 1), leader epoch 0 → 1, "
                "ISR [1], from 10.50 s (0.5 s after start)") in text, name
        assert ("start, the live watcher did not see this within its deadline (it awaited the leader of t-0 to move "
                "away from [1]); the controller's record wins") in text, name
        assert "heal, not in the controller's record: a full ISR of t-0" in text, name
