from harness.checks.phantoms import phantom_values
from tests.crafted import Crafted, clean_run


def test_clean_history_has_no_phantoms():
    r = phantom_values(clean_run().history())
    assert (r.count, r.decided, r.verdict().value) == (0, True, "pass")
    assert r.notes["phantom_records"] == 0


def test_a_value_no_producer_sent_is_a_phantom_counted_once_per_value():
    c = Crafted().send("p0", "a", offset=0)
    c.poll("c1", [(0, 0, "a"), (0, 1, "ghost")]).poll("c2", [(0, 1, "ghost")])
    c.read([(0, 0, "a"), (0, 1, "ghost"), (0, 2, "other")])
    r = phantom_values(c.history())
    assert r.count == 2 and r.verdict().value == "fail"
    assert (r.notes["phantom_records"], r.notes["in_polls"], r.notes["in_final_read"]) == (4, 1, 2)
    assert sorted(r.found) == [("t", "ghost"), ("t", "other")]
    assert r.examples[0] == {"value": "ghost", "topic": "t", "partition": 0, "offset": 1, "f": "poll",
                             "process": "c1", "reader": "leader"}


def test_failed_and_indeterminate_sends_that_landed_are_not_phantoms():
    c = Crafted().send("p0", "a", outcome="fail").send("p0", "b", outcome="info").send("p0", "c", outcome=None)
    c.read([(0, 0, "a"), (0, 1, "b"), (0, 2, "c")])
    assert phantom_values(c.history()).count == 0


def test_a_value_sent_to_another_topic_is_a_phantom_in_this_one():
    c = Crafted(topic="u").send("p0", "a", offset=0)
    c.topic = "t"
    c.read([(0, 0, "a")])
    r = phantom_values(c.history())
    assert r.count == 1 and r.found == [("t", "a")]


def test_a_history_cut_off_during_the_workload_is_undecided():
    # The producer's invocations are written in batches: one cut off before its batch holds polls of
    # values it never shows being sent.
    c = Crafted().poll("c1", [(0, 0, "p0-0")])
    r = phantom_values(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, False, "unknown")
    assert r.notes["phantom_candidates"] == 1
    assert phantom_values(c.phase("heal").history()).count == 1  # past the workload: a real phantom


def test_nothing_read_is_skipped():
    assert phantom_values(Crafted().send("p0", "a", offset=0).history()).verdict().value == "skipped"
