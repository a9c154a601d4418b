"""nonmonotonic_send and realtime_order over crafted histories."""

from harness.checks.order_sends import nonmonotonic_send, realtime_order
from tests.crafted import Crafted, clean_run


def _with_log(c: Crafted, *rows) -> Crafted:
    """The final read of partition 0 holding ``rows`` of (offset, value)."""
    return c.read([(0, o, v) for o, v in rows])


# -- nonmonotonic_send -------------------------------------------------------------------------------------

def test_clean_run_has_no_nonmonotonic_send():
    r = nonmonotonic_send(clean_run(20, partitions=3).history())
    assert r.count == 0 and r.decided and r.notes["acknowledged"] == 20


def test_a_later_send_with_a_lower_offset_is_a_nonmonotonic_send():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=3).send("p0", "c", offset=6)
    r = nonmonotonic_send(_with_log(c, (3, "b"), (4, "x"), (5, "a"), (6, "c")).history())
    assert r.count == 1 and r.decided
    assert r.examples == [{"value": "b", "process": "p0", "topic": "t", "partition": 0, "offset": 3,
                           "invoke_time": r.examples[0]["invoke_time"], "earlier_value": "a", "earlier_offset": 5,
                           "earlier_invoke_time": r.examples[0]["earlier_invoke_time"]}]
    assert r.examples[0]["earlier_invoke_time"] < r.examples[0]["invoke_time"]
    assert r.found == [("t", "b")]


def test_every_send_below_an_earlier_one_counts_once():
    c = Crafted()
    for v, o in [("a", 9), ("b", 1), ("c", 2), ("d", 10), ("e", 3)]:
        c.send("p0", v, offset=o)
    r = nonmonotonic_send(_with_log(c, (1, "b"), (2, "c"), (3, "e"), (9, "a"), (10, "d")).history())
    assert r.count == 3 and sorted(v for _, v in r.found) == ["b", "c", "e"]


def test_order_is_per_producer_and_partition():
    c = Crafted().send("p0", "a", offset=5).send("p1", "b", offset=3)  # another producer
    c.send("p0", "c", partition=1, offset=0)  # another partition
    c.read([(0, 3, "b"), (0, 5, "a")]).read([(1, 0, "c")], partition=1)
    assert nonmonotonic_send(c.history()).count == 0


def test_failed_and_unanswered_sends_do_not_count():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", outcome="fail").send("p0", "x", outcome=None)
    c.send("p0", "c", offset=6)
    assert nonmonotonic_send(_with_log(c, (5, "a"), (6, "c")).history()).count == 0


def test_a_lower_offset_after_a_truncated_send_is_explained_by_truncation():
    # acks=1: the old leader acknowledged a and b at 2 and 3, then lost them; the new leader gave 2 and 3
    # out again, to c and d.
    c = Crafted().send("p0", "w", offset=0).send("p0", "x", offset=1)
    c.send("p0", "a", offset=2).send("p0", "b", offset=3).send("p0", "c", offset=2).send("p0", "d", offset=3)
    r = nonmonotonic_send(_with_log(c, (0, "w"), (1, "x"), (2, "c"), (3, "d")).history())
    assert r.count == 0 and r.decided
    assert r.notes["explained_by_truncation"] == 1  # c (2, below b's 3); d (3) is not below anything


def test_a_truncated_send_does_not_hide_a_held_one_above():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=7).send("p0", "c", offset=4)
    r = nonmonotonic_send(_with_log(c, (4, "c"), (5, "a"), (6, "y")).history())  # b truncated, a held
    assert r.count == 1 and r.examples[0]["earlier_value"] == "a" and r.notes["explained_by_truncation"] == 0


def test_a_lower_offset_that_was_itself_truncated_is_explained_by_truncation():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=3)
    r = nonmonotonic_send(_with_log(c, (3, "z"), (5, "a")).history())  # b's offset holds another value
    assert r.count == 0 and r.notes["explained_by_truncation"] == 1 and r.decided


def test_without_a_final_read_reordered_sends_are_undecided():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=3)
    r = nonmonotonic_send(c.history())
    assert r.count == 0 and not r.decided and r.notes["undecided"] == 1 and "reason" in r.notes
    assert r.verdict().value == "unknown"


