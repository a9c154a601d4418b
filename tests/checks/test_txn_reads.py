"""aborted_reads (G1a) and open_txn_reads (precommitted reads) on crafted histories."""

from harness.checks.txn_reads import aborted_reads, open_txn_reads
from tests.crafted import Crafted
from tests.crafted_txn import begin, committed_log, end, group_poll, mixed_run, poll, txn

# -- aborted_reads ---------------------------------------------------------------------------------------------


def test_clean_mixed_run_has_no_aborted_read():
    r = aborted_reads(mixed_run().history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass"
    assert r.notes["not_committed_transactions"] == 1
    assert r.notes["read_uncommitted_records_of_aborted_transactions"] == 2  # allowed, noted only


def test_a_read_committed_poll_of_an_aborted_value_is_caught():
    c = mixed_run()
    poll(c, "c-late", [(0, 4, "txn-0-1-0")])
    r = aborted_reads(c.history())
    assert r.count == 1 and r.verdict().value == "fail"
    e = r.examples[0]
    assert (e["value"], e["partition"], e["offset"], e["process"], e["f"]) == ("txn-0-1-0", 0, 4, "c-late", "poll")
    assert (e["transaction"], e["action"], e["outcome"], e["status"]) == ("t.txn-0#1", "abort", "ok", "not_committed")
    assert r.found == [("t", "txn-0-1-0")] and r.notes["in_polls"] == 1 and r.notes["in_final_read"] == 0


def test_a_group_members_poll_and_the_final_read_are_read_committed_too():
    c = mixed_run(final=False)
    group_poll(c, "group-g-1", [(1, 3, "txn-0-1-1")])
    c.final_read(committed_log(0)[:3] + [(0, 4, "txn-0-1-0")] + committed_log(0)[3:], partition=0, end_offset=7)
    c.final_read(committed_log(1), partition=1, end_offset=6)
    r = aborted_reads(c.history())
    assert r.count == 2 and r.notes["transactions_read"] == 1
    assert (r.notes["in_polls"], r.notes["in_final_read"]) == (1, 1)
    assert {e["value"] for e in r.examples} == {"txn-0-1-0", "txn-0-1-1"}


def test_a_refused_commit_is_surely_not_committed():
    c = Crafted()
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[0], outcome="fail")
    poll(c, "c1", [(0, 0, "txn-0-0-0")])
    r = aborted_reads(c.history())
    assert r.count == 1 and r.examples[0]["outcome"] == "fail" and "error" in r.examples[0]


def test_the_same_value_read_many_times_counts_once():
    c = mixed_run()
    for process in ("c1", "c2", "c3"):
        poll(c, process, [(0, 4, "txn-0-1-0")])
    r = aborted_reads(c.history())
    assert r.count == 1 and r.notes["records_read_committed"] == 3


def test_a_transaction_of_unknown_outcome_is_no_evidence():
    c = Crafted()
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[0], outcome="info")  # the commit timed out: it may have committed
    begin(c, 0, 1, ["txn-0-1-0"])  # the history ends before its completion
    poll(c, "c1", [(0, 0, "txn-0-0-0"), (0, 2, "txn-0-1-0")])
    r = aborted_reads(c.history())
    assert r.count == 0 and r.decided and r.notes["unknown_outcome_values_read_committed"] == 2


def test_without_any_read_it_is_undecided():
    c = Crafted()
    txn(c, 0, 0, ["txn-0-0-0"], action="abort")
    r = aborted_reads(c.history())
    assert r.count == 0 and not r.decided and r.verdict().value == "unknown"


# -- open_txn_reads -----------------------------------------------------------------------------------------------


def _read_while_open(isolation=None, outcome="ok") -> Crafted:
    """c1 polls txn-0-0-0 at 1.0 s; its producer asks for the commit at 3.0 s."""
    c = Crafted()
    begin(c, 0, 0, ["txn-0-0-0", "txn-0-0-1"], [0, 1])
    c.wait(1.0)
    poll(c, "c1", [(0, 0, "txn-0-0-0")], isolation=isolation)
    c.wait(2.0)
    end(c, 0, 0, outcome, offsets=[0, 0])
    return c.final_read([(0, 0, "txn-0-0-0")], partition=0, end_offset=2)


def test_clean_mixed_run_has_no_open_read():
    r = open_txn_reads(mixed_run().history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass"


def test_a_record_polled_before_the_commit_was_asked_for_is_a_precommitted_read():
    r = open_txn_reads(_read_while_open().history())
    assert r.count == 1 and r.verdict().value == "fail"
    e = r.examples[0]
    assert (e["value"], e["process"], e["transaction"]) == ("txn-0-0-0", "c1", "t.txn-0#0")
    assert abs(e["early_s"] - 2.0) < 0.01 and e["end_time"] > e["time"]
    assert r.notes["transactions_read_while_open"] == 1


def test_whatever_the_outcome_a_read_before_the_end_counts():
    assert open_txn_reads(_read_while_open(outcome="info").history()).count == 1
    assert open_txn_reads(_read_while_open(outcome="fail").history()).count == 1


def test_a_read_uncommitted_consumer_may_read_an_open_transaction():
    r = open_txn_reads(_read_while_open(isolation="read_uncommitted").history())
    assert r.count == 0 and r.notes["read_uncommitted_records_while_open"] == 1


def test_a_transaction_without_completion_is_no_evidence():
    c = Crafted()
    begin(c, 0, 0, ["txn-0-0-0"])
    poll(c, "c1", [(0, 0, "txn-0-0-0")])
    r = open_txn_reads(c.history())
    assert r.count == 0 and r.notes["values_of_transactions_without_completion"] == 1 and "not_evidence" in r.notes


def test_a_completion_without_end_time_is_no_evidence():
    c = Crafted()
    begin(c, 0, 0, ["txn-0-0-0"])
    poll(c, "c1", [(0, 0, "txn-0-0-0")])
    end(c, 0, 0, offsets=[0], end_time=None)
    r = open_txn_reads(c.history())
    assert r.count == 0 and r.notes["values_of_completions_with_no_end_recorded"] == 1


def test_without_polls_it_is_skipped():
    c = Crafted()
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[0])
    c.final_read([(0, 0, "txn-0-0-0")], end_offset=2)
    assert open_txn_reads(c.history()).verdict().value == "skipped"
