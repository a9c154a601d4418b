"""duplicates: one value observed at more than one offset (a retry that was written twice)."""

from __future__ import annotations

import pandas as pd

from harness.checks.result import CheckResult
from harness.history.loader import History


def duplicates(history: History) -> CheckResult:
    reads = history.reads()
    if reads.empty:
        return CheckResult("duplicates", 0, decided=bool(history.by_f("read")), notes={"records_read": 0})
    # A value is at one place when its min and max partition and offset agree (cheaper than distinct sets).
    frame = pd.DataFrame({"vid": reads["vid"], "partition": reads["partition"].to_numpy(dtype="int64"),
                          "offset": reads["offset"].to_numpy(dtype="int64")})
    span = frame.groupby("vid", sort=False).agg(pmin=("partition", "min"), pmax=("partition", "max"),
                                                omin=("offset", "min"), omax=("offset", "max"))
    dup_vids = span.index[(span["pmin"] != span["pmax"]) | (span["omin"] != span["omax"])]
    first = reads.drop_duplicates("vid").set_index("vid")
    dup_keys = [(first.at[vid, "topic"], first.at[vid, "value"]) for vid in dup_vids]
    examples = []
    for topic, value in dup_keys[:5]:
        rows = reads[(reads["topic"] == topic) & (reads["value"] == value)].drop_duplicates(["partition", "offset"])
        examples.append({"value": value, "topic": topic,
                         "at": sorted([int(p), int(o)] for p, o in zip(rows["partition"], rows["offset"]))})
    return CheckResult("duplicates", int(len(dup_keys)), examples, notes={"distinct_values_read": int(len(span))})
