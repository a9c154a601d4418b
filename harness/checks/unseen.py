"""unseen: acknowledged sends that no consumer poll ever observed.

Separate from lost_writes: an unseen write may only be late (the consumers stopped before reaching it),
not gone. It says whether the consumers kept up with what was acknowledged.
"""

from __future__ import annotations

import numpy as np

from harness.checks.result import CheckResult, records
from harness.history import History


def unseen(history: History) -> CheckResult:
    polls = history.reads("poll")
    if not history.by_f("poll"):
        return CheckResult("unseen", 0, skipped="no consumer polled during the run")
    sends = history.sends()
    acked = sends[sends["outcome"] == "ok"]
    seen = set(zip(polls["topic"], polls["value"]))
    missing = acked[~np.array([(t, v) in seen for t, v in zip(acked["topic"], acked["value"])], dtype=bool)]
    final = set(zip(history.reads("read")["topic"], history.reads("read")["value"]))
    in_final = int(sum((t, v) in final for t, v in zip(missing["topic"], missing["value"])))
    return CheckResult("unseen", int(len(missing)),
                       records(missing, ["value", "topic", "partition", "offset", "complete_time"]),
                       notes={"acknowledged": int(len(acked)), "unseen_but_in_final_read": in_final})
