from harness.checks import reordering
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
