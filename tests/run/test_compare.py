"""The comparison: its pure parts (the matrix, what Kafka documents per cell, the summary), and on a real
cluster, cells side by side in one run."""

import json
from pathlib import Path

import pytest

from harness.run.compare import (
    Cell,
    documented,
    elr_note,
    matrix,
    outcome,
    rebuild_comparison,
    render_markdown,
    row,
    summarize,
    wilson,
    write_comparison,
)
from harness.run.scenario import parse_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "reports" / "example-comparison" / "comparison.json"
META = {"scenario": "s", "repeats": 2, "seeds": [1, 2], "started_at": "now", "command": "c"}


def test_default_matrix_covers_acks_min_isr_unclean_and_idempotence_where_it_applies():
    cells = matrix()
    assert len(cells) == 16  # acks 0 and 1: 4 cells each; acks=all: 4 x idempotence on/off
    assert all(c.acks == "all" for c in cells if c.idempotence)
    assert {(c.acks, c.min_insync_replicas, c.unclean) for c in cells} == {
        (a, m, u) for a in ("0", "1", "all") for m in (1, 2) for u in (False, True)}


def test_only_the_durable_cell_documents_no_loss():
    durable = [c for c in matrix() if documented(c)["lost_writes"] == "0"]
    assert durable == [Cell("all", 2, False, False), Cell("all", 2, False, True)]
    assert documented(Cell("1", 2, False, False))["duplicates"] == "may"


def _row(cell, lost, repeat=0, decided=True):
    """A row as comparisons before per-check verdicts and lost-write causes wrote them."""
    return {"cell": cell.label, "repeat": repeat, "lost_writes": lost, "duplicates": 0, "nonmonotonic_send": 0,
            "realtime_order": 0, "uncommitted_reads": 0, "availability": 0.9, "p99_ms": 100.0, "decided": decided}


def _check(count, verdict=None, **notes):
    return {"verdict": verdict or ("finding" if count else "pass"), "count": count, "notes": notes}


def _report(lost=0, lost_verdict=None, lost_causes=None, duplicates=0, dup_causes=None, **verdicts):
    checks = {c: _check(0, verdicts.get(c)) for c in ("duplicates", "nonmonotonic_send", "realtime_order",
                                                     "uncommitted_reads")}
    checks["lost_writes"] = _check(lost, lost_verdict, acknowledged=100, indeterminate_landed=0,
                                   **({"unexplained": 0, "undecided": 0, **(lost_causes or {})} if lost else {}))
    checks["duplicates"] = _check(duplicates, verdicts.get("duplicates"), causes=dup_causes or {})
    checks["availability"] = {"verdict": "finding", "count": 1, "notes": {"overall": {"ok": 0.8, "p99_ms": 50.0}}}
    return {"checks": checks, "counts": {"acknowledged": 100, "sent": 120}}


@pytest.mark.parametrize("k, n, low, high", [(0, 5, 0.0, 0.4345), (3, 5, 0.2307, 0.8824), (5, 5, 0.5655, 1.0),
                                             (0, 1, 0.0, 0.7935), (1, 10, 0.0179, 0.4042)])
def test_the_wilson_interval_matches_known_figures(k, n, low, high):
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=5e-5) and hi == pytest.approx(high, abs=5e-5)


def test_no_runs_give_no_interval():
    assert wilson(0, 0) is None


def test_summary_flags_a_cell_that_broke_its_documented_guarantee(tmp_path):
    safe, risky = Cell("all", 2, False, True), Cell("1", 1, True, False)
    rows = [_row(safe, 0), _row(safe, 3, repeat=1), _row(risky, 10), _row(risky, 20, repeat=1)]
    summary = summarize(rows, [safe, risky]).set_index("cell")
    # old rows carry no causes: said so, not guessed
    assert summary.loc[safe.label, "matches"] == "no: lost writes in 1 of 2 runs (causes not recorded in 1 run)"
    assert summary.loc[risky.label, "matches"] == "yes"  # loss is allowed there
    assert summary.loc[risky.label, "lost_writes_median"] == 15 and summary.loc[risky.label, "lost_writes_max"] == 20
    md = render_markdown(summary.reset_index(), META)
    assert "| acks=1 minISR=1 unclean=true idem=false | 2 of 2 | 34%–100% | 15 (10–20) | 0 of 2 |" in md
    out = write_comparison(rows, [safe, risky], tmp_path, META)
    assert out.read_text().startswith("# Comparison: s")
    assert (tmp_path / "heatmap_lost_writes.png").stat().st_size > 5000
    assert (tmp_path / "heatmap_availability.png").stat().st_size > 5000


