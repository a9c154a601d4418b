"""phantom_values: a value read (by a consumer poll or the final read) that no producer ever sent.

Every value the workload writes is recorded as a send invocation (or, for a transactional producer, in
its transaction's ``txn`` invocation) before it is produced, so a value read with no invocation of that
(topic, value) was never sent by this run: a corrupted record, a record from
somewhere else, or a harness bug (the reader decoding or attributing records wrongly). ``count`` is the
distinct (topic, value) pairs; the notes count the records that hold them, per kind of read.

A producer buffers its invocations and writes them every so often, so a history cut off during the
workload may hold a poll of a value whose invocation was never written. The check therefore needs a
history that reached the end of the workload (its ``heal`` phase, or any final read op); without one its
candidates are only a note and the check is undecided.
"""

from __future__ import annotations

from typing import Any

from harness.checks.result import CheckResult, present_in, records
from harness.checks.txn_model import read_values
from harness.history.loader import History

NAME = "phantom_values"


def phantom_values(history: History) -> CheckResult:
    reads = history.reads()
    if reads.empty:
        return CheckResult(NAME, 0, skipped="nothing was read")
    sends = history.sends()
    invoked = sends[sends["invoke_time"].notna()]
    transactional = read_values(history) >= 0  # sent in a transaction: not a send, not a phantom either
    phantom = reads[~present_in(reads, invoked) & ~transactional]
    distinct = phantom.drop_duplicates("vid")
    notes: dict[str, Any] = {"records_read": len(reads), "phantom_records": len(phantom),
                             "in_polls": int(distinct["vid"].isin(phantom.loc[phantom["f"] == "poll", "vid"]).sum()),
                             "in_final_read": int(distinct["vid"].isin(phantom.loc[phantom["f"] == "read",
                                                                                   "vid"]).sum())}
    if transactional.any():
        notes["transactional_records_read"] = int(transactional.sum())
    completed = int(present_in(distinct, sends).sum())
    if completed:
        notes["completed_but_never_invoked"] = completed  # a send completion with no invocation: the recorder's
    if not _workload_ended(history):
        notes["phantom_candidates"] = len(distinct)
        notes["reason"] = ("the history ends before the workload did (no heal phase, no final read): a value "
                           "polled just before the cut may have an invocation that was never written")
        return CheckResult(NAME, 0, decided=False, notes=notes)
    return CheckResult(NAME, len(distinct),
                       records(distinct, ["value", "topic", "partition", "offset", "f", "process", "reader"]),
                       notes=notes, found=list(zip(distinct["topic"].tolist(), distinct["value"].tolist())))


def _workload_ended(history: History) -> bool:
    """Whether the history goes past the workload: every producer had written its last invocations."""
    return any(op.f == "read" or (op.f == "phase" and isinstance(op.value, dict) and op.value.get("phase") == "heal")
               for op in history.ops)
