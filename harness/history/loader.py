"""Loading a saved history, and the tables the checks work on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson
import pandas as pd

from harness.errors import HistoryError
from harness.history.hugepages import no_synchronous_huge_pages
from harness.history.ops import Op, OpType, gc_paused
from harness.history.schema import (
    ENVELOPE,
    ENVELOPE_REQUIRED,
    KNOWN_VERSIONS,
    OP_TYPES,
    UNVERSIONED,
    RecordError,
    check_value,
)
from harness.history.tables import RECORD_COLUMNS, RecordBuilder, RecordTables


READ_BUFFER = 1 << 20
"""Bytes read at a time: the lines of sends, polls and reads run to tens of kilobytes, and reading them
through the default 8 KiB buffer took about twice as long."""


def read_ops(path: Path | str) -> Iterator[Op]:
    """The ops of a history file, in order, each checked against the schema.

    A last line cut short (no newline: the run was killed while writing it) is dropped; any other line
    that is not a valid op, a history of a schema version this harness does not know, and a file with
    no op at all raise HistoryError (``FILE:LINE: what is wrong``). The version is the ``run`` op's
    ``schema_version``; a history that names none is version 1 (written before versions were recorded).
    """
    for op, _, _ in _read(path):
        yield op


def _read(path: Path | str) -> Iterator[tuple[Op, int, int]]:
    """``read_ops``, each op with where its line starts in the file and the line's length in bytes."""
    n = 0
    count = 0
    at = 0
    with open(path, "rb", buffering=READ_BUFFER) as fh:
        for n, line in enumerate(fh, 1):
            start, at = at, at + len(line)
            if not line or line.isspace():  # (as ``not line.strip()``, without copying the line)
                continue
            try:
                op = _op(orjson.loads(line))
            except (orjson.JSONDecodeError, RecordError) as exc:
                if not line.endswith(b"\n"):
                    break
                what = f"not JSON ({exc})" if isinstance(exc, orjson.JSONDecodeError) else str(exc)
                raise HistoryError(f"{path}:{n}: {what}") from None
            except HistoryError as exc:
                raise HistoryError(f"{path}:{n}: {exc}") from None
            count += 1
            yield op, start, len(line)
    if not count:
        raise HistoryError(f"{path}: the history is empty (no complete op in {n} line(s))" if n else
                           f"{path}: the history file is empty")


def _op(d: object) -> Op:
    """One line's op: the envelope checked here, the value against its record class."""
    if type(d) is not dict:
        raise RecordError(f"not an op: a JSON object with {', '.join(ENVELOPE)} expected")
    if not ENVELOPE_REQUIRED <= d.keys() or not d.keys() <= ENVELOPE.keys():
        missing, extra = sorted(ENVELOPE_REQUIRED - d.keys()), sorted(d.keys() - ENVELOPE.keys())
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + \
            ([f"unexpected {', '.join(extra)}"] if extra else [])
        raise RecordError("not an op: " + "; ".join(problems))
    index, time, process, type_, f, value, error = (d["index"], d["time"], d["process"], d["type"], d["f"],
                                                    d["value"], d.get("error"))
    if type(index) is not int or type(time) not in (float, int) or type(process) is not str or type(f) is not str \
            or not (error is None or type(error) is str):
        raise RecordError("not an op: index must be an integer, time a number, process and f strings, "
                          "error a string or absent")
    op_type = OP_TYPES.get(type_)  # type: ignore[arg-type]
    if op_type is None:
        raise RecordError(f"not an op: type {type_!r} is not one of {', '.join(OP_TYPES)}")
    if f == "run" and type(value) is dict:
        version = value.get("schema_version", UNVERSIONED)
        if version not in KNOWN_VERSIONS:
            raise HistoryError(f"the history follows schema version {version!r}; this kafka-chaos reads "
                               f"version(s) {', '.join(map(str, sorted(KNOWN_VERSIONS)))}")
    check_value(f, op_type, value)
    return Op(index, time, process, op_type, f, value, error)


STATS_COLUMNS = ["process", "time", "topic", "reader", "rack", "partition", "leader", "broker", "hi_offset",
                 "lo_offset", "ls_offset"]


