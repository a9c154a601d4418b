from harness.checks.unseen import unseen
from tests.crafted import Crafted, clean_run


def test_clean_history_has_nothing_unseen():
    assert unseen(clean_run().history()).verdict().value == "pass"


def test_acknowledged_send_no_poll_saw_is_unseen_even_if_the_final_read_has_it():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.poll("c1", [(0, 0, "a")]).read([(0, 0, "a"), (0, 1, "b")])
    r = unseen(c.history())
    assert r.count == 1 and r.examples[0]["value"] == "b"
    assert r.notes["unseen_but_in_final_read"] == 1


def test_without_consumers_it_is_skipped():
    r = unseen(clean_run(consumers=False).history())
    assert r.verdict().value == "skipped" and r.count == 0


def test_unseen_writes_in_a_partition_the_final_read_did_not_finish_are_undecided_not_counted():
    c = Crafted().send("p0", "a", partition=0, offset=0).send("p0", "b", partition=1, offset=0)
    c.send("p0", "x", partition=0, offset=1)
    c.poll("c1", [(0, 0, "a")])
    c.final_read([(0, 0, "a"), (0, 1, "x")], partition=0)
    c.read_start(1)  # the history ends during partition 1's final read
    r = unseen(c.history())
    assert r.count == 1 and r.examples[0]["value"] == "x"  # partition 0 is still judged
    assert not r.decided and r.notes["unconfirmed_in_unreadable_partitions"] == 1
    assert r.notes["undecided_partitions"] == ["t-1"]


def test_without_any_final_read_unseen_writes_are_undecided():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1).poll("c1", [(0, 0, "a")])
    r = unseen(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, False, "unknown")
    assert r.notes["reason"] == "the history has no final read" and r.notes["undecided_partitions"] == ["t-0"]


def test_consumers_that_saw_every_acknowledged_write_need_no_final_read():
    c = Crafted().send("p0", "a", offset=0).poll("c1", [(0, 0, "a")])
    r = unseen(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, True, "pass")