def test_undecided_runs_are_not_called_a_match():
    cell = Cell("all", 2, False, True)
    # an older row kept one verdict for all checks: every check it found nothing in is undecided
    assert summarize([_row(cell, 0, decided=False)], [cell]).iloc[0]["matches"] == (
        "undecided: lost writes, duplicates, nonmonotonic sends, realtime order, uncommitted reads in 1 of 1 run")
    rows = [row(cell, 0, _report(lost_verdict="unknown"), "r0"), row(cell, 1, _report(), "r1")]
    assert summarize(rows, [cell]).iloc[0]["matches"] == "undecided: lost writes in 1 of 2 runs"


def test_k_of_n_leaves_the_runs_that_could_not_decide_out_of_n():
    cell = Cell("all", 2, True, True)
    rows = [row(cell, 0, _report(lost=40, lost_causes={"unclean_election": 40}), "r0"),
            row(cell, 1, _report(lost=0), "r1"),
            row(cell, 2, _report(lost=0, lost_verdict="unknown"), "r2"),  # a partition never read to the end
            row(cell, 3, _report(lost=7, lost_verdict="finding", lost_causes={"unclean_election": 7}), "r3"),
            row(cell, 4, _report(lost=0, realtime_order="unknown"), "r4")]
    assert [outcome(r, "lost_writes") for r in rows] == ["observed", "none", "undecided", "observed", "none"]
    line = summarize(rows, [cell]).iloc[0]
    assert (line["lost_writes_runs"], line["lost_writes_of"], line["lost_writes_undecided"]) == (2, 4, 1)
    assert (line["realtime_order_runs"], line["realtime_order_of"], line["realtime_order_undecided"]) == (0, 4, 1)
    assert line["lost_writes_median"] == 3.5 and (line["lost_writes_min"], line["lost_writes_max"]) == (0, 40)
    assert (line["lost_writes_p_low"], line["lost_writes_p_high"]) == pytest.approx(wilson(2, 4))
    assert line["matches"] == "yes"  # loss and disorder are possible with unclean election: nothing is undecided
    md = render_markdown(summarize(rows, [cell]), META)
    assert (f"| {cell.label} | 2 of 4 (+1 undecided) | 15%–85% | 3.5 (0–40) | 0 of 5 | 0 of 5 "
            "| 0 of 4 (+1 undecided) |") in md
    assert "N counts only the runs that decided the check" in md


def test_a_run_that_lost_writes_observed_them_even_when_other_partitions_were_undecided():
    r = _report(lost=3, lost_causes={"unexplained": 3})
    r["checks"]["lost_writes"]["notes"]["undecided_partitions"] = ["chaos-1"]
    assert outcome(row(Cell("all", 2, False, True), 0, r, "r"), "lost_writes") == "observed"


def test_lost_writes_causes_are_kept_per_run_and_aggregated_per_cell():
    cell = Cell("all", 2, False, False)
    rows = [row(cell, 0, _report(lost=5, lost_causes={"unexplained": 2, "acks_below_all": 3}), "r0"),
            row(cell, 1, _report(lost=0), "r1"),
            row(cell, 2, _report(lost=4, lost_causes={"unexplained": 4}), "r2"),
            {**_row(cell, 9, repeat=3)}]  # an older row: lost writes, causes not recorded
    assert rows[0]["lost_write_causes"] == {"unexplained": 2, "acks_below_all": 3}  # not "acknowledged" & co.
    assert rows[1]["lost_write_causes"] == {}
    summary = summarize(rows, [cell])
    line = summary.iloc[0]
    assert line["lost_write_causes"] == {"totals": {"unexplained": 6, "acks_below_all": 3},
                                         "runs": {"unexplained": 2, "acks_below_all": 1}, "unrecorded": 1}
    assert line["matches"] == ("no: lost writes in 3 of 4 runs (6 unexplained (2 runs), 3 acks_below_all (1 run), "
                               "causes not recorded in 1 run)")
    md = render_markdown(summary, META)
    assert ("Lost writes, by the cause the controller's record shows: 6 unexplained (2 runs), 3 acks_below_all "
            "(1 run), causes not recorded in 1 run.") in md


