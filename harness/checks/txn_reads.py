"""Transactional records that a read_committed reader must never have been given (Jepsen's vocabulary):

- ``aborted_reads`` (G1a): a read_committed read (a poll without ``isolation`` ``read_uncommitted``, a group
  member's poll, the final read) returned a value of a transaction that surely did not commit: completed
  ``ok`` with action ``abort``, or ``fail``. The broker keeps such records below the last stable offset only
  with an ABORT marker after them, and the client drops every batch its fetch response lists as aborted
  (librdkafka's ``rdkafka_msgset_reader.c``), so none may reach the application. ``count`` is the distinct
  values read so; the notes count the records, the transactions, and the reads that are allowed or prove
  nothing: a read_uncommitted consumer reading aborted values (Kafka serves it everything below the high
  watermark), and read_committed reads of transactions whose outcome is unknown (``info``, or no
  completion: the coordinator may have committed them).
- ``open_txn_reads`` (precommitted read): a read_committed poll returned a transaction's value before the
  transaction's ``end_time``, the moment its producer asked for the commit or abort. Until then the
  transaction was open, its first offset held the partition's last stable offset, and a read_committed
  fetch is served only below it. The poll's time is when it returned, after its records were fetched, so
  a record fetched earlier and returned later is never counted: the check undercounts, it never accuses.
  Whatever the outcome, a record given before the end was asked for was given while open. ``count`` is
  the distinct values so read; a transaction without a completion (the history ends first) has no
  ``end_time`` and is no evidence (noted), nor are read_uncommitted consumers (noted, allowed).

Both are skipped when the run had no transaction; ``open_txn_reads`` also when no consumer polled. Neither
needs the final read to be complete: a read that happened is evidence whatever the rest of the log holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.result import MAX_EXAMPLES, CheckResult, records
from harness.checks.txn_model import NO_TXNS, NOT_COMMITTED, UNKNOWN, TxnModel, transactions, txn_rows
from harness.history.loader import History

READ_COLUMNS = ["value", "topic", "partition", "offset", "f", "process", "reader", "time"]


def aborted_reads(history: History) -> CheckResult:
    """aborted_reads: a read_committed read (a poll, a group member's poll, the final read) returned a value
    of a transaction that surely did not commit (Jepsen's G1a, aborted read)."""
    name = "aborted_reads"
    model = transactions(history)
    if not model:
        return CheckResult(name, 0, skipped=NO_TXNS)
    rows = txn_rows(history)
    aborted = rows[(rows["status"] == NOT_COMMITTED).to_numpy(dtype=bool)]
    committed_read = aborted["committed_read"].to_numpy(dtype=bool)
    evidence, allowed = aborted[committed_read], aborted[~committed_read]
    unknown = rows[((rows["status"] == UNKNOWN) & rows["committed_read"]).to_numpy(dtype=bool)]
    distinct = evidence.drop_duplicates("row")
    notes: dict[str, Any] = {
        "transactions": len(model.txns),
        "not_committed_transactions": sum(1 for t in model.txns if t.status == NOT_COMMITTED),
        "records_read_committed": len(evidence),
        "transactions_read": int(distinct["txn"].nunique()),
        "in_polls": int(distinct["row"].isin(evidence.loc[evidence["f"] == "poll", "row"]).sum()),
        "in_final_read": int(distinct["row"].isin(evidence.loc[evidence["f"] == "read", "row"]).sum()),
        "read_uncommitted_records_of_aborted_transactions": len(allowed),
        "unknown_outcome_values_read_committed": int(unknown["row"].nunique()),
    }
    if len(allowed):
        notes["read_uncommitted_allowed"] = ("a read_uncommitted consumer is served every record below the high "
                                             "watermark, aborted ones included: allowed, not counted")
    if not history.by_f("poll") and not history.by_f("read"):
        notes["reason"] = "nothing was read (no poll, no final read)"
        return CheckResult(name, 0, decided=False, notes=notes)
    return CheckResult(name, len(distinct), _examples(model, distinct, READ_COLUMNS), notes=notes,
                       found=list(zip(distinct["topic"].tolist(), distinct["value"].tolist())))


def open_txn_reads(history: History) -> CheckResult:
    """open_txn_reads: a read_committed poll returned a transaction's value before its producer asked for
    the commit or abort (Jepsen's precommitted read: a record of an open transaction below the LSO)."""
    name = "open_txn_reads"
    model = transactions(history)
    if not model:
        return CheckResult(name, 0, skipped=NO_TXNS)
    if not history.by_f("poll"):
        return CheckResult(name, 0, skipped="no consumer polled during the run")
    rows = txn_rows(history)
    rows = rows[(rows["f"] == "poll").to_numpy(dtype=bool)]
    ends = np.array([np.nan if t.end_time is None else t.end_time for t in model.txns], dtype=float)
    end = ends[rows["txn"].to_numpy(dtype=np.int64)]
    rows = rows.assign(end_time=end, early_s=end - rows["time"].to_numpy(dtype=float))
    known = ~np.isnan(end)
    early = known & (rows["early_s"].to_numpy(dtype=float) > 0)
    committed_read = rows["committed_read"].to_numpy(dtype=bool)
    evidence = rows[early & committed_read]
    distinct = evidence.drop_duplicates("row")
    no_completion = np.array([t.outcome is None for t in model.txns], dtype=bool)[rows["txn"].to_numpy(dtype=np.int64)]
    notes: dict[str, Any] = {
        "transactions": len(model.txns),
        "records_read_committed_while_open": len(evidence),
        "transactions_read_while_open": int(distinct["txn"].nunique()),
        "read_uncommitted_records_while_open": int((early & ~committed_read).sum()),
        "values_of_transactions_without_completion": int(rows.loc[committed_read & no_completion, "row"].nunique()),
        "values_of_completions_with_no_end_recorded": int(
            rows.loc[committed_read & ~known & ~no_completion, "row"].nunique()),
    }
    if notes["values_of_transactions_without_completion"] or notes["values_of_completions_with_no_end_recorded"]:
        notes["not_evidence"] = ("a transaction without a completion (the history ends first) or without an "
                                 "end_time: when it stopped being open is unknown")
    if distinct.empty:
        return CheckResult(name, 0, notes=notes)
    ordered = distinct.sort_values("early_s", ascending=False, kind="stable")
    return CheckResult(name, len(distinct), _examples(model, ordered, READ_COLUMNS + ["end_time", "early_s"]),
                       notes=notes, found=list(zip(distinct["topic"].tolist(), distinct["value"].tolist())))


def _examples(model: TxnModel, rows: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The first rows as examples, each with its transaction."""
    head = rows.head(MAX_EXAMPLES)
    out = records(head, columns)
    for example, txn in zip(out, head["txn"].tolist()):
        example.update(model.txns[int(txn)].describe())
    return out
