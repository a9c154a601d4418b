"""The order of what each consumer polled: ``nonmonotonic_poll``, ``int_nonmonotonic_poll``, ``poll_skip``
and ``int_poll_skip``. See ``harness.checks.reordering`` for the vocabulary and when Kafka allows each.

Per consumer process and partition, the polled records are taken in the order the consumer got them
(polls in history order, each poll's records in the order it returned them). Each record is a *step*
from the record before it: a step *between* polls (the last record of one poll to the first of the
next that holds the partition) or *within* one poll. A step back or in place is non-monotonic. A step
forward is measured from the highest offset the consumer had read so far, so that stepping back and
then returning is one non-monotonic step, not a skip as well; it skips when the final read holds
offsets strictly between (each distinct offset once, whatever the number of final readers).

A consumer whose position was out of range resets it and records the reset (``reset`` ops): the steps
around a reset of that consumer and partition are neither counted nor a base for later skips (noted
as ``after_reset``). Which poll holds the records before a reset is not exact (a reset is recorded while
its batch is read, and the batch's records after it), so both steps that may cross it are let go.

A consumer group's member (reader ``group:<group id>``) given a partition by a rebalance resumes from the
group's committed offset, which may be behind what it had read (its last records were not committed) or
ahead (another member went on meanwhile): the steps of a member process and partition around an
``assigned`` rebalance callback naming that partition, recorded by that process, are let go the same way
(noted as ``after_rebalance``, only for a history with group polls). Whether the group as a whole went
back or skipped is for the group checks (``group_reprocessed``, ``group_skipped``). Other readers'
steps are judged as before: an assignment never excuses them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.checks.codes import memo
from harness.checks.groups import group_rows
from harness.checks.order_final import (
    group_cummax,
    log_offsets,
    partition_codes,
    reach_of,
)
from harness.checks.result import CheckResult, records
from harness.history.loader import History
from harness.history.ops import OpType

NO_POLLS = "no consumer polled during the run"


@dataclass
class _Steps:
    """Every polled record as a step from the one before it (same consumer and partition)."""

    frame: pd.DataFrame
    """process, topic, partition, offset, time, op, previous_offset, highest_before (numpy dtypes), in
    step order."""
    within: np.ndarray
    """The step stays in one poll (False: between polls)."""
    backwards: np.ndarray
    skip: np.ndarray
    """A step forward past offsets the final read holds."""
    skipped: np.ndarray
    """How many distinct offsets of the final read each step passed over."""
    undecided: np.ndarray
    """A step forward past offsets the final read cannot vouch for (it does not reach them)."""
    after_reset: int
    polls: int
    after_rebalance: int = 0
    """Steps of group members let go around an ``assigned`` rebalance callback (and not around a reset)."""
    groups: bool = False
    """Whether any poll is a group member's (then the notes say ``after_rebalance``)."""


