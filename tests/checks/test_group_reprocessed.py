"""group_reprocessed over crafted histories of a consumer group."""

from harness.checks import DEFAULT_MUST_BE_ZERO
from harness.checks.group_reprocessed import group_reprocessed
from harness.checks.result import Verdict
from tests.crafted import GroupCrafted, clean_group_run, clean_run, with_groups

A, B = "group-g-0", "group-g-1"


def _recs(*offsets, partition=0):
    return [(partition, o, f"v{partition}-{o}") for o in offsets]


def _group() -> GroupCrafted:
    c = with_groups()
    for o in range(6):
        c.send("producer-0-0", f"v0-{o}", offset=o)
    return c.member(0, "started").member(1, "started").assignment(A, [0]).assignment(B, [1])


def test_a_clean_group_passes():
    r = group_reprocessed(clean_group_run().history())
    assert r.count == 0 and r.decided and r.verdict(must_be_zero=False) is Verdict.PASS
    assert r.notes["per_group"]["t.g"]["records_polled"] == 6
    assert "group_reprocessed" not in DEFAULT_MUST_BE_ZERO


def test_skipped_without_a_consumer_group():
    assert group_reprocessed(clean_run().history()).skipped


def test_records_polled_again_after_a_rebalance_are_reprocessed():
    c = _group().group_poll(A, _recs(0, 1, 2, 3)).assignment(A, [0], event="revoked")
    c.assignment(B, [0, 1]).group_poll(B, _recs(2, 3, 4))
    r = group_reprocessed(c.history())
    assert r.count == 2 and r.notes["rebalance"] == 2 and r.notes["unexplained"] == 0
    assert r.verdict(must_be_zero=False) is Verdict.FINDING and r.verdict() is Verdict.FAIL
    e = r.examples[0]
    assert (e["group"], e["partition"], e["offset"], e["value"], e["process"], e["previous_process"], e["cause"]) == \
        ("t.g", 0, 2, "v0-2", B, A, "rebalance")
    assert e["time"] > e["previous_time"]
    assert r.found == [("t.g", 0, 2, "v0-2", "rebalance"), ("t.g", 0, 3, "v0-3", "rebalance")]


def test_a_member_killed_paused_or_exited_in_between_is_a_rebalance():
    for event in ("killed", "paused", "exited"):
        c = _group().group_poll(A, _recs(0, 1)).member(0, event).group_poll(A, _recs(1))
        r = group_reprocessed(c.history())
        assert r.count == 1 and r.examples[0]["cause"] == "rebalance", event


def test_a_reset_of_the_partition_in_between_is_an_offset_reset():
    c = _group().group_poll(A, _recs(0, 1, 2)).offset_reset(A, partition=0, position=0).group_poll(A, _recs(0, 1))
    r = group_reprocessed(c.history())
    assert r.count == 2 and r.notes["offset_reset"] == 2 and {e["cause"] for e in r.examples} == {"offset_reset"}


def test_a_rebalance_wins_over_a_reset():
    c = _group().group_poll(A, _recs(0)).offset_reset(A, partition=0).assignment(A, [0]).group_poll(A, _recs(0))
    assert group_reprocessed(c.history()).examples[0]["cause"] == "rebalance"


def test_nothing_in_between_is_unexplained():
    c = _group().group_poll(A, _recs(0, 1, 2)).group_poll(A, _recs(2))
    r = group_reprocessed(c.history())
    assert r.count == 1 and r.notes["unexplained"] == 1 and r.examples[0]["cause"] == "unexplained"


def test_events_of_another_partition_or_member_events_without_a_stop_explain_nothing():
    c = _group().group_poll(A, _recs(0, 1)).assignment(B, [1], event="revoked").offset_reset(A, partition=1)
    c.member(1, "resumed").member(1, "started").group_poll(A, _recs(1))
    assert group_reprocessed(c.history()).examples[0]["cause"] == "unexplained"


def test_events_before_the_first_delivery_explain_nothing():
    c = _group().assignment(A, [0]).group_poll(A, _recs(0, 1)).group_poll(A, _recs(1))
    assert group_reprocessed(c.history()).examples[0]["cause"] == "unexplained"


def test_a_value_written_twice_at_two_offsets_and_consumed_once_each_is_not_reprocessing():
    c = _group().group_poll(A, [(0, 0, "x"), (0, 1, "x")])
    assert group_reprocessed(c.history()).count == 0


def test_a_record_delivered_three_times_counts_two_extra_deliveries():
    c = _group().group_poll(A, _recs(0)).assignment(A, [0]).group_poll(A, _recs(0)).group_poll(A, _recs(0))
    r = group_reprocessed(c.history())
    assert r.count == 2 and r.notes["rebalance"] == 1 and r.notes["unexplained"] == 1
    assert r.examples[0]["cause"] == "unexplained"  # the causes that need attention first


def test_other_readers_polling_the_same_records_are_not_the_groups():
    c = _group().group_poll(A, _recs(0, 1)).poll("c-leader", _recs(0, 1))
    assert group_reprocessed(c.history()).count == 0


def test_counts_per_group():
    c = with_groups(groups=[{"name": "g"}, {"name": "h"}])
    c.send("producer-0-0", "v0-0", offset=0)
    c.group_poll(A, _recs(0)).group_poll(A, _recs(0)).group_poll("group-h-0", _recs(0), group="t.h")
    r = group_reprocessed(c.history())
    assert r.count == 1
    assert r.notes["per_group"]["t.g"]["extra_deliveries"] == 1 and r.notes["per_group"]["t.h"]["extra_deliveries"] == 0


def test_events_are_placed_between_deliveries_by_their_times():
    """A kill written to the history after the second delivery, but stamped between the two, explains it; a
    rebalance written between them but stamped before the first does not."""
    c = _group().group_poll(A, _recs(0)).wait(1).group_poll(B, _recs(0))
    c.t -= 0.5
    c.member(0, "killed")
    assert group_reprocessed(c.history()).examples[0]["cause"] == "rebalance"
    c = _group().wait(1).group_poll(A, _recs(0))
    c.t -= 0.5
    c.assignment(B, [0])
    c.wait(1).group_poll(B, _recs(0))
    assert group_reprocessed(c.history()).examples[0]["cause"] == "unexplained"


def test_a_member_that_had_lost_the_partition_without_knowing_is_a_zombie():
    """Seen on a real run: a member paused past its session timeout wakes, hands out records it had fetched
    of a partition already given to another member (who processed them), then learns the partition was lost."""
    c = _group().group_poll(A, _recs(0, 1)).assignment(B, [0]).group_poll(B, _recs(2, 3))
    c.group_poll(A, _recs(2, 3)).assignment(A, [0], event="lost")
    r = group_reprocessed(c.history())
    assert r.count == 2 and r.notes["zombie"] == 2 and r.notes["unexplained"] == 0
    assert {e["cause"] for e in r.examples} == {"zombie"} and {e["process"] for e in r.examples} == {A}
    # Its next callback for the partition being an assignment, not a loss, makes it no zombie.
    c = _group().group_poll(A, _recs(0, 1)).assignment(B, [0]).group_poll(B, _recs(2, 3))
    c.group_poll(A, _recs(2, 3)).assignment(A, [0], event="revoked")
    assert group_reprocessed(c.history()).notes["zombie"] == 0
