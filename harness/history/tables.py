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
from itertools import repeat
from operator import itemgetter
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
            n, base = len(values), len(items)
            if codes.count(None) == n and len(dict.fromkeys(values)) == n:  # all new and distinct
                index.update(zip(values, range(base, base + n)))
                items.extend(values)
                return array("q", range(base, base + n))
            missing = [v for v, c in zip(values, codes) if c is None]
            new = list(dict.fromkeys(missing))  # none of them seen yet, in order of first sight
            index.update(zip(new, range(base, base + len(new))))
            items.extend(new)
            found = map(index.__getitem__, missing)
            codes = [next(found) if c is None else c for c in codes]
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
        self.done_value = array("q")
        self.done_topic: list[tuple[int, Any]] = []
        """Where each run of completions of one topic starts: (first completion, topic)."""
        self.in_flight: dict[str, dict[Any, int]] = {}
        """Per producer process, the codes of the values it invoked and has not completed yet: a completion
        is looked up among its producer's few, not among every string of the history."""

    def add(self, op: Op, v: dict, strings: _Strings) -> None:
        values = v["values"]
        if not values:
            return
        n = len(values)
        if op.type is OpType.INVOKE:
            codes = strings.codes(values)
            self.in_flight.setdefault(op.process, {}).update(zip(values, codes))
        else:
            codes = _completed(self.in_flight.get(op.process), values, strings)
            self.done_value.extend(codes)
            if not self.done_topic or self.done_topic[-1][1] != v["topic"]:
                self.done_topic.append((self.completions, v["topic"]))
        self.value.extend(codes)
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


def _completed(flight: dict[Any, int] | None, values: Sequence, strings: _Strings) -> array:
    """The codes of completed sends' values, taken out of their producer's sends in flight."""
    if not flight:
        return strings.codes(values)
    codes = list(map(flight.pop, values, repeat(None)))
    if None in codes:  # completed twice, or never invoked
        missing = [v for v, c in zip(values, codes) if c is None]
        found = iter(strings.codes(missing))
        codes = [next(found) if c is None else c for c in codes]
    return array("q", codes)


class _Acknowledged:
    """The code of the value acknowledged at each offset of each (topic, partition): where the final read
    most likely holds which value. Built from the sends' completions when the final read begins (the
    workload is over); a record is taken for that value only once their strings compare equal."""

    def __init__(self, sends: _SendEvents):
        self.runs: dict[tuple[Any, int], tuple[int, np.ndarray]] = {}
        n = sends.completions
        if not n or sends.partition.overflow or sends.offset.overflow:
            return
        part, off, code = sends.partition.numpy(), sends.offset.numpy(), _codes(sends.done_value)
        known = ~(sends.partition.missing() | sends.offset.missing())
        bounds = [start for start, _ in sends.done_topic[1:]] + [n]
        for (start, topic), end in zip(sends.done_topic, bounds):
            p, o, c = part[start:end], off[start:end], code[start:end]
            k = known[start:end]
            for number in np.unique(p[k]).tolist():
                at = k & (p == number)
                low, high = int(o[at].min()), int(o[at].max())
                key = (topic, number)
                if key in self.runs:  # a topic in several runs of completions: widen its table
                    base, table = self.runs[key]
                    low, high = min(low, base), max(high, base + len(table) - 1)
                if high - low > 4 * n + 1_000_000:
                    continue
                wider = np.full(high - low + 1, -1, dtype=np.int64)
                if key in self.runs:
                    wider[base - low:base - low + len(table)] = table
                wider[o[at] - low] = c[at]
                self.runs[key] = (low, wider)

    def codes(self, topic: Any, partition: int, offsets: Sequence, values: Sequence, strings: _Strings
              ) -> array | None:
        """The codes of one partition's records, or None where a record is not the value acknowledged at
        its offset (then the strings are looked up)."""
        run = self.runs.get((topic, partition))
        if run is None:
            return None
        base, table = run
        try:
            at = np.asarray(offsets, dtype=np.int64) - base
        except (OverflowError, TypeError, ValueError):  # not offsets an acknowledgement could have
            return None
        if at.min() < 0 or at.max() >= len(table):
            return None
        guess = table[at]
        if guess.min() < 0:
            return None
        guess = guess.tolist()
        held = strings.items
        same = (held[guess[0]] == values[0]) if len(guess) == 1 else itemgetter(*guess)(held) == tuple(values)
        return array("q", guess) if same else None


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

    def add(self, op: Op, v: dict, strings: _Strings, acknowledged: _Acknowledged | None = None) -> None:
        records = v.get("records")
        if not records:
            return
        p, o, val = zip(*records)
        self.partition.extend(p)
        self.offset.extend(o)
        codes = None
        if acknowledged is not None and type(p[0]) is int and p.count(p[0]) == len(p):
            codes = acknowledged.codes(v.get("topic"), p[0], o, val, strings)
        self.value.extend(codes if codes is not None else strings.codes(val))
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
        self.acknowledged: _Acknowledged | None = None

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
            if f == "read" and self.acknowledged is None:  # the workload is over
                self.acknowledged = _Acknowledged(self.sends)
            self.reads[f].add(op, v or {}, self.strings, self.acknowledged if f == "read" else None)

    def finish(self) -> tuple[RecordTables, pd.DataFrame]:
        """The record tables and the replica-log table. The builder is spent: each of its columns is let go
        as soon as the tables have it, so a history of millions of records never holds both at once."""
        sends, reads, strings = self.sends, self.reads, self.strings.array()
        self.strings = _Strings()  # the index of the strings is not needed any more: only the strings
        self.acknowledged = None
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
        send_codes = _codes(sends.value).copy()
        sends.value = array("q")
        send_op = np.repeat(np.arange(len(sends.counts)), sends.counts)
        send_vid = rank[send_codes]
        if n_topics > 1:
            send_vid *= n_topics
            send_vid += np.asarray([topic_codes[t] for t in sends.topic], dtype=np.int64)[send_op]
        send_frame = _sends_frame(sends, send_op, send_codes, send_vid, strings)
        self.sends = sends = _SendEvents()
        del send_op, send_codes, send_vid
        tables = RecordTables(send_frame, *_reads_frames(reads, rank, strings, topic_codes, n_topics))
        self.reads = {f: _ReadColumns(f) for f in READ_FS}
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
    row = _rows_once(vid, is_invoke)
    if row is None:
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


