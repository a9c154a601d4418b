"""The poll order checks over a consumer group's members: a member given a partition (an ``assigned``
rebalance callback) resumes from the group's committed offset, so its steps around it are let go."""

from harness.checks.order_polls import int_nonmonotonic_poll, int_poll_skip, nonmonotonic_poll, poll_skip
from tests.crafted import GroupCrafted, with_groups

POLL_CHECKS = (nonmonotonic_poll, int_nonmonotonic_poll, poll_skip, int_poll_skip)
A, B = "group-g-0", "group-g-1"


def _recs(*offsets, partition=0):
    return [(partition, o, f"v{partition}-{o}") for o in offsets]


def _counts(c: GroupCrafted) -> dict[str, int]:
    c.read(_recs(*range(10)))
    h = c.history()
    return {check.__name__: check(h).count for check in POLL_CHECKS}


ZERO = {"nonmonotonic_poll": 0, "int_nonmonotonic_poll": 0, "poll_skip": 0, "int_poll_skip": 0}


def test_a_member_given_a_partition_back_may_resume_below_what_it_had_read():
    c = with_groups().assignment(A, [0]).group_poll(A, _recs(0, 1, 2, 3, 4))
    c.assignment(A, [0], event="revoked").assignment(A, [0]).group_poll(A, _recs(2, 3)).group_poll(A, _recs(4, 5))
    assert _counts(c) == ZERO
    r = nonmonotonic_poll(c.history())
    assert r.notes["after_rebalance"] == 2 and r.notes["after_reset"] == 0  # 4 -> 2, and 3 -> 4 after it


def test_a_member_given_a_partition_back_may_resume_past_what_it_had_read():
    c = with_groups().assignment(A, [0]).group_poll(A, _recs(0, 1)).assignment(A, [0]).group_poll(A, _recs(6, 7))
    c.group_poll(A, _recs(8))
    assert _counts(c) == ZERO


def test_the_highest_offset_read_starts_again_after_an_assignment():
    c = with_groups().group_poll(A, _recs(0, 1, 2, 3, 4, 5)).assignment(A, [0])
    c.group_poll(A, _recs(0)).group_poll(A, _recs(1)).group_poll(A, _recs(4, 5))  # 2 and 3 skipped after it
    assert _counts(c) == ZERO | {"poll_skip": 1}


def test_without_an_assignment_a_members_step_back_is_counted():
    c = with_groups().group_poll(A, _recs(0, 1, 2)).group_poll(A, _recs(1, 2))
    assert _counts(c) == ZERO | {"nonmonotonic_poll": 1}
    assert nonmonotonic_poll(c.history()).notes["after_rebalance"] == 0


def test_an_assignment_to_another_member_or_of_another_partition_excuses_nothing():
    c = with_groups().group_poll(A, _recs(0, 1, 2)).assignment(B, [0]).assignment(A, [1])
    c.assignment(A, [0], event="revoked").group_poll(A, _recs(1))
    assert _counts(c) == ZERO | {"nonmonotonic_poll": 1}


def test_a_step_within_one_poll_is_never_let_go():
    c = with_groups().group_poll(A, _recs(0, 1)).assignment(A, [0]).group_poll(A, _recs(5, 4))
    assert _counts(c) == ZERO | {"int_nonmonotonic_poll": 1}


def test_other_readers_are_judged_as_before():
    """An assignment recorded under a plain consumer's process excuses none of its steps, and its notes have
    no ``after_rebalance``."""
    c = with_groups().poll("c-leader", _recs(0, 1, 2)).assignment("c-leader", [0]).poll("c-leader", _recs(1))
    assert _counts(c) == ZERO | {"nonmonotonic_poll": 1}
    assert "after_rebalance" not in nonmonotonic_poll(c.history()).notes


def test_a_reset_and_an_assignment_together_are_told_as_the_reset():
    c = with_groups().group_poll(A, _recs(0, 1, 2)).offset_reset(A).assignment(A, [0]).group_poll(A, _recs(0))
    assert _counts(c) == ZERO
    notes = nonmonotonic_poll(c.history()).notes
    assert notes["after_reset"] == 1 and notes["after_rebalance"] == 0
