"""torn_transactions, lost_transactions and txn_duplicates: what the read_committed final read holds of each
transaction."""

from harness.checks.txn_final import lost_transactions, torn_transactions, txn_duplicates
from tests.crafted import Crafted, changed, created, with_run
from tests.crafted_txn import committed_log, mixed_run, txn

A, B = "txn-0-0-0", "txn-0-0-1"
"""A committed transaction's two values: A in partition 0, B in partition 1."""


def _committed(c: Crafted | None = None, outcome: str = "ok", action: str = "commit") -> Crafted:
    c = c or Crafted()
    return txn(c, 0, 0, [A, B], [0, 1], offsets=[0, 0], action=action, outcome=outcome)


def _final(c: Crafted, p0=(A,), p1=(B,), complete1: bool = True) -> Crafted:
    """The final read: ``p0`` in partition 0, ``p1`` in partition 1 (not to the end unless ``complete1``)."""
    c.final_read([(0, i, v) for i, v in enumerate(p0)], partition=0, end_offset=2)
    return c.final_read([(1, i, v) for i, v in enumerate(p1)], partition=1, end_offset=2, complete=complete1)


def _controller(unclean_at: float | None) -> Crafted:
    """A run with the controller's record of partitions 0 and 1; an unclean election of partition 1 at
    ``unclean_at`` (history time) when given."""
    c = with_run(unclean=True)
    created(c, partition=0)
    created(c, partition=1)
    if unclean_at is not None:
        changed(c, unclean_at - 0.5, partition=1, leader=-1)
        changed(c, unclean_at, partition=1, leader=3, isr=[3], leaderRecoveryState=1)
    return c


# -- torn_transactions ---------------------------------------------------------------------------------------


