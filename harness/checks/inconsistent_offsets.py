"""inconsistent_offsets: one partition offset holding different values: two reads that disagree, or an acknowledged offset the log gives another value while it holds the acknowledged one elsewhere.

Kafka's log is append-only; two readers that disagree on what offset N holds saw a log that diverged,
for example an old leader's suffix that a new leader truncated and overwrote. A broker that acknowledged
value A at offset 1500 while the log holds B there and A at 1501 misreported the offset (Jepsen's
inconsistent offsets). An acknowledged offset that holds another value while the acknowledged value is
nowhere in the log is a lost write whose offset was reused: lost_writes counts and explains it, and this
check only notes it (``acknowledged_offset_rewritten_after_loss``).

Each divergent offset carries its cause (``harness.checks.causes``): an unclean election of its partition
between the reads that disagree (the offset was rewritten by a leader whose log was shorter: shown as that
election's consequence), a leader change under acks 0/1, or ``unexplained`` (``undecided`` without the
controller's record). ``count`` is every divergent offset whatever its cause.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.causes import (
    CAUSES,
    UNCLEAN_ELECTION,
    UNEXPLAINED,
    cause_notes,
    divergence_causes,
    grounds,
    lost_write_causes,
    writers_below_all,
)
from harness.checks.codes import coded, outcome_is
from harness.checks.final_reads import (
    final_read_coverage,
    names,
    not_judged_reason,
    partitions_of,
)
from harness.checks.places import Places, final_log, read_topic_codes, read_topics
from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.history.loader import History


def inconsistent_offsets(history: History) -> CheckResult:
    reads = history.reads()
    sends = history.sends()
    acked = sends[outcome_is(history, "ok") & sends["offset"].notna().to_numpy(dtype=bool)]
    acked = acked[acked["offset"].to_numpy(dtype="int64", na_value=-1) >= 0]
    if reads.empty and acked.empty:
        return CheckResult("inconsistent_offsets", 0, skipped="nothing was read")
    coverage = final_read_coverage(history)
    # An offset is consistent when every record read there holds the same value (each place in the log is
    # a small integer: ``harness.checks.places``).
    uniques = read_topics(history)
    places = _ReadPlaces(history, uniques)
    read_vs_read = places.mixed
    # An acknowledged offset is consistent when every final read that holds it holds the acknowledged value.
    final = history.reads("read")
    displaced, compared, rewritten = _acknowledged_vs_log(history, acked, uniques)
    ack_vs_log = np.zeros(len(read_vs_read), dtype=bool)
    if len(displaced):  # every one of them was read: the final read holds it
        at = places.final.of(*(displaced.get_level_values(i).to_numpy(dtype=np.int64) for i in range(3)))
        ack_vs_log[at[at >= 0]] = True
    unjudged_acks = acked[~compared & ~coverage.judged(acked)]
    unjudged = partitions_of(unjudged_acks)
    notes: dict[str, Any] = {"offsets_read": places.count,
                             "acknowledged_offsets_compared": int(compared.sum()),
                             "read_vs_read": int(read_vs_read.sum()), "acknowledged_vs_log": int(ack_vs_log.sum()),
                             "acknowledged_offset_rewritten_after_loss": rewritten}
    if unjudged:
        notes["acknowledged_offsets_not_compared"] = len(unjudged_acks)
        notes["undecided_partitions"] = names(unjudged)
        notes["reason"] = not_judged_reason(coverage)
    is_bad = read_vs_read | ack_vs_log
    if not is_bad.any():
        return CheckResult("inconsistent_offsets", 0, [], decided=not unjudged, notes=notes)
    # The rows read at divergent offsets, and the acknowledgements the log contradicts (their time is the
    # acknowledgement's).
    rows = reads[places.rows(is_bad)]
    acks = displaced_acks = acked.iloc[0:0]  # every acknowledgement at a contradicted offset; those it displaced
    if len(displaced):
        acks = acked[_at(acked, uniques, displaced)]
        displaced_acks = acks[~present_at(acks, final)]
    g = grounds(history)
    evidence = pd.concat([rows[["topic", "partition", "offset", "time", "vid"]],
                          displaced_acks[["topic", "partition", "offset", "complete_time", "vid"]].rename(
                              columns={"complete_time": "time"})], ignore_index=True)
    offsets = _divergent(history, g, evidence)
    why = divergence_causes(g, offsets)
    _as_lost_writes(g, why, offsets, displaced_acks)
    notes.update(cause_notes(why))
    is_unclean = why.causes == UNCLEAN_ELECTION
    unclean = int(is_unclean.sum())
    if unclean:
        elections = sorted(set(why.refs[is_unclean].tolist()))
        names_ = "; ".join(g.describe(UNCLEAN_ELECTION, r) for r in elections[:3])
        more = f" and {len(elections) - 3} more" if len(elections) > 3 else ""
        notes["consequence_of_unclean_election"] = (
            f"{unclean:,} of the divergent offsets were rewritten after an unclean election ({names_}{more}): "
            "a consequence of that election, not a separate fault")
    picked = why.order()[:MAX_EXAMPLES]
    keys = offsets.iloc[picked]
    chosen = pd.MultiIndex.from_frame(keys[["topic", "partition", "offset"]])
    seen_rows = rows[pd.MultiIndex.from_arrays([rows["topic"], rows["partition"].astype("int64"),
                                                rows["offset"].astype("int64")]).isin(chosen)]
    seen = {k: g_ for k, g_ in seen_rows.drop_duplicates(["value", "process"]).groupby(
        ["topic", "partition", "offset"], sort=False)}
    contradicted = {k: g_ for k, g_ in acks.groupby(["topic", "partition", "offset"], sort=False)} if len(acks) else {}
    examples = []
    for i, (topic, partition, offset) in zip(picked, keys[["topic", "partition", "offset"]].itertuples(index=False)):
        grp = seen[(topic, partition, offset)]
        example = {"topic": topic, "partition": int(partition), "offset": int(offset),
                   "values": {str(v): sorted(set(x["process"])) for v, x in grp.groupby("value")},
                   "cause": why.cause(int(i)), "cause_detail": why.detail(int(i))}
        ack = contradicted.get((topic, partition, offset))
        if ack is not None:
            example["acknowledged"] = {str(v): sorted(set(x["process"])) for v, x in ack.groupby("value")}
        when = g.time_of(int(why.refs[i]))
        if when is not None:
            example["cause_time"] = when
        examples.append(example)
    return CheckResult("inconsistent_offsets", len(offsets), examples, decided=not unjudged, notes=notes,
                       found=list(zip(offsets["topic"].tolist(), offsets["partition"].tolist(),
                                      offsets["offset"].tolist(), why.causes.tolist())))


class _ReadPlaces:
    """The places of every record read, numbered as the final read's places (``final_log``), then the
    places only polls reached (usually none): the final read's places are worked out once per history,
    for every check, and the polls are looked up in them."""

    def __init__(self, history: History, topics: list):
        log = final_log(history)
        polls = history.reads("poll")  # ``history.reads()`` is the polls, then the final read
        self.final, self._final_codes = log.places, log.places.code
        vids = polls["vid"].to_numpy(dtype=np.int64)
        codes = read_topic_codes(history, polls)  # as ``topics`` codes them: both are read_topics(history)
        self._at, there = log.holds(codes, polls["partition"].to_numpy(dtype="int64"),
                                    polls["offset"].to_numpy(dtype="int64"), vids)
        mixed = log.mixed.copy()
        mixed[self._at[(self._at >= 0) & ~there]] = True  # a poll holds another value than the final read
        self._elsewhere = np.flatnonzero(self._at < 0)
        self._extra = Places(codes[self._elsewhere], polls["partition"].to_numpy(dtype="int64")[self._elsewhere],
                             polls["offset"].to_numpy(dtype="int64")[self._elsewhere])
        self.mixed = np.concatenate([mixed, self._extra.mixed(vids[self._elsewhere])])
        """Per place (the final read's, then the polls' others), whether the records there disagree."""
        self.count = int(self.final.held().sum() + self._extra.held().sum())

    def rows(self, bad: np.ndarray) -> np.ndarray:
        """A mask of ``history.reads()``'s rows at the places ``bad`` marks (numbered as ``mixed``)."""
        polls = np.zeros(len(self._at), dtype=bool)
        inside = self._at >= 0
        polls[inside] = bad[self._at[inside]]
        polls[self._elsewhere] = bad[self.final.size + self._extra.code]
        return np.concatenate([polls, bad[self._final_codes]])


