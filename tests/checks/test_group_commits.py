"""committed_offsets_backwards over crafted histories of a consumer group."""

from harness.checks import DEFAULT_MUST_BE_ZERO
from harness.checks.group_commits import committed_offsets_backwards
from harness.checks.result import Verdict
from tests.crafted import GroupCrafted, clean_group_run, clean_run, with_groups

A, B = "group-g-0", "group-g-1"


def _group() -> GroupCrafted:
    """A group of two members, given partitions 0 and 1."""
    c = with_groups()
    c.member(0, "started").member(1, "started").assignment(A, [0]).assignment(B, [1])
    return c


def _done(c: GroupCrafted, final) -> GroupCrafted:
    """The group's committed offsets after the run (``final``; None: not recorded)."""
    return c.group_offsets(final) if final is not None else c


def test_a_clean_group_passes():
    r = committed_offsets_backwards(clean_group_run().history())
    assert r.count == 0 and r.decided and r.verdict() is Verdict.PASS
    assert r.notes["per_group"]["t.g"]["commits_ok"] == 2
    assert "committed_offsets_backwards" in DEFAULT_MUST_BE_ZERO


def test_skipped_without_a_consumer_group():
    assert committed_offsets_backwards(clean_run().history()).skipped


def test_a_member_committing_below_its_own_earlier_commit_is_counted():
    c = _group().commit(A, {0: 5}).wait(1).commit(A, {0: 3})
    r = committed_offsets_backwards(_done(c, {0: 5, 1: -1}).history())
    assert r.count == 1 and r.decided and r.notes["within_member"] == 1
    e = r.examples[0]
    assert (e["kind"], e["group"], e["partition"], e["offset"], e["earlier_offset"]) == \
        ("within_member", "t.g", 0, 3, 5)
    assert e["process"] == e["earlier_process"] == A and e["time"] > e["earlier_time"]
    assert r.verdict() is Verdict.FAIL


def test_an_auto_commit_below_the_same_members_earlier_one_is_counted():
    c = _group().commit(A, {0: 5}, auto=True).commit(A, {0: 3}, auto=True)
    assert committed_offsets_backwards(_done(c, {0: 5}).history()).notes["within_member"] == 1


def test_the_same_offset_again_or_another_partition_is_not_backwards():
    c = _group().commit(A, {0: 5}).commit(A, {0: 5}).commit(A, {1: 2}).commit(A, {0: 6})
    assert committed_offsets_backwards(_done(c, {0: 6, 1: 2}).history()).count == 0


def test_a_reset_of_that_partition_by_a_member_excuses_a_step_back():
    c = _group().commit(A, {0: 5}).offset_reset(A, partition=0, position=2).commit(A, {0: 3})
    r = committed_offsets_backwards(_done(c, {0: 3}).history())
    assert r.count == 0 and r.decided
    assert r.notes["offset_reset"] == 2  # the member's step back, and the final offset below the commit of 5


def test_a_reset_of_another_partition_or_by_another_reader_excuses_nothing():
    c = _group().commit(A, {0: 5}).offset_reset(A, partition=1).offset_reset("c-leader", partition=0)
    c.commit(A, {0: 3})
    r = committed_offsets_backwards(_done(c, {0: 5}).history())
    assert r.count == 1 and r.notes["offset_reset"] == 0


def test_a_reset_by_a_member_known_only_by_its_name_excuses():
    c = _group().commit(A, {0: 5}).offset_reset("group-g-0-r1", partition=0).commit(A, {0: 3})
    assert committed_offsets_backwards(_done(c, {0: 3}).history()).count == 0


def test_a_commit_after_a_reset_is_compared_with_the_commits_after_it():
    c = _group().commit(A, {0: 9}).offset_reset(A, partition=0).commit(A, {0: 4}).commit(A, {0: 2})
    r = committed_offsets_backwards(_done(c, {0: 4}).history())
    assert r.count == 1 and (r.examples[0]["offset"], r.examples[0]["earlier_offset"]) == (2, 4)


def test_a_manual_commit_invoked_after_another_members_ok_and_lower_is_counted():
    c = _group().commit(A, {0: 5}).wait(1).commit(B, {0: 3})
    r = committed_offsets_backwards(_done(c, {0: 5}).history())
    assert r.count == 1 and r.notes["across_members"] == 1
    e = r.examples[0]
    assert (e["kind"], e["process"], e["earlier_process"], e["offset"], e["earlier_offset"]) == \
        ("across_members", B, A, 3, 5)


def test_overlapping_commits_of_two_members_are_not_ordered():
    c = _group().commit_invoke(B, {0: 3}).commit(A, {0: 5}).commit_done(B, {0: 3})
    assert committed_offsets_backwards(_done(c, {0: 5}).history()).count == 0