class _Source:
    """The file a history was loaded from: where its ops' records are read back from when asked."""

    __slots__ = ("path",)

    def __init__(self, path: Path):
        self.path = path

    def value_of(self, op: StoredOp) -> Any:
        with open(self.path, "rb") as fh:
            fh.seek(op.at)
            line = fh.read(op.size)
        try:
            d = orjson.loads(line)
        except orjson.JSONDecodeError:
            d = None
        if type(d) is not dict or (d.get("index"), d.get("process"), d.get("f")) != (op.index, op.process, op.f):
            raise HistoryError(f"{self.path}: the file changed after it was loaded (op {op.index} is no longer "
                               "where it was)")
        return d["value"]


class StoredOp(Op):
    """An op of a loaded history whose records stay in its file: a history of millions of sends holds
    them as the tables' columns instead (``History.load``). ``value`` reads the op's line again (each
    time: it is rarely asked for); ``head`` holds the value's other fields, ``extent`` the number of records
    of a poll or read and the offset of its last one."""

    __slots__ = ("at", "extent", "head", "size", "source")

    @property  # type: ignore[override]
    def value(self) -> Any:
        return self.source.value_of(self)

    @classmethod
    def keep(cls, op: Op, value: dict, columns: tuple[str, ...], source: _Source, at: int, size: int) -> StoredOp:
        """``op`` without its records (``columns``), read from ``size`` bytes at ``at`` in ``source``."""
        s = cls.__new__(cls)
        s.index, s.time, s.process, s.type, s.f, s.error = op.index, op.time, op.process, op.type, op.f, op.error
        s.head = {k: v for k, v in value.items() if k not in columns}
        records = value.get("records") or []
        s.extent = (len(records), records[-1][1] if records else None)
        s.source, s.at, s.size = source, at, size
        return s


