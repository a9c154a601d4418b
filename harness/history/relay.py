"""Ops that another process reports: one JSON line each, ``[time, type, f, value, error]``, with ``time`` on
the history's clock (CLOCK_MONOTONIC is shared by every process of the machine). Group members and the
group probe report this way; the harness writes each line to the history, checked like any op."""

from __future__ import annotations

import json
from typing import IO, Callable

from harness.history.ops import OpType
from harness.history.schema import RecordError, decode
from harness.history.writer import HistoryWriter


def relay(stream: IO[str], history: HistoryWriter, process: str,
          bad: Callable[[str], None] | None = None) -> int:
    """Write every line of ``stream`` to the history as an op of ``process``, until the stream ends; a line
    that is not a valid op goes to ``bad`` (with why) instead. Returns how many ops were written."""
    n = 0
    for line in stream:
        try:
            time_, type_, f, value, error = json.loads(line)
            op_type = OpType(type_)
            rec = decode(f, op_type, value)
        except (ValueError, TypeError, RecordError) as exc:
            if bad is not None:
                bad(f"unreadable report from {process}: {exc}"[:300])
            continue
        history.record(process, op_type, rec, error, at=float(time_))
        n += 1
    return n
