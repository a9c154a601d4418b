"""unseen: acknowledged sends that no consumer poll ever observed.

Separate from lost_writes: an unseen write may only be late (the consumers stopped before reaching it),
not gone. It says whether the consumers kept up with what was acknowledged.

An unseen write is either late or lost, and only the final read tells which, so unseen writes are counted
only in partitions some final reader read to the end. An unseen write in any other partition (no final
read, a final read that timed out, a history that ends during the final read) is a note
(``unconfirmed_in_unreadable_partitions``), and the check is then undecided and names those partitions;
so is one past a last stable offset that stayed behind after the heal (``unconfirmed_behind_stuck_lso``).
"""

from __future__ import annotations

from typing import Any

from harness.checks.codes import outcome_is
from harness.checks.final_reads import (
    final_read_coverage,
    names,
    not_judged_reason,
    partitions_of,
)
from harness.checks.result import CheckResult, present_in, records
from harness.checks.stable_offsets import STUCK_REASON, beyond_stuck_lso
from harness.history.loader import History


def unseen(history: History) -> CheckResult:
    polls = history.reads("poll")
    if not history.by_f("poll"):
        return CheckResult("unseen", 0, skipped="no consumer polled during the run")
    sends = history.sends()
    acked = sends[outcome_is(history, "ok")]
    missing = acked[~present_in(acked, polls)]
    coverage = final_read_coverage(history)
    behind = beyond_stuck_lso(history, missing)  # past a stuck LSO: no read_committed reader got there
    judged = coverage.judged(missing) & ~behind
    counted, unconfirmed = missing[judged], missing[~judged]
    in_final = int(present_in(counted, history.reads("read")).sum())
    notes: dict[str, Any] = {"acknowledged": len(acked), "unseen_but_in_final_read": in_final,
                             "unconfirmed_in_unreadable_partitions": len(unconfirmed)}
    unjudged = partitions_of(unconfirmed)
    if unjudged:
        notes["reason"] = not_judged_reason(coverage)
        notes["undecided_partitions"] = names(unjudged)
    if behind.any():
        notes["unconfirmed_behind_stuck_lso"] = int(behind.sum())
        notes["reason"] = STUCK_REASON
    return CheckResult("unseen", len(counted),
                       records(counted, ["value", "topic", "partition", "offset", "complete_time"]),
                       decided=not unjudged, notes=notes)
