"""The run's transactions as the transaction checks see them: one ``Transaction`` per ``txn`` op pair, the
status each outcome proves, and which records read hold a transactional value.

A transactional producer records each transaction as a ``txn`` invoke (its planned ``action``, its values
and their partitions) and one completion (``ok``: ended as meant; ``fail``: surely not committed; ``info``:
unknown). What an outcome proves about visibility to read_committed readers:

- ``committed``: ``ok`` with action ``commit``. Every value must be visible, all or none lost together.
- ``not_committed``: ``ok`` with action ``abort``, or ``fail``. No value may ever be visible to a
  read_committed reader.
- ``unknown``: ``info``, or no completion at all (the history ends first). Evidence of nothing.

Transactional values are not sends, so the send tables hold none of them; the read tables hold every value
read, with a ``vid`` like any other. Transactions are few (thousands), reads may be millions: a read row is
matched with its transactional value by its ``vid`` (integers), and the strings are compared only once per
distinct value read that no send holds (``read_values``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.checks.codes import memo
from harness.checks.result import present_in
from harness.history.loader import History
from harness.history.ops import OpType

COMMITTED = "committed"
NOT_COMMITTED = "not_committed"
UNKNOWN = "unknown"
STATUSES = (COMMITTED, NOT_COMMITTED, UNKNOWN)
"""A transaction's status, by its code (``TxnModel.status`` holds codes)."""

READ_UNCOMMITTED = "read_uncommitted"
NO_TXNS = "the run had no transactions"


@dataclass
class Transaction:
    """One transaction: its invocation and completion merged (either may be missing)."""

    index: int
    process: str
    transactional_id: str
    n: int
    action: str
    topic: str
    values: list[str]
    partitions: list[int]
    invoke_time: float | None = None
    outcome: str | None = None
    """``ok``, ``fail``, ``info``; None: no completion in the history."""
    complete_time: float | None = None
    end_time: float | None = None
    """When the commit or abort was asked for (before it, the transaction was open); None: unknown."""
    offsets: list[int | None] | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        if self.outcome == "ok":
            return COMMITTED if self.action == "commit" else NOT_COMMITTED
        if self.outcome == "fail":
            return NOT_COMMITTED
        return UNKNOWN

    @property
    def name(self) -> str:
        """How examples and notes name it: ``<transactional_id>#<n>``."""
        return f"{self.transactional_id}#{self.n}"

    @property
    def start_time(self) -> float | None:
        """The earliest time the history knows it open (its invocation, else its completion)."""
        return self.invoke_time if self.invoke_time is not None else self.complete_time

    def describe(self) -> dict[str, Any]:
        """The transaction in an example: who, what it meant to do, how it ended."""
        out: dict[str, Any] = {"transaction": self.name, "producer": self.process, "action": self.action,
                               "outcome": self.outcome, "status": self.status}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class TxnModel:
    """Every transaction of the history, and one row per transactional value (``values``)."""

    txns: list[Transaction] = field(default_factory=list)
    values: pd.DataFrame = field(default_factory=lambda: _values_frame([]))
    """One row per value of a transaction: ``txn`` (index into ``txns``), ``topic``, ``value``, ``partition``,
    ``offset`` (from its delivery report, -1 when none), ``status`` (code into ``STATUSES``)."""
    row_of: dict[tuple[str, str], int] = field(default_factory=dict)
    """(topic, value) -> its row in ``values``."""

    def __bool__(self) -> bool:
        return bool(self.txns)

    @property
    def status(self) -> np.ndarray:
        """Each value's status code (into ``STATUSES``)."""
        return self.values["status"].to_numpy(dtype=np.int64)

    @property
    def txn_of(self) -> np.ndarray:
        """Each value's transaction (index into ``txns``)."""
        return self.values["txn"].to_numpy(dtype=np.int64)


def transactions(history: History) -> TxnModel:
    """The history's transactions, worked out once per history."""
    return memo(history, "txn_model", lambda: _build(history))


def _build(history: History) -> TxnModel:
    txns: list[Transaction] = []
    open_: dict[tuple[str, int], Transaction] = {}
    for op in history.by_f("txn"):
        v = history.fields(op)
        key = (v["transactional_id"], v["n"])
        if op.type is OpType.INVOKE:
            t = _new(len(txns), op.process, v)
            t.invoke_time = op.time
            txns.append(t)
            open_[key] = t
            continue
        t = open_.pop(key, None)
        if t is None:  # a completion whose invocation the history lacks: it stands alone
            t = _new(len(txns), op.process, v)
            txns.append(t)
        t.outcome, t.complete_time, t.error = op.type.value, op.time, op.error
        t.end_time, t.offsets = v.get("end_time"), v.get("offsets")
    rows = [(t.index, t.topic, value, partition, offset, STATUSES.index(t.status))
            for t in txns
            for value, partition, offset in zip(t.values, t.partitions, t.offsets or [None] * len(t.values))]
    frame = _values_frame(rows)
    row_of = {(topic, value): i for i, (topic, value) in enumerate(zip(frame["topic"].tolist(),
                                                                        frame["value"].tolist()))}
    return TxnModel(txns, frame, row_of)


