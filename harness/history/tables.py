"""Columnar tables built from a history's ops: one row per send, one row per record read.

The checks work on these tables, never on the ops, and a history of a million sends yields millions of
rows, so the tables are built with as little per-op Python as possible: a few list comprehensions to
pull fields out of the ops, then numpy and pandas for everything else.

Every table carries ``vid``, one integer per (topic, value), shared by the sends, the polls and the
final read. The checks join and group on it instead of hashing the value strings again and again.
A read table also carries ``op``, the index of the op that recorded each record, so that the records
of one poll (or one chunk of the final read) can be told apart from the next one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from harness.history.ops import Op, OpType

SEND_COLUMNS = ["process", "topic", "value", "invoke_time", "complete_time", "outcome", "partition", "offset",
                "error", "vid"]
READ_COLUMNS = ["process", "f", "reader", "time", "topic", "partition", "offset", "value", "vid", "op"]
READ_FS = ("poll", "read")


@dataclass
class RecordTables:
    sends: pd.DataFrame
    reads: dict[str, pd.DataFrame]
    """Keyed by the op's ``f``: ``poll`` (consumers during the run) and ``read`` (the final read)."""


@dataclass
class _ReadColumns:
    """Per-op fields (repeated per record later) and per-record fields of one kind of read."""

    f: str
    counts: list[int]
    process: list[str]
    reader: list[str]
    time: list[float]
    topic: list[str]
    partition: list[int]
    offset: list[int]
    value: list[str]
    op: list[int]
    """The index of the op that recorded each read (repeated per record later): groups a poll's records."""

    @classmethod
    def collect(cls, ops: Sequence[Op], f: str) -> _ReadColumns:
        cols = cls(f, [], [], [], [], [], [], [], [], [])
        for op in ops:
            if op.f != f or op.type is OpType.INVOKE:
                continue
            v = op.value or {}
            records = v.get("records")
            if not records:
                continue
            p, o, val = zip(*records)
            cols.partition.extend(p)
            cols.offset.extend(o)
            cols.value.extend(val)
            cols.counts.append(len(records))
            cols.process.append(op.process)
            cols.reader.append(v.get("reader", op.process))
            cols.time.append(op.time)
            cols.topic.append(v.get("topic"))
            cols.op.append(op.index)
        return cols

    def per_record(self, column: list, dtype=object) -> np.ndarray:
        return np.repeat(np.asarray(column, dtype=dtype), self.counts)

    def frame(self, topic_codes: dict[str, int], value_codes: np.ndarray, n_topics: int) -> pd.DataFrame:
        topic_code = self.per_record([topic_codes[t] for t in self.topic], np.int64)
        return pd.DataFrame({
            "process": _objects(self.per_record(self.process)), "f": _objects(np.full(len(self.value), self.f, object)),
            "reader": _objects(self.per_record(self.reader)), "time": self.per_record(self.time, float),
            "topic": _objects(self.per_record(self.topic)), "partition": pd.array(self.partition, dtype="Int64"),
            "offset": pd.array(self.offset, dtype="Int64"), "value": _objects(self.value),
            "vid": value_codes * n_topics + topic_code, "op": self.per_record(self.op, np.int64),
        }, columns=READ_COLUMNS, copy=False)


@dataclass
class _SendEvents:
    """Every send invocation and completion, in history order (a batched ``send`` op holds many)."""

    counts: list[int]
    is_invoke: list[bool]
    process: list[str]
    topic: list[str]
    outcome: list[str]
    value: list[str]
    time: list[float]
    partition: list[int | None]
    """This and ``offset``, ``error``: completions only, in their order."""
    offset: list[int | None]
    error: list[str | None]

    @classmethod
    def collect(cls, ops: Sequence[Op]) -> _SendEvents:
        ev = cls([], [], [], [], [], [], [], [], [], [])
        invoke = OpType.INVOKE
        for op in ops:
            if op.f != "send":
                continue
            v = op.value
            values = v["values"]
            if not values:
                continue
            n = len(values)
            ev.value.extend(values)
            ev.time.extend(v["times"])
            if op.type is not invoke:
                ev.partition.extend(v.get("partitions") or [None] * n)
                ev.offset.extend(v.get("offsets") or [None] * n)
                ev.error.extend(v.get("errors") or [None] * n)
            ev.counts.append(n)
            ev.is_invoke.append(op.type is invoke)
            ev.process.append(op.process)
            ev.topic.append(v["topic"])
            ev.outcome.append(op.type.value)
        return ev

    def per_event(self, column: list, dtype=object) -> np.ndarray:
        return np.repeat(np.asarray(column, dtype=dtype), self.counts)


def build_record_tables(ops: Sequence[Op]) -> RecordTables:
    sends = _SendEvents.collect(ops)
    reads = {f: _ReadColumns.collect(ops, f) for f in READ_FS}

    # One id per (topic, value): the value's code across every table, times the number of topics, plus
    # the topic's code. Topics are few, so they are coded per op through a dict, not hashed per record.
    topic_codes = {t: i for i, t in enumerate(dict.fromkeys([*sends.topic, *(t for r in reads.values()
                                                                             for t in r.topic)]))}
    n_topics = max(len(topic_codes), 1)
    value_codes, _ = pd.factorize(_objects(sends.value + [v for r in reads.values() for v in r.value]))
    value_codes = value_codes.astype(np.int64)
    send_vid = value_codes[:len(sends.value)] * n_topics + sends.per_event([topic_codes[t] for t in sends.topic],
                                                                          np.int64)
    frames, start = {}, len(sends.value)
    for f, cols in reads.items():
        frames[f] = cols.frame(topic_codes, value_codes[start:start + len(cols.value)], n_topics)
        start += len(cols.value)
    return RecordTables(_sends_frame(sends, send_vid), frames)