def test_without_a_final_read_sends_in_order_still_pass():
    c = Crafted().send("p0", "a", offset=3).send("p0", "b", offset=5)
    r = nonmonotonic_send(c.history())
    assert r.count == 0 and r.decided and r.notes["undecided"] == 0


def test_an_incomplete_final_read_decides_what_it_reached():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=3)
    reached = nonmonotonic_send(c.read([(0, 3, "b"), (0, 4, "x"), (0, 5, "a")], complete=False).history())
    assert reached.count == 1 and reached.decided
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=3)
    short = nonmonotonic_send(c.read([(0, 3, "b")], complete=False).history())  # a's offset not reached
    assert short.count == 0 and not short.decided and short.notes["undecided"] == 1


def test_sends_invoked_at_the_same_instant_are_not_ordered():
    c = Crafted().invoke("p0", "a")
    c.t -= 0.001  # b invoked at the very time a was
    c.invoke("p0", "b").ack("p0", "a", offset=5).ack("p0", "b", offset=3)
    assert nonmonotonic_send(_with_log(c, (3, "b"), (5, "a")).history()).count == 0


def test_acknowledgements_without_an_offset_are_not_judged():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=-1)  # acks=0 reports no offset
    r = nonmonotonic_send(_with_log(c, (5, "a")).history())
    assert r.count == 0 and r.notes["acknowledged_without_offset"] == 1


# -- realtime_order ----------------------------------------------------------------------------------------

def test_clean_run_has_no_realtime_order_violation():
    r = realtime_order(clean_run(20, partitions=3).history())
    assert r.count == 0 and r.decided and r.notes["acknowledged"] == 20


def test_a_send_invoked_after_another_was_acknowledged_must_land_above_it_whoever_sent_it():
    c = Crafted().send("p0", "a", offset=5).send("p1", "b", offset=3).send("p2", "c", offset=6)
    h = _with_log(c, (3, "b"), (4, "x"), (5, "a"), (6, "c")).history()
    r = realtime_order(h)
    assert r.count == 1 and r.decided and r.found == [("t", "b")]
    e = r.examples[0]
    assert (e["value"], e["process"], e["offset"]) == ("b", "p1", 3)
    assert (e["earlier_value"], e["earlier_process"], e["earlier_offset"]) == ("a", "p0", 5)
    assert e["earlier_complete_time"] < e["invoke_time"]
    assert nonmonotonic_send(h).count == 0  # not one producer's order


def test_sends_in_flight_together_may_land_in_any_order():
    c = Crafted().invoke("p0", "a").invoke("p1", "b").ack("p1", "b", offset=5).ack("p0", "a", offset=3)
    assert realtime_order(_with_log(c, (3, "a"), (5, "b")).history()).count == 0


def test_realtime_order_is_per_partition():
    c = Crafted().send("p0", "a", offset=5).send("p1", "b", partition=1, offset=0)
    c.read([(0, 5, "a")]).read([(1, 0, "b")], partition=1)
    assert realtime_order(c.history()).count == 0


def test_realtime_order_counts_each_late_send_once():
    c = Crafted().send("p0", "a", offset=8).send("p1", "b", offset=9)
    c.send("p2", "c", offset=2).send("p1", "d", offset=3).send("p0", "e", offset=10)
    r = realtime_order(_with_log(c, (2, "c"), (3, "d"), (8, "a"), (9, "b"), (10, "e")).history())
    assert r.count == 2 and sorted(v for _, v in r.found) == ["c", "d"]
    assert r.examples[0]["earlier_value"] == "b"  # the highest offset acknowledged before c was invoked


def test_realtime_order_after_a_truncated_send_is_explained_by_truncation():
    c = Crafted().send("p0", "a", offset=5).send("p1", "b", offset=3)
    r = realtime_order(_with_log(c, (3, "b"), (4, "y")).history())  # a was truncated by a leader change
    assert r.count == 0 and r.decided and r.notes["explained_by_truncation"] == 1


def test_realtime_order_without_a_final_read_is_undecided():
    c = Crafted().send("p0", "a", offset=5).send("p1", "b", offset=3)
    r = realtime_order(c.history())
    assert r.count == 0 and not r.decided and r.notes["undecided"] == 1


def test_no_sends_at_all():
    h = Crafted().read([]).history()
    assert nonmonotonic_send(h).count == realtime_order(h).count == 0
