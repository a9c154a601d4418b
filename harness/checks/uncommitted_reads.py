"""uncommitted_reads: a consumer saw data that was never committed (high-watermark visibility).

Kafka serves a consumer only records below the high watermark, i.e. records every in-sync replica
has; such records survive any clean leader change. Two findings, on leaders and on followers alike:

- a polled record that the final log does not hold at that offset (the reader saw a suffix that was
  later truncated: it was exposed before it was committed);
- a polled offset at or above the high watermark that the serving broker reported in the reader's
  next statistics sample (when the samples before and after agree on the broker and the leader). The
  poll's own cached watermark (``Poll.watermarks``) is recorded but not used: on a real cluster
  librdkafka returned records at offsets 0 to 2 while its cache still said 0.

A record polled before an unclean election of its partition and missing from the final log was
committed and then lost to that election: that is loss of committed data, which unclean election trades
away, not a read of data never committed. Such records are counted in the notes
(``lost_to_unclean_election``, with the elections named), not as findings. The elections are the
controller's own record (a leader from outside the ISR and the eligible replicas, or leader recovery state
RECOVERING; ``harness.observe.leadership``), or, in a history without it, the sampler's guess.

With transactions, the final read is read_committed: it never holds records of aborted transactions (nor
of transactions of unknown outcome that the coordinator aborted), which a read_uncommitted consumer may
well have polled. Such records are not judged against the final log (noted as
``transactional_not_committed_polled``); ``aborted_reads`` judges who may read them.

The first finding needs the final log: it is judged only in partitions some final reader read to the end.
Polled records in any other partition (no final read, a final read that timed out, a history that ends
during the final read) are a note, and the check is then undecided and names those partitions. The second
finding needs no final read and is judged everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.codes import coded
from harness.checks.final_reads import (
    FinalReadCoverage,
    final_read_coverage,
    names,
    not_judged_reason,
    partitions_of,
)
from harness.checks.places import final_log, read_topic_codes
from harness.checks.result import MAX_EXAMPLES, CheckResult, records
from harness.checks.txn_model import uncommitted_values
from harness.history.loader import History
from harness.observe.leadership import unclean_elections


def uncommitted_reads(history: History) -> CheckResult:
    polls = history.reads("poll")
    if not history.by_f("poll"):
        return CheckResult("uncommitted_reads", 0, skipped="no consumer polled during the run")
    coverage = final_read_coverage(history)
    never_final = uncommitted_values(history, "poll")
    truncated, unjudged, unjudged_records = _not_in_final_log(history, polls, coverage, never_final)
    elections = unclean_elections(history)
    lost_unclean = _before_an_unclean_election(elections, truncated)
    truncated = truncated[~lost_unclean]
    above, unattributed = _above_served_high_watermark(history, polls)
    examples = (records(truncated.assign(kind="not in the final log"),
                        ["kind", "process", "reader", "partition", "offset", "value", "final_value"])
                + records(above.assign(kind="at or above the served high watermark"),
                          ["kind", "process", "reader", "partition", "offset", "broker", "hi_offset"]))
    notes = {"records_polled": len(polls), "not_in_final_log": len(truncated),
             "above_high_watermark": len(above),
             "lost_to_unclean_election": int(lost_unclean.sum()),
             "records_not_attributed_to_one_broker": unattributed,
             **_elections_note(elections, truncated_before=lost_unclean.sum())}
    if never_final.any():
        notes["transactional_not_committed_polled"] = int(never_final.sum())
    if unjudged:
        notes["polled_records_not_judged_against_the_final_log"] = unjudged_records
        notes["undecided_partitions"] = unjudged
        notes["reason"] = not_judged_reason(coverage)
    # One count per record read: a record both missing from the final log and above the watermark is one.
    key = ["topic", "partition", "offset", "vid"]
    both = above[key].drop_duplicates().merge(truncated[key].drop_duplicates(), on=key, how="inner")
    count = len(truncated) + len(above[key].drop_duplicates()) - len(both)
    return CheckResult("uncommitted_reads", int(count), examples[:MAX_EXAMPLES], decided=not unjudged, notes=notes)


def _not_in_final_log(history: History, polls: pd.DataFrame, coverage: FinalReadCoverage, never_final: np.ndarray
                      ) -> tuple[pd.DataFrame, list[str], int]:
    """Polled records that no final read holds at their offset (with the value a final read holds there,
    if any), judged only in partitions some final reader read to the end; the partitions that could not be
    judged, and how many polled records lie in them. Records ``never_final`` marks (values of transactions
    not known to have committed, which a read_committed final read never holds) are not judged here: the
    transaction checks judge them."""
    judged = coverage.judged(polls)
    subject = ~never_final
    unjudged = partitions_of(polls[subject & ~judged])
    keep = judged & subject
    polls = polls if keep.all() else polls[keep]
    if polls.empty:
        return polls.assign(final_value=[]), names(unjudged), int((subject & ~judged).sum())
    final = history.reads("read")
    key = ["topic", "partition", "offset"]
    log = final_log(history)
    at, there = log.holds(read_topic_codes(history, polls),
                          polls["partition"].to_numpy(dtype="int64"), polls["offset"].to_numpy(dtype="int64"),
                          polls["vid"].to_numpy(dtype="int64"))
    bad = polls[~there].drop_duplicates(["topic", "partition", "offset", "value"])
    # The value the final read holds there (its first record at that offset), for the few polled records
    # it does not hold: only the final records at their offsets are looked at.
    near = final[np.isin(log.places.code, at[~there])] if len(bad) else final.iloc[0:0]
    log = near.drop_duplicates(key)[key + ["value"]].rename(columns={"value": "final_value"})
    bad = bad.merge(log, on=key, how="left")
    return bad, names(unjudged), int((subject & ~judged).sum())


def _elections_note(elections: list[dict[str, Any]], truncated_before: int) -> dict[str, Any]:
    """The unclean elections that can excuse reads, and where each is known from (only when some did)."""
    if not truncated_before:
        return {}
    keep = ("time", "topic", "partition", "from", "to", "epoch_to", "isr_before", "source")
    return {"unclean_elections": [{k: e.get(k) for k in keep} for e in elections[:MAX_EXAMPLES]]}


def _before_an_unclean_election(elections: list[dict[str, Any]], reads: pd.DataFrame) -> np.ndarray:
    """A mask of the reads that an unclean election of their partition followed."""
    mask = np.zeros(len(reads), dtype=bool)
    for election in elections:
        mask |= ((reads["topic"] == election["topic"]) & (reads["partition"] == election["partition"])
                 & (reads["time"] < election["time"])).to_numpy(dtype=bool)
    return mask


def _above_served_high_watermark(history: History, polls: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Polled offsets at or above the high watermark of the broker that served them, and how many polls
    could not be attributed to one broker.

    The serving broker and its high watermark come from the reader's statistics samples around the
    poll. Only a poll with the same broker and leader in the sample before and the sample after is
    judged: across a leader change the next sample may speak for a new leader, whose high watermark
    lags the old one's for a moment, and a record served by the old leader would look uncommitted.
    """
    stats = history.fetch_stats()
    if stats.empty:
        return polls.iloc[0:0].assign(broker=[], hi_offset=[]), 0
    stats = stats[stats["hi_offset"].notna() & (stats["hi_offset"] >= 0)]
    right = stats[["process", "topic", "partition", "time", "broker", "leader", "hi_offset"]].sort_values("time")
    right = right.astype({"process": object, "topic": object, "partition": "int64", "hi_offset": "int64"})
    # The polled records in order of time (as ``sort_values`` orders them), matched with the samples by
    # reader, topic and partition as one integer, each carried as its position only: a million records
    # are not copied, and only the ones found above the watermark are taken in the end.
    order = polls["time"].reset_index(drop=True).sort_values().index.to_numpy()
    by, right = _by(polls, right)
    left = pd.DataFrame({"time": polls["time"].to_numpy()[order], "by": by[order]}, copy=False)
    after = pd.merge_asof(left, right, on="time", by="by", direction="forward")
    before = pd.merge_asof(left, right, on="time", by="by", direction="backward")
    judged = (after["hi_offset"].notna() & before["broker"].notna()
              & (after["broker"] == before["broker"]) & (after["leader"] == before["leader"])).to_numpy(dtype=bool)
    unattributed = int((after["hi_offset"].notna().to_numpy(dtype=bool) & ~judged).sum())
    rows, served = order[judged], after[judged]
    del before, left
    hit = np.flatnonzero(polls["offset"].to_numpy(dtype="int64")[rows] >= served["hi_offset"].to_numpy())
    out = polls.iloc[rows[hit]].astype({"process": object, "topic": object, "partition": "int64", "offset": "int64"})
    out.index = pd.Index(np.flatnonzero(judged)[hit])
    return out.assign(broker=served["broker"].to_numpy()[hit], leader=served["leader"].to_numpy()[hit],
                      hi_offset=served["hi_offset"].to_numpy()[hit]), unattributed


def _by(left: pd.DataFrame, right: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """One integer per (process, topic, partition) of ``right``, for each row of ``left`` (-1: none of
    them), and ``right`` with it as its column ``by`` instead of the three columns."""
    processes = list(dict.fromkeys(right["process"].tolist()))
    topics = list(dict.fromkeys(right["topic"].tolist()))
    partitions = right["partition"].to_numpy(dtype="int64")
    low = int(partitions.min()) if len(partitions) else 0
    width = int(partitions.max()) - low + 1 if len(partitions) else 1

    def key(df: pd.DataFrame) -> np.ndarray:
        p = coded(df["process"].to_numpy(dtype=object), processes)
        t = coded(df["topic"].to_numpy(dtype=object), topics)
        part = df["partition"].to_numpy(dtype="int64")
        known = (p >= 0) & (t >= 0) & (part >= low) & (part < low + width)
        return np.where(known, (p * len(topics) + t) * width + (part - low), -1)

    rest = [c for c in right.columns if c not in ("process", "topic", "partition")]
    return key(left), right[rest].assign(by=key(right))
