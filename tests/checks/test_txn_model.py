import numpy as np

from harness.checks.txn_model import (
    COMMITTED,
    NOT_COMMITTED,
    UNKNOWN,
    read_uncommitted,
    read_values,
    transactions,
    txn_rows,
    uncommitted_values,
)
from tests.crafted import Crafted
from tests.crafted_txn import ABORTED, begin, end, mixed_run, txn


def test_each_outcome_gives_its_status():
    c = Crafted()
    txn(c, 0, 0, ["a0"])  # committed
    txn(c, 0, 1, ["a1"], action="abort")  # aborted as meant
    txn(c, 0, 2, ["a2"], outcome="fail")  # commit refused, aborted
    txn(c, 0, 3, ["a3"], outcome="info")  # commit timed out
    begin(c, 0, 4, ["a4"])  # the history ends first
    model = transactions(c.history())
    assert [t.status for t in model.txns] == [COMMITTED, NOT_COMMITTED, NOT_COMMITTED, UNKNOWN, UNKNOWN]
    assert [t.outcome for t in model.txns] == ["ok", "ok", "fail", "info", None]
    assert model.txns[0].name == "t.txn-0#0" and model.txns[0].end_time is not None
    assert model.txns[4].end_time is None


def test_a_completion_without_its_invocation_stands_alone():
    c = Crafted()
    begin(c, 0, 0, ["a", "b"], [0, 1])
    end(c, 0, 0, offsets=[3, None])
    c.ops = c.ops[1:]  # the invocation is cut off
    model = transactions(c.history())
    assert len(model.txns) == 1 and model.txns[0].invoke_time is None and model.txns[0].status == COMMITTED
    assert model.values["offset"].tolist() == [3, -1] and model.txns[0].start_time == c.ops[0].time


def test_reads_are_matched_with_their_transactional_values():
    h = mixed_run().history()
    reads = h.reads()
    at = read_values(h)
    is_txn = reads["value"].str.startswith("txn-").to_numpy(dtype=bool)
    assert ((at >= 0) == is_txn).all()
    model = transactions(h)
    assert (model.values["value"].to_numpy(dtype=object)[at[is_txn]] == reads["value"].to_numpy(dtype=object)[
        is_txn]).all()
    assert len(read_values(h, "poll")) == len(h.reads("poll")) and len(read_values(h, "read")) == len(h.reads("read"))


def test_only_read_uncommitted_polls_are_read_uncommitted():
    h = mixed_run().history()
    reads = h.reads()
    mask = read_uncommitted(h, reads)
    assert set(reads.loc[mask, "process"]) == {"c-uncommitted"}
    rows = txn_rows(h)
    assert set(rows.loc[~rows["committed_read"], "process"]) == {"c-uncommitted"}
    # Values no read_committed final read may hold: the aborted ones, wherever read.
    aborted = uncommitted_values(h)
    assert set(reads.loc[aborted, "value"]) == ABORTED


def test_without_transactions_nothing_is_transactional():
    from tests.crafted import clean_run

    h = clean_run().history()
    assert not transactions(h) and (read_values(h) == -1).all() and not uncommitted_values(h).any()
    assert txn_rows(h).empty and np.asarray(read_uncommitted(h, h.reads())).sum() == 0
