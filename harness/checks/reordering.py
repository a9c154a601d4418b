"""reordering: order kept per partition, on both sides.

- non-monotonic send: per producer and partition, a send invoked after another must get a higher
  offset; otherwise a retry overtook an earlier batch (max.in.flight > 1 without idempotence).
- non-monotonic poll: per consumer and partition, offsets must rise from one record to the next.
- poll skip: a consumer jumped from offset a to b while the final log holds records between them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.checks.result import MAX_EXAMPLES, CheckResult, records
from harness.history.loader import History


def reordering(history: History) -> CheckResult:
    send_bad, acked = _send_reorders(history)
    backwards, skips = _poll_anomalies(history)
    examples = (records(send_bad, ["value", "process", "topic", "partition", "offset", "previous_max_offset"])
                + records(backwards.assign(kind="poll went backwards"),
                          ["kind", "process", "topic", "partition", "offset", "previous_offset"])
                + records(skips.assign(kind="poll skipped offsets"),
                          ["kind", "process", "topic", "partition", "offset", "previous_offset", "skipped"]))
    return CheckResult("reordering", int(len(send_bad) + len(backwards) + len(skips)), examples[:MAX_EXAMPLES],
                       notes={"acknowledged": acked, "non_monotonic_sends": int(len(send_bad)),
                              "non_monotonic_polls": int(len(backwards)), "poll_skips": int(len(skips))})


def _send_reorders(history: History) -> tuple[pd.DataFrame, int]:
    sends = history.sends()
    acked = sends[(sends["outcome"] == "ok") & sends["invoke_time"].notna()]
    if acked.empty:
        return acked.assign(previous_max_offset=[]), 0
    acked = acked.sort_values("invoke_time", kind="stable")
    previous = acked.groupby(["process", "topic", "partition"])["offset"].cummax()
    previous = previous.groupby([acked["process"], acked["topic"], acked["partition"]]).shift()
    acked = acked.assign(previous_max_offset=previous)
    return acked[acked["offset"] < acked["previous_max_offset"]], int(len(acked))


def _poll_anomalies(history: History) -> tuple[pd.DataFrame, pd.DataFrame]:
    polls = history.reads("poll")  # rows are in history order, records in the order each poll returned
    if polls.empty:
        empty = polls.assign(previous_offset=[], skipped=[])
        return empty, empty
    prev = polls.groupby(["process", "topic", "partition"])["offset"].shift()
    polls = polls.assign(previous_offset=prev)
    has_prev = polls["previous_offset"].notna()
    backwards = polls[has_prev & (polls["offset"] <= polls["previous_offset"])]
    jumps = polls[has_prev & (polls["offset"] > polls["previous_offset"] + 1)]
    if jumps.empty:
        return backwards, jumps.assign(skipped=[])
    final = history.reads("read")
    skipped = np.zeros(len(jumps), dtype=np.int64)
    for (topic, partition), idx in jumps.groupby(["topic", "partition"]).indices.items():
        log = np.sort(final.loc[(final["topic"] == topic) & (final["partition"] == partition), "offset"]
                      .to_numpy(dtype=np.int64))
        lo = jumps["previous_offset"].to_numpy(dtype=np.int64)[idx]
        hi = jumps["offset"].to_numpy(dtype=np.int64)[idx]
        skipped[idx] = np.searchsorted(log, hi, "left") - np.searchsorted(log, lo, "right")
    jumps = jumps.assign(skipped=skipped)
    return backwards, jumps[jumps["skipped"] > 0]
