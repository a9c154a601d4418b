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