def _steps(history: History) -> _Steps:
    def build() -> _Steps:
        polls = history.reads("poll")
        ok = polls["partition"].notna().to_numpy(dtype=bool) & polls["offset"].notna().to_numpy(dtype=bool)
        polls = polls[ok]
        process = polls["process"].to_numpy(dtype=object)
        topic = polls["topic"].to_numpy(dtype=object)
        partition = polls["partition"].to_numpy(dtype=np.int64)
        pcode, pnames = pd.factorize(process)
        codes, keys = partition_codes(topic, partition)
        width = max(len(keys), 1)
        group = pcode.astype(np.int64) * width + codes
        order = np.argsort(group, kind="stable")  # history order kept within each consumer and partition
        group = group[order]
        off = polls["offset"].to_numpy(dtype=np.int64)[order]
        op = polls["op"].to_numpy(dtype=np.int64)[order]
        n = len(off)
        same = np.zeros(n, dtype=bool)
        same[1:] = group[1:] == group[:-1]
        prev_off = np.roll(off, 1)
        prev_op = np.roll(op, 1)
        process_code, key_code = {name: i for i, name in enumerate(pnames)}, {k: i for i, k in enumerate(keys)}
        crossing = _around_resets(history, group, prev_op, op, process_code, key_code, width)
        reset = same & (op != prev_op) & crossing
        members = group_rows(polls["reader"])[order]
        rebalance = np.zeros(n, dtype=bool)
        if members.any():
            moved = _around_assignments(history, group, prev_op, op, process_code, key_code, width)
            rebalance = same & (op != prev_op) & moved & members & ~reset
        step = same & ~reset & ~rebalance
        within = step & (op == prev_op)
        segment = np.cumsum(~step)  # a new run at each consumer and partition, after each reset or rebalance
        highest = group_cummax(segment, off)
        highest_before = np.where(step, np.roll(highest, 1), -1)
        backwards = step & (off <= prev_off)
        jump = step & (off > highest_before + 1)
        skipped = np.zeros(n, dtype=np.int64)
        undecided = np.zeros(n, dtype=bool)
        jumps = np.flatnonzero(jump)
        if len(jumps):
            logs = log_offsets(history)
            pos = codes[order][jumps]
            for c in np.unique(pos).tolist():
                at = jumps[pos == c]
                log = logs.get(keys[c], np.zeros(0, dtype=np.int64))
                skipped[at] = np.searchsorted(log, off[at], "left") - np.searchsorted(log, highest_before[at], "right")
            reach = reach_of(history, topic[order][jumps], partition[order][jumps])
            undecided[jumps] = (skipped[jumps] == 0) & (off[jumps] - 1 > reach)
        frame = pd.DataFrame({
            "process": process[order], "topic": topic[order], "partition": partition[order], "offset": off,
            "time": polls["time"].to_numpy(dtype=float)[order], "op": op,
            "previous_offset": np.where(same, prev_off, -1), "highest_before": highest_before,
            "skipped": skipped}, copy=False)
        return _Steps(frame, within, backwards, skipped > 0, skipped, undecided, int(reset.sum()),
                      len(np.unique(op)), int(rebalance.sum()), bool(members.any()))
    return memo(history, "poll_steps", build)


def _around_resets(history: History, group: np.ndarray, prev_op: np.ndarray, op: np.ndarray,
                   process_code: dict[str, int], key_code: dict[tuple[str, int], int], width: int) -> np.ndarray:
    """A mask of the steps between polls that may cross a reset of their consumer and partition: a reset
    recorded after the poll before the step's first record's poll, and before the step's second record's
    poll. (A poll never holds records of a partition from both sides of its reset: the batch that met
    the reset holds only records from before it.)"""
    resets = []
    for o in history.ops:
        if o.f == "reset" and o.type is OpType.OK:
            p, k = process_code.get(o.process), key_code.get((o.value["topic"], o.value["partition"]))
            if p is not None and k is not None:
                resets.append((p * width + k, o.index))
    return _crossing(history, resets, group, prev_op, op)


def _around_assignments(history: History, group: np.ndarray, prev_op: np.ndarray, op: np.ndarray,
                        process_code: dict[str, int], key_code: dict[tuple[str, int], int], width: int
                        ) -> np.ndarray:
    """A mask of the steps between polls that may cross an ``assigned`` rebalance callback of their process
    naming their partition, in the same window as a reset (``_around_resets``): a member's callback runs
    inside its poll, and that poll may still return records fetched before it."""
    assigned = []
    for o in history.by_f("assignment"):
        v = history.fields(o)
        if o.type is not OpType.OK or v.get("event") != "assigned" or o.process not in process_code:
            continue
        for partition in v["partitions"]:
            k = key_code.get((v["topic"], partition))
            if k is not None:
                assigned.append((process_code[o.process] * width + k, o.index))
    return _crossing(history, assigned, group, prev_op, op)


