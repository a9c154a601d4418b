"""Loading a saved history, and the tables the checks work on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson
import pandas as pd

from harness.history.ops import Op, OpType, gc_paused
from harness.history.tables import build_record_tables


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