def test_a_report_that_lost_writes_without_causes_leaves_them_unknown():
    r = _report(lost=2)
    r["checks"]["lost_writes"]["notes"] = {"acknowledged": 100}  # a report from before causes
    assert row(Cell("1", 1, False, False), 0, r, "r")["lost_write_causes"] is None


def test_broken_duplicate_promises_name_their_undocumented_causes():
    cell = Cell("all", 2, False, True)
    rows = [row(cell, 0, _report(duplicates=1, dup_causes={"client_epoch_bump": 10, "broker_dedup_failed": 1}),
                "r0"), row(cell, 1, _report(), "r1")]
    assert summarize(rows, [cell]).iloc[0]["matches"] == "no: duplicates in 1 of 2 runs (1 broker_dedup_failed)"


def test_duplicates_are_shown_with_the_causes_their_batch_headers_show():
    cell = Cell("all", 2, False, True)
    rows = [{**_row(cell, 0), "duplicate_causes": {"client_epoch_bump": 100}},
            {**_row(cell, 0, repeat=1), "duplicate_causes": {"client_epoch_bump": 49, "unexplained": 1}}]
    summary = summarize(rows, [cell])
    assert summary.iloc[0]["duplicate_causes"] == {"client_epoch_bump": 149, "unexplained": 1}
    md = render_markdown(summary, META)
    assert "Duplicates read, by the cause their batch headers show: 149 client_epoch_bump (documented), " \
           "1 unexplained." in md


def test_a_cell_without_duplicates_says_nothing_about_their_causes():
    cell = Cell("all", 2, False, True)
    md = render_markdown(summarize([_row(cell, 0)], [cell]), {**META, "repeats": 1, "seeds": [1]})
    assert "batch headers" not in md and "Lost writes, by" not in md


def test_the_kafka_version_is_recorded_and_the_table_says_what_it_holds_for(tmp_path):
    cell = Cell("all", 2, True, True)
    out = write_comparison([row(cell, 0, _report(), "r0")], [cell], tmp_path,
                           {**META, "kafka_version": "4.3.1", "image": "kafka-chaos-broker:4.3.1"})
    saved = json.loads((tmp_path / "comparison.json").read_text())
    assert saved["kafka_version"] == "4.3.1" and saved["cells"][0]["kafka_version"] == "4.3.1"
    md = out.read_text()
    assert "Kafka version: 4.3.1 (image kafka-chaos-broker:4.3.1). What Kafka documents" in md
    assert "holds for this version, which has eligible leader replicas on by default" in md and "KIP-966" in md
    assert "## What Kafka 4.3.1 documents, per cell" in md
    assert "With eligible leader replicas (Kafka 4.1 and later): an unclean election comes only when" in md


def test_an_older_comparison_says_its_version_was_not_recorded(tmp_path):
    cell = Cell("all", 2, False, True)
    md = write_comparison([_row(cell, 0)], [cell], tmp_path, META).read_text()
    assert "Kafka version: not recorded" in md
    assert json.loads((tmp_path / "comparison.json").read_text())["kafka_version"] is None


def test_eligible_leader_replicas_change_the_note_not_the_documented_answer():
    unclean, lone = Cell("all", 2, True, True), Cell("all", 1, False, True)
    assert elr_note(unclean, "4.0.0") == "" and elr_note(unclean, "3.9.1") == ""
    assert "neither the ISR nor the eligible leader replicas" in elr_note(unclean, "4.1.0")
    assert "change nothing here" in elr_note(lone, "4.3.1")
    assert elr_note(unclean, None).startswith("If the cluster ran Kafka 4.1 or later")
    assert "high watermark stops" in elr_note(Cell("1", 2, False, False), "4.3.1")
    assert documented(unclean)["lost_writes"] == "may"


