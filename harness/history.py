"""The history: one append-only record of everything that happened in a run.

Clients, the nemesis and the sampler all append ``Op`` records to one JSON Lines file, flushed at least
every ``FLUSH_INTERVAL_S`` so a crash keeps what happened (recording every op must not slow the
workload: a flush per line would). Checking reads only this file (``load_history``), so any saved run
can be re-checked and re-reported offline.

Conventions (the ``f`` of an op, and what its ``value`` holds):

- ``send``: a batch of one producer's sends with one outcome (see ``harness.workload.producer``), as
  columns: invoke ``{topic, values, times, keys}``; ok ``{topic, values, times, partitions, offsets}``;
  fail (definitely not written) and info (indeterminate) ``{topic, values, times, errors}``. Each send
  has its own time in ``times``; the op's time is when the batch was written.
- ``poll`` (a consumer during the run) and ``read`` (the final read after healing): ok
  ``{topic, reader, records: [[partition, offset, value], ...]}``; a ``read`` that could not reach
  the end offset in time is completed with ``info`` and says so in ``error``.
- ``fault`` / ``heal``: invoke ``{id, kind, target}``; ok adds the resolved ``nodes`` and a ``detail``.
- ``effect``: what the cluster was observed to do after a fault or heal: ``{id, phase, observed, after_s}``
  (ok), or info when the effect was not seen within its deadline.
- ``sample``: periodic partition state ``{topic, partition, leader, isr, epoch, hwm}``.
- ``stats``: a consumer's librdkafka statistics ``{topic, reader, rack, partitions: [{partition, leader,
  broker, hi_offset, lo_offset, ls_offset, ...}]}``; ``broker`` is the one it actually fetches from.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson
import pandas as pd


@contextlib.contextmanager
def gc_paused():
    """Building tables creates millions of small objects; each cyclic GC pass would rescan every op."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class OpType(str, enum.Enum):
    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


@dataclass(slots=True)
class Op:
    """One record of the history. Never modified once written (not frozen: a frozen dataclass costs a
    microsecond per construction, and loading builds millions)."""

    index: int
    time: float
    """Seconds since the run started (monotonic clock)."""
    process: str
    type: OpType
    f: str
    value: Any = None
    error: str | None = None

    def to_json(self) -> str:
        d: dict[str, Any] = {"index": self.index, "time": round(self.time, 6), "process": self.process,
                             "type": self.type.value, "f": self.f, "value": self.value}
        if self.error is not None:
            d["error"] = self.error
        return orjson.dumps(d).decode()

    @classmethod
    def from_json(cls, line: str | bytes) -> Op:
        d = orjson.loads(line)
        return cls(d["index"], d["time"], d["process"], _OP_TYPES[d["type"]], d["f"], d.get("value"), d.get("error"))


_OP_TYPES = {t.value: t for t in OpType}


FLUSH_INTERVAL_S = 0.2


class HistoryWriter:
    """Thread-safe appender. Every op gets the next index and the time since the writer opened."""

    def __init__(self, path: Path | str, start: float | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", buffering=1 << 16, encoding="utf-8")
        self._lock = threading.Lock()
        self._index = 0
        self.start = time.monotonic() if start is None else start
        self._flushed = self.start

    def now(self) -> float:
        return time.monotonic() - self.start

    def append(self, process: str, type: OpType, f: str, value: Any = None, error: str | None = None) -> Op:
        with self._lock:
            op = Op(self._index, self.now(), process, type, f, value, error)
            self._index += 1
            self._file.write(op.to_json() + "\n")
            if op.time - (self._flushed - self.start) >= FLUSH_INTERVAL_S:
                self._file.flush()
                self._flushed = time.monotonic()
        return op

    def flush(self) -> None:
        with self._lock:
            self._file.flush()

    def invoke(self, process: str, f: str, value: Any = None) -> Op:
        return self.append(process, OpType.INVOKE, f, value)

    def ok(self, process: str, f: str, value: Any = None) -> Op:
        return self.append(process, OpType.OK, f, value)

    def fail(self, process: str, f: str, value: Any = None, error: str | None = None) -> Op:
        return self.append(process, OpType.FAIL, f, value, error)

    def info(self, process: str, f: str, value: Any = None, error: str | None = None) -> Op:
        return self.append(process, OpType.INFO, f, value, error)

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_ops(path: Path | str) -> Iterator[Op]:
    """The ops of a history file, in order. A last line cut short (no newline: the run was killed while
    writing it) is dropped; any other line that is not an op is corruption and raises ValueError."""
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                op = Op.from_json(line)
            except (KeyError, TypeError, orjson.JSONDecodeError) as exc:
                if not line.endswith(b"\n"):
                    return
                raise ValueError(f"{path}:{n}: not a history op ({type(exc).__name__}: {exc})") from None
            yield op


STATS_COLUMNS = ["process", "time", "topic", "reader", "rack", "partition", "leader", "broker", "hi_offset",
                 "lo_offset", "ls_offset"]


class History:
    """A loaded history, with the tables the checks work on (built once, then shared by every check)."""

    def __init__(self, ops: Iterable[Op]):
        self.ops: list[Op] = list(ops)
        self._tables: dict[tuple, pd.DataFrame] = {}
        self._records = None

    def _table(self, key: tuple, build) -> pd.DataFrame:
        if key not in self._tables:
            with gc_paused():
                self._tables[key] = build()
        return self._tables[key]

    @classmethod
    def load(cls, path: Path | str) -> History:
        with gc_paused():
            return cls(read_ops(path))

    def by_f(self, *fs: str) -> list[Op]:
        return [op for op in self.ops if op.f in fs]

    def sends(self) -> pd.DataFrame:
        """One row per send: when it was invoked, how it completed (None when it never did)."""
        return self._record_tables().sends

    def reads(self, f: str | None = None) -> pd.DataFrame:
        """One row per record observed by a poll or the final read (``f``, "poll" or "read", narrows to one)."""
        reads = self._record_tables().reads
        if f is not None:
            return reads[f]
        return self._table(("reads",), lambda: pd.concat(list(reads.values()), ignore_index=True))

    def _record_tables(self):
        from harness.tables import build_record_tables  # tables builds on Op: imported here, not at the top

        if self._records is None:
            with gc_paused():
                self._records = build_record_tables(self.ops)
        return self._records

    def unreadable_partitions(self) -> set[tuple[str, int]]:
        """Partitions that no final reader read to the end (so absence from the read proves nothing)."""
        last: dict[tuple[str, str, int], OpType] = {}
        for op in self.ops:
            if op.f == "read" and op.type is not OpType.INVOKE:
                last[(op.process, op.value["topic"], op.value["partition"])] = op.type
        attempted = {(t, p) for _, t, p in last}
        complete = {(t, p) for (_, t, p), kind in last.items() if kind is OpType.OK}
        return attempted - complete

    def incomplete_reads(self) -> list[Op]:
        """Final reads that could not reach their end offset in time."""
        return [op for op in self.ops if op.f == "read" and op.type is OpType.INFO]

    def faults(self) -> list[dict[str, Any]]:
        """Each fault with its resolved target, start and end times, and the effects observed."""
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
            elif op.f == "heal" and op.type is OpType.OK:
                entry["end"] = op.time
            elif op.f == "effect":
                entry["effects"].append({"phase": v.get("phase"), "observed": v.get("observed"), "time": op.time,
                                         "after_s": v.get("after_s"), "seen": op.type is OpType.OK})
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