def _keys(df: pd.DataFrame, topics: pd.Index) -> pd.MultiIndex:
    """(topic code, partition, offset) of each row, the topic coded as in ``topics`` (-1: a topic not read)."""
    return pd.MultiIndex.from_arrays([topics.get_indexer(df["topic"].to_numpy(dtype=object)),
                                      df["partition"].to_numpy(dtype="int64"), df["offset"].to_numpy(dtype="int64")])


def _at(df: pd.DataFrame, topics, offsets: pd.MultiIndex) -> np.ndarray:
    """A mask of the rows of ``df`` at one of ``offsets`` (topics coded as in ``topics``)."""
    return np.asarray(_keys(df, pd.Index(topics)).isin(offsets), dtype=bool)


def present_at(acks: pd.DataFrame, final: pd.DataFrame) -> np.ndarray:
    """A mask of the acknowledgements whose value a final read holds at their offset."""
    if not len(acks) or not len(final):
        return np.zeros(len(acks), dtype=bool)
    key = ["topic", "partition", "offset", "vid"]
    held = pd.DataFrame({c: final[c].to_numpy(dtype=object if c == "topic" else "int64") for c in key})
    mine = pd.DataFrame({c: acks[c].to_numpy(dtype=object if c == "topic" else "int64") for c in key})
    return mine.merge(held.drop_duplicates().assign(_held=True), on=key, how="left")["_held"].notna().to_numpy(
        dtype=bool)