def test_the_saved_example_comparison_still_summarizes(tmp_path):
    saved = json.loads(EXAMPLE.read_text())
    cells = list(dict.fromkeys(Cell(**{k: r[k] for k in Cell.__dataclass_fields__ if k in r}) for r in saved["runs"]))
    md = write_comparison(saved["runs"], cells, tmp_path, {k: v for k, v in saved.items()
                                                           if k not in ("runs", "cells")}).read_text()
    assert "| acks=all minISR=2 unclean=true idem=true | 3 of 5 | 23%–88% | 388 (0–488) |" in md
    assert "| acks=all minISR=1 unclean=false idem=false | 0 of 5 | 0%–43% | 0 | 0 of 5 | 3 of 5, median 11 (0–163) |" in md
    assert "4 of 4 resets verified" in md and "repeat 1 (kill leader of chaos-r0-c00-0" in md


def test_rebuild_re_reports_an_older_comparison_into_the_new_rows(tmp_path):
    cell = Cell("all", 2, True, True)
    old = {**{k: getattr(cell, k) for k in Cell.__dataclass_fields__}, **_row(cell, 12), "run_dir": "runs/01"}
    (tmp_path / "comparison.json").write_text(json.dumps({**META, "repeats": 1, "runs": [old], "cells": []}))
    report = _report(lost=12, lost_causes={"unclean_election": 12})
    md = rebuild_comparison(tmp_path, report_run=lambda run_dir: report, log=lambda *_: None).read_text()
    assert "12 unclean_election (1 run)" in md
    assert json.loads((tmp_path / "comparison.json").read_text())["runs"][0]["verdicts"]["lost_writes"] == "finding"


@pytest.mark.cluster
def test_cells_run_side_by_side_under_the_same_kill_and_each_cell_reports_alone(tmp_path, broker_image):
    """Two repeats of two cells: each repeat one run, one topic per cell with the same replica assignment, so the
    one kill of "the leader of partition 0" moves both cells' leaders; each cell's report is cut from the run's
    history and re-checks offline to the same counts; between the repeats a verified reset deletes the first
    repeat's topics."""
    from harness.history.loader import History
    from harness.report.build import build_report
    from harness.run.cli import SCENARIO_DIR
    from harness.run.compare import run_comparison
    from harness.run.scenario import load_scenario

    base = load_scenario(SCENARIO_DIR / "leader-kill.toml")
    scenario = base.model_copy(update={"workload": base.workload.model_copy(update={"duration_s": 15.0,
                                                                                    "rate": 100})})
    durable, loose = Cell("all", 2, False, True), Cell("1", 1, False, False)
    out = run_comparison(scenario, [durable, loose], 2, tmp_path, "test", log=lambda *_: None)
    saved = json.loads((out / "comparison.json").read_text())
    assert saved["layout"] == "lanes" and [r["cell"] for r in saved["runs"]] == [durable.label, loose.label] * 2
    assert saved["resets"] == [{"kafka_version": None, "before_repeat": 2, "verified": True, "problems": []}]
    assert "1 of 1 resets verified" in (out / "comparison.md").read_text()
    runs = [r for r in saved["runs"] if r["repeat"] == 0]
    reports = [json.loads((out / r["run_dir"] / "report.json").read_text()) for r in runs]
    assert {r["run_dir"].rsplit("/lanes/", 1)[0] for r in runs} == {"runs/r01"}  # one run
    topics = [r["settings"]["topic"]["name"] for r in reports]
    assert len(set(topics)) == 2
    for report in reports:
        assert report["counts"]["acknowledged"] > 500
        (fault,) = report["faults"]
        changes = [c for c in report["leader_changes"] if c["partition"] == 0]
        # the controller's record of this cell's own topic: its leader moved away from the killed broker
        assert changes and changes[0]["source"] == "controller" and changes[0]["from"] == fault["nodes"][0]
    assert reports[0]["checks"]["lost_writes"]["count"] == 0 and reports[0]["verdict"] == "pass"
    assert reports[0]["settings"]["producers"][0]["acks"] == "all"
    assert reports[1]["settings"]["producers"][0]["acks"] == "1"
    for r, report in zip(runs, reports):  # a cell's cut history re-checks offline to the same counts
        again = build_report(History.load(out / r["run_dir"] / "history.jsonl")).to_json()
        assert {c: v["count"] for c, v in again["checks"].items()} == \
            {c: v["count"] for c, v in report["checks"].items()}


