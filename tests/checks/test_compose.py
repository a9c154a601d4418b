from harness.checks import GROUP_CHECK_NAMES, TXN_CHECK_NAMES
from harness.checks.result import Verdict
from harness.checks.suite import CHECKS, run_checks
from tests.crafted import clean_run


def test_all_checks_pass_on_a_clean_history():
    results = run_checks(clean_run().history())
    assert set(results) == set(CHECKS)
    # Nothing to look at is skipped, not passed: no log autopsy (replica_divergence), no send failed
    # (failed_sends_landed), a single final reader (final_reads_disagree), no consumer group (the group checks).
    skipped = {"replica_divergence", "failed_sends_landed", "final_reads_disagree", *GROUP_CHECK_NAMES}
    skipped |= set(TXN_CHECK_NAMES)  # no transaction
    expected = {name: Verdict.SKIPPED if name in skipped else Verdict.PASS for name in CHECKS}
    assert {name: r.verdict() for name, r in results.items()} == expected


def test_a_check_that_raises_becomes_unknown_not_a_crash(monkeypatch):
    def broken(history):
        raise RuntimeError("boom")

    monkeypatch.setitem(CHECKS, "broken", broken)
    results = run_checks(clean_run().history(), ["lost_writes", "broken"])
    assert results["broken"].verdict() is Verdict.UNKNOWN
    assert "boom" in results["broken"].notes["error"]
    assert results["lost_writes"].verdict() is Verdict.PASS


def test_worst_verdict_wins():
    assert Verdict.worst([Verdict.PASS, Verdict.FINDING]) is Verdict.FINDING
    assert Verdict.worst([Verdict.PASS, Verdict.UNKNOWN, Verdict.FINDING]) is Verdict.UNKNOWN
    assert Verdict.worst([Verdict.UNKNOWN, Verdict.FAIL]) is Verdict.FAIL
    assert Verdict.worst([]) is Verdict.PASS
