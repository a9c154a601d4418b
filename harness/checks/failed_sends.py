"""failed_sends_landed: a send that completed ``fail`` (definitely not written) found in the log anyway.

The harness records a send as ``fail`` only for librdkafka errors that mean the final attempt was refused
before anything was appended (``harness.workload.outcomes``); every check takes ``fail`` at its word: such a
send is neither an obligation (lost_writes) nor a write that may turn up. A ``fail`` found in any poll, final
read or replica log (the log autopsy) proves that classification wrong for that send: an earlier attempt had
been appended (a retry after a timeout) and librdkafka reported only the last attempt's error, or the error
itself was misreported. Each such send is counted, with its error code in the examples and the notes.

Undecided (when it finds nothing) if no complete view of the log exists: neither a final read that read every
partition it started to the end, nor a replica log of every replica. Skipped when no send failed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.codes import outcome_is
from harness.checks.final_reads import final_read_coverage, names
from harness.checks.result import CheckResult, present_in, records
from harness.history.loader import History

NAME = "failed_sends_landed"


def failed_sends_landed(history: History) -> CheckResult:
    sends = history.sends()
    failed = sends[outcome_is(history, "fail")]
    if failed.empty:
        return CheckResult(NAME, 0, skipped="no send failed (definitely not written)")
    reads = history.reads()
    logs = history.replica_logs()
    in_reads = present_in(failed, reads)
    in_logs = _in_replica_logs(failed, logs)
    landed = failed[in_reads | in_logs]
    notes: dict[str, Any] = {"failed": len(failed), "found_in_reads": int(in_reads.sum()),
                             "found_in_replica_logs_only": int((in_logs & ~in_reads).sum())}
    if len(landed):
        notes["by_error"] = {str(k): int(v) for k, v in landed["error"].value_counts(dropna=False).items()}
    coverage = final_read_coverage(history)
    read_whole = bool(coverage.complete) and not coverage.incomplete
    logs_whole = not logs.empty and not history.replica_logs_unread()
    if not (read_whole or logs_whole):
        notes["reason"] = ("neither a final read of every partition to its end nor every replica's log is in the "
                           "history: a failed send may have landed unseen")
        if coverage.incomplete:
            notes["partitions_not_read_to_the_end"] = names(coverage.incomplete)
    examples = records(_where(landed, reads, logs),
                       ["value", "topic", "process", "error", "complete_time", "found_in", "partition", "offset"])
    return CheckResult(NAME, len(landed), examples, decided=read_whole or logs_whole, notes=notes,
                       found=list(zip(landed["topic"].tolist(), landed["value"].tolist())))


def _in_replica_logs(failed: pd.DataFrame, logs: pd.DataFrame) -> np.ndarray:
    """A mask of the failed sends whose (topic, value) some replica's log holds (the logs carry no ``vid``:
    narrowed by value first, then matched on the pair)."""
    if logs.empty or failed.empty:
        return np.zeros(len(failed), dtype=bool)
    near = logs[logs["value"].isin(pd.Index(failed["value"].to_numpy(dtype=object)).unique())]
    if near.empty:
        return np.zeros(len(failed), dtype=bool)
    held = pd.MultiIndex.from_arrays([near["topic"].to_numpy(dtype=object), near["value"].to_numpy(dtype=object)])
    mine = pd.MultiIndex.from_arrays([failed["topic"].to_numpy(dtype=object), failed["value"].to_numpy(dtype=object)])
    return np.asarray(mine.isin(held), dtype=bool)


def _where(landed: pd.DataFrame, reads: pd.DataFrame, logs: pd.DataFrame) -> pd.DataFrame:
    """Each landed send with one place it was found: the first read holding it (``poll`` or ``read``), else the
    first replica log (``replica_log of node N``)."""
    if landed.empty:
        return landed.assign(found_in=[])
    landed = landed.drop(columns=["partition", "offset"]).reset_index(drop=True)
    first = reads[reads["vid"].isin(landed["vid"])].drop_duplicates("vid")[["vid", "f", "partition", "offset"]]
    first = first.astype({"f": object})  # a categorical column would take no other strings below
    out = landed.merge(first.rename(columns={"f": "found_in"}), on="vid", how="left")
    missing = out["found_in"].isna().to_numpy(dtype=bool)
    if missing.any() and not logs.empty:
        held = logs[logs["value"].isin(out.loc[missing, "value"])].drop_duplicates(["topic", "value"])
        at = out.loc[missing, ["topic", "value"]].merge(held[["topic", "value", "node", "partition", "offset"]],
                                                        on=["topic", "value"], how="left")
        out.loc[missing, "found_in"] = ("replica_log of node " + at["node"].astype("Int64").astype(str)).to_numpy()
        out.loc[missing, "partition"] = at["partition"].to_numpy()
        out.loc[missing, "offset"] = at["offset"].to_numpy()
    return out