def test_kafka_versions_multiply_the_matrix_and_each_line_reads_for_its_version(tmp_path):
    cells = matrix(acks=["1"], min_isr=[2], unclean=[False], idempotence=[False], versions=["4.0.1", "4.3.1"])
    assert [c.label for c in cells] == ["acks=1 minISR=2 unclean=false idem=false kafka=4.0.1",
                                        "acks=1 minISR=2 unclean=false idem=false kafka=4.3.1"]
    assert matrix(acks=["1"], min_isr=[2], unclean=[False], versions=["4.3.1"])[0].kafka_version is None
    applied = cells[0].apply(parse_scenario({"name": "s"}), 3, "t")
    assert applied.cluster.kafka_version == "4.0.1" and applied.topic.name == "t" and applied.seed == 3
    rows = [{**row(c, 0, _report(lost=n), f"runs/{c.kafka_version}"), "kafka_version": c.kafka_version}
            for c, n in zip(cells, (0, 12))]
    summary = summarize(rows, cells, "4.0.1, 4.3.1")
    assert list(summary["kafka_version"]) == ["4.0.1", "4.3.1"]
    old, new = summary.iloc[0], summary.iloc[1]
    assert old["elr"] == "" and "eligible leader replicas" in new["elr"]  # on by default from 4.1 only
    md = write_comparison(rows, cells, tmp_path, {**META, "repeats": 1, "kafka_version": "4.0.1, 4.3.1"}).read_text()
    assert "Kafka versions side by side: 4.0.1, 4.3.1" in md
    assert "| acks=1 minISR=2 unclean=false idem=false kafka=4.3.1 | 1 of 1 |" in md


def test_a_repeat_whose_schedule_did_not_run_in_full_is_named():
    report = _report(lost=0)
    report["faults"] = [{"kind": "kill", "target": "leader of t-0", "start": 50.0, "in_force": None,
                         "errors": ["fault: not injected: 'cut', which it waits for, took effect too late"]},
                        {"kind": "isolate", "target": "follower of t-0", "start": 3.0, "in_force": 9.0, "errors": []}]
    cell = Cell("1", 1, False, False)
    rows = [row(cell, 0, _report(lost=1), "r1"), row(cell, 1, report, "r2")]
    assert rows[0]["not_injected"] == [] and \
        rows[1]["not_injected"] == ["kill leader of t-0: 'cut', which it waits for, took effect too late"]
    md = render_markdown(summarize(rows, [cell]), META, rows)
    assert "did not run in full" in md and "repeat 2 (kill leader of t-0: 'cut'" in md
    assert "did not run in full" not in render_markdown(summarize(rows[:1], [cell]), META, rows[:1])


def test_isolation_is_a_dimension_and_workload_checks_get_a_table_per_cell():
    from harness.run.compare import _workload_checks_table, matrix, summarize
    from harness.run.scenario import parse_scenario

    cells = matrix(acks=["all"], min_isr=[2], unclean=[False], idempotence=[True],
                   isolation=["read_committed", "read_uncommitted"])
    assert [c.isolation for c in cells] == ["read_committed", "read_uncommitted"]
    assert cells[1].label.endswith("isolation=read_uncommitted")
    scenario = parse_scenario({"name": "x", "workload": {"consumers": [{}], "groups": [{"name": "g"}]}})
    applied = cells[1].apply(scenario, 1, "t-c01")
    assert applied.workload.consumers[0].settings["isolation.level"] == "read_uncommitted"
    assert applied.workload.groups[0].settings["isolation.level"] == "read_uncommitted"

    def run(cell, aborted):
        return {"cell": cell.label, "lost_writes": 0, "verdicts": {"lost_writes": "pass"}, "decided": True,
                "workload_checks": {"aborted_reads": [aborted, "fail" if aborted else "pass"]}}
    rows = [run(cells[0], 0), run(cells[0], 2), run(cells[1], 0)]
    table = _workload_checks_table(summarize(rows, cells), rows)
    assert "| aborted reads |" in table[3]
    assert any(line.startswith(f"| {cells[0].label} | 1 of 2 (2) |") for line in table)
    assert any(line.startswith(f"| {cells[1].label} | 0 of 1 |") for line in table)
    assert _workload_checks_table(summarize(rows, cells), [{**r, "workload_checks": {}} for r in rows]) == []
