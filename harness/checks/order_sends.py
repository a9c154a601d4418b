"""The order of acknowledged sends: ``nonmonotonic_send`` (per producer) and ``realtime_order`` (across
producers). See ``harness.checks.reordering`` for the vocabulary and when Kafka allows each.

Both compare a send B with earlier acknowledged sends A of the same partition that got a higher offset.
Each send's acknowledged offset is judged against the final read: *held* (the final read holds its
value there), *truncated* (the final read reached that offset and holds something else, or nothing),
or *unknown* (the partition's final read is missing or stopped short of it). B counts when B is held
and some such A is held. When B or every such A was truncated, the order is an echo of a write lost
to a leader change (lost_writes counts the loss), noted as ``explained_by_truncation``; when that
hinges on an unknown, it is ``undecided`` and the check cannot pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.checks.codes import memo, outcome_is
from harness.checks.order_final import (
    group_cummax,
    held,
    partition_codes,
    reach_of,
)
from harness.checks.result import MAX_EXAMPLES, CheckResult, records
from harness.history.loader import History


@dataclass
class _Acked:
    """Acknowledged sends with an offset, as numpy columns, each with its standing in the final read."""

    frame: pd.DataFrame
    """process, topic, value, partition, offset, invoke_time, complete_time (numpy dtypes)."""
    held: np.ndarray
    unknown: np.ndarray
    without_offset: int
    """Acknowledged sends with no offset (acks=0 reports none): not judged."""

    @property
    def truncated(self) -> np.ndarray:
        return ~self.held & ~self.unknown


def _acked(history: History) -> _Acked:
    def build() -> _Acked:
        sends = history.sends()
        ok = outcome_is(history, "ok")
        has = ok & sends["partition"].notna().to_numpy(dtype=bool) & sends["offset"].notna().to_numpy(dtype=bool)
        has[has] = sends["offset"].to_numpy(dtype=np.int64, na_value=-1)[has] >= 0
        acked = sends[has]
        frame = pd.DataFrame({
            "process": acked["process"].to_numpy(dtype=object), "topic": acked["topic"].to_numpy(dtype=object),
            "value": acked["value"].to_numpy(dtype=object),
            "partition": acked["partition"].to_numpy(dtype=np.int64),
            "offset": acked["offset"].to_numpy(dtype=np.int64),
            "invoke_time": acked["invoke_time"].to_numpy(dtype=float),
            "complete_time": acked["complete_time"].to_numpy(dtype=float)})
        off = frame["offset"].to_numpy()
        is_held = held(history, acked["vid"].to_numpy(dtype=np.int64), frame["partition"].to_numpy(), off)
        unknown = ~is_held & (off > reach_of(history, frame["topic"].to_numpy(), frame["partition"].to_numpy()))
        return _Acked(frame, is_held, unknown, int(ok.sum() - has.sum()))
    return memo(history, "acked", build)


@dataclass
class _Judged:
    """For each B: counted, explained by truncation, or undecided (all False: in order)."""

    counted: np.ndarray
    explained: np.ndarray
    undecided: np.ndarray


def _judge(a: _Acked, off: np.ndarray, rows: np.ndarray, before_all: np.ndarray, before_held: np.ndarray,
           before_unknown: np.ndarray) -> _Judged:
    """``rows``: the B's positions in ``a``; ``before_*``: the highest offset of the earlier A's (all of
    them, the held ones, the unknown ones; -1 for none)."""
    b_held, b_truncated = a.held[rows], a.truncated[rows]
    candidate = before_all > off
    counted = b_held & (before_held > off)
    explained = candidate & ~counted & (b_truncated | (b_held & (before_unknown <= off)))
    return _Judged(counted, explained, candidate & ~counted & ~explained)


def _result(name: str, a: _Acked, rows: np.ndarray, judged: _Judged, examples: list, judged_count: int,
            ) -> CheckResult:
    undecided = int(judged.undecided.sum())
    notes = {"acknowledged": judged_count, "explained_by_truncation": int(judged.explained.sum()),
             "undecided": undecided}
    if a.without_offset:
        notes["acknowledged_without_offset"] = a.without_offset
    if undecided:
        notes["reason"] = ("the final read is missing or incomplete where some sends out of order were "
                           "acknowledged: whether they were truncated cannot be told")
    hit = rows[judged.counted]
    found = list(zip(a.frame["topic"].to_numpy()[hit].tolist(), a.frame["value"].to_numpy()[hit].tolist()))
    return CheckResult(name, int(judged.counted.sum()), examples, decided=not undecided, notes=notes, found=found)


def nonmonotonic_send(history: History) -> CheckResult:
    """nonmonotonic_send: per producer process and partition, an acknowledged send that got a lower offset
    than a send the same producer invoked before it (both still in the final log at those offsets)."""
    a = _acked(history)
    f = a.frame
    rows = np.flatnonzero(~np.isnan(f["invoke_time"].to_numpy()))
    if not len(rows):
        none = np.zeros(0, dtype=bool)
        return _result("nonmonotonic_send", a, rows, _Judged(none, none, none), [], 0)
    pcode, _ = pd.factorize(f["process"].to_numpy()[rows])
    codes, keys = partition_codes(f["topic"].to_numpy()[rows], f["partition"].to_numpy()[rows])
    group = pcode.astype(np.int64) * max(len(keys), 1) + codes
    t = f["invoke_time"].to_numpy()[rows]
    order = np.lexsort((t, group))
    rows, group, t = rows[order], group[order], t[order]
    off = f["offset"].to_numpy()[rows]
    n = len(rows)
    idx = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = group[1:] != group[:-1]
    new_time = new_group.copy()
    new_time[1:] |= t[1:] != t[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, idx, 0))
    last_before = np.maximum.accumulate(np.where(new_time, idx, 0)) - 1  # the last send invoked strictly before
    has_before = last_before >= group_start
    at = np.maximum(last_before, 0)

    def highest_before(values: np.ndarray) -> np.ndarray:
        running = group_cummax(group, values)
        return np.where(has_before, running[at], -1)

    judged = _judge(a, off, rows, highest_before(off), highest_before(np.where(a.held[rows], off, -1)),
                    highest_before(np.where(a.unknown[rows], off, -1)))
    examples = []
    for i in np.argsort(t[judged.counted], kind="stable")[:MAX_EXAMPLES]:
        i = int(np.flatnonzero(judged.counted)[i])
        span = np.arange(group_start[i], last_before[i] + 1)
        span = span[a.held[rows[span]]]
        j = int(span[np.argmax(off[span])])
        example = records(f.iloc[[rows[i]]], ["value", "process", "topic", "partition", "offset", "invoke_time"])[0]
        example.update({"earlier_value": f["value"].iat[rows[j]], "earlier_offset": int(off[j]),
                        "earlier_invoke_time": float(t[j])})
        examples.append(example)
    return _result("nonmonotonic_send", a, rows, judged, examples, n)


def realtime_order(history: History) -> CheckResult:
    """realtime_order: per partition, across producers, an acknowledged send at a lower offset than a
    send whose acknowledgement completed before this one was invoked (both still in the final log)."""
    a = _acked(history)
    f = a.frame
    off_all = f["offset"].to_numpy()
    invoke, complete = f["invoke_time"].to_numpy(), f["complete_time"].to_numpy()
    codes, _ = partition_codes(f["topic"].to_numpy(), f["partition"].to_numpy())
    rows = np.flatnonzero(~np.isnan(invoke))  # the B's; every acknowledged send with a completion time is an A
    before = {k: np.full(len(rows), -1, dtype=np.int64) for k in ("all", "held", "unknown")}
    completions: dict[int, np.ndarray] = {}  # per partition code: its A's in order of completion
    a_order = np.argsort(codes, kind="stable")
    b_order = np.argsort(codes[rows], kind="stable")
    a_parts = np.split(a_order, np.flatnonzero(np.diff(codes[a_order])) + 1) if len(a_order) else []
    b_parts = dict(zip(np.unique(codes[rows]).tolist(),
                       np.split(b_order, np.flatnonzero(np.diff(codes[rows][b_order])) + 1))) if len(rows) else {}
    for part in a_parts:
        done = part[~np.isnan(complete[part])]
        done = done[np.argsort(complete[done], kind="stable")]
        code = int(codes[part[0]])
        completions[code] = done
        bs = b_parts.get(code)
        if bs is None or not len(done):
            continue
        k = np.searchsorted(complete[done], invoke[rows[bs]], "left")  # how many A's completed strictly before
        for name, keep in (("all", None), ("held", a.held[done]), ("unknown", a.unknown[done])):
            running = np.maximum.accumulate(off_all[done] if keep is None else np.where(keep, off_all[done], -1))
            before[name][bs] = np.where(k > 0, running[np.maximum(k - 1, 0)], -1)
    judged = _judge(a, off_all[rows], rows, before["all"], before["held"], before["unknown"])
    examples = []
    counted = np.flatnonzero(judged.counted)
    for i in counted[np.argsort(invoke[rows[counted]], kind="stable")[:MAX_EXAMPLES]]:
        b = int(rows[i])
        done = completions[int(codes[b])]
        span = done[: np.searchsorted(complete[done], invoke[b], "left")]
        span = span[a.held[span]]
        j = int(span[np.argmax(off_all[span])])
        example = records(f.iloc[[b]], ["value", "process", "topic", "partition", "offset", "invoke_time"])[0]
        example.update({"earlier_value": f["value"].iat[j], "earlier_process": f["process"].iat[j],
                        "earlier_offset": int(off_all[j]), "earlier_complete_time": float(complete[j])})
        examples.append(example)
    return _result("realtime_order", a, rows, judged, examples, len(rows))
