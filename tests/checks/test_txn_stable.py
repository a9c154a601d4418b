"""stuck_lso: the LSO after the heal."""

from harness.checks.stable_offsets import stuck_lso
from tests.crafted import Crafted, changed, created, with_run
from tests.crafted_txn import begin, mixed_run, stable, txn


def _run(c: Crafted | None = None) -> Crafted:
    """A committed transaction and one whose commit timed out, both writing to partition 0."""
    c = c or Crafted()
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[0])
    return txn(c, 0, 1, ["txn-0-1-0"], offsets=[2], outcome="info")


def test_clean_mixed_run_has_no_stuck_lso():
    r = stuck_lso(mixed_run().history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass" and r.notes["partitions_read"] == 2


def test_an_lso_left_below_the_high_watermark_is_stuck():
    c = _run()
    r = stuck_lso(stable(c, [(0, 2, 4), (1, 5, 5)], waited_s=30.0).history())
    assert r.count == 1 and r.verdict().value == "fail" and r.decided
    e = r.examples[0]
    assert (e["partition"], e["lso"], e["high_watermark"], e["behind"], e["waited_s"]) == (0, 2, 4, 2, 30.0)
    assert e["open_transactions"] == ["t.txn-0#1"]  # the one of unknown outcome: the likeliest left open
    assert e["cause"] == "undecided"  # no controller record in this history
    assert r.found == [("t", 0, "undecided")]


def test_an_unclean_election_of_the_partition_is_named():
    c = with_run(unclean=True)
    created(c, partition=0)
    _run(c)
    changed(c, 2.0, partition=0, leader=-1)
    changed(c, 3.0, partition=0, leader=3, isr=[3], leaderRecoveryState=1)
    r = stuck_lso(stable(c, [(0, 2, 4)]).history())
    assert r.count == 1 and r.examples[0]["cause"] == "unclean_election" and r.notes["unclean_election"] == 1


def test_with_the_controllers_record_and_no_election_it_is_unexplained():
    c = with_run()
    created(c, partition=0)
    r = stuck_lso(stable(_run(c), [(0, 2, 4)]).history())
    assert r.count == 1 and r.examples[0]["cause"] == "unexplained"


def test_the_last_stable_op_is_the_runners_final_word():
    c = _run()
    stable(c, [(0, 2, 4)])
    r = stuck_lso(stable(c, [(0, 4, 4)]).history())
    assert r.count == 0 and r.decided


def test_without_a_stable_op_it_is_undecided():
    r = stuck_lso(_run().history())
    assert r.count == 0 and not r.decided and r.verdict().value == "unknown" and "no stable op" in r.notes["reason"]


def test_an_unknown_lso_is_undecided():
    r = stuck_lso(stable(_run(), [(0, -1, 4)]).history())
    assert r.count == 0 and not r.decided and r.notes["unknown_partitions"] == ["t-0"]


def test_a_run_without_transactions_is_skipped_even_with_a_stable_op():
    c = Crafted()
    c.send("p0", "a", offset=0)
    r = stuck_lso(stable(c, [(0, 1, 1)]).history())
    assert r.verdict().value == "skipped"


def test_a_transaction_still_open_at_the_end_is_listed():
    c = _run()
    begin(c, 1, 0, ["txn-1-0-0"], [0])
    r = stuck_lso(stable(c, [(0, 2, 4)]).history())
    assert r.examples[0]["open_transactions"] == ["t.txn-0#1", "t.txn-1#0"]


def test_offsets_that_could_not_be_read_are_undecided():
    from harness.history.ops import OpType
    from harness.history.schema import StableOffsets

    c = _run()
    c.record("harness", OpType.INFO, StableOffsets(topic="t", partitions=[], waited_s=60.0),
             "the offsets could not be read within 60 s (KafkaException: ...)")
    r = stuck_lso(c.history())
    assert r.count == 0 and not r.decided and "could not be read" in r.notes["unread"]["t"]


# -- what a stuck LSO hides from the read_committed final read --------------------------------------------------


def _stuck_at_2() -> Crafted:
    """Partition 0: a (plain, offset 0), a committed transaction (1), a transaction whose commit timed out
    (2, left open: the LSO stays at 2), then b (plain, 3) and a later committed transaction (4). The
    read_committed final read reads up to the LSO: it holds a and the first transaction only."""
    c = Crafted()
    c.send("p0", "a", offset=0)
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[1])
    txn(c, 0, 1, ["txn-0-1-0"], offsets=[2], outcome="info")
    c.send("p0", "b", offset=3)
    txn(c, 0, 2, ["txn-0-2-0"], offsets=[4])
    stable(c, [(0, 2, 6)], waited_s=75.0)
    return c.final_read([(0, 0, "a"), (0, 1, "txn-0-0-0")], end_offset=2)


def test_writes_past_a_stuck_lso_are_unconfirmed_not_lost():
    from harness.checks.lost_writes import lost_writes
    from harness.checks.txn_final import lost_transactions
    from harness.checks.unseen import unseen

    h = _stuck_at_2().history()
    assert stuck_lso(h).count == 1
    r = lost_writes(h)
    assert r.count == 0 and not r.decided and r.notes["unconfirmed_behind_stuck_lso"] == 1  # b
    assert "stuck_lso" in r.notes["reason"]
    r = lost_transactions(h)
    assert r.count == 0 and not r.decided and r.notes["undecided_transactions"] == 1  # txn-0#2
    assert "stuck_lso" in r.notes["reason"] and r.notes["undecided_partitions"] == ["t-0"]
    r = unseen(_stuck_at_2().poll("c1", [(0, 0, "a"), (0, 1, "txn-0-0-0")]).history())
    assert r.count == 0 and r.notes["unconfirmed_behind_stuck_lso"] == 1  # b: no read_committed poll got there


def test_below_a_stuck_lso_a_missing_write_is_still_lost():
    from harness.checks.lost_writes import lost_writes
    from harness.checks.txn_final import lost_transactions

    c = Crafted()
    c.send("p0", "a", offset=0)
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[1])
    txn(c, 0, 1, ["txn-0-1-0"], offsets=[2], outcome="info")
    stable(c, [(0, 2, 4)])
    h = c.final_read([], end_offset=2).history()  # neither a (0) nor the committed transaction (1) held
    assert lost_writes(h).count == 1 and lost_transactions(h).count == 1


def test_without_a_stuck_lso_nothing_is_set_apart():
    from harness.checks.stable_offsets import beyond_stuck_lso

    h = mixed_run().history()
    assert not beyond_stuck_lso(h, h.sends()).any()
