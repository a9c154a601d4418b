"""The pytest plugin, tested with pytester (inner pytest sessions)."""

from __future__ import annotations

import pytest

GOOD = '''
name = "tiny"
description = "one kill"
[workload]
duration_s = 10
[[faults]]
kind = "kill"
target = "leader"
at_s = 2
'''


def test_options_and_ini_settings_are_registered(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["Kafka chaos testing:", "*--kafka-version*", "*--kafka-image*", "*--chaos-out*",
                                 "*kafka_chaos_scenario_dirs*"])


def test_scenario_files_are_collected_as_cluster_items(pytester):
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "tiny.toml").write_text(GOOD)
    pytester.path.joinpath("other.toml").write_text("not = 'a scenario'")  # outside the scenario dirs
    result = pytester.runpytest("--collect-only", "-q", "scenarios")
    result.stdout.fnmatch_lines(["scenarios/tiny.toml::tiny"])
    assert "other.toml" not in result.stdout.str()
    quick = pytester.runpytest("-m", "not cluster", "scenarios")
    quick.assert_outcomes(deselected=1)


def test_other_toml_files_in_a_scenario_folder_are_not_collected(pytester):
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "tiny.toml").write_text(GOOD)
    pytester.path.joinpath("scenarios", "defaults.toml").write_text('name = "all-defaults"\n')
    pytester.path.joinpath("scenarios", "settings.toml").write_text('[tool.thing]\nname = "x"\n')
    pytester.path.joinpath("scenarios", "notes.toml").write_text('name = "n"\nauthor = "me"\n')
    pytester.path.joinpath("scenarios", "garbage.toml").write_text("this is [not toml\n")
    pytester.path.joinpath("scenarios", "deploy.toml").write_text('[cluster]\nendpoint = "https://x"\n')
    pytester.path.joinpath("scenarios", "locust.toml").write_text('[workload]\nusers = 100\n')
    result = pytester.runpytest("--collect-only", "-q", "scenarios")
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["scenarios/defaults.toml::defaults", "scenarios/tiny.toml::tiny"])
    for other in ("settings.toml", "notes.toml", "garbage.toml", "deploy.toml", "locust.toml"):
        assert other not in out


def test_a_broken_scenario_fails_with_one_line_and_shows_in_junit(pytester):
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "broken.toml").write_text('name = "b"\n[workload]\nduratoin_s = 3\n')
    result = pytester.runpytest("scenarios", "--junitxml=junit.xml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*broken.toml: *workload.duratoin_s: unknown field (check its spelling)*"])
    assert "Traceback" not in result.stdout.str()
    junit = pytester.path.joinpath("junit.xml").read_text()
    assert "workload.duratoin_s: unknown field" in junit


@pytest.mark.cluster
def test_users_own_test_with_the_fixtures_runs_against_a_real_cluster(pytester, kafka_image):
    pytester.makepyfile('''
        from harness.run.testing import assert_no_lost_writes
        from harness.workload.producer import RecordingProducer
        from harness.workload.reader import final_read
        from harness.nemesis.spec import FaultSpec

        def test_kill_a_leader_loses_nothing(kafka_cluster, chaos_topic, chaos_history, nemesis):
            fault = nemesis.inject(FaultSpec(kind="kill", target="leader", at_s=0))
            producer = RecordingProducer("p", kafka_cluster.bootstrap_servers, chaos_topic, chaos_history,
                                         config={"acks": "all"}, rate=200, duration_s=4)
            producer.run()
            nemesis.heal(fault)
            assert final_read(kafka_cluster.bootstrap_servers, chaos_topic, 3, chaos_history, timeout_s=60)
            assert producer.stats.ok > 100
            assert_no_lost_writes(chaos_history)
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--kafka-image={kafka_image}")
    result.assert_outcomes(passed=1)