def _rows_once(vid: np.ndarray, is_invoke: np.ndarray) -> np.ndarray | None:
    """The rows of ``_sends_frame`` when no value is invoked twice (as the workload sends): a completion
    before its value's invocation is a row of its own, every other event belongs to its value's
    invocation. By array indexing on the ids (small integers), not by hashing; None when some value is
    invoked more than once (then pandas groups them)."""
    n = len(vid)
    if not n or int(vid.min()) < 0:
        return None
    size = int(vid.max()) + 1
    if size > 4 * n + 1_000_000:
        return None
    invoked = np.flatnonzero(is_invoke)
    if len(invoked) and np.bincount(vid[invoked], minlength=size).max() > 1:
        return None
    at = np.full(size, n, dtype=np.int64)
    at[vid[invoked]] = invoked
    key = vid * 2
    key += at[vid] <= np.arange(n)  # invoked already (at or before this event)
    del at
    first = np.full(2 * size, n, dtype=np.int64)
    np.minimum.at(first, key, np.arange(n))
    rank = np.zeros(2 * size, dtype=np.int64)
    opening = key[first[key] == np.arange(n)]  # each row's key, in order of its first event
    rank[opening] = np.arange(len(opening))
    return rank[key]


def _reads_frames(reads: dict[str, _ReadColumns], rank: np.ndarray, strings: np.ndarray,
                  topic_codes: dict[str, int], n_topics: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every record read, polls then final reads, as one frame; and each kind's rows of it (sharing its
    columns), numbered from 0 as a frame of their own would be."""
    parts = list(reads.values())
    counts = [c for r in parts for c in r.counts]
    op_of = np.repeat(np.arange(len(counts)), counts)

    def per_op(name: str, dtype=object) -> np.ndarray:
        return np.asarray([x for r in parts for x in getattr(r, name)], dtype=dtype)[op_of]

    def present(values: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(values, np.zeros(len(values), dtype=bool))

    def spent(name: str) -> np.ndarray:
        """A per-record column of every part, let go in the parts (they are spent)."""
        out = np.concatenate([getattr(r, name).numpy() if name != "value" else _codes(r.value) for r in parts])
        for r in parts:
            setattr(r, name, array("q") if name == "value" else _Ints())
        return out

    sizes = [len(r.value) for r in parts]
    codes = spent("value")
    vid = rank[codes]
    if n_topics > 1:
        vid *= n_topics
        vid += np.asarray([topic_codes[t] for r in parts for t in r.topic], dtype=np.int64)[op_of]
    columns = {"value": _objects(strings[codes]), "vid": vid}
    del codes
    columns.update({"partition": present(spent("partition")), "offset": present(spent("offset"))})
    every = pd.DataFrame({
        "process": _objects(per_op("process")),
        "f": _categories([r.f for r in parts], np.repeat(np.arange(len(parts)), sizes)),
        "reader": _categories([x for r in parts for x in r.reader], op_of), "time": per_op("time", float),
        "topic": _objects(per_op("topic")), "op": per_op("op", np.int64), **columns,
    }, columns=READ_COLUMNS, copy=False)
    frames, start = {}, 0
    for r, size in zip(parts, sizes):
        frames[r.f] = every.iloc[start:start + size].reset_index(drop=True)
        start += size
    return frames, every


def _categories(values: list, at: np.ndarray) -> pd.Series:
    """``values[at]`` as a categorical column: a few distinct strings (``f``, ``reader``), one small code
    per row instead of an object pointer. Its categories are sorted, so it sorts as the strings would; a
    column holding anything but strings stays an object column (a categorical cannot hold None)."""
    uniques = sorted(set(values)) if all(type(v) is str for v in values) else None
    if uniques is None or len(uniques) > 127:
        return _objects(np.asarray(values, dtype=object)[at] if len(values) else np.zeros(0, dtype=object))
    index = {v: i for i, v in enumerate(uniques)}
    codes = np.asarray([index[v] for v in values], dtype=np.int8)[at] if len(values) else np.zeros(0, np.int8)
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object)), copy=False)


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
        **{c: logs.ints[c].numpy().copy() for c in _REPLICA_LOG_FIELDS},
    }, columns=REPLICA_LOG_COLUMNS, copy=False)


def build_replica_log_table(ops: Sequence[Op]) -> pd.DataFrame:
    """The replica-log table of these ops alone."""
    builder = RecordBuilder()
    for op in ops:
        if op.f == "replica_log":
            builder.add(op)
    return _replica_log_frame(builder.logs, builder.strings.array())
