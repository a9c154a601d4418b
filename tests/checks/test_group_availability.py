"""group_availability over crafted histories of a consumer group."""

import pytest

from harness.checks import DEFAULT_MUST_BE_ZERO
from harness.checks.group_availability import group_availability
from harness.checks.result import Verdict
from tests.crafted import GroupCrafted, clean_group_run, clean_run, with_groups

A = "group-g-0"


def _at(c: GroupCrafted, t: float) -> GroupCrafted:
    """The clock to ``t`` (the next op comes a millisecond later)."""
    return c.wait(t - c.t)


def _run(after_heal: bool = True, sends_after_heal: bool = True) -> GroupCrafted:
    """Workload from 0 to 20 s; the group polls at 1 and 6 s; a fault from 2 to 8 s; with ``after_heal`` the
    group polls again at 9 s; with ``sends_after_heal`` a record is acknowledged at 10 s; the member closes
    at 21 s."""
    c = with_groups()
    c.phase("workload")
    _at(c, 1).send("producer-0-0", "a", offset=0).group_poll(A, [(0, 0, "a")])
    _at(c, 2).fault("f1")
    _at(c, 6).send("producer-0-0", "b", offset=1).group_poll(A, [(0, 1, "b")])
    _at(c, 8).heal("f1")
    if after_heal:
        _at(c, 9).group_poll(A, [(0, 1, "b")])
    if sends_after_heal:
        _at(c, 10).send("producer-0-0", "c", offset=2)
    _at(c, 20).phase("heal")
    return _at(c, 21).member(0, "closed")


def test_skipped_without_a_consumer_group():
    assert group_availability(clean_run().history()).skipped


def test_without_faults_it_counts_nothing_and_says_so():
    r = group_availability(clean_group_run().history())
    assert r.count == 0 and r.decided and not r.skipped and "no fault" in r.notes["note"]
    assert "group_availability" not in DEFAULT_MUST_BE_ZERO


def test_per_fault_and_group_the_first_polls_and_the_longest_stall():
    r = group_availability(_run().history())
    assert r.count == 0 and r.verdict(must_be_zero=False) is Verdict.PASS
    [row] = r.notes["faults"]
    assert (row["fault"], row["group"], row["kind"]) == ("f1", "t.g", "kill")
    assert row["first_poll_after_start_s"] == pytest.approx(4.0, abs=0.01)
    assert row["longest_stall_s"] == pytest.approx(5.0, abs=0.01)  # from 1 s to 6 s, across the start
    assert row["first_poll_after_heal_s"] == pytest.approx(1.0, abs=0.01)
    assert row["acknowledged_after_heal"] == 1 and not row["never_polled_after_heal"]
    assert row["start"] == pytest.approx(2.0, abs=0.01) and row["end"] == pytest.approx(8.0, abs=0.01)


def test_a_group_that_never_polls_again_after_a_heal_is_counted():
    r = group_availability(_run(after_heal=False).history())
    assert r.count == 1 and r.found == [("f1", "t.g")]
    assert r.verdict(must_be_zero=False) is Verdict.FINDING
    [row] = r.notes["faults"]
    assert row["first_poll_after_heal_s"] is None and row["never_polled_after_heal"]
    assert row["longest_stall_s"] == pytest.approx(14.0, abs=0.01)  # from its last poll at 6 s to the end at 20 s


def test_no_poll_after_a_heal_with_nothing_acknowledged_after_it_is_not_counted():
    r = group_availability(_run(after_heal=False, sends_after_heal=False).history())
    assert r.count == 0 and r.notes["faults"][0]["acknowledged_after_heal"] == 0


def test_records_acknowledged_just_before_the_group_ends_need_not_be_polled():
    c = with_groups()
    c.phase("workload").group_poll(A, [(0, 0, "a")]).fault("f1").heal("f1")
    _at(c, 5).send("producer-0-0", "b", offset=1).member(0, "closed")
    r = group_availability(c.history())
    assert r.count == 0 and r.notes["faults"][0]["acknowledged_after_heal"] == 0


def test_a_fault_never_healed_has_no_heal_figures():
    c = with_groups()
    c.phase("workload").group_poll(A, [(0, 0, "a")]).fault("f1")
    _at(c, 5).send("producer-0-0", "b", offset=1)
    r = group_availability(c.history())
    assert r.count == 0 and r.notes["faults"][0]["first_poll_after_heal_s"] is None
    assert r.notes["faults"][0]["first_poll_after_start_s"] is None
