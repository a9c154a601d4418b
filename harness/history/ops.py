"""The history: one append-only record of everything that happened in a run.

Clients, the nemesis and the sampler all append ``Op`` records to one JSON Lines file, flushed at least
every ``FLUSH_INTERVAL_S`` so a crash keeps what happened (recording every op must not slow the
workload: a flush per line would). Checking reads only this file (``History.load``), so any saved run
can be re-checked and re-reported offline.

An op is the envelope (index, time, process, type, f, error); its ``value`` is one of the record classes
of ``harness.history.schema``, which are the format's definition and documentation (``kafka-chaos schema``).
Ops keep the value as its JSON object (the checks and tables read it as such); ``Op.of`` builds an op from
a record, ``op.record`` gives the typed record back, and the loader checks every line it reads.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass
from typing import Any

import orjson

from harness.history.schema import OpType, Record, RecordError, decode

__all__ = ["Op", "OpType", "gc_paused"]


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
    def of(cls, index: int, time: float, process: str, type_: OpType, rec: Record, error: str | None = None) -> Op:
        """The op that records ``rec`` (how the writer, crafted histories and benchmarks build ops)."""
        if not isinstance(rec, Record):
            raise TypeError(f"an op's value is a record from harness.history.schema, not {rec.__class__.__name__}")
        type_ = OpType(type_)
        if type_ not in rec.types:
            allowed = ", ".join(t.value for t in OpType if t in rec.types)
            raise RecordError(f"a {rec.__class__.__name__} ({rec.f}) cannot be {type_.value} (only {allowed})")
        return cls(index, time, process, type_, rec.f, rec.to_value(), error)

    @property
    def record(self) -> Record:
        """The value as its typed record (built on demand: ops keep the JSON object)."""
        return decode(self.f, self.type, self.value)
