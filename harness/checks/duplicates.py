"""duplicates: one value observed at more than one offset (a retry that was written twice)."""

from __future__ import annotations

from harness.checks.result import CheckResult
from harness.history import History


def duplicates(history: History) -> CheckResult:
    reads = history.reads()
    if reads.empty:
        return CheckResult("duplicates", 0, decided=bool(history.by_f("read")), notes={"records_read": 0})
    places = reads.drop_duplicates(["topic", "value", "partition", "offset"])
    counts = places.groupby(["topic", "value"]).size()
    dup_keys = counts[counts > 1]
    examples = []
    if len(dup_keys):
        dups = places.set_index(["topic", "value"]).loc[dup_keys.index[:5]].reset_index()
        for (topic, value), grp in dups.groupby(["topic", "value"], sort=False):
            examples.append({"value": value, "topic": topic,
                             "at": [[int(p), int(o)] for p, o in zip(grp["partition"], grp["offset"])]})
    return CheckResult("duplicates", int(len(dup_keys)), examples, notes={"distinct_values_read": int(len(counts))})
