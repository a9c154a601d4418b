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
from dataclasses import dataclass
from typing import Any

import orjson


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