def _crossing(history: History, events: list[tuple[int, int]], group: np.ndarray, prev_op: np.ndarray,
              op: np.ndarray) -> np.ndarray:
    """A mask of the steps between polls that may cross one of ``events`` ((consumer and partition code, op
    index)) of their consumer and partition: recorded after the poll before the step's first record's poll,
    and before the step's second record's poll."""
    mask = np.zeros(len(op), dtype=bool)
    if not events:
        return mask
    last_poll, poll_before = {}, {}
    for o in history.ops:
        if o.f == "poll":
            poll_before[o.index] = last_poll.get(o.process, -1)
            last_poll[o.process] = o.index
    span = max(max(poll_before, default=0), max(r for _, r in events)) + 2
    at = np.sort(np.array([g * span + r for g, r in events], dtype=np.int64))
    polls = np.array(sorted(poll_before), dtype=np.int64)
    before = np.array([poll_before[i] for i in polls.tolist()], dtype=np.int64)
    start = before[np.clip(np.searchsorted(polls, prev_op), 0, max(len(polls) - 1, 0))]
    lo, hi = group * span + start, group * span + op
    return np.searchsorted(at, hi, "left") - np.searchsorted(at, lo, "right") > 0


def _rebalanced(s: _Steps) -> dict[str, int]:
    """The ``after_rebalance`` note, in a history with group polls only (others' notes stay as they were)."""
    return {"after_rebalance": s.after_rebalance} if s.groups else {}


def _check(name: str, history: History, mask_of) -> CheckResult:
    if not history.by_f("poll"):
        return CheckResult(name, 0, skipped=NO_POLLS)
    s = _steps(history)
    hit = mask_of(s)
    notes = {"records_polled": len(s.frame), "polls": s.polls, "after_reset": s.after_reset, **_rebalanced(s)}
    return CheckResult(name, int(hit.sum()), notes=notes,
                       examples=records(s.frame[hit], ["process", "topic", "partition", "offset", "previous_offset",
                                                       "time"]),
                       found=list(zip(s.frame["process"].to_numpy()[hit].tolist(),
                                      s.frame["partition"].to_numpy()[hit].tolist(),
                                      s.frame["offset"].to_numpy()[hit].tolist())))


def nonmonotonic_poll(history: History) -> CheckResult:
    """nonmonotonic_poll: per consumer and partition, a poll whose first record is at or below the
    previous poll's last."""
    return _check("nonmonotonic_poll", history, lambda s: s.backwards & ~s.within)


def int_nonmonotonic_poll(history: History) -> CheckResult:
    """int_nonmonotonic_poll: per consumer and partition, a record at or below the one before it in the
    same poll."""
    return _check("int_nonmonotonic_poll", history, lambda s: s.backwards & s.within)


def _skip_check(name: str, history: History, within: bool) -> CheckResult:
    if not history.by_f("poll"):
        return CheckResult(name, 0, skipped=NO_POLLS)
    s = _steps(history)
    here = s.within if within else ~s.within
    hit, undecided = s.skip & here, s.undecided & here
    notes = {"records_polled": len(s.frame), "polls": s.polls, "skipped_offsets": int(s.skipped[hit].sum()),
             "undecided": int(undecided.sum()), "after_reset": s.after_reset, **_rebalanced(s)}
    if undecided.any():
        notes["reason"] = ("steps forward over offsets the final read does not reach (missing or incomplete): "
                           "whether the log holds them cannot be told")
    return CheckResult(name, int(hit.sum()), decided=not undecided.any(), notes=notes,
                       examples=records(s.frame[hit], ["process", "topic", "partition", "offset", "previous_offset",
                                                       "highest_before", "skipped", "time"]),
                       found=list(zip(s.frame["process"].to_numpy()[hit].tolist(),
                                      s.frame["partition"].to_numpy()[hit].tolist(),
                                      s.frame["offset"].to_numpy()[hit].tolist())))


def poll_skip(history: History) -> CheckResult:
    """poll_skip: per consumer and partition, a poll that starts past offsets the final log holds, beyond
    the highest offset read so far."""
    return _skip_check("poll_skip", history, within=False)


def int_poll_skip(history: History) -> CheckResult:
    """int_poll_skip: per consumer and partition, a record that jumps, within one poll, past offsets the
    final log holds, beyond the highest offset read so far."""
    return _skip_check("int_poll_skip", history, within=True)
