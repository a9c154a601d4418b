"""duplicates: one value observed at more than one offset, each with the cause its batch headers show.

The workload sends every value once, so a value read at two places was written twice. Which component
wrote it twice is told by the headers of the batches that hold the copies, taken from the log autopsy
(``replica_log`` ops; any replica holding that offset with that value, as the replicas agree): in log
order, each copy found in the logs against the previous one found (``duplicate_cause``), and a value with
three copies or more takes its most severe pair's cause:

- ``retry_without_idempotence``: both copies have producer id -1, in the same partition. A producer
  without idempotence retries at least once: documented. (Without a producer id the log cannot tell one
  such producer from another.)
- ``client_epoch_bump``: same producer id, the later copy under a higher producer epoch. librdkafka bumps
  an idempotent producer's epoch (after in-flight messages time out, on some sequence errors) and re-sends
  with restarted sequences, so the broker cannot see the copy as a duplicate (librdkafka issue 4953;
  timed-out messages are documented as "possibly persisted"): a client behaviour, documented.
- ``broker_dedup_failed``: same producer id, epoch and sequence: the broker's duplicate check let a retry
  through. A Kafka bug.
- ``different_producers``: different producer ids: the producer was re-created, or the application sent
  the value twice.
- ``unexplained``: anything else (same producer id and epoch with a different sequence, a copy that no
  replica log holds, two copies of one producer in different partitions: a retry never changes partition).
  A copy no log holds any more (read, then truncated) written by a producer the run configured without
  idempotence is its retry: ``retry_without_idempotence``.
- ``resent_after_truncation``: a copy no log holds any more (read, then truncated by a leader change that
  discarded it, such as an unclean election), of a value an idempotent producer sent and never had
  acknowledged. The producer re-sent it, as it does every unacknowledged message, and the new leader, which
  lost the copy and the producer state with it, could not recognise the retry: the documented loss of the
  truncated data, seen a second time as a duplicate. The same lost copy of an *acknowledged* value is
  ``unexplained`` (an acknowledged message is never re-sent).
- ``undecided``: the logs cannot tell (no replica log of the copy's partition in the history, or the log no
  longer reaches back to the copy's offset).

Values written in transactions are ``txn_duplicates``'s (noted here as ``transactional_left_to_txn_duplicates``).

``count`` is the duplicates that are not documented client behaviour (every cause but the first two), so
a run that only shows documented duplicates passes; the notes count each cause and ``found`` lists every
duplicate with its cause. When some duplicate is undecided, so is the check.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from harness.checks.causes import run_settings
from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.checks.txn_model import read_values
from harness.history.loader import History

RETRY_WITHOUT_IDEMPOTENCE = "retry_without_idempotence"
CLIENT_EPOCH_BUMP = "client_epoch_bump"
RESENT_AFTER_TRUNCATION = "resent_after_truncation"
BROKER_DEDUP_FAILED = "broker_dedup_failed"
DIFFERENT_PRODUCERS = "different_producers"
UNEXPLAINED = "unexplained"
UNDECIDED = "undecided"

DOCUMENTED_CAUSES = frozenset({RETRY_WITHOUT_IDEMPOTENCE, CLIENT_EPOCH_BUMP, RESENT_AFTER_TRUNCATION})
"""Causes that are documented client behaviour: reported, not counted as failures."""

SEVERITY = (BROKER_DEDUP_FAILED, UNEXPLAINED, UNDECIDED, DIFFERENT_PRODUCERS, RESENT_AFTER_TRUNCATION,
            CLIENT_EPOCH_BUMP, RETRY_WITHOUT_IDEMPOTENCE)
"""Most severe first: a value with three copies or more takes its most severe pair's cause."""

NO_PRODUCER = -1


class Copy(NamedTuple):
    """Where one copy of a value is, and the headers of the batch that holds it (None: not in any replica log)."""

    partition: int
    offset: int
    producer_id: int | None = None
    producer_epoch: int | None = None
    sequence: int | None = None
    leader_epoch: int | None = None

    @property
    def found(self) -> bool:
        return self.producer_id is not None


