"""reordering: per producer and partition, acknowledged offsets must rise in send order.

A send invoked after another by the same producer, landing in the same partition, must get a higher
offset; otherwise a retry overtook an earlier batch (possible with max.in.flight > 1 and no idempotence).
"""

from __future__ import annotations

from harness.checks.result import CheckResult, records
from harness.history import History


def reordering(history: History) -> CheckResult:
    sends = history.sends()
    acked = sends[(sends["outcome"] == "ok") & sends["invoke_time"].notna()].copy()
    if acked.empty:
        return CheckResult("reordering", 0, notes={"acknowledged": 0})
    acked = acked.sort_values("invoke_time", kind="stable")
    keys = ["process", "topic", "partition"]
    acked["previous_max_offset"] = acked.groupby(keys)["offset"].transform(lambda s: s.cummax().shift())
    bad = acked[acked["offset"] < acked["previous_max_offset"]]
    return CheckResult(
        "reordering",
        int(len(bad)),
        records(bad, ["value", "process", "topic", "partition", "offset", "previous_max_offset"]),
        notes={"acknowledged": int(len(acked))},
    )
