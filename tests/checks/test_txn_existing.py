"""The checks of plain sends, with transactions in the history: a mixed run where a read_committed consumer
skips an aborted transaction's offsets and the markers, and a read_uncommitted one reads the aborted
records, is no anomaly to any of them."""

import pytest

from harness.checks import CHECK_NAMES, DEFAULT_MUST_BE_ZERO, TXN_CHECK_NAMES, expand_checks
from harness.checks.duplicates import duplicates
from harness.checks.lost_writes import lost_writes
from harness.checks.order_polls import int_poll_skip, poll_skip
from harness.checks.phantoms import phantom_values
from harness.checks.suite import CHECKS, run_checks
from harness.checks.txn_final import txn_duplicates
from harness.checks.uncommitted_reads import uncommitted_reads
from harness.checks.unseen import unseen
from tests.crafted import Crafted
from tests.crafted_txn import committed_log, mixed_run, poll, txn


def test_the_transaction_checks_are_registered_last_and_must_find_nothing():
    assert CHECK_NAMES[-len(TXN_CHECK_NAMES):] == TXN_CHECK_NAMES and tuple(CHECKS) == CHECK_NAMES
    assert set(TXN_CHECK_NAMES) <= set(DEFAULT_MUST_BE_ZERO)
    assert expand_checks(["transactions"]) == list(TXN_CHECK_NAMES)


def test_a_clean_mixed_run_passes_every_check():
    results = run_checks(mixed_run().history())
    for name, r in results.items():
        assert "error" not in r.notes, (name, r.notes)
        assert r.count == 0, (name, r.examples)
        assert r.verdict().value in ("pass", "skipped"), (name, r.notes)
    assert {n for n, r in results.items() if r.skipped} == {"failed_sends_landed", "final_reads_disagree",
                                                            "follower_reads", "replica_divergence"}


def test_a_read_committed_consumer_skipping_aborted_offsets_and_markers_is_no_skip():
    h = mixed_run().history()
    for check in (poll_skip, int_poll_skip):
        r = check(h)
        assert r.count == 0 and r.decided and r.notes["undecided"] == 0
    # Its steps did pass over offsets: 2 -> 6 in partition 0 (a marker, an aborted record, a marker).
    offsets = [o for _, o, _ in committed_log(0)]
    assert offsets == [0, 1, 2, 6]


def test_transactional_values_are_not_phantoms():
    r = phantom_values(mixed_run().history())
    assert r.count == 0 and r.notes["phantom_records"] == 0 and r.notes["transactional_records_read"] > 0


def test_a_value_neither_sent_nor_in_a_transaction_is_still_a_phantom():
    c = mixed_run()
    c.poll("c-leader", [(0, 7, "txn-9-9-9")])
    r = phantom_values(c.history())
    assert r.count == 1 and r.examples[0]["value"] == "txn-9-9-9"


def test_aborted_records_a_read_uncommitted_consumer_polled_are_not_uncommitted_reads():
    r = uncommitted_reads(mixed_run().history())
    assert r.count == 0 and r.decided
    assert r.notes["transactional_not_committed_polled"] == 2  # txn-0-1-0 and txn-0-1-1, by c-uncommitted


def test_a_committed_transactional_record_polled_then_truncated_is_still_an_uncommitted_read():
    c = Crafted()
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[0])
    poll(c, "c1", [(0, 0, "txn-0-0-0")])
    c.final_read([], end_offset=0)
    assert uncommitted_reads(c.history()).count == 1


def test_plain_checks_do_not_count_transactional_values():
    c = Crafted()
    c.send("p0", "a", offset=0)
    txn(c, 0, 0, ["txn-0-0-0"], offsets=[1])  # committed, then missing from the final read
    poll(c, "c1", [(0, 0, "a")])
    c.final_read([(0, 0, "a")], end_offset=3)
    h = c.history()
    assert lost_writes(h).count == 0 and unseen(h).count == 0


def test_a_transactional_duplicate_is_txn_duplicates_not_duplicates():
    c = mixed_run(final=False)
    c.final_read(committed_log(0) + [(0, 7, "txn-0-0-0")], partition=0, end_offset=8)
    c.final_read(committed_log(1), partition=1, end_offset=6)
    h = c.history()
    r = duplicates(h)
    assert r.count == 0 and r.notes["transactional_left_to_txn_duplicates"] == 1
    assert txn_duplicates(h).count == 1


@pytest.mark.parametrize("name", TXN_CHECK_NAMES)
def test_every_transaction_check_is_skipped_without_transactions(name):
    from tests.crafted import clean_run

    r = CHECKS[name](clean_run().history())
    assert r.verdict().value == "skipped" and r.skipped == "the run had no transactions"


def _every_anomaly() -> Crafted:
    """A mixed run (with the controller's record: no unclean election) and one of each transactional anomaly:
    an aborted read, a read of an open transaction, a torn and a lost transaction, a duplicate, a stuck LSO."""
    from tests.crafted import created, with_run
    from tests.crafted_txn import begin, end, stable

    c = mixed_run(with_run(), final=False)
    poll(c, "c-late", [(0, 4, "txn-0-1-0")])  # aborted, read committed
    begin(c, 0, 2, ["txn-0-2-0"])
    poll(c, "c-leader", [(0, 7, "txn-0-2-0")])  # a second before its commit was asked for
    end(c.wait(1.0), 0, 2, offsets=[7])
    txn(c, 0, 3, ["txn-0-3-0", "txn-0-3-1"], [0, 1], offsets=[8, 6])  # torn: only partition 0's in the end
    txn(c, 0, 4, ["txn-0-4-0"], [1], offsets=[7])  # lost
    stable(c, [(0, 8, 12), (1, 9, 9)])
    c.final_read(committed_log(0) + [(0, 7, "txn-0-2-0"), (0, 8, "txn-0-3-0"), (0, 10, "txn-0-0-0")], partition=0,
                 end_offset=12)
    c.final_read(committed_log(1), partition=1, end_offset=9)
    created(c, partition=0)
    return created(c, partition=1)


def test_each_transactional_anomaly_is_caught_once_and_nothing_else_fires():
    results = run_checks(_every_anomaly().history())
    assert {n: r.count for n, r in results.items() if r.count} == dict.fromkeys(TXN_CHECK_NAMES, 1)
    assert all("error" not in r.notes for r in results.values())


def test_the_transactional_anomalies_reach_the_report():
    from harness.report.build import build_report
    from harness.report.render import render_json, render_markdown

    report = build_report(_every_anomaly().history())
    assert render_json(report)  # plain JSON values only
    assert {n: c["verdict"] for n, c in report.to_json()["checks"].items() if n in TXN_CHECK_NAMES} == \
        dict.fromkeys(TXN_CHECK_NAMES, "fail")
    text = " ".join(report.unexplained)
    for words in ("committed transaction lost", "committed transaction torn", "partition left with its last stable"):
        assert words in text
    assert "aborted_reads" in render_markdown(report)
