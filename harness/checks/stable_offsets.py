"""stuck_lso: after the heal, a partition whose last stable offset stayed below its high watermark.

A read_committed consumer is served only below the last stable offset (LSO), the first offset of the
earliest transaction still open in the partition. Once every producer has ended its transactions (and the
coordinator has aborted any whose producer died, after ``transaction.timeout.ms``), each partition's LSO
must catch up with its high watermark. The runner waits for that after the heal and records each
partition's ``[partition, LSO, high watermark]`` in a ``stable`` op: ``ok`` when all caught up, ``info``
when some had not by its deadline. A partition stuck there leaves every read_committed consumer stuck
behind a transaction that never ends (a hanging transaction: a lost marker, or a late write that reopened
one; see KIP-890 and KAFKA-17754), or behind markers an unclean election removed.

``count`` is the partitions of the last ``stable`` op of each topic whose LSO is below the high
watermark. Each carries a cause: ``unclean_election`` when the controller recorded one of that partition
(any time: a marker lost before the heal keeps the LSO stuck ever after), ``undecided`` without the
controller's record, else ``unexplained``; and the transactions of unknown outcome that wrote to it (the
likeliest to be the open one). Undecided when the run had transactions but no ``stable`` op (the LSO was
never read), when a partition's LSO or high watermark was unknown (negative), or when the last ``stable``
op is ``info`` yet shows no partition behind (the runner could not read the offsets: its error says why).
Skipped when the run had no transaction.

If the wait was shorter than the transaction timeout after a producer died with a transaction open, the
coordinator had not yet aborted it: ``waited_s`` in the examples says how long the runner waited.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.causes import cause_notes, grounds, lost_write_causes
from harness.checks.codes import memo
from harness.checks.final_reads import final_read_coverage, in_partitions, names
from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.checks.txn_model import NO_TXNS, UNKNOWN, TxnModel, transactions
from harness.history.loader import History
from harness.history.ops import Op, OpType

NAME = "stuck_lso"
STUCK_REASON = ("a last stable offset stayed below its high watermark after the heal (stuck_lso): the read_committed "
                "final read could not read past it, so what lies beyond it is neither seen nor proved missing")


def stuck_lso(history: History) -> CheckResult:
    model = transactions(history)
    if not model:
        return CheckResult(NAME, 0, skipped=NO_TXNS)
    last = _last_stable(history)
    if not last:
        return CheckResult(NAME, 0, decided=False, notes={
            "reason": "the history has no stable op: the last stable offsets were never read after the heal"})
    rows, unknown = _stuck_rows(history, last)
    notes: dict[str, Any] = {"partitions_read": sum(len(history.fields(op)["partitions"]) for op in last.values()),
                             "waited_s": max(history.fields(op)["waited_s"] for op in last.values())}
    unread = _unread(history, last, rows, unknown)
    if unknown:
        notes["unknown_partitions"] = names(unknown)
        notes["reason"] = "the LSO or the high watermark of these partitions was unknown (negative)"
    if unread:
        notes["unread"] = unread
        notes["reason"] = "the runner did not see the LSO catch up, and its last reading shows no partition behind"
    decided = not unknown and not unread
    if rows.empty:
        return CheckResult(NAME, 0, notes=notes, decided=decided)
    why = lost_write_causes(grounds(history), rows.assign(complete_time=-np.inf, process=None))
    notes.update(cause_notes(why))
    examples = []
    for i in why.order()[:MAX_EXAMPLES].tolist():
        r = rows.iloc[i]
        example = {"topic": r["topic"], "partition": int(r["partition"]), "lso": int(r["lso"]),
                   "high_watermark": int(r["hwm"]), "behind": int(r["hwm"] - r["lso"]),
                   "waited_s": float(r["waited_s"]),
                   "cause": why.cause(i), "cause_detail": why.detail(i),
                   "open_transactions": _open_on(model, r["topic"], int(r["partition"]))}
        when = why.grounds.time_of(int(why.refs[i]))
        if when is not None:
            example["cause_time"] = when
        examples.append(example)
    found = list(zip(rows["topic"].tolist(), rows["partition"].tolist(), why.causes.tolist()))
    return CheckResult(NAME, len(rows), examples, decided=decided, notes=notes, found=found)


def _last_stable(history: History) -> dict[str, Op]:
    """The last ``stable`` op of each topic: the runner's final word on its LSO."""
    return {history.fields(op)["topic"]: op for op in history.by_f("stable")}


def _stuck_rows(history: History, last: dict[str, Op]) -> tuple[pd.DataFrame, set[tuple[str, int]]]:
    """The partitions whose LSO is below their high watermark (topic, partition, lso, hwm, waited_s), and
    those whose LSO or high watermark is unknown."""
    rows, unknown = [], set()
    for topic, op in last.items():
        v = history.fields(op)
        for partition, lso, hwm in v["partitions"]:
            if lso < 0 or hwm < 0:
                unknown.add((topic, partition))
            elif lso < hwm:
                rows.append((topic, partition, lso, hwm, v["waited_s"]))
    return pd.DataFrame(rows, columns=["topic", "partition", "lso", "hwm", "waited_s"]), unknown


def _unread(history: History, last: dict[str, Op], rows: pd.DataFrame, unknown: set[tuple[str, int]]
            ) -> dict[str, str]:
    """Per topic whose last ``stable`` op is ``info`` (not caught up) yet shows no partition behind nor
    unknown: the offsets could not be read (no partition at all, or an older reading): what the runner said."""
    out = {}
    for topic, op in last.items():
        if op.type is OpType.INFO and topic not in set(rows["topic"]) and not any(t == topic for t, _ in unknown):
            out[topic] = op.error or "not caught up"
    return out


def beyond_stuck_lso(history: History, df: pd.DataFrame) -> np.ndarray:
    """A mask of the rows of ``df`` (``topic``, ``partition``, ``offset``) that a read_committed final read could
    not reach: in a partition whose LSO the last ``stable`` op shows below its high watermark, at or past the
    offset the final read read to (its readers' end offset, which a read_committed client takes from the LSO;
    the stable op's LSO where no reader completed the partition). An offset unknown counts as past it. Such
    a record is neither held nor proved absent: stuck_lso counts why."""
    out = np.zeros(len(df), dtype=bool)
    stuck = memo(history, "stuck_lso_bounds", lambda: _bounds(history))
    if not stuck or not len(df):
        return out
    offsets = pd.Series(df["offset"]).astype("Int64").to_numpy(dtype="float64", na_value=np.nan)
    for key, bound in stuck.items():
        here = in_partitions(df, [key])
        out |= here & ~(offsets < bound)  # NaN (unknown) compares False: past it
    return out


def _bounds(history: History) -> dict[tuple[str, int], float]:
    """Per partition left with its LSO behind: the offset the final read read to there."""
    rows, _ = _stuck_rows(history, _last_stable(history))
    if rows.empty:
        return {}
    readers = final_read_coverage(history).readers
    done = readers[readers["complete"]].groupby(["topic", "partition"])["end_offset"].max()
    return {(t, int(p)): float(done.get((t, int(p)), lso)) for t, p, lso in
            zip(rows["topic"].tolist(), rows["partition"].tolist(), rows["lso"].tolist())}


def _open_on(model: TxnModel, topic: str, partition: int, limit: int = 10) -> list[str]:
    """The transactions of unknown outcome (``info``, or no completion) that wrote to this partition (the
    last ``limit``: the latest are the likeliest to be left open)."""
    return [t.name for t in model.txns
            if t.status == UNKNOWN and t.topic == topic and partition in t.partitions][-limit:]

