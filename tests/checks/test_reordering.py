from harness.checks.reordering import reordering
from tests.crafted import Crafted, clean_run


def test_clean_history_keeps_order():
    r = reordering(clean_run(20, partitions=3).history())
    assert r.count == 0 and r.notes["acknowledged"] == 20


def test_later_send_with_lower_offset_is_reordering():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=3).send("p0", "c", offset=6)
    r = reordering(c.history())
    assert r.count == 1
    assert r.examples[0]["value"] == "b" and r.examples[0]["previous_max_offset"] == 5


def test_order_is_per_producer_and_partition():
    c = Crafted().send("p0", "a", offset=5).send("p1", "b", offset=3)  # other producer
    c.send("p0", "c", partition=1, offset=0)  # other partition
    assert reordering(c.history()).count == 0


def test_failed_sends_do_not_count():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", outcome="fail").send("p0", "c", offset=6)
    assert reordering(c.history()).count == 0


def test_poll_going_backwards_is_non_monotonic():
    c = clean_run(4, partitions=1)
    c.poll("c9", [(0, 0, "p0-0"), (0, 2, "p0-2"), (0, 1, "p0-1")])
    r = reordering(c.history())
    assert r.notes["non_monotonic_polls"] == 1 and r.count >= 1


def test_poll_that_jumps_over_existing_offsets_is_a_skip():
    c = clean_run(4, partitions=1)
    c.poll("c9", [(0, 0, "p0-0"), (0, 3, "p0-3")])
    r = reordering(c.history())
    assert r.notes["poll_skips"] == 1
    assert any(e.get("skipped") == 2 for e in r.examples)


def test_a_jump_over_offsets_the_log_does_not_hold_is_not_a_skip():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=5)
    c.poll("c1", [(0, 0, "a"), (0, 5, "b")]).read([(0, 0, "a"), (0, 5, "b")])
    assert reordering(c.history()).count == 0
