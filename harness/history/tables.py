"""Columnar tables built from a history's ops: one row per send, one row per record read, one row per
record of each replica's log.

The checks work on these tables, never on the ops, and a history of a million sends yields millions of
rows, so the tables are built with as little per-op Python as possible. A ``RecordBuilder`` is fed the
ops one at a time (``History.load`` feeds it while it reads the file, so the records' own lists never
have to be kept): it keeps each column as a compact array and each value string once, as an integer
code. ``finish`` then builds the tables with numpy and pandas.

Every send and read table carries ``vid``, one integer per (topic, value), shared by the sends, the
polls and the final read. The checks join and group on it instead of hashing the value strings again
and again. A read table also carries ``op``, the index of the op that recorded each record, so that the
records of one poll (or one chunk of the final read) can be told apart from the next one's.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from harness.history.ops import Op, OpType

SEND_COLUMNS = ["process", "topic", "value", "invoke_time", "complete_time", "outcome", "partition", "offset",
                "error", "vid"]
READ_COLUMNS = ["process", "f", "reader", "time", "topic", "partition", "offset", "value", "vid", "op"]
READ_FS = ("poll", "read")
RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "send": ("values", "times", "keys", "partitions", "offsets", "errors"),
    "poll": ("records", "epochs"),
    "read": ("records", "epochs"),
    "replica_log": ("offsets", "values", "leader_epochs", "producer_ids", "producer_epochs", "sequences"),
}
"""Per ``f``, the fields of a value that hold one entry per record (the bulk of a history)."""


@dataclass
class RecordTables:
    sends: pd.DataFrame
    reads: dict[str, pd.DataFrame]
    """Keyed by the op's ``f``: ``poll`` (consumers during the run) and ``read`` (the final read)."""
    all_reads: pd.DataFrame
    """Both, polls first: ``reads["poll"]`` and ``reads["read"]`` share its columns (no second copy)."""


