"""Appending to a run's history: one thread-safe writer, flushed often enough that a crash keeps what happened."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from harness.history.ops import Op, OpType
from harness.history.schema import Record

FLUSH_INTERVAL_S = 0.2


class HistoryWriter:
    """Thread-safe appender of typed records. Every op gets the next index and the time since the writer opened."""

    def __init__(self, path: Path | str, start: float | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", buffering=1 << 16, encoding="utf-8")
        self._lock = threading.Lock()
        self._index = 0
        self.start = time.monotonic() if start is None else start
        self._flushed = self.start
        self.wall_start = time.time() - (time.monotonic() - self.start)
        """The wall clock (Unix seconds) at history time 0."""
        self.dropped = 0
        """Records offered after ``close``: not written."""

    def now(self) -> float:
        return time.monotonic() - self.start

    def record(self, process: str, type_: OpType, rec: Record, error: str | None = None,
               at: float | None = None) -> Op:
        """Append one op recording ``rec`` (a record class of ``harness.history.schema``, checked when it
        was built) with the next index and the time now, or ``at`` (history time) for an op another process
        timed itself (a group member: the moment it acted, not when its word reached this writer)."""
        op = Op.of(0, 0.0, process, type_, rec, error)  # refuses a record of another type; index, time below
        with self._lock:
            if self._file.closed:
                # A straggler after the run ended (an effect watcher of an interrupted run): the history
                # is complete once closed, so its word is dropped rather than raised in its thread.
                self.dropped += 1
                return op
            op.index, op.time = self._index, self.now() if at is None else at
            self._index += 1
            self._file.write(op.to_json() + "\n")
            if op.time - (self._flushed - self.start) >= FLUSH_INTERVAL_S:
                self._file.flush()
                self._flushed = time.monotonic()
        return op

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def invoke(self, process: str, rec: Record) -> Op:
        return self.record(process, OpType.INVOKE, rec)

    def ok(self, process: str, rec: Record) -> Op:
        return self.record(process, OpType.OK, rec)

    def fail(self, process: str, rec: Record, error: str | None = None) -> Op:
        return self.record(process, OpType.FAIL, rec, error)

    def info(self, process: str, rec: Record, error: str | None = None) -> Op:
        return self.record(process, OpType.INFO, rec, error)

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
