"""unseen: acknowledged sends that no consumer poll ever observed.

Separate from lost_writes: an unseen write may only be late (the consumers stopped before reaching it),
not gone. It says whether the consumers kept up with what was acknowledged.
"""

from __future__ import annotations

from harness.checks.result import CheckResult, present_in, records
from harness.history.loader import History


def unseen(history: History) -> CheckResult:
    polls = history.reads("poll")
    if not history.by_f("poll"):
        return CheckResult("unseen", 0, skipped="no consumer polled during the run")
    sends = history.sends()
    acked = sends[sends["outcome"] == "ok"]
    missing = acked[~present_in(acked, polls)]
    in_final = int(present_in(missing, history.reads("read")).sum())
    return CheckResult("unseen", int(len(missing)),
                       records(missing, ["value", "topic", "partition", "offset", "complete_time"]),
                       notes={"acknowledged": int(len(acked)), "unseen_but_in_final_read": in_final})