class History:
    """A loaded history, with the tables the checks work on (built once, then shared by every check)."""

    def __init__(self, ops: Iterable[Op]):
        self.ops: list[Op] = list(ops)
        self._tables: dict[tuple, pd.DataFrame] = {}
        self._records: RecordTables | None = None
        self._replica_logs: pd.DataFrame | None = None
        self._builder: RecordBuilder | None = None
        """Fed while loading (the tables' columns, so the ops need not keep their records); None: the
        tables are built from ``ops`` when first asked for."""

    def _table(self, key: tuple, build) -> pd.DataFrame:
        if key not in self._tables:
            with gc_paused():
                self._tables[key] = build()
        return self._tables[key]

    @classmethod
    def load(cls, path: Path | str) -> History:
        """The history in a file, every line checked (HistoryError names the file and line of a bad one).

        The records of sends, polls, reads and replica logs go into the tables' columns as they are read,
        each value string kept once; their ops keep the other fields (``StoredOp``), and read their records
        back from the file if asked for ``value``."""
        no_synchronous_huge_pages()
        with gc_paused():
            builder = RecordBuilder()
            source = _Source(Path(path))
            ops = []
            for op, at, size in _read(path):
                columns = RECORD_COLUMNS.get(op.f)
                if columns is not None:
                    value = op.value
                    builder.add(op, value)
                    if type(value) is dict and any(value.get(c) for c in columns):
                        op = StoredOp.keep(op, value, columns, source, at, size)
                ops.append(op)
            history = cls(ops)
            history._builder = builder
            return history

    def fields(self, op: Op) -> dict[str, Any]:
        """An op's value, to read its fields other than its records (without reading those back)."""
        if type(op) is StoredOp:
            return op.head
        return op.value if type(op.value) is dict else {}

    def record_extent(self, op: Op) -> tuple[int, Any]:
        """How many records a poll or read op holds, and the offset of its last one (None: it holds none)."""
        if type(op) is StoredOp:
            return op.extent
        records = (op.value or {}).get("records") or []
        return len(records), (records[-1][1] if records else None)

    def by_f(self, *fs: str) -> list[Op]:
        return [op for op in self.ops if op.f in fs]

    def sends(self) -> pd.DataFrame:
        """One row per send: when it was invoked, how it completed (None when it never did)."""
        return self._record_tables().sends

    def reads(self, f: str | None = None) -> pd.DataFrame:
        """One row per record observed by a poll or the final read (``f``, "poll" or "read", narrows to one).
        Both together are the polls' rows, then the final read's, each in the order of its own table."""
        tables = self._record_tables()
        return tables.reads[f] if f is not None else tables.all_reads

    def _record_tables(self) -> RecordTables:
        if self._records is None:
            self._build()
        assert self._records is not None
        return self._records

    def _build(self) -> None:
        with gc_paused():
            builder = self._builder
            if builder is None:
                builder = RecordBuilder()
                for op in self.ops:
                    builder.add(op)
            self._records, self._replica_logs = builder.finish()
            self._builder = None

    def replica_logs(self) -> pd.DataFrame:
        """One row per (node, topic, partition, offset) of the log autopsy: each replica's records after the
        run, with their batch headers (leader epoch, producer id and epoch, sequence). Empty when the
        history has no ``replica_log`` op (it predates the autopsy, or the autopsy did not run)."""
        if self._replica_logs is None:
            self._build()
        assert self._replica_logs is not None
        return self._replica_logs

    def replica_logs_unread(self) -> list[tuple[int, str, int | None, str | None]]:
        """The replica logs the autopsy could not read, as (node, topic, partition, error); partition None:
        none of that broker's logs of the topic."""
        return [(op.value["node"], op.value["topic"], op.value["partition"], op.error)
                for op in self.ops if op.f == "replica_log" and op.type is OpType.INFO]

    def unreadable_partitions(self) -> set[tuple[str, int]]:
        """Partitions that no final reader read to the end (so absence from the read proves nothing)."""
        last: dict[tuple[str, str, int], OpType] = {}
        for op in self.ops:
            if op.f == "read" and op.type is not OpType.INVOKE:
                v = self.fields(op)
                last[(op.process, v["topic"], v["partition"])] = op.type
        attempted = {(t, p) for _, t, p in last}
        complete = {(t, p) for (_, t, p), kind in last.items() if kind is OpType.OK}
        return attempted - complete

    def incomplete_reads(self) -> list[Op]:
        """Final reads that could not reach their end offset in time."""
        return [op for op in self.ops if op.f == "read" and op.type is OpType.INFO]

    def faults(self) -> list[dict[str, Any]]:
        """Each fault with its resolved target, start and end times, and the effects observed: each live verdict
        with what was awaited (``expect``, ``topic``, ``partition``, ``nodes``: None in histories older than them)."""
        faults: dict[str, dict[str, Any]] = {}
        for op in self.ops:
            if op.f not in ("fault", "heal", "effect"):
                continue
            v = op.value or {}
            fid = v.get("id")
            entry = faults.setdefault(fid, {"id": fid, "kind": v.get("kind"), "target": v.get("target"),
                                            "nodes": None, "start": None, "end": None, "effects": [], "errors": []})
            if op.f == "fault" and op.type is OpType.INVOKE:
                entry["start"] = op.time
            elif op.f == "fault" and op.type is OpType.OK:
                entry["nodes"] = v.get("nodes")
                entry["detail"] = v.get("detail")
                entry["in_force"] = op.time
            elif op.f == "heal" and op.type is OpType.OK:
                entry["end"] = op.time
            elif op.f == "effect":
                entry["effects"].append({"phase": v.get("phase"), "observed": v.get("observed"), "time": op.time,
                                         "after_s": v.get("after_s"), "seen": op.type is OpType.OK,
                                         "error": op.error, "expect": v.get("expect"), "topic": v.get("topic"),
                                         "partition": v.get("partition"), "nodes": v.get("nodes")})
            if op.type in (OpType.FAIL, OpType.INFO) and op.f != "effect":
                entry["errors"].append(f"{op.f}: {op.error}")
        return list(faults.values())

    def fetch_stats(self) -> pd.DataFrame:
        """One row per consumer statistics sample and partition: who led it, who served the fetches."""
        def build():
            rows = []
            for op in self.ops:
                if op.f == "stats" and op.type is OpType.OK:
                    v = op.value
                    for p in v["partitions"]:
                        rows.append({"process": op.process, "time": op.time, "topic": v["topic"],
                                     "reader": v.get("reader"), "rack": v.get("rack"), **p})
            return pd.DataFrame(rows, columns=STATS_COLUMNS) if not rows else pd.DataFrame(rows)
        return self._table(("stats",), build)

    def brokers(self) -> dict[int, str]:
        """Node id -> rack, from the run's cluster op."""
        for op in self.ops:
            if op.f == "cluster" and op.type is OpType.OK:
                return {b["node"]: b["rack"] for b in op.value["brokers"]}
        return {}

    def samples(self) -> pd.DataFrame:
        rows = [{"time": op.time, **op.value} for op in self.ops if op.f == "sample" and op.type is OpType.OK]
        return pd.DataFrame(rows)