def duplicate_cause(first: Copy, later: Copy) -> str:
    """Why a value was written at ``first`` and again at ``later`` (``later`` after ``first`` in log order:
    a higher offset of the same partition), from the copies' batch headers. Never ``undecided``: that is
    the caller's call, when the logs cannot hold the copies at all."""
    if not (first.found and later.found):
        return UNEXPLAINED
    if first.producer_id != later.producer_id:
        return DIFFERENT_PRODUCERS
    if first.partition != later.partition:
        return UNEXPLAINED  # one producer's retry keeps its partition
    if first.producer_id == NO_PRODUCER:
        return RETRY_WITHOUT_IDEMPOTENCE
    if later.producer_epoch > first.producer_epoch:  # type: ignore[operator]
        return CLIENT_EPOCH_BUMP
    if later.producer_epoch == first.producer_epoch and later.sequence == first.sequence:
        return BROKER_DEDUP_FAILED
    return UNEXPLAINED


def copy_causes(copies: list[Copy], undecided: list[bool], idempotent_writer: bool | None = None,
                acknowledged: bool | None = None) -> list[str]:
    """One cause per copy after the first (``copies`` in log order): each copy found in the logs against the
    previous copy found; a copy not found is ``unexplained``, or ``undecided`` where the logs cannot reach
    it (``undecided[i]``). Pairing found copies with each other keeps a copy missing from the logs from
    hiding what the others show.

    A copy that the logs no longer hold (read, then truncated: a leader change under acks 0/1, an unclean
    election) has no headers to show. When the value's producer was not idempotent (``idempotent_writer``
    False, from the run's settings), a second copy can only be its retry: ``retry_without_idempotence``. When
    it was idempotent and the value never acknowledged (``acknowledged`` False), the producer re-sent it after
    the log lost the copy: ``resent_after_truncation``.
    The loss of the copy is the other checks' business (lost_writes, uncommitted_reads)."""
    found = [c for c in copies if c.found]
    causes = [duplicate_cause(a, b) for a, b in pairwise(found)]
    lost = RETRY_WITHOUT_IDEMPOTENCE if idempotent_writer is False else \
        RESENT_AFTER_TRUNCATION if idempotent_writer is True and acknowledged is False else UNEXPLAINED
    missing = [UNDECIDED if u else lost for c, u in zip(copies, undecided) if not c.found]
    return causes + (missing if found else missing[1:])


def value_cause(pair_causes: list[str]) -> str:
    """The cause of a value written three times or more: its most severe pair's."""
    return min(pair_causes, key=SEVERITY.index)


def duplicates(history: History) -> CheckResult:
    reads = history.reads()
    if reads.empty:
        return CheckResult("duplicates", 0, decided=bool(history.by_f("read")), notes={"records_read": 0})
    # A value is at one place when every record of it is where its last record is (ids are small integers:
    # an array indexed by id, no grouping, no hashing).
    vid = reads["vid"].to_numpy(dtype=np.int64)
    partition, offset = reads["partition"].to_numpy(dtype="int64"), reads["offset"].to_numpy(dtype="int64")
    last = np.full(int(vid.max()) + 1, -1, dtype=np.int64)
    last[vid] = np.arange(len(vid))
    j = last[vid]
    elsewhere = np.zeros(len(last), dtype=bool)
    elsewhere[vid[(partition != partition[j]) | (offset != offset[j])]] = True
    dup_vids = np.flatnonzero(elsewhere)
    notes: dict[str, Any] = {"distinct_values_read": int((last >= 0).sum())}
    transactional = read_values(history)
    if len(dup_vids) and (transactional >= 0).any():  # txn_duplicates judges them, with their transactions
        txn_vids = np.unique(vid[transactional >= 0])
        notes["transactional_left_to_txn_duplicates"] = int(np.isin(dup_vids, txn_vids).sum())
        dup_vids = dup_vids[~np.isin(dup_vids, txn_vids)]
    if not len(dup_vids):
        return CheckResult("duplicates", 0, notes=notes)

    copies = _copies(reads[reads["vid"].isin(dup_vids)], history.replica_logs())
    writers = _writers(history, dup_vids)
    acked = _acknowledged(history, dup_vids)
    settings = run_settings(history)
    found, counted, documented = [], [], []
    by_cause: dict[str, int] = {}
    for (topic, value), rows in _grouped(copies):
        placed = [Copy(*r[:6]) for r in rows]
        writer = writers.get((topic, value))
        pair_causes = copy_causes(placed, [r[6] for r in rows], settings.idempotent(writer) if writer else None,
                                  (topic, value) in acked if writer else None)
        cause = value_cause(pair_causes)
        by_cause[cause] = by_cause.get(cause, 0) + 1
        found.append((topic, value, cause))
        example = {"value": value, "topic": topic, "at": [[c.partition, c.offset] for c in placed], "cause": cause,
                   "copies": [c._asdict() for c in placed]}
        if len(placed) > 2:
            example["pair_causes"] = pair_causes
        (documented if cause in DOCUMENTED_CAUSES else counted).append(example)
    notes["causes"] = dict(sorted(by_cause.items(), key=lambda kv: SEVERITY.index(kv[0])))
    notes["documented"] = len(documented)
    if by_cause.get(UNDECIDED):
        notes["undecided"] = ("the history has no replica logs (it predates the log autopsy): the duplicates' "
                              "causes cannot be told" if history.replica_logs().empty else
                              "some copies are in partitions or offsets the replica logs do not cover")
    return CheckResult("duplicates", len(counted), (counted + documented)[:MAX_EXAMPLES],
                       decided=not by_cause.get(UNDECIDED), notes=notes, found=found)