def _acknowledged_vs_log(history: History, acked: pd.DataFrame, topics: list
                         ) -> tuple[pd.MultiIndex, np.ndarray, int]:
    """The offsets (topics coded as in ``topics``) where a final read holds a value other than the one
    acknowledged there while it holds the acknowledged value at another offset, a mask of the
    acknowledgements that some final read reached (holds a record at), and how many acknowledgements were
    rewritten by another value with theirs nowhere in the log (lost writes, not counted here)."""
    final = history.reads("read")
    if not len(acked) or final.empty:
        return pd.MultiIndex.from_arrays([[], [], []]), np.zeros(len(acked), dtype=bool), 0
    key = ["topic", "partition", "offset"]
    log = final_log(history)  # its topics are coded as in ``topics``: both are read_topics(history)
    atopic, avid = coded(acked["topic"].to_numpy(dtype=object), topics), acked["vid"].to_numpy()
    apart, aoff = acked["partition"].to_numpy(dtype="int64"), acked["offset"].to_numpy(dtype="int64")
    at, there = log.holds(atopic, apart, aoff, avid)
    compared = at >= 0
    contradicted = compared & (log.mixed[np.maximum(at, 0)] | ~there)
    if not contradicted.any():
        return pd.MultiIndex.from_arrays([[], [], []]), compared, 0
    # The acknowledgements some final read contradicts, joined with every final record at their offsets.
    rows = np.flatnonzero(contradicted)
    near = final[np.isin(log.places.code, at[rows])]
    held = pd.DataFrame({"topic": coded(near["topic"].to_numpy(dtype=object), topics),
                         "partition": near["partition"].to_numpy(dtype="int64"),
                         "offset": near["offset"].to_numpy(dtype="int64"), "held": near["vid"].to_numpy()},
                        copy=False)
    mine = pd.DataFrame({"topic": atopic[rows], "partition": apart[rows], "offset": aoff[rows], "vid": avid[rows],
                         "row": rows}, copy=False)
    joined = mine.merge(held, on=key, how="inner")
    differs = joined[joined["vid"].to_numpy() != joined["held"].to_numpy()]
    # The acknowledged value elsewhere in the log: the broker acknowledged an offset its log does not give that
    # value (Jepsen's inconsistent offsets). Nowhere in the log: the write was lost and its offset reused by a
    # later one (acks 0/1 after a leader change, an unclean election); lost_writes counts and explains that.
    elsewhere = pd.Index(final["vid"].to_numpy()).unique().get_indexer(differs["vid"].to_numpy()) >= 0
    other = differs.loc[elsewhere, key].drop_duplicates()
    return pd.MultiIndex.from_frame(other), compared, int((~elsewhere).sum())


def _as_lost_writes(g, why, offsets: pd.DataFrame, displaced: pd.DataFrame) -> None:
    """An acknowledged value the log no longer holds at its offset is a lost write (its record was truncated
    and the offset rewritten): where the divergence rules find no cause, the lost-write rules may (a lone
    leader under min.insync.replicas=1, a deposed leader acknowledging under acks 0/1). In place."""
    if displaced.empty:
        return
    unexplained = why.codes == CAUSES.index(UNEXPLAINED)
    if not unexplained.any():
        return
    first = displaced.sort_values("complete_time", kind="stable").drop_duplicates(["topic", "partition", "offset"])
    at = pd.MultiIndex.from_arrays([offsets["topic"].to_numpy(dtype=object), offsets["partition"].to_numpy(),
                                    offsets["offset"].to_numpy()])
    mine = pd.MultiIndex.from_arrays([first["topic"].to_numpy(dtype=object),
                                      first["partition"].to_numpy(dtype="int64"),
                                      first["offset"].to_numpy(dtype="int64")])
    where = at.get_indexer(mine)
    pick = unexplained[where]
    if not pick.any():
        return
    lost = lost_write_causes(g, first[pick])
    found = lost.codes != CAUSES.index(UNEXPLAINED)
    why.codes[where[pick][found]] = lost.codes[found]
    why.refs[where[pick][found]] = lost.refs[found]


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