def _new(index: int, process: str, v: dict[str, Any]) -> Transaction:
    return Transaction(index, process, v["transactional_id"], v["n"], v["action"], v["topic"], list(v["values"]),
                       list(v["partitions"]))


def _values_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["txn", "topic", "value", "partition", "offset", "status"])
    frame["offset"] = pd.to_numeric(frame["offset"]).fillna(-1)
    return frame.astype({"txn": np.int64, "partition": np.int64, "offset": np.int64, "status": np.int64,
                         "topic": object, "value": object})


def read_values(history: History, f: str | None = None) -> np.ndarray:
    """Per row of ``history.reads(f)``, the row of ``transactions(history).values`` it holds (-1: not a
    transactional value)."""
    every = memo(history, "txn_read_values", lambda: _read_values(history))
    if f is None:
        return every
    n_polls = len(history.reads("poll"))
    return every[:n_polls] if f == "poll" else every[n_polls:]


def _read_values(history: History) -> np.ndarray:
    model = transactions(history)
    reads = history.reads()
    out = np.full(len(reads), -1, dtype=np.int64)
    if not model or not len(reads):
        return out
    # Only values no send holds can be transactional (they never collide): the bulk is ruled out by vid.
    vid = reads["vid"].to_numpy(dtype=np.int64)
    candidates = np.flatnonzero(~present_in(reads, history.sends()))
    if not len(candidates):
        return out
    distinct, first = np.unique(vid[candidates], return_index=True)
    at = candidates[first]
    topics, values = reads["topic"].to_numpy(dtype=object)[at], reads["value"].to_numpy(dtype=object)[at]
    found = np.array([model.row_of.get((t, v), -1) for t, v in zip(topics.tolist(), values.tolist())],
                     dtype=np.int64)
    table = np.full(int(distinct.max()) + 1, -1, dtype=np.int64)
    table[distinct] = found
    out[candidates] = table[vid[candidates]]
    return out


def read_uncommitted(history: History, reads: pd.DataFrame) -> np.ndarray:
    """A mask of the rows of ``reads`` (a slice of ``history.reads()``) read by a poll with isolation
    ``read_uncommitted``. Every other read is read_committed: polls without ``isolation`` (librdkafka's
    default), group members' polls, and the final read."""
    ops = memo(history, "read_uncommitted_ops", lambda: np.array(
        [op.index for op in history.by_f("poll") if history.fields(op).get("isolation") == READ_UNCOMMITTED],
        dtype=np.int64))
    if not len(ops) or not len(reads):
        return np.zeros(len(reads), dtype=bool)
    return np.isin(reads["op"].to_numpy(dtype=np.int64), ops)


def txn_rows(history: History) -> pd.DataFrame:
    """The rows of ``history.reads()`` that hold a transactional value (usually a small part of them),
    with ``row`` (of ``transactions(history).values``), ``txn``, ``status`` (a name) and ``committed_read``
    (the read was read_committed)."""
    def build() -> pd.DataFrame:
        reads = history.reads()
        at = read_values(history)
        hit = np.flatnonzero(at >= 0)
        rows = reads.iloc[hit].reset_index(drop=True).astype({"f": object, "reader": object})
        model = transactions(history)
        row = at[hit]
        return rows.assign(row=row, txn=model.txn_of[row],
                           status=np.asarray(STATUSES, dtype=object)[model.status[row]],
                           committed_read=~read_uncommitted(history, rows))
    return memo(history, "txn_reads", build)


def names_of(model: TxnModel, txns) -> list[str]:
    """The names (``tid#n``) of these transactions (indices), sorted."""
    return sorted(model.txns[int(i)].name for i in txns)


def uncommitted_values(history: History, f: str | None = None) -> np.ndarray:
    """A mask of the rows of ``history.reads(f)`` holding a value of a transaction not known to have
    committed (not committed, or of unknown outcome): records a read_committed final read never holds."""
    at = read_values(history, f)
    hit = at >= 0
    if not hit.any():
        return hit
    status = transactions(history).status
    return hit & (status[np.maximum(at, 0)] != STATUSES.index(COMMITTED))