def copies_of(reads: pd.DataFrame, logs: pd.DataFrame) -> list[tuple[tuple[str, str], list[Copy], list[bool]]]:
    """Each value of ``reads`` (rows of ``history.reads()``, ``vid`` included) with its distinct places in log
    order, as ``Copy``s carrying the batch headers the replica logs show there, and per copy whether the logs
    cannot tell (``undecided``): what ``copy_causes`` takes. For other checks of duplicated values."""
    return [(key, [Copy(*r[:6]) for r in rows], [r[6] for r in rows]) for key, rows in _grouped(_copies(reads, logs))]


def _writers(history: History, vids) -> dict[tuple[str, str], str]:
    """The producer process that sent each of these values, by (topic, value)."""
    sends = history.sends()
    mine = sends[sends["vid"].isin(vids)].drop_duplicates("vid")
    return dict(zip(zip(mine["topic"].tolist(), mine["value"].tolist()), mine["process"].tolist()))


def _acknowledged(history: History, vids) -> set[tuple[str, str]]:
    """Which of these values some send of theirs had acknowledged, by (topic, value)."""
    sends = history.sends()
    mine = sends[sends["vid"].isin(vids) & (sends["outcome"] == "ok")]
    return set(zip(mine["topic"].tolist(), mine["value"].tolist()))


def _copies(dups: pd.DataFrame, logs: pd.DataFrame) -> pd.DataFrame:
    """Each distinct place a duplicated value was read, in log order, with the batch headers of the replica
    record at that place holding that value (NaN where none does) and whether the logs could tell at all."""
    places = dups.drop_duplicates(["vid", "partition", "offset"])[["topic", "value", "partition", "offset"]]
    places = places.astype({"partition": "int64", "offset": "int64"})
    starts = logs.groupby(["topic", "partition"], as_index=False)["offset"].min().rename(columns={"offset": "start"})
    logs = logs[logs["offset"].isin(places["offset"].unique())]  # ints first: a few rows, not every record
    headers = logs.drop_duplicates(["topic", "partition", "offset", "value"])[
        ["topic", "partition", "offset", "value", "producer_id", "producer_epoch", "sequence", "leader_epoch"]]
    out = places.merge(headers, how="left", on=["topic", "partition", "offset", "value"])
    # Undecided: no replica log of that partition, or every log starts after the copy (retention deleted it).
    out = out.merge(starts, how="left", on=["topic", "partition"])
    out["undecided"] = out["producer_id"].isna() & (out["start"].isna() | (out["offset"] < out["start"]))
    return out.sort_values(["topic", "value", "partition", "offset"], kind="stable")


def _grouped(copies: pd.DataFrame) -> list[tuple[tuple[str, str], list[tuple]]]:
    """The copies per (topic, value), in log order, each as the fields of ``Copy`` (None for headers not found)
    and whether it is undecided: plain Python values, one pass over the (few) duplicated rows."""
    def column(name: str) -> list:
        return [None if pd.isna(v) else int(v) for v in copies[name].tolist()]

    rows = zip(copies["partition"].tolist(), copies["offset"].tolist(), column("producer_id"),
               column("producer_epoch"), column("sequence"), column("leader_epoch"),
               copies["undecided"].tolist())
    groups: dict[tuple[str, str], list[tuple]] = {}
    for key, row in zip(zip(copies["topic"].tolist(), copies["value"].tolist()), rows):
        groups.setdefault(key, []).append(row)
    return list(groups.items())
