"""group_skipped over crafted histories of a consumer group."""

from harness.checks import DEFAULT_MUST_BE_ZERO
from harness.checks.group_skipped import group_skipped
from harness.checks.result import Verdict
from tests.crafted import GroupCrafted, changed, clean_group_run, clean_run, created, with_groups

A = "group-g-0"


def _run(polled, committed, log=range(6), controller=True, unclean=False, complete=True, lost=()) -> GroupCrafted:
    """Six values acknowledged at offsets 0 to 5 of partition 0 (those in ``lost`` missing from the final
    read); member A polls the offsets in ``polled``; the group's final committed offset of partition 0 is
    ``committed`` (None: not recorded); the final read holds ``log``. With ``controller``: the controller's
    record, and with ``unclean`` an unclean election of partition 0 in it."""
    c = with_groups(unclean=unclean)
    if controller:
        created(c)
        if unclean:
            changed(c, 0.01, leader=3, isr=[3], leaderRecoveryState=1)
    c.member(0, "started").assignment(A, [0])
    for o in range(6):
        c.send("producer-0-0", f"v{o}", offset=o)
    c.group_poll(A, [(0, o, f"v{o}") for o in polled])
    c.final_read([(0, o, f"v{o}") for o in log if o not in lost], end_offset=max(log) + 1, complete=complete)
    return c.group_offsets({0: committed}) if committed is not None else c


def test_a_clean_group_passes():
    r = group_skipped(clean_group_run().history())
    assert r.count == 0 and r.decided and r.verdict() is Verdict.PASS
    assert r.notes["per_group"]["t.g"]["records_below_commit"] == 6
    assert "group_skipped" in DEFAULT_MUST_BE_ZERO


def test_skipped_without_a_consumer_group():
    assert group_skipped(clean_run().history()).skipped


def test_a_record_below_the_committed_offset_that_the_group_never_polled_is_skipped():
    r = group_skipped(_run(polled=[0, 1, 3], committed=4).history())
    assert r.count == 1 and r.decided and r.verdict() is Verdict.FAIL
    e = r.examples[0]
    assert (e["group"], e["partition"], e["offset"], e["value"], e["committed_offset"], e["cause"]) == \
        ("t.g", 0, 2, "v2", 4, "unexplained")
    assert e["complete_time"] is not None
    assert r.found == [("t.g", "t", "v2", "unexplained")] and r.notes["unexplained"] == 1


def test_records_at_or_above_the_committed_offset_are_not_skipped():
    r = group_skipped(_run(polled=[0, 1], committed=2).history())
    assert r.count == 0 and r.decided and r.notes["per_group"]["t.g"]["records_below_commit"] == 2


def test_nothing_committed_skips_nothing():
    assert group_skipped(_run(polled=[], committed=-1).history()).count == 0


def test_a_record_polled_by_another_reader_only_is_still_skipped_by_the_group():
    c = _run(polled=[0, 1, 3], committed=4)
    c.poll("c-leader", [(0, o, f"v{o}") for o in range(6)])
    assert group_skipped(c.history()).count == 1


def test_a_record_the_group_polled_at_any_member_counts_as_processed():
    c = _run(polled=[0, 1, 3], committed=4).group_poll("group-g-1", [(0, 2, "v2")])
    assert group_skipped(c.history()).count == 0


def test_an_acknowledged_record_missing_from_the_final_read_is_only_noted():
    r = group_skipped(_run(polled=[0, 1, 3], committed=4, lost=[2]).history())
    assert r.count == 0 and r.decided and r.notes["lost_writes_below_commit"] == 1


def test_a_skip_after_an_unclean_election_of_the_partition_names_it():
    r = group_skipped(_run(polled=[0, 1, 3], committed=4, unclean=True).history())
    assert r.count == 1 and r.examples[0]["cause"] == "unclean_election" and r.notes["unclean_election"] == 1


def test_without_the_controllers_record_the_cause_is_undecided():
    r = group_skipped(_run(polled=[0, 1, 3], committed=4, controller=False).history())
    assert r.count == 1 and r.decided and r.examples[0]["cause"] == "undecided"
    assert r.notes["undecided"] == 1 and "causes_undecided_because" in r.notes


def test_undecided_without_the_final_committed_offsets():
    for c in (_run(polled=[0, 1, 3], committed=None), _run(polled=[0, 1, 3], committed=None).group_offsets(None)):
        r = group_skipped(c.history())
        assert r.count == 0 and not r.decided and r.notes["undecided_partitions"] == ["t-0"]
        assert r.verdict() is Verdict.UNKNOWN


def test_undecided_when_no_final_reader_read_the_partition_to_its_end():
    r = group_skipped(_run(polled=[0, 1, 3], committed=4, complete=False).history())
    assert r.count == 0 and not r.decided and r.notes["undecided_partitions"] == ["t-0"]


def test_a_partition_with_nothing_committed_needs_no_complete_final_read():
    r = group_skipped(_run(polled=[], committed=-1, complete=False).history())
    assert r.count == 0 and r.decided


def test_each_group_is_judged_by_its_own_polls():
    c = with_groups(groups=[{"name": "g"}, {"name": "h"}])
    for o in range(3):
        c.send("producer-0-0", f"v{o}", offset=o)
    c.group_poll(A, [(0, o, f"v{o}") for o in range(3)]).group_poll("group-h-0", [(0, 0, "v0")], group="t.h")
    c.final_read([(0, o, f"v{o}") for o in range(3)])
    c.group_offsets({0: 3}).group_offsets({0: 3}, group="t.h")
    r = group_skipped(c.history())
    assert r.count == 2 and {e["group"] for e in r.examples} == {"t.h"}
    assert r.notes["per_group"]["t.g"]["skipped"] == 0 and r.notes["per_group"]["t.h"]["skipped"] == 2
