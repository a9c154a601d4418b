"""Appending to a run's history: one thread-safe writer, flushed often enough that a crash keeps what happened."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from harness.history.ops import Op, OpType

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
