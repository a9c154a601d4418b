from harness.checks.duplicates import duplicates
from tests.crafted import Crafted, clean_run


def test_clean_history_has_no_duplicates():
    r = duplicates(clean_run().history())
    assert r.count == 0 and r.verdict().value == "pass"


def test_value_at_two_offsets_is_a_duplicate():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.read([(0, 0, "a"), (0, 1, "b"), (0, 2, "a")])
    r = duplicates(c.history())
    assert r.count == 1
    assert r.examples == [{"value": "a", "topic": "t", "at": [[0, 0], [0, 2]]}]


def test_reading_the_same_offset_twice_is_not_a_duplicate():
    c = Crafted().send("p0", "a", offset=0)
    c.read([(0, 0, "a")], f="poll", process="c1").read([(0, 0, "a")], f="poll", process="c2").read([(0, 0, "a")])
    assert duplicates(c.history()).count == 0


def test_duplicate_seen_only_by_a_poll_is_caught():
    c = Crafted().send("p0", "a", offset=0)
    c.read([(0, 0, "a"), (0, 1, "a")], f="poll", process="c1").read([(0, 0, "a")])
    assert duplicates(c.history()).count == 1
