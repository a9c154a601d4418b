"""nonmonotonic_poll, int_nonmonotonic_poll, poll_skip and int_poll_skip over crafted histories."""

from harness.checks.order_polls import (
    int_nonmonotonic_poll,
    int_poll_skip,
    nonmonotonic_poll,
    poll_skip,
)
from tests.crafted import Crafted, clean_run

POLL_CHECKS = (nonmonotonic_poll, int_nonmonotonic_poll, poll_skip, int_poll_skip)


def _recs(*offsets, partition=0):
    return [(partition, o, f"v{partition}-{o}") for o in offsets]


def _polled(*polls, log=range(10), process="c1", readers=("leader",)) -> Crafted:
    """One consumer's polls of partition 0 (each a list of offsets), then the final read of ``log`` by
    each of ``readers``."""
    c = Crafted()
    for offsets in polls:
        c.poll(process, _recs(*offsets))
    for reader in readers:
        c.read(_recs(*log), reader=reader, process=f"final-{reader}")
    return c


def _counts(c: Crafted) -> dict[str, int]:
    h = c.history()
    return {check.__name__: check(h).count for check in POLL_CHECKS}


def test_clean_polls_are_silent():
    h = clean_run(20, partitions=3).history()
    for check in POLL_CHECKS:
        r = check(h)
        assert r.count == 0 and r.decided and r.notes["records_polled"] == 40, check.__name__


def test_a_poll_starting_below_the_previous_poll_is_a_nonmonotonic_poll():
    r = nonmonotonic_poll(_polled([0, 1, 2], [1, 2, 3]).history())
    assert r.count == 1 and r.decided
    assert r.examples[0] | {"time": None} == {"process": "c1", "topic": "t", "partition": 0, "offset": 1,
                                              "previous_offset": 2, "time": None}
    assert _counts(_polled([0, 1, 2], [1, 2, 3])) == {"nonmonotonic_poll": 1, "int_nonmonotonic_poll": 0,
                                                     "poll_skip": 0, "int_poll_skip": 0}


def test_a_poll_repeating_the_last_offset_is_a_nonmonotonic_poll():
    assert _counts(_polled([0, 1], [1, 2]))["nonmonotonic_poll"] == 1


def test_a_step_back_within_one_poll_is_an_int_nonmonotonic_poll():
    assert _counts(_polled([0, 1, 2, 1, 3])) == {"nonmonotonic_poll": 0, "int_nonmonotonic_poll": 1,
                                              "poll_skip": 0, "int_poll_skip": 0}
    assert _counts(_polled([0, 1, 1, 2]))["int_nonmonotonic_poll"] == 1  # the same offset twice


def test_a_step_back_then_a_return_is_one_nonmonotonic_poll_and_no_skip():
    assert _counts(_polled([0, 1, 2, 3, 4, 5], [2], [6, 7])) == {
        "nonmonotonic_poll": 1, "int_nonmonotonic_poll": 0, "poll_skip": 0, "int_poll_skip": 0}


def test_a_poll_that_jumps_over_offsets_the_log_holds_is_a_poll_skip():
    r = poll_skip(_polled([0, 1], [4, 5]).history())
    assert r.count == 1 and r.decided and r.notes["skipped_offsets"] == 2
    assert r.examples[0]["skipped"] == 2 and r.examples[0]["highest_before"] == 1
    assert r.found == [("c1", 0, 4)]
    assert int_poll_skip(_polled([0, 1], [4, 5]).history()).count == 0


def test_a_skip_is_counted_once_whatever_the_number_of_final_readers():
    r = poll_skip(_polled([0, 1], [4, 5], readers=("leader", "rack:rack-b", "rack:rack-c")).history())
    assert r.count == 1 and r.notes["skipped_offsets"] == 2 and r.examples[0]["skipped"] == 2


def test_a_skip_is_measured_from_the_highest_offset_read_so_far():
    r = poll_skip(_polled([0, 1, 2, 3], [1], [6]).history())  # back to 1, then on to 6: 4 and 5 skipped
    assert r.count == 1 and r.examples[0]["skipped"] == 2 and r.examples[0]["previous_offset"] == 1
    assert nonmonotonic_poll(_polled([0, 1, 2, 3], [1], [6]).history()).count == 1


def test_a_jump_over_offsets_the_log_does_not_hold_is_not_a_skip():
    c = _polled([0], [5], log=[0, 5])  # 1 to 4: transaction markers, say
    assert _counts(c) == {"nonmonotonic_poll": 0, "int_nonmonotonic_poll": 0, "poll_skip": 0, "int_poll_skip": 0}
    assert poll_skip(c.history()).decided


