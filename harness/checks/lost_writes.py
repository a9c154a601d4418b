"""lost_writes: acknowledged sends absent from the final read (Kafka's "acked minus consumed")."""

from __future__ import annotations

import numpy as np

from harness.checks.result import CheckResult, present_in, records
from harness.history.loader import History


def lost_writes(history: History) -> CheckResult:
    sends = history.sends()
    final = history.reads("read")
    read_ops = history.by_f("read")
    if not read_ops:
        return CheckResult("lost_writes", 0, decided=False, notes={"reason": "the history has no final read"})
    sends = sends.assign(landed=present_in(sends, final))
    acked = sends[sends["outcome"] == "ok"]
    missing = acked[~acked["landed"]]
    # A partition whose final read ran out of time cannot prove loss: set those apart.
    unreadable = history.unreadable_partitions()
    in_unreadable = np.array([(t, p) in unreadable for t, p in zip(missing["topic"], missing["partition"])], dtype=bool)
    lost = missing[~in_unreadable]
    notes = {
        "acknowledged": int(len(acked)),
        "indeterminate_landed": int(((sends["outcome"] == "info") & sends["landed"]).sum()),
        "indeterminate_missing": int(((sends["outcome"] == "info") & ~sends["landed"]).sum()),
        "failed_but_landed": int(((sends["outcome"] == "fail") & sends["landed"]).sum()),
        "unconfirmed_in_unreadable_partitions": int(in_unreadable.sum()),
    }
    return CheckResult(
        "lost_writes",
        int(len(lost)),
        records(lost, ["value", "topic", "partition", "offset", "process", "complete_time"]),
        decided=not unreadable,
        notes=notes,
        found=list(zip(lost["topic"].tolist(), lost["value"].tolist())),
    )
