from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.nemesis.spec import FaultKind, Role
from harness.run.cli import SCENARIO_DIR
from harness.run.scenario import load_scenario, parse_scenario

MINIMAL = {"name": "x", "faults": [{"kind": "kill", "target": "leader", "at_s": 1}]}


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_bundled_scenarios_are_valid(path):
    s = load_scenario(path)
    assert s.name and s.all_faults()  # explicit faults, a seeded random schedule, or both
    assert s.description.strip()


def test_defaults_are_durable():
    s = parse_scenario(MINIMAL)
    assert (s.topic.replication_factor, s.topic.min_insync_replicas) == (3, 2)
    assert s.workload.producers[0].acks == "all"
    assert s.faults[0].kind is FaultKind.KILL and s.faults[0].target.role is Role.LEADER


def _error(data) -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, "s.toml")
    message = str(err.value)
    assert "\n" not in message
    return message


def test_a_misspelled_field_is_an_error_naming_it():
    assert _error({**MINIMAL, "topik": {}}) == "s.toml: topik: unknown field (check its spelling)"
    assert "workload.producers.0.ackz" in _error({**MINIMAL, "workload": {"producers": [{"ackz": 1}]}})


def test_wrong_types_and_ranges_name_the_field():
    assert "cluster.brokers" in _error({**MINIMAL, "cluster": {"brokers": "three"}})
    assert "workload.duration_s" in _error({**MINIMAL, "workload": {"duration_s": -1}})
    assert "faults.0.kind" in _error({**MINIMAL, "faults": [{"kind": "explode", "target": "leader", "at_s": 1}]})


def test_cross_field_rules():
    assert "exceeds cluster.brokers" in _error({**MINIMAL, "cluster": {"brokers": 2}})
    assert "min_insync_replicas (4) exceeds" in _error({**MINIMAL, "topic": {"min_insync_replicas": 4}})
    assert "needs acks" in _error({**MINIMAL, "workload": {"producers": [{"acks": 1}]}})
    assert "does not exist" in _error({**MINIMAL, "faults": [{"kind": "kill", "at_s": 1,
                                                               "target": {"role": "leader", "partition": 7}}]})
    assert "not within" in _error({**MINIMAL, "faults": [{"kind": "kill", "target": "leader", "at_s": 99}]})
    assert "unknown check" in _error({**MINIMAL, "expect": {"must_be_zero": ["lost_writez"]}})


def test_acks_may_be_a_number():
    s = parse_scenario({**MINIMAL, "workload": {"producers": [{"acks": 1, "enable_idempotence": False}]}})
    assert s.workload.producers[0].acks == "1"
    assert s.workload.producers[0].client_config()["acks"] == "1"


def test_unreadable_and_broken_files(tmp_path: Path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)


def test_fault_parameters_must_fit_their_kind():
    assert "needs probability" in _error({"name": "x", "faults": [{"kind": "loss", "at_s": 1}]})
    assert "needs delay_ms" in _error({"name": "x", "faults": [{"kind": "latency", "at_s": 1}]})
    assert "applies to kind \"loss\"" in _error({"name": "x", "faults": [{"kind": "kill", "at_s": 1,
                                                                             "probability": 0.5}]})
    assert "needs at least 4 brokers" in _error({"name": "x", "faults": [{"kind": "ring", "at_s": 1}]})
    assert "faults.0.probability" in _error({"name": "x", "faults": [{"kind": "loss", "at_s": 1,
                                                                        "probability": 1.5}]})


def test_random_faults_are_generated_from_the_seed_and_merged_in_order():
    data = {"name": "x", "seed": 5, "workload": {"duration_s": 60},
            "faults": [{"kind": "kill", "target": "leader", "at_s": 30, "duration_s": 1}],
            "random_faults": {"kinds": ["pause", "isolate"], "targets": ["follower", "leader"]}}
    s = parse_scenario(data)
    faults = s.all_faults()
    assert [f.at_s for f in faults] == sorted(f.at_s for f in faults)
    assert any(f.kind is FaultKind.KILL and f.at_s == 30 for f in faults)
    assert parse_scenario(data).all_faults() == faults
    assert "latency cannot be drawn" in _error({"name": "x", "random_faults": {"kinds": ["latency"]}})


def test_reordering_in_must_be_zero_stands_for_the_six_order_checks():
    from harness.checks import ORDER_CHECK_NAMES

    s = parse_scenario({"name": "x", "expect": {"must_be_zero": ["lost_writes", "reordering", "poll_skip"]}})
    assert s.expect.must_be_zero == ["lost_writes", *ORDER_CHECK_NAMES]  # each name once, in order
    with pytest.raises(ScenarioError, match="reordering .6 checks."):
        parse_scenario({"name": "x", "expect": {"must_be_zero": ["reorderin"]}})


def test_a_saved_history_naming_reordering_is_judged_by_every_order_check():
    from harness.report.build import build_report
    from tests.crafted import with_run

    c = with_run(acks="all", min_isr=2)
    c.ops[0].value["scenario"]["expect"] = {"must_be_zero": ["reordering"]}
    c.send("p0", "a", offset=5).send("p0", "b", offset=3).read([(0, 3, "b"), (0, 5, "a")])
    report = build_report(c.history())
    assert report.checks["nonmonotonic_send"].verdict == "fail"
    assert report.checks["lost_writes"].verdict == "pass" and not report.checks["lost_writes"].must_be_zero