def _sends_frame(ev: _SendEvents, vid: np.ndarray) -> pd.DataFrame:
    """One row per send. A completion belongs to the latest invocation of the same (topic, value) before it
    (the last completion wins); a completion with no invocation before it opens a row of its own."""
    n = len(ev.value)
    is_invoke = ev.per_event(ev.is_invoke, bool)
    # A row is (vid, number of invocations of that vid so far); rows are numbered in order of appearance.
    invocations = pd.Series(is_invoke.astype(np.int64)).groupby(vid, sort=False).cumsum().to_numpy()
    row, _ = pd.factorize(vid * (n + 1) + invocations)
    n_rows = int(row.max()) + 1 if n else 0
    opens = np.ones(n, dtype=bool)
    opens[1:] = row[1:] > np.maximum.accumulate(row)[:-1]
    first = np.flatnonzero(opens)
    completions = np.flatnonzero(~is_invoke)
    last = np.full(n_rows, -1, dtype=np.int64)
    np.maximum.at(last, row[completions], completions)
    completed = last >= 0
    done = last[completed]
    done_in_completions = np.searchsorted(completions, done)  # where each is in the completion-only columns

    def at_done(column, dtype=object, missing=None) -> np.ndarray:
        out = np.full(n_rows, missing, dtype=dtype)
        out[completed] = np.asarray(column, dtype=dtype)[done] if len(done) else []
        return out

    def from_completions(items: list) -> np.ndarray:
        """A completion-only column, one entry per row (None where the send never completed)."""
        out = np.full(n_rows, None, dtype=object)
        out[completed] = np.asarray(items, dtype=object)[done_in_completions] if len(done) else []
        return out

    def ints(items: np.ndarray) -> pd.arrays.IntegerArray:
        present = items != None  # noqa: E711 (elementwise on an object array)
        data = np.zeros(n_rows, dtype=np.int64)
        data[present] = items[present].astype(np.int64)
        return pd.arrays.IntegerArray(data, ~present)

    times = np.asarray(ev.time, dtype=float)
    return pd.DataFrame({
        "process": _objects(ev.per_event(ev.process)[first]),
        "topic": _objects(ev.per_event(ev.topic)[first]),
        "value": _objects(np.asarray(ev.value, dtype=object)[first]),
        "invoke_time": np.where(is_invoke[first], times[first], np.nan),
        "complete_time": at_done(times, float, np.nan),
        "outcome": _objects(at_done(ev.per_event(ev.outcome))),
        "partition": ints(from_completions(ev.partition)),
        "offset": ints(from_completions(ev.offset)),
        "error": _objects(from_completions(ev.error)),
        "vid": vid[first],
    }, columns=SEND_COLUMNS, copy=False)


def _objects(items) -> pd.Series:
    """An object column as is: letting pandas infer a string dtype costs a pass over millions of values."""
    return pd.Series(np.asarray(items, dtype=object), dtype=object, copy=False)


REPLICA_LOG_COLUMNS = ["node", "topic", "partition", "offset", "value", "leader_epoch", "producer_id",
                       "producer_epoch", "sequence"]
_REPLICA_LOG_FIELDS = {"offset": "offsets", "leader_epoch": "leader_epochs", "producer_id": "producer_ids",
                       "producer_epoch": "producer_epochs", "sequence": "sequences"}


def build_replica_log_table(ops: Sequence[Op]) -> pd.DataFrame:
    """One row per record of each replica's log (the ``replica_log`` ok ops of the log autopsy): which
    node holds it, where, its value, and its batch's leader epoch, producer id, producer epoch and
    sequence (-1 where the producer was not idempotent). Built a column per op, not a row per record."""
    counts: list[int] = []
    nodes: list[int] = []
    topics: list[str] = []
    partitions: list[int] = []
    values: list[str | None] = []
    ints: dict[str, list[int]] = {c: [] for c in _REPLICA_LOG_FIELDS}
    for op in ops:
        if op.f != "replica_log" or op.type is not OpType.OK:
            continue
        v = op.value
        counts.append(len(v["offsets"]))
        nodes.append(v["node"])
        topics.append(v["topic"])
        partitions.append(v["partition"])
        values.extend(v["values"])
        for column, name in _REPLICA_LOG_FIELDS.items():
            ints[column].extend(v[name])

    def per_record(column: list, dtype=object) -> np.ndarray:
        return np.repeat(np.asarray(column, dtype=dtype), counts)

    return pd.DataFrame({
        "node": per_record(nodes, np.int64), "topic": _objects(per_record(topics)),
        "partition": per_record(partitions, np.int64), "value": _objects(values),
        **{c: np.asarray(ints[c], dtype=np.int64) for c in _REPLICA_LOG_FIELDS},
    }, columns=REPLICA_LOG_COLUMNS, copy=False)