class _Strings:
    """Each distinct string once, numbered in order of first sight."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.items: list[Any] = []

    def codes(self, values: Sequence) -> array:
        index = self.index
        codes = list(map(index.get, values))
        if None in codes:  # strings not seen before (a send's invocation, mostly)
            items = self.items
            for i, c in enumerate(codes):
                if c is None:
                    v = values[i]
                    c = index.get(v)
                    if c is None:
                        c = index[v] = len(items)
                        items.append(v)
                    codes[i] = c
        return array("q", codes)

    def array(self) -> np.ndarray:
        out = np.empty(len(self.items), dtype=object)
        out[:] = self.items
        return out


class _Ints:
    """A column of integers that may hold None (kept as a mask), as compact as an array of C longs. An
    integer too large for 64 bits is remembered and raises where the old tables raised: when built."""

    def __init__(self) -> None:
        self.data = array("q")
        self.none: list[int] = []
        self.overflow: OverflowError | None = None

    def extend(self, items: Sequence) -> None:
        try:
            chunk = array("q", items)
        except TypeError:
            base = len(self.data)
            self.none.extend(base + i for i, x in enumerate(items) if x is None)
            try:
                chunk = array("q", [0 if x is None else x for x in items])
            except OverflowError as exc:
                self.overflow, chunk = exc, array("q", bytes(8 * len(items)))
        except OverflowError as exc:
            self.overflow, chunk = exc, array("q", bytes(8 * len(items)))
        self.data.extend(chunk)

    def numpy(self) -> np.ndarray:
        if self.overflow is not None:
            raise self.overflow
        return np.frombuffer(self.data, dtype=np.int64) if len(self.data) else np.zeros(0, dtype=np.int64)

    def missing(self) -> np.ndarray:
        mask = np.zeros(len(self.data), dtype=bool)
        mask[self.none] = True
        return mask


def _floats(items: array) -> np.ndarray:
    return np.frombuffer(items, dtype=np.float64) if len(items) else np.zeros(0, dtype=np.float64)


def _codes(items: array) -> np.ndarray:
    return np.frombuffer(items, dtype=np.int64) if len(items) else np.zeros(0, dtype=np.int64)


class _SendEvents:
    """Every send invocation and completion, in history order (a batched ``send`` op holds many)."""

    def __init__(self) -> None:
        self.counts: list[int] = []
        self.is_invoke: list[bool] = []
        self.process: list[str] = []
        self.topic: list[str] = []
        self.outcome: list[str] = []
        self.value = array("q")
        self.time = array("d")
        # Completions only, in their order:
        self.partition = _Ints()
        self.offset = _Ints()
        self.error_at: list[int] = []
        self.errors: list[Any] = []
        self.completions = 0

    def add(self, op: Op, v: dict, strings: _Strings) -> None:
        values = v["values"]
        if not values:
            return
        n = len(values)
        self.value.extend(strings.codes(values))
        self.time.extend(array("d", v["times"]))
        if op.type is not OpType.INVOKE:
            self.partition.extend(v.get("partitions") or [None] * n)
            self.offset.extend(v.get("offsets") or [None] * n)
            errors = v.get("errors")
            if errors:
                base = self.completions
                for i, e in enumerate(errors):
                    if e is not None:
                        self.error_at.append(base + i)
                        self.errors.append(e)
            self.completions += n
        self.counts.append(n)
        self.is_invoke.append(op.type is OpType.INVOKE)
        self.process.append(op.process)
        self.topic.append(v["topic"])
        self.outcome.append(op.type.value)


class _ReadColumns:
    """Per-op fields (repeated per record later) and per-record fields of one kind of read."""

    def __init__(self, f: str) -> None:
        self.f = f
        self.counts: list[int] = []
        self.process: list[str] = []
        self.reader: list[str] = []
        self.time: list[float] = []
        self.topic: list[str] = []
        self.op: list[int] = []
        """The index of the op that recorded each read (repeated per record later): groups a poll's records."""
        self.partition = _Ints()
        self.offset = _Ints()
        self.value = array("q")

    def add(self, op: Op, v: dict, strings: _Strings) -> None:
        records = v.get("records")
        if not records:
            return
        p, o, val = zip(*records)
        self.partition.extend(p)
        self.offset.extend(o)
        self.value.extend(strings.codes(val))
        self.counts.append(len(records))
        self.process.append(op.process)
        self.reader.append(v.get("reader", op.process))
        self.time.append(op.time)
        self.topic.append(v.get("topic"))
        self.op.append(op.index)


_REPLICA_LOG_FIELDS = {"offset": "offsets", "leader_epoch": "leader_epochs", "producer_id": "producer_ids",
                       "producer_epoch": "producer_epochs", "sequence": "sequences"}
REPLICA_LOG_COLUMNS = ["node", "topic", "partition", "offset", "value", "leader_epoch", "producer_id",
                       "producer_epoch", "sequence"]


class _ReplicaLogs:
    """The ``replica_log`` ok ops of the log autopsy, a column per op, not a row per record."""

    def __init__(self) -> None:
        self.counts: list[int] = []
        self.nodes: list[int] = []
        self.topics: list[str] = []
        self.partitions: list[int] = []
        self.value = array("q")
        self.ints = {c: _Ints() for c in _REPLICA_LOG_FIELDS}

    def add(self, op: Op, v: dict, strings: _Strings) -> None:
        self.counts.append(len(v["offsets"]))
        self.nodes.append(v["node"])
        self.topics.append(v["topic"])
        self.partitions.append(v["partition"])
        self.value.extend(strings.codes(v["values"]))
        for column, name in _REPLICA_LOG_FIELDS.items():
            self.ints[column].extend(v[name])


