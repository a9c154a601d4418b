"""Bad input gives one clear line and exit 2, never a traceback."""

import json

from harness.run.cli import main
from tests.crafted import clean_run


def test_broken_scenario_file_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[topic]\nreplicas = 3\n')
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"kafka-chaos: {bad}: topic.replicas: unknown field (check its spelling)"


def test_missing_scenario_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "no such scenario file" in capsys.readouterr().err


def test_report_from_a_saved_history_needs_no_cluster(tmp_path, capsys):
    history = tmp_path / "history.jsonl"
    history.write_text("".join(op.to_json() + "\n" for op in clean_run(12).ops))
    assert main(["report", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "pass"
    assert report["counts"]["acknowledged"] == 12 and report["counts"]["read"] == 12
    assert set(report["checks"]) >= {"lost_writes", "duplicates", "nonmonotonic_send", "realtime_order"}
    assert (tmp_path / "report.md").read_text().startswith("# Durability report")


def test_report_verdict_fails_when_a_write_is_lost(tmp_path):
    run = clean_run(4)
    run.ops = [op for op in run.ops if not (op.f == "read" and op.value["partition"] == 1)]
    run.read([], partition=1)  # partition 1 read back empty: its two acknowledged writes are lost
    (tmp_path / "history.jsonl").write_text("".join(op.to_json() + "\n" for op in run.ops))
    assert main(["report", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "fail" and report["checks"]["lost_writes"]["count"] == 2


def test_report_of_a_missing_run_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no history.jsonl" in capsys.readouterr().err


def test_run_with_seeds_runs_each_scenario_once_per_seed(monkeypatch, tmp_path):
    """``--seed`` replaces the file's seed; each run is named after its seed (the runner is replaced here:
    what is tested is which scenarios the command line hands it)."""
    import harness.run.runner as runner
    from harness.run.cli import main

    ran = []

    class Result:
        verdict, run_dir = "pass", tmp_path
        report = {"counts": {k: 0 for k in ("sent", "acknowledged", "failed", "indeterminate", "read")},
                  "verdict": "pass", "checks": {}}

    monkeypatch.setattr(runner, "run_scenario", lambda s, **kw: ran.append((s.name, s.seed)) or Result())
    assert main(["run", "scenarios/leader-kill.toml", "--seed", "4", "5"]) == 0
    assert ran == [("leader-kill-seed4", 4), ("leader-kill-seed5", 5)]


def test_report_on_a_saved_comparison_rechecks_each_run_and_rebuilds_the_table(tmp_path, capsys):
    """The table is rebuilt from the runs' histories with today's checks, not copied from the old one."""
    lossy = clean_run(4)
    lossy.ops = [op for op in lossy.ops if not (op.f == "read" and op.value["partition"] == 1)]
    lossy.read([], partition=1)  # two acknowledged writes lost
    cells = [{"acks": "all", "min_insync_replicas": 2, "unclean": False, "idempotence": True},
             {"acks": "1", "min_insync_replicas": 1, "unclean": False, "idempotence": False}]
    runs = []
    for n, (cell, run) in enumerate(zip(cells, [clean_run(4), lossy]), 1):
        run_dir = tmp_path / "runs" / f"0{n}"
        run_dir.mkdir(parents=True)
        (run_dir / "history.jsonl").write_text("".join(op.to_json() + "\n" for op in run.ops))
        runs.append({**cell, "repeat": 0, "run_dir": f"runs/0{n}", "lost_writes": 999})  # a stale count
    (tmp_path / "comparison.json").write_text(json.dumps({"scenario": "s", "repeats": 1, "seeds": [1],
                                                          "started_at": "t", "command": "c", "runs": runs}))
    assert main(["report", str(tmp_path)]) == 0
    saved = json.loads((tmp_path / "comparison.json").read_text())
    assert [r["lost_writes"] for r in saved["runs"]] == [0, 2]
    assert (tmp_path / "runs" / "02" / "report.json").is_file()
    assert "| acks=1 minISR=1 unclean=false idem=false | 1 of 1 |" in (tmp_path / "comparison.md").read_text()


def test_report_of_a_run_of_several_cells_reports_each_cell_on_its_own(tmp_path, capsys):
    """A comparison's repeat is one history with a lanes op: reporting it cuts each cell again and reports it
    alone (one verdict per cell), never the topics mixed into one verdict."""
    from harness.history.lanes import process_prefix

    ops = [json.loads(op.to_json()) for op in clean_run(6).ops]
    lines = [{"index": 0, "time": 0.0, "process": "harness", "type": "ok", "f": "run", "value": {
                 "run_id": "r", "scenario": {"name": "s", "topic": {"name": "chaos"}}, "image": "kafka",
                 "started_at": "2026-12-03T00:00:00"}},
             {"index": 0, "time": 0.0, "process": "harness", "type": "ok", "f": "lanes", "value": {"lanes": [
        {"label": f"cell {t}", "scenario": {"name": "s", "topic": {"name": t}}} for t in ("t", "u")]}}]
    for n, topic in enumerate(("t", "u")):
        for op in ops[:len(ops) if topic == "t" else len(ops) - 2]:  # cell u lacks its last ops: fewer reads
            value = op["value"]
            if isinstance(value, dict) and value.get("topic") == "t":
                value = {**value, "topic": topic}
            lines.append({**op, "value": value, "process": (process_prefix(n) + op["process"]
                                                          if op["process"].startswith("producer") else op["process"])})
    (tmp_path / "history.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    main(["report", str(tmp_path)])
    out = capsys.readouterr().out
    assert "cell t: " in out and "cell u: " in out
    reports = [json.loads((tmp_path / "lanes" / n / "report.json").read_text()) for n in ("00", "01")]
    assert [r["settings"]["topic"]["name"] for r in reports] == ["t", "u"]
    assert reports[0]["counts"]["sent"] == 6 and reports[1]["counts"]["sent"] == 6
    assert not (tmp_path / "report.json").exists()  # no mixed verdict
