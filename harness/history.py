"""The history: one append-only record of everything that happened in a run.

Clients, the nemesis and the sampler all append ``Op`` records to one JSON Lines file, flushed at least
every ``FLUSH_INTERVAL_S`` so a crash keeps what happened (recording every op must not slow the
workload: a flush per line would). Checking reads only this file (``load_history``), so any saved run
can be re-checked and re-reported offline.

Conventions (the ``f`` of an op, and what its ``value`` holds):

- ``send``: invoke ``{topic, value, key}``; ok ``{topic, value, partition, offset}``;
  fail (definitely not written) / info (indeterminate) ``{topic, value}`` with ``error``.
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

import enum
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd


class OpType(str, enum.Enum):
    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Op:
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
        return json.dumps(d, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Op:
        d = json.loads(line)
        return cls(d["index"], d["time"], d["process"], OpType(d["type"]), d["f"], d.get("value"), d.get("error"))


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
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield Op.from_json(line)
                except (ValueError, KeyError) as exc:
                    # A run killed mid-write leaves at most one torn last line; anything else is corruption.
                    raise ValueError(f"{path}:{n}: not a history op ({exc})") from None


SEND_COLUMNS = ["process", "topic", "value", "invoke_time", "complete_time", "outcome", "partition", "offset", "error"]
READ_COLUMNS = ["process", "f", "reader", "time", "topic", "partition", "offset", "value"]
STATS_COLUMNS = ["process", "time", "topic", "reader", "rack", "partition", "leader", "broker", "hi_offset",
                 "lo_offset", "ls_offset"]


class History:
    """A loaded history, with the tables the checks work on (built once, then shared by every check)."""

    def __init__(self, ops: Iterable[Op]):
        self.ops: list[Op] = list(ops)
        self._tables: dict[tuple, pd.DataFrame] = {}

    def _table(self, key: tuple, build) -> pd.DataFrame:
        if key not in self._tables:
            self._tables[key] = build()
        return self._tables[key]

    @classmethod
    def load(cls, path: Path | str) -> History:
        return cls(read_ops(path))

    def by_f(self, *fs: str) -> list[Op]:
        return [op for op in self.ops if op.f in fs]

    def sends(self) -> pd.DataFrame:
        """One row per send: when it was invoked, how it completed (None when it never did)."""
        return self._table(("sends",), self._sends)

    def _sends(self) -> pd.DataFrame:
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for op in self.ops:
            if op.f != "send":
                continue
            v = op.value
            key = (v["topic"], v["value"])
            if op.type is OpType.INVOKE:
                rows[key] = {"process": op.process, "topic": v["topic"], "value": v["value"], "invoke_time": op.time,
                             "complete_time": None, "outcome": None, "partition": None, "offset": None, "error": None}
                continue
            row = rows.setdefault(key, {"process": op.process, "topic": v["topic"], "value": v["value"],
                                        "invoke_time": None})
            row.update(complete_time=op.time, outcome=op.type.value, partition=v.get("partition"),
                       offset=v.get("offset"), error=op.error)
        df = pd.DataFrame(list(rows.values()), columns=SEND_COLUMNS)
        for col in ("partition", "offset"):
            df[col] = df[col].astype("Int64")
        return df

    def reads(self, f: str | None = None) -> pd.DataFrame:
        """One row per record observed by a poll or the final read (``f`` narrows to one of them)."""
        return self._table(("reads", f), lambda: self._reads(f))

    def _reads(self, f: str | None) -> pd.DataFrame:
        procs, fs, readers, times, topics, parts, offsets, values = [], [], [], [], [], [], [], []
        for op in self.ops:
            if op.f not in ("poll", "read") or (f is not None and op.f != f) or op.type is OpType.INVOKE:
                continue
            v = op.value or {}
            for partition, offset, value in v.get("records", ()):
                procs.append(op.process)
                fs.append(op.f)
                readers.append(v.get("reader", op.process))
                times.append(op.time)
                topics.append(v.get("topic"))
                parts.append(partition)
                offsets.append(offset)
                values.append(value)
        return pd.DataFrame({"process": procs, "f": fs, "reader": readers, "time": times, "topic": topics,
                             "partition": pd.array(parts, dtype="Int64"), "offset": pd.array(offsets, dtype="Int64"),
                             "value": values}, columns=READ_COLUMNS)

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