def test_a_jump_within_one_poll_is_an_int_poll_skip():
    r = int_poll_skip(_polled([0, 3, 4]).history())
    assert r.count == 1 and r.notes["skipped_offsets"] == 2 and r.examples[0]["skipped"] == 2
    assert poll_skip(_polled([0, 3, 4]).history()).count == 0


def test_without_a_final_read_a_jump_is_undecided_never_passed():
    c = Crafted().poll("c1", _recs(0, 1)).poll("c1", _recs(4))
    r = poll_skip(c.history())
    assert r.count == 0 and not r.decided and r.notes["undecided"] == 1 and r.verdict().value == "unknown"
    r = int_poll_skip(Crafted().poll("c1", _recs(0, 4)).history())
    assert r.count == 0 and not r.decided


def test_without_a_final_read_of_that_partition_a_jump_there_is_undecided():
    c = Crafted().poll("c1", _recs(0, partition=1)).poll("c1", _recs(4, partition=1)).read(_recs(*range(5)))
    assert not poll_skip(c.history()).decided


def test_an_incomplete_final_read_decides_the_jumps_it_covers():
    c = Crafted().poll("c1", _recs(0)).poll("c1", _recs(3)).poll("c1", _recs(9))
    c.read(_recs(0, 1, 2, 3, 4), complete=False)  # stopped at 4: 0 -> 3 skipped 1 and 2, 3 -> 9 skipped 4 at least
    r = poll_skip(c.history())
    assert r.count == 2 and r.notes["skipped_offsets"] == 3 and r.decided
    c = Crafted().poll("c1", _recs(0)).poll("c1", _recs(3)).poll("c1", _recs(9))
    c.read(_recs(0, 1, 2, 3), complete=False)  # 3 -> 9: whether 4 to 8 are in the log is unknown
    r = poll_skip(c.history())
    assert r.count == 1 and not r.decided and r.notes["undecided"] == 1


def test_order_is_per_consumer_and_partition():
    c = Crafted()
    c.poll("c1", _recs(0, 1, 2) + _recs(0, 1, partition=1))
    c.poll("c2", _recs(0, 1))  # another consumer starts at 0
    c.poll("c1", _recs(3) + _recs(2, partition=1))
    c.poll("c2", _recs(2, 3))
    c.read(_recs(0, 1, 2, 3)).read(_recs(0, 1, 2, partition=1), partition=1)
    assert _counts(c) == {"nonmonotonic_poll": 0, "int_nonmonotonic_poll": 0, "poll_skip": 0, "int_poll_skip": 0}


def test_partitions_interleaved_in_one_poll_keep_their_own_order():
    c = Crafted().poll("c1", [(0, 0, "a"), (1, 0, "b"), (0, 1, "c"), (1, 1, "d")])
    c.read([(0, 0, "a"), (0, 1, "c")]).read([(1, 0, "b"), (1, 1, "d")], partition=1)
    assert _counts(c) == {"nonmonotonic_poll": 0, "int_nonmonotonic_poll": 0, "poll_skip": 0, "int_poll_skip": 0}


def test_polls_after_an_offset_reset_may_go_back_or_forward():
    c = Crafted().poll("c1", _recs(0, 1, 2, 3, 4, 5)).offset_reset("c1", position=6).poll("c1", _recs(0, 1, 2))
    c.poll("c1", _recs(3)).offset_reset("c1", position=4, to="latest").poll("c1", _recs(8, 9))
    c.read(_recs(*range(10)))
    h = c.history()
    assert _counts(c) == {"nonmonotonic_poll": 0, "int_nonmonotonic_poll": 0, "poll_skip": 0, "int_poll_skip": 0}
    # The steps into and out of the first poll after each reset are let go: 5 -> 0, 2 -> 3, 3 -> 8.
    assert nonmonotonic_poll(h).notes["after_reset"] == 3


def test_the_highest_offset_read_starts_again_after_a_reset():
    c = Crafted().poll("c1", _recs(0, 1, 2, 3, 4, 5)).offset_reset("c1", position=6)
    c.poll("c1", _recs(0)).poll("c1", _recs(1)).poll("c1", _recs(4, 5, 6))  # 2 and 3 skipped after the reset
    c.read(_recs(*range(7)))
    r = poll_skip(c.history())
    assert r.count == 1 and r.examples[0]["skipped"] == 2


def test_a_reset_of_another_partition_or_consumer_excuses_nothing():
    c = Crafted().poll("c1", _recs(0, 1, 2)).offset_reset("c1", partition=1).offset_reset("c2")
    c.poll("c1", _recs(0))
    c.read(_recs(*range(3)))
    assert nonmonotonic_poll(c.history()).count == 1


def test_poll_checks_are_skipped_without_polls():
    h = Crafted().send("p0", "a", offset=0).read([(0, 0, "a")]).history()
    for check in POLL_CHECKS:
        assert check(h).skipped
