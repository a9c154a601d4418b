from harness.checks.causes import NO_DATA_REASON
from harness.checks.inconsistent_offsets import inconsistent_offsets
from tests.crafted import Crafted, clean_run


def test_clean_history_is_consistent():
    assert inconsistent_offsets(clean_run().history()).count == 0


def test_an_offset_read_with_two_values_is_caught_with_who_saw_what():
    c = Crafted().send("p0", "a", offset=0).send("p0", "x", outcome="info").send("p0", "b", offset=1)
    c.poll("c1", [(0, 0, "a"), (0, 1, "x")])  # saw the old leader's suffix
    c.read([(0, 0, "a"), (0, 1, "b")])  # the new leader wrote b there
    r = inconsistent_offsets(c.history())
    assert r.count == 1
    assert r.examples == [{"topic": "t", "partition": 0, "offset": 1,
                           "values": {"b": ["final-reader"], "x": ["c1"]}, "cause": "undecided",
                           "cause_detail": NO_DATA_REASON}]


def test_same_value_read_twice_at_the_same_offset_is_fine():
    c = Crafted().send("p0", "a", offset=0).poll("c1", [(0, 0, "a")]).poll("c2", [(0, 0, "a")])
    assert inconsistent_offsets(c.read([(0, 0, "a")]).history()).count == 0


def test_divergent_offsets_carry_their_cause_and_unclean_ones_are_shown_as_its_consequence():
    from tests.checks.test_causes import diverged

    r = inconsistent_offsets(diverged().history())  # x polled, then an unclean election, then y at offset 1
    assert r.count == 1  # counted whatever the cause
    assert r.examples[0]["cause"] == "unclean_election"
    assert r.notes["unclean_election"] == 1 and r.notes["unexplained"] == 0 and r.notes["undecided"] == 0
    assert "consequence of that election" in r.notes["consequence_of_unclean_election"]


def test_without_metadata_the_cause_is_undecided_and_there_is_no_consequence_line():
    r = inconsistent_offsets(Crafted().send("p0", "a", offset=0).poll("c1", [(0, 0, "x")]).read([(0, 0, "a")])
                             .history())
    assert r.count == 1 and r.notes["undecided"] == 1 and "consequence_of_unclean_election" not in r.notes
