"""The whole path against a real cluster: the leader-kill scenario, checked and reported."""

from __future__ import annotations

import json

import pytest

from harness.cluster.cleanup import leftovers
from harness.run.cli import SCENARIO_DIR, main
from harness.run.runner import run_scenario
from harness.run.scenario import load_scenario

pytestmark = pytest.mark.cluster


def test_leader_kill_loses_nothing_and_records_the_leader_change(tmp_path, broker_image, capsys):
    base = load_scenario(SCENARIO_DIR / "leader-kill.toml")
    scenario = base.model_copy(update={"workload": base.workload.model_copy(update={"duration_s": 25.0})})
    result = run_scenario(scenario, out_dir=tmp_path, log=lambda *_: None)
    report = result.report

    assert report["verdict"] == "pass"
    assert report["checks"]["lost_writes"]["count"] == 0
    assert report["counts"]["acknowledged"] > 1000
    assert report["counts"]["read"] >= report["counts"]["acknowledged"]
    # The kill is in the report, with its resolved target and the effect the cluster showed.
    (fault,) = report["faults"]
    assert fault["kind"] == "kill" and fault["start"] is not None and fault["end"] > fault["start"]
    start_effect = next(e for e in fault["effects"] if e["phase"] == "start")
    assert start_effect["seen"] and f"moved from {fault['nodes'][0]} to" in start_effect["observed"]
    # The sampler saw the leader of chaos-0 change, to a higher leader epoch.
    changes = [c for c in report["leader_changes"] if c["partition"] == 0]
    assert changes and changes[0]["from"] == fault["nodes"][0]
    assert changes[0]["epoch_to"] >= 1

    for name in ("history.jsonl", "report.json", "report.md"):
        assert (result.run_dir / name).is_file()
    assert leftovers(report["run_id"]) == ([], [])

    # Re-checking the saved history offline gives the same verdict and counts.
    assert main(["report", str(result.run_dir)]) == 0
    again = json.loads((result.run_dir / "report.json").read_text())
    assert again["checks"] == report["checks"] and again["counts"] == report["counts"]


def test_acks_1_with_the_leader_isolated_loses_acknowledged_writes(tmp_path):
    scenario = load_scenario(SCENARIO_DIR / "leader-isolated-acks1.toml")
    report = run_scenario(scenario, out_dir=tmp_path, log=lambda *_: None).report
    lost = report["checks"]["lost_writes"]
    assert lost["count"] > 0 and lost["verdict"] == "finding"  # expected for acks=1: a finding, not a failure
    assert report["verdict"] == "pass" and "lost_writes" in report["findings"]
    assert lost["examples"][0]["partition"] == 0
    # The new leader handed the truncated offsets out again: acknowledged offsets went backwards.
    assert report["checks"]["nonmonotonic_send"]["notes"]["explained_by_truncation"] > 0
    # The high watermark held: no reader saw the records the old leader took alone.
    assert report["checks"]["uncommitted_reads"]["count"] == 0
    assert report["checks"]["inconsistent_offsets"]["count"] == 0


def test_acks_all_with_the_leader_isolated_loses_nothing(tmp_path):
    scenario = load_scenario(SCENARIO_DIR / "leader-isolated-acks-all.toml")
    report = run_scenario(scenario, out_dir=tmp_path, log=lambda *_: None).report
    assert report["checks"]["lost_writes"]["count"] == 0
    assert report["checks"]["duplicates"]["count"] == 0
    assert report["checks"]["uncommitted_reads"]["count"] == 0
    assert report["verdict"] == "pass"
    (fault,) = report["faults"]
    # The effect is always recorded: what was seen, or that it was not seen within the deadline.
    # (The isolated leader's move itself is proven by tests/nemesis/test_faults.py.)
    assert {e["phase"] for e in fault["effects"]} == {"start", "heal"}


def test_an_unclean_election_is_the_controllers_record_and_its_losses_are_not_failures(tmp_path):
    """The seeds' central case: unclean election on, the in-sync replicas killed, a stale follower elected.
    Kafka documents the loss; the controller's metadata log marks the election; reads of the lost
    records were of committed data, not uncommitted reads, and the replicas agree after the heal."""
    scenario = load_scenario(SCENARIO_DIR / "unclean-election.toml")
    report = run_scenario(scenario, out_dir=tmp_path, log=lambda *_: None).report
    changes = report["leader_changes"]
    assert changes and all(c["source"] == "controller" for c in changes)
    unclean = [c for c in changes if c["unclean"]]
    assert len(unclean) == 1 and unclean[0]["to"] not in unclean[0]["isr_before"]
    assert report["checks"]["uncommitted_reads"]["count"] == 0
    # A reader that read offsets the election then truncated, and read them again once the new leader had
    # reused them, saw two values at one offset: a consequence of the election that Kafka documents (seen in
    # CI: 114 such offsets), so a finding with that cause, never unexplained.
    inconsistent = report["checks"]["inconsistent_offsets"]
    if inconsistent["count"]:  # (the cause counts are in the notes only when something was found)
        assert inconsistent["notes"]["unexplained"] == 0 and inconsistent["notes"]["undecided"] == 0
        assert inconsistent["verdict"] == "finding"
        assert inconsistent["notes"]["unclean_election"] == inconsistent["count"]
    assert report["checks"]["replica_divergence"]["count"] == 0
    lost = report["checks"]["lost_writes"]
    if lost["count"]:  # lost writes are documented here: a finding, and each one's cause is the election
        assert lost["verdict"] == "finding"
        assert lost["notes"]["unclean_election"] == lost["count"]
        assert lost["notes"]["unexplained"] == 0 and lost["notes"]["undecided"] == 0
    assert report["unexplained"] == []
    assert report["verdict"] == "pass"
