"""inconsistent_offsets: one partition offset seen holding different values by different reads.

Kafka's log is append-only; two readers that disagree on what offset N holds saw a log that diverged,
for example an old leader's suffix that a new leader truncated and overwrote.

Each divergent offset carries its cause (``harness.checks.causes``): an unclean election of its partition
between the reads that disagree (the offset was rewritten by a leader whose log was shorter: shown as that
election's consequence), a leader change under acks 0/1, or ``unexplained`` (``undecided`` without the
controller's record). ``count`` is every divergent offset whatever its cause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.checks.causes import UNCLEAN_ELECTION, cause_notes, divergence_causes, grounds, writers_below_all
from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.history.loader import History


def inconsistent_offsets(history: History) -> CheckResult:
    reads = history.reads()
    if reads.empty:
        return CheckResult("inconsistent_offsets", 0, skipped="nothing was read")
    # An offset is consistent when the smallest and largest id of the values read there agree.
    topics, _ = pd.factorize(reads["topic"])
    frame = pd.DataFrame({"topic": topics, "partition": reads["partition"].to_numpy(dtype="int64"),
                          "offset": reads["offset"].to_numpy(dtype="int64"), "vid": reads["vid"]})
    grouped = frame.groupby(["topic", "partition", "offset"], sort=False)
    span = grouped["vid"].agg(["min", "max"])
    is_bad = (span["min"] != span["max"]).to_numpy(dtype=bool)
    notes = {"offsets_read": int(len(span))}
    if not is_bad.any():
        return CheckResult("inconsistent_offsets", 0, [], notes=notes)
    # The rows read at divergent offsets (the group numbers follow the order of ``span``).
    rows = reads[is_bad[grouped.ngroup().to_numpy()]]
    g = grounds(history)
    offsets = _divergent(history, g, rows)
    why = divergence_causes(g, offsets)
    notes.update(cause_notes(why))
    is_unclean = why.causes == UNCLEAN_ELECTION
    unclean = int(is_unclean.sum())
    if unclean:
        elections = sorted(set(why.refs[is_unclean].tolist()))
        names = "; ".join(g.describe(UNCLEAN_ELECTION, r) for r in elections[:3])
        more = f" and {len(elections) - 3} more" if len(elections) > 3 else ""
        notes["consequence_of_unclean_election"] = (
            f"{unclean:,} of the divergent offsets were rewritten after an unclean election ({names}{more}): "
            "a consequence of that election, not a separate fault")
    picked = why.order()[:MAX_EXAMPLES]
    keys = offsets.iloc[picked]
    chosen = pd.MultiIndex.from_frame(keys[["topic", "partition", "offset"]])
    seen_rows = rows[pd.MultiIndex.from_arrays([rows["topic"], rows["partition"].astype("int64"),
                                                rows["offset"].astype("int64")]).isin(chosen)]
    seen = {k: g_ for k, g_ in seen_rows.drop_duplicates(["value", "process"]).groupby(
        ["topic", "partition", "offset"], sort=False)}
    examples = []
    for i, (topic, partition, offset) in zip(picked, keys[["topic", "partition", "offset"]].itertuples(index=False)):
        grp = seen[(topic, partition, offset)]
        example = {"topic": topic, "partition": int(partition), "offset": int(offset),
                   "values": {str(v): sorted(set(x["process"])) for v, x in grp.groupby("value")},
                   "cause": why.cause(int(i)), "cause_detail": why.detail(int(i))}
        when = g.time_of(int(why.refs[i]))
        if when is not None:
            example["cause_time"] = when
        examples.append(example)
    return CheckResult("inconsistent_offsets", int(len(offsets)), examples, notes=notes,
                       found=list(zip(offsets["topic"].tolist(), offsets["partition"].tolist(),
                                      offsets["offset"].tolist(), why.causes.tolist())))


def _divergent(history: History, g, rows: pd.DataFrame) -> pd.DataFrame:
    """One row per divergent offset, in (topic, partition, offset) order: when it was first and last read,
    and whether a writer of one of its values used acks 0 or 1 (the writer: the producer that sent it)."""
    sends = history.sends().drop_duplicates("vid")
    writer = pd.Index(sends["vid"].to_numpy()).get_indexer(rows["vid"].to_numpy())
    process = pd.Series(np.where(writer >= 0, sends["process"].to_numpy(dtype=object)[writer], None), dtype=object)
    frame = pd.DataFrame({"topic": rows["topic"].to_numpy(dtype=object),
                          "partition": rows["partition"].to_numpy(dtype="int64"),
                          "offset": rows["offset"].to_numpy(dtype="int64"), "time": rows["time"].to_numpy(dtype=float),
                          "below_all": writers_below_all(g, process)})
    return frame.groupby(["topic", "partition", "offset"], sort=True).agg(
        first_seen=("time", "min"), last_seen=("time", "max"), below_all=("below_all", "any")).reset_index()
