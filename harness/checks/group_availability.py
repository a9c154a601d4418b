"""group_availability: how each consumer group kept processing through each fault.

Per fault and group, from the group's polls that returned records (any member): the first one after the
fault started (``first_poll_after_start_s``), the longest gap between consecutive ones that overlaps the
fault's window (``longest_stall_s``; the time from the workload's start to the group's first poll, and
from its last poll to the end of the workload, are gaps too), and the first one after the fault healed
(``first_poll_after_heal_s``, None when there is none). ``count`` is the (fault, group) pairs after
whose heal the group never polled a record again although records of its topic were acknowledged after
the heal (more than ``GRACE_S`` before the group's end: its first member leaving at the end of the run, or
the end of the workload). A finding, not a failure, by default. Skipped when the run has no consumer
group; a run without faults counts 0 and says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.checks.codes import outcome_is
from harness.checks.groups import NO_GROUPS, Group, groups
from harness.checks.result import CheckResult
from harness.history.loader import History
from harness.history.ops import OpType

NAME = "group_availability"
GRACE_S = 1.0
"""A record acknowledged less than this before the group's end need not have been polled."""


def _poll_times(history: History, g: Group) -> np.ndarray:
    """When the group's polls that returned records were recorded, in order."""
    return np.sort(np.array([op.time for op in history.by_f("poll") if op.type is OpType.OK
                             and history.fields(op).get("reader") == g.reader and history.record_extent(op)[0]],
                            dtype=float))


def _phase_time(history: History, phase: str) -> float | None:
    return next((op.time for op in history.ops if op.f == "phase" and isinstance(op.value, dict)
                 and op.value.get("phase") == phase), None)


def _end_of(g: Group, workload_end: float) -> float:
    """The group's end: its first member leaving cleanly (at the end of the run), else the workload's end."""
    closed = [e.time for e in g.lives if e.event == "closed"]
    return min(closed) if closed else workload_end


def _longest_gap(times: np.ndarray, start: float, end: float, first: float, last: float) -> float:
    """The longest gap between consecutive poll times that overlaps the window [start, end], the workload's
    start (``first``) and end (``last``) as the outer edges where the polls do not reach them."""
    edges = np.concatenate([[min(first, *times[:1])], times, [max(last, *times[-1:])]])
    lo, hi = edges[:-1], edges[1:]
    overlap = (lo < end) & (hi > start)
    return round(float((hi - lo)[overlap].max()), 2) if overlap.any() else 0.0


def _after(times: np.ndarray, t: float | None) -> float | None:
    """Seconds from ``t`` to the first time at or after it (None: none, or no ``t``)."""
    if t is None:
        return None
    i = np.searchsorted(times, t, "left")
    return round(float(times[i] - t), 2) if i < len(times) else None


def group_availability(history: History) -> CheckResult:
    """group_availability: per fault and consumer group, the first poll with records after the fault's start
    and after its heal, and the longest stall overlapping it; counted: a group that never polled a record
    again after a heal although records were acknowledged after it."""
    gs = groups(history)
    if not gs:
        return CheckResult(NAME, 0, skipped=NO_GROUPS)
    faults = [f for f in history.faults() if f["start"] is not None]
    if not faults:
        return CheckResult(NAME, 0, notes={"faults": 0, "note": "no fault was injected: nothing to measure"})
    sends = history.sends()
    ok = outcome_is(history, "ok")
    acked_time = sends["complete_time"].to_numpy(dtype=float)
    topic = sends["topic"].to_numpy(dtype=object)
    last_time = max((op.time for op in history.ops), default=0.0)
    workload_start = _phase_time(history, "workload") or 0.0
    workload_end = _phase_time(history, "heal") or last_time
    table: list[dict[str, Any]] = []
    for g in gs.values():
        times = _poll_times(history, g)
        group_end = _end_of(g, workload_end)
        acked = np.sort(acked_time[ok & (topic == g.topic)])
        for f in faults:
            start, heal = f["start"], f["end"]
            after_heal = 0 if heal is None else \
                int(np.searchsorted(acked, group_end - GRACE_S, "left") - np.searchsorted(acked, heal, "left"))
            row = {"fault": f["id"], "kind": f["kind"], "target": f["target"], "group": g.id, "start": start,
                   "end": heal, "first_poll_after_start_s": _after(times, start),
                   "longest_stall_s": _longest_gap(times, start, heal if heal is not None else workload_end,
                                                   workload_start, workload_end),
                   "first_poll_after_heal_s": _after(times, heal), "acknowledged_after_heal": max(after_heal, 0)}
            row["never_polled_after_heal"] = heal is not None and row["first_poll_after_heal_s"] is None \
                and row["acknowledged_after_heal"] > 0
            table.append(row)
    stuck = [r for r in table if r["never_polled_after_heal"]]
    return CheckResult(NAME, len(stuck), stuck[:5], notes={"grace_s": GRACE_S, "faults": table},
                       found=[(r["fault"], r["group"]) for r in stuck])