class RecordBuilder:
    """Takes a history's ops one at a time (``add``) and builds its tables (``finish``): the sends, the
    polls and final reads, and the replica logs."""

    def __init__(self) -> None:
        self.strings = _Strings()
        self.sends = _SendEvents()
        self.reads = {f: _ReadColumns(f) for f in READ_FS}
        self.logs = _ReplicaLogs()

    def add(self, op: Op, value: Any = None) -> None:
        """One op (``value``: its value, when the caller has it at hand; ops of other kinds are ignored)."""
        f = op.f
        if f not in RECORD_COLUMNS:
            return
        v = op.value if value is None else value
        if f == "send":
            self.sends.add(op, v, self.strings)
        elif f == "replica_log":
            if op.type is OpType.OK:
                self.logs.add(op, v, self.strings)
        elif op.type is not OpType.INVOKE:
            self.reads[f].add(op, v or {}, self.strings)

    def finish(self) -> tuple[RecordTables, pd.DataFrame]:
        """The record tables and the replica-log table."""
        sends, reads, strings = self.sends, self.reads, self.strings.array()
        # One id per (topic, value): the value's code across every table, times the number of topics, plus
        # the topic's code. Topics are few, so they are coded per op through a dict, not hashed per record.
        # Values are numbered in order of first appearance in the sends, then the polls, then the final read.
        topic_codes = {t: i for i, t in enumerate(dict.fromkeys([*sends.topic, *(t for r in reads.values()
                                                                                 for t in r.topic)]))}
        n_topics = max(len(topic_codes), 1)
        rank = np.full(len(strings), -1, dtype=np.int64)
        known = 0
        for codes in (_codes(sends.value), *(_codes(r.value) for r in reads.values())):
            new = codes[rank[codes] < 0] if known else codes
            if len(new):
                first = pd.unique(new)
                rank[first] = np.arange(known, known + len(first))
                known += len(first)
        send_codes = _codes(sends.value)
        send_op = np.repeat(np.arange(len(sends.counts)), sends.counts)
        send_vid = rank[send_codes] * n_topics + np.asarray([topic_codes[t] for t in sends.topic],
                                                            dtype=np.int64)[send_op]
        tables = RecordTables(_sends_frame(sends, send_op, send_codes, send_vid, strings),
                              *_reads_frames(reads, rank, strings, topic_codes, n_topics))
        return tables, _replica_log_frame(self.logs, strings)


def build_record_tables(ops: Sequence[Op]) -> RecordTables:
    builder = RecordBuilder()
    for op in ops:
        builder.add(op)
    return builder.finish()[0]


def _sends_frame(ev: _SendEvents, op_of: np.ndarray, codes: np.ndarray, vid: np.ndarray,
                 strings: np.ndarray) -> pd.DataFrame:
    """One row per send. A completion belongs to the latest invocation of the same (topic, value) before it
    (the last completion wins); a completion with no invocation before it opens a row of its own."""
    n = len(codes)
    is_invoke = np.asarray(ev.is_invoke, dtype=bool)[op_of]
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

    def per_op(column: list, at: np.ndarray) -> np.ndarray:
        return np.asarray(column, dtype=object)[op_of[at]] if len(at) else np.zeros(0, dtype=object)

    def at_done(column: np.ndarray, dtype=object, missing=None) -> np.ndarray:
        out = np.full(n_rows, missing, dtype=dtype)
        out[completed] = column
        return out

    def ints(column: _Ints) -> pd.arrays.IntegerArray:
        """A completion-only column, one entry per row (NA where the send never completed, or had none)."""
        data = np.zeros(n_rows, dtype=np.int64)
        absent = ~completed
        if len(done):
            data[completed] = column.numpy()[done_in_completions]
            absent[completed] = column.missing()[done_in_completions]
        return pd.arrays.IntegerArray(data, absent)

    errors = np.full(ev.completions, None, dtype=object)
    if ev.errors:
        errors[ev.error_at] = np.asarray(ev.errors, dtype=object)
    times = _floats(ev.time)
    return pd.DataFrame({
        "process": _objects(per_op(ev.process, first)),
        "topic": _objects(per_op(ev.topic, first)),
        "value": _objects(strings[codes[first]]),
        "invoke_time": np.where(is_invoke[first], times[first], np.nan),
        "complete_time": at_done(times[done], float, np.nan),
        "outcome": _objects(at_done(per_op(ev.outcome, done))),
        "partition": ints(ev.partition),
        "offset": ints(ev.offset),
        "error": _objects(at_done(errors[done_in_completions])),
        "vid": vid[first],
    }, columns=SEND_COLUMNS, copy=False)


