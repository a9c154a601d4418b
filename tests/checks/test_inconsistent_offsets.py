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


# -- acknowledged offsets against the log -------------------------------------------------------------------


def _swapped() -> Crafted:
    """Jepsen's case: the broker acknowledges A at 1500 and B at 1501; every read has B at 1500, A at 1501."""
    c = Crafted().send("p0", "A", offset=1500).send("p0", "B", offset=1501)
    c.poll("c1", [(0, 1500, "B"), (0, 1501, "A")])
    return c.final_read([(0, 1500, "B"), (0, 1501, "A")])


def test_acknowledged_offsets_the_log_holds_other_values_at_are_inconsistent():
    from harness.checks.lost_writes import lost_writes

    h = _swapped().history()
    r = inconsistent_offsets(h)
    assert r.count == 2 and r.decided and r.verdict().value == "fail"
    assert (r.notes["acknowledged_vs_log"], r.notes["read_vs_read"]) == (2, 0)
    assert r.notes["acknowledged_offsets_compared"] == 2
    assert [(e["offset"], e["acknowledged"], e["values"]) for e in r.examples] == [
        (1500, {"A": ["p0"]}, {"B": ["c1", "final-leader"]}), (1501, {"B": ["p0"]}, {"A": ["c1", "final-leader"]})]
    assert lost_writes(h).count == 0  # both values are in the log: nothing is lost, the offsets are wrong


def test_acknowledged_offsets_holding_their_values_stay_silent():
    c = Crafted().send("p0", "A", offset=0).send("p0", "B", offset=1).send("p0", "C", outcome="info")
    c.final_read([(0, 0, "A"), (0, 1, "B"), (0, 2, "C")])
    r = inconsistent_offsets(c.history())
    assert (r.count, r.decided) == (0, True)
    assert (r.notes["acknowledged_vs_log"], r.notes["read_vs_read"], r.notes["acknowledged_offsets_compared"]) == \
        (0, 0, 2)


def test_an_offset_both_read_differently_and_acknowledged_differently_counts_once():
    c = Crafted().send("p0", "A", offset=0).send("p0", "B", outcome="info")
    c.poll("c1", [(0, 0, "A")])
    c.final_read([(0, 0, "B")])
    r = inconsistent_offsets(c.history())
    assert r.count == 1 and (r.notes["acknowledged_vs_log"], r.notes["read_vs_read"]) == (0, 1)
    assert r.notes["acknowledged_offset_rewritten_after_loss"] == 1  # A is nowhere in the log: a lost write


def test_an_acknowledged_write_lost_to_an_unclean_election_and_its_offset_reused_is_a_loss_not_counted_here():
    from harness.checks.lost_writes import lost_writes
    from tests.checks.test_causes import unclean_run

    # a (offset 0, 2 s) and b (offset 1) acknowledged; broker 3 elected uncleanly at 4 s; c acknowledged at
    # offset 0 at 5 s: the final log holds c where a was acknowledged, and a nowhere.
    h = unclean_run().history()
    r = inconsistent_offsets(h)
    assert (r.count, r.notes["acknowledged_vs_log"], r.notes["acknowledged_offset_rewritten_after_loss"]) == (0, 0, 1)
    lost = lost_writes(h)
    assert ("t", "a") in lost.found and lost.notes["unclean_election"] == lost.count  # counted and explained there


def _overwritten(acks: str, min_isr: int, lone: bool) -> Crafted:
    """a acknowledged at offset 0 (2 s), the leader replaced cleanly, z acknowledged at offset 0 by the new
    leader (4 s): the final log holds z there. ``lone``: leader 1 alone in the ISR when a was acknowledged."""
    from tests.crafted import changed, created, sent_at, with_run

    c = with_run(acks=acks, min_isr=min_isr)
    sent_at(c, 2.0, "a", 0)
    sent_at(c, 4.0, "z", 0)
    c.final_read([(0, 0, "z")], process="final-reader")
    created(c)
    if lone:
        changed(c, 1.0, isr=[1])
        changed(c, 2.5, isr=[1, 2])
        return changed(c, 3.0, leader=2, isr=[2])
    return changed(c, 1.0, leader=2, isr=[2, 3])  # before a: a was acknowledged by a deposed leader


def test_an_overwritten_acknowledged_offset_is_noted_whatever_the_cause_of_its_loss():
    for acks, min_isr, lone in (("all", 1, True), ("1", 2, False), ("all", 2, False)):
        r = inconsistent_offsets(_overwritten(acks, min_isr, lone).history())
        assert (r.count, r.notes["acknowledged_offset_rewritten_after_loss"]) == (0, 1)


# -- undecided, not guessed -----------------------------------------------------------------------------------


def test_acknowledged_offsets_without_a_final_read_are_undecided_not_skipped():
    r = inconsistent_offsets(Crafted().send("p0", "a", offset=0).history())
    assert (r.count, r.decided, r.skipped) == (0, False, None)
    assert r.notes["acknowledged_offsets_not_compared"] == 1 and r.notes["undecided_partitions"] == ["t-0"]
    assert inconsistent_offsets(Crafted().history()).verdict().value == "skipped"


def test_a_history_cut_off_during_the_final_read_is_undecided_but_two_reads_that_disagree_still_count():
    c = Crafted().send("p0", "a", partition=0, offset=0).send("p0", "b", partition=1, offset=0)
    c.poll("c1", [(1, 0, "b")]).poll("c2", [(1, 0, "y")])  # two polls disagree: proven without a final read
    c.read_start(0).read_start(1)
    r = inconsistent_offsets(c.history())
    assert r.count == 1 and not r.decided and r.verdict().value == "fail"
    assert (r.notes["read_vs_read"], r.notes["acknowledged_vs_log"]) == (1, 0)
    assert r.notes["acknowledged_offsets_not_compared"] == 2 and r.notes["undecided_partitions"] == ["t-0", "t-1"]


def test_an_acknowledged_offset_a_partial_final_read_reached_is_still_compared():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1).send("p0", "c", offset=2)
    c.final_read([(0, 0, "b"), (0, 1, "a")], end_offset=3, complete=False)  # timed out after offset 1
    r = inconsistent_offsets(c.history())
    assert r.count == 2 and r.notes["acknowledged_vs_log"] == 2 and not r.decided
    assert r.notes["acknowledged_offsets_not_compared"] == 1