def test_clean_mixed_run_has_no_torn_transaction():
    r = torn_transactions(mixed_run().history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass" and r.notes["committed_transactions"] == 1


def test_a_committed_transaction_partly_in_the_final_read_is_torn():
    r = torn_transactions(_final(_committed(), p1=()).history())
    assert r.count == 1 and r.verdict().value == "fail"
    e = r.examples[0]
    assert (e["transaction"], e["missing"], e["held"], e["partitions"]) == ("t.txn-0#0", [B], [A], [0, 1])
    assert e["cause"] == "undecided"  # no controller record in this history
    assert r.notes["values_missing_from_torn"] == 1 and r.found == [("t.txn-0#0", "undecided")]


def test_a_tear_after_an_unclean_election_of_the_missing_partition_names_it():
    c = _controller(unclean_at=4.0)
    _committed(c)
    c.wait(6.0)
    r = torn_transactions(_final(c, p1=()).history())
    assert r.count == 1 and r.examples[0]["cause"] == "unclean_election"
    assert "unclean election of t-1" in r.examples[0]["cause_detail"] and r.notes["unclean_election"] == 1


def test_a_tear_with_the_controllers_record_and_no_election_is_unexplained():
    c = _controller(unclean_at=None)
    r = torn_transactions(_final(_committed(c), p1=()).history())
    assert r.count == 1 and r.examples[0]["cause"] == "unexplained" and r.notes["unexplained"] == 1


def test_a_missing_value_in_a_partition_not_read_to_the_end_is_undecided():
    r = torn_transactions(_final(_committed(), p1=(), complete1=False).history())
    assert r.count == 0 and not r.decided and r.verdict().value == "unknown"
    assert r.notes["undecided_transactions"] == 1 and r.notes["undecided_partitions"] == ["t-1"]


def test_a_tear_of_unknown_outcome_is_noted_not_counted():
    r = torn_transactions(_final(_committed(outcome="info"), p1=()).history())
    assert r.count == 0 and r.notes["torn_with_unknown_outcome"] == 1


def test_an_aborted_transaction_is_never_torn():
    r = torn_transactions(_final(_committed(action="abort"), p1=()).history())
    assert r.count == 0 and r.decided


# -- lost_transactions ---------------------------------------------------------------------------------------


def test_clean_mixed_run_has_no_lost_transaction():
    r = lost_transactions(mixed_run().history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass"


def test_a_committed_transaction_absent_from_the_final_read_is_lost():
    c = _controller(unclean_at=None)
    r = lost_transactions(_final(_committed(c), p0=(), p1=()).history())
    assert r.count == 1 and r.verdict().value == "fail"
    e = r.examples[0]
    assert (e["transaction"], e["missing_count"], e["cause"]) == ("t.txn-0#0", 2, "unexplained")
    assert "held" not in e and r.notes["values_of_lost_transactions"] == 2


def test_lost_transactions_name_an_unclean_election_and_show_the_unexplained_first():
    c = _controller(unclean_at=4.0)
    txn(c, 0, 0, ["txn-0-0-0"], [1], offsets=[0])  # in partition 1, before the unclean election
    c.wait(6.0)
    txn(c, 0, 1, ["txn-0-1-0"], [0], offsets=[0])  # in partition 0, which saw no unclean election
    c.final_read([], partition=0, end_offset=2).final_read([], partition=1, end_offset=2)
    r = lost_transactions(c.history())
    assert r.count == 2
    assert [(e["transaction"], e["cause"]) for e in r.examples] == [("t.txn-0#1", "unexplained"),
                                                                    ("t.txn-0#0", "unclean_election")]
    assert (r.notes["unexplained"], r.notes["unclean_election"]) == (1, 1)


def test_an_unclean_election_before_the_transaction_began_does_not_explain_it():
    c = _controller(unclean_at=1.0)
    c.wait(3.0)
    _committed(c)
    r = lost_transactions(_final(c, p0=(), p1=()).history())
    assert r.count == 1 and r.examples[0]["cause"] == "unexplained"


def test_a_lost_transaction_with_a_value_in_a_partition_not_read_to_the_end_is_undecided():
    r = lost_transactions(_final(_committed(), p0=(), p1=(), complete1=False).history())
    assert r.count == 0 and not r.decided and r.notes["undecided_partitions"] == ["t-1"]


def test_aborted_and_unknown_transactions_are_never_lost():
    for outcome, action in (("ok", "abort"), ("fail", "commit"), ("info", "commit")):
        r = lost_transactions(_final(_committed(outcome=outcome, action=action), p0=(), p1=()).history())
        assert r.count == 0 and r.decided


def test_a_torn_transaction_is_not_lost():
    r = lost_transactions(_final(_committed(), p1=()).history())
    assert r.count == 0 and r.decided


# -- txn_duplicates ------------------------------------------------------------------------------------------


def _duplicated(logs: bool, same_sequence: bool = True) -> Crafted:
    """A committed transaction's A written at offsets 0 and 2 of partition 0 (2: a second copy)."""
    c = _committed()
    c.final_read([(0, 0, A), (0, 2, A)], partition=0, end_offset=3)
    c.final_read([(1, 0, B)], partition=1, end_offset=2)
    if logs:
        c.replica_log(1, 0, [(0, A, 0, 7, 0, 0), (2, A, 0, 7, 0, 0 if same_sequence else 1)])
    return c


def test_clean_mixed_run_has_no_transactional_duplicate():
    r = txn_duplicates(mixed_run().history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass" and r.notes["transactional_values_read"] == 2


def test_a_transactional_value_at_two_offsets_is_a_duplicate():
    r = txn_duplicates(_duplicated(logs=False).history())
    assert r.count == 1 and r.verdict().value == "fail" and r.decided
    e = r.examples[0]
    assert (e["value"], e["at"], e["cause"], e["transaction"]) == (A, [[0, 0], [0, 2]], "undecided", "t.txn-0#0")
    assert r.notes["causes"] == {"undecided": 1} and "replica logs" in r.notes["causes_undecided_because"]


def test_the_batch_headers_tell_the_cause():
    r = txn_duplicates(_duplicated(logs=True).history())
    assert r.count == 1 and r.examples[0]["cause"] == "broker_dedup_failed" and r.found == [("t", A,
                                                                                                "broker_dedup_failed")]
    r = txn_duplicates(_duplicated(logs=True, same_sequence=False).history())
    assert r.count == 1 and r.examples[0]["cause"] == "unexplained"


def test_readers_holding_the_same_offset_are_not_duplicates():
    c = mixed_run()
    c.final_read(committed_log(0), partition=0, end_offset=7, process="final-rack-b", reader="rack:rack-b")
    assert txn_duplicates(c.history()).count == 0


def test_a_partition_of_transactions_not_read_to_the_end_leaves_it_undecided():
    r = txn_duplicates(_final(_committed(), complete1=False).history())
    assert r.count == 0 and not r.decided and r.notes["undecided_partitions"] == ["t-1"]