def _reads_frames(reads: dict[str, _ReadColumns], rank: np.ndarray, strings: np.ndarray,
                  topic_codes: dict[str, int], n_topics: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every record read, polls then final reads, as one frame; and each kind's rows of it (sharing its
    columns), numbered from 0 as a frame of their own would be."""
    parts = list(reads.values())
    counts = [c for r in parts for c in r.counts]
    op_of = np.repeat(np.arange(len(counts)), counts)

    def per_op(name: str, dtype=object) -> np.ndarray:
        return np.asarray([x for r in parts for x in getattr(r, name)], dtype=dtype)[op_of]

    def per_record(name: str) -> np.ndarray:
        return np.concatenate([getattr(r, name).numpy() for r in parts])

    def present(values: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(values, np.zeros(len(values), dtype=bool))

    codes = np.concatenate([_codes(r.value) for r in parts])
    sizes = [len(r.value) for r in parts]
    f = np.empty(len(parts), dtype=object)
    f[:] = [r.f for r in parts]
    topic_code = np.asarray([topic_codes[t] for r in parts for t in r.topic], dtype=np.int64)[op_of]
    every = pd.DataFrame({
        "process": _objects(per_op("process")), "f": _objects(np.repeat(f, sizes)),
        "reader": _objects(per_op("reader")), "time": per_op("time", float),
        "topic": _objects(per_op("topic")), "partition": present(per_record("partition")),
        "offset": present(per_record("offset")), "value": _objects(strings[codes]),
        "vid": rank[codes] * n_topics + topic_code, "op": per_op("op", np.int64),
    }, columns=READ_COLUMNS, copy=False)
    frames, start = {}, 0
    for r, size in zip(parts, sizes):
        frames[r.f] = every.iloc[start:start + size].reset_index(drop=True)
        start += size
    return frames, every


def _objects(items) -> pd.Series:
    """An object column as is: letting pandas infer a string dtype costs a pass over millions of values."""
    return pd.Series(np.asarray(items, dtype=object), dtype=object, copy=False)


def _replica_log_frame(logs: _ReplicaLogs, strings: np.ndarray) -> pd.DataFrame:
    """One row per record of each replica's log (the ``replica_log`` ok ops of the log autopsy): which
    node holds it, where, its value, and its batch's leader epoch, producer id, producer epoch and
    sequence (-1 where the producer was not idempotent)."""
    def per_record(column: list, dtype=object) -> np.ndarray:
        return np.repeat(np.asarray(column, dtype=dtype), logs.counts)

    return pd.DataFrame({
        "node": per_record(logs.nodes, np.int64), "topic": _objects(per_record(logs.topics)),
        "partition": per_record(logs.partitions, np.int64), "value": _objects(strings[_codes(logs.value)]),
        **{c: logs.ints[c].numpy() for c in _REPLICA_LOG_FIELDS},
    }, columns=REPLICA_LOG_COLUMNS, copy=False)


def build_replica_log_table(ops: Sequence[Op]) -> pd.DataFrame:
    """The replica-log table of these ops alone."""
    builder = RecordBuilder()
    for op in ops:
        if op.f == "replica_log":
            builder.add(op)
    return _replica_log_frame(builder.logs, builder.strings.array())
