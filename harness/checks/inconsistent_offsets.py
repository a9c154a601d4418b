"""inconsistent_offsets: one partition offset seen holding different values by different reads.

Kafka's log is append-only; two readers that disagree on what offset N holds saw a log that diverged,
for example an old leader's suffix that a new leader truncated and overwrote.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.checks.result import CheckResult
from harness.history.loader import History


def inconsistent_offsets(history: History) -> CheckResult:
    reads = history.reads()
    if reads.empty:
        return CheckResult("inconsistent_offsets", 0, skipped="nothing was read")
    # An offset is consistent when the smallest and largest id of the values read there agree.
    topics, topic_names = pd.factorize(reads["topic"])
    frame = pd.DataFrame({"topic": topics, "partition": reads["partition"].to_numpy(dtype="int64"),
                          "offset": reads["offset"].to_numpy(dtype="int64"), "vid": reads["vid"]})
    span = frame.groupby(["topic", "partition", "offset"], sort=False)["vid"].agg(["min", "max"])
    bad_idx = span.index[span["min"] != span["max"]]
    bad = [(topic_names[t], p, o) for t, p, o in bad_idx]
    examples = []
    if len(bad):
        keys = set(bad[:5])
        rows = reads[np.array([k in keys for k in zip(reads["topic"], reads["partition"], reads["offset"])],
                              dtype=bool)]
        for (topic, partition, offset), grp in rows.groupby(["topic", "partition", "offset"], sort=True):
            seen = grp.drop_duplicates(["value", "process"])
            examples.append({"topic": topic, "partition": int(partition), "offset": int(offset),
                             "values": {str(v): sorted(set(g["process"])) for v, g in seen.groupby("value")}})
    return CheckResult("inconsistent_offsets", int(len(bad)), examples,
                       notes={"offsets_read": int(len(span))})