def test_auto_commits_are_not_compared_across_members():
    c = _group().commit(A, {0: 5}, auto=True).commit(B, {0: 3})  # a manual one after an auto one
    c.commit(A, {1: 7}).commit(B, {1: 4}, auto=True)  # an auto one after a manual one
    r = committed_offsets_backwards(_done(c, {0: 5, 1: 7}).history())
    assert r.count == 0 and "auto commits" in r.notes["auto_commits"]


def test_a_member_reset_between_two_members_commits_excuses_the_step_back():
    c = _group().commit(A, {0: 5}).offset_reset(B, partition=0).commit(B, {0: 3})
    r = committed_offsets_backwards(_done(c, {0: 3}).history())
    assert r.count == 0 and r.notes["offset_reset"] == 2


def test_failed_and_unknown_commits_are_not_acknowledged():
    c = _group().commit(A, {0: 5}).commit(A, {0: 3}, outcome="fail").commit(B, {0: 2}, outcome="info")
    c.commit(A, {0: 9}, outcome="info")
    r = committed_offsets_backwards(_done(c, {0: 5}).history())
    assert r.count == 0 and r.notes["per_group"]["t.g"] | {} == {
        "commits_ok": 1, "commits_failed": 1, "commits_unknown": 2, "within_member": 0, "across_members": 0,
        "final_below_acknowledged": 0, "offset_reset": 0}


def test_a_final_committed_offset_below_an_acknowledged_commit_is_a_lost_commit():
    c = _group().commit(A, {0: 5}).commit(B, {1: 2})
    r = committed_offsets_backwards(_done(c, {0: 3, 1: -1}).history())  # partition 1: nothing committed at all
    assert r.count == 2 and r.notes["final_below_acknowledged"] == 2
    e = r.examples[0]
    assert (e["kind"], e["partition"], e["offset"], e["earlier_offset"], e["earlier_process"]) == \
        ("final_below_acknowledged", 0, 3, 5, A)
    assert e["process"] == "harness" and e["time"] > e["earlier_time"]


def test_a_reset_after_the_lost_commit_excuses_the_final_offset():
    c = _group().commit(A, {0: 5}).offset_reset(A, partition=0)
    r = committed_offsets_backwards(_done(c, {0: 1}).history())
    assert r.count == 0 and r.notes["offset_reset"] == 1
    c = _group().offset_reset(A, partition=0).commit(A, {0: 5})  # a reset before it does not
    assert committed_offsets_backwards(_done(c, {0: 1}).history()).count == 1


def test_undecided_without_the_final_committed_offsets():
    for c in (_group().commit(A, {0: 5}), _group().commit(A, {0: 5}).group_offsets(None)):
        r = committed_offsets_backwards(c.history())
        assert r.count == 0 and not r.decided and r.verdict() is Verdict.UNKNOWN
        assert "t.g" in r.notes["final_offsets_unread"] and "cannot be told" in r.notes["reason"]
    r = committed_offsets_backwards(_group().commit(A, {0: 5}).group_offsets({1: 0}).history())
    assert not r.decided and "does not name partition 0" in r.notes["final_offsets_unread"]["t.g"]


def test_a_step_back_is_counted_even_without_the_final_offsets():
    r = committed_offsets_backwards(_group().commit(A, {0: 5}).commit(A, {0: 3}).history())
    assert r.count == 1 and r.decided


def test_a_group_without_acknowledged_commits_needs_no_final_offsets():
    r = committed_offsets_backwards(_group().group_poll(A, [(0, 0, "a")]).history())
    assert r.count == 0 and r.decided


def test_groups_are_told_apart():
    c = with_groups(groups=[{"name": "g"}, {"name": "h"}])
    c.commit(A, {0: 5}).commit("group-h-0", {0: 3}, group="t.h")
    c.group_offsets({0: 5}).group_offsets({0: 3}, group="t.h")
    r = committed_offsets_backwards(c.history())
    assert r.count == 0 and set(r.notes["per_group"]) == {"t.g", "t.h"}


def test_members_commits_are_ordered_by_their_times_not_by_their_place_in_the_history():
    """Each member's reports reach the history through its own relay: B's invoke, stamped before A's ok, may
    be written after it. The two overlap in real time: not ordered."""
    c = _group()
    c.wait(1 - c.t).commit_invoke(A, {0: 5}).wait(1).commit_done(A, {0: 5})  # A: 1 s to 2 s
    c.t = 1.5
    c.commit_invoke(B, {0: 3}).wait(1).commit_done(B, {0: 3})  # B: invoked at 1.5 s, written after A's ok
    assert committed_offsets_backwards(_done(c, {0: 5}).history()).count == 0
    c = _group().commit(A, {0: 5})
    c.t -= 0.5
    c.offset_reset(B, partition=0)  # written after A's commit, stamped before it: not between the two
    c.wait(1).commit(B, {0: 3})
    assert committed_offsets_backwards(_done(c, {0: 5}).history()).count == 1
