"""final_reads_disagree: the final readers do not hold the same log; and how far the final read got.

After healing, the runner reads the whole topic once through the leaders and once through a rack-aware
reader in each rack (served by that rack's replica where the selector allows). With a full ISR back, every
replica must serve the same log, so every final reader that read a partition to its end must hold the same
(offset, value) pairs, up to the smallest end offset they all read to. Each (partition, offset) where they
differ (one reader holds a record another lacks, or a different value) is counted; an offset no reader holds
is not compared.

Undecided, not passed: a partition fewer than two readers read to the end (its offsets are not compared),
and a history that shows no full ISR before the final read (a replica out of the ISR may legitimately serve
a log the leader has since truncated, so differences are only a note). Skipped when the run had a single
final reader.

This module also says how far the final read got (``final_read_coverage``), which every check that judges
by the final read uses: a partition counts as read when some final reader's read of it ended ``ok`` (and,
when the read was split into chunks, reached its end offset). A reader's invocation alone is no read: a
history cut off during the final read has invocations with nothing after them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.checks.codes import coded
from harness.checks.places import Places, final_log
from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.history.loader import History
from harness.history.ops import OpType

NAME = "final_reads_disagree"

READ_CHUNK = 20_000
"""Records per final-read op (``harness.workload.reader.CHUNK``, not imported: that module loads the client).
A read's last ``ok`` chunk this full, short of the end offset, may have been followed by more that the history
lost."""

Partition = tuple[str, int]


@dataclass
class FinalReadCoverage:
    """How far each final reader got with each partition (built from the ``read`` ops, one step per op)."""

    readers: pd.DataFrame
    """One row per (process, topic, partition) a final reader started or read: ``reader``, ``complete`` (its
    read ended ok and reached its end), ``end_offset`` (the end offset it read to; the last offset read plus
    one where the history does not say), ``first_index`` (the op that started it)."""
    complete: set[Partition] = field(default_factory=set)
    """Partitions at least one final reader read to the end."""
    incomplete: set[Partition] = field(default_factory=set)
    """Partitions some final reader started or read, but none read to the end."""

    @property
    def attempted(self) -> bool:
        """Whether the history has any final read op at all (an invocation counts here, nowhere else)."""
        return not self.readers.empty

    def judged(self, df: pd.DataFrame) -> np.ndarray:
        """A mask of the rows of ``df`` (``topic``, ``partition``) whose partition was read to the end."""
        return in_partitions(df, self.complete)


def final_read_coverage(history: History) -> FinalReadCoverage:
    """Per final reader and partition: whether its read completed, and the end offset it read to."""
    state: dict[tuple[str, str, int], dict[str, Any]] = {}
    for op in history.by_f("read"):
        v = history.fields(op)  # not the records: a loaded history keeps them in its tables
        key = (op.process, v.get("topic"), int(v.get("partition", -1)))
        s = state.setdefault(key, {"reader": v.get("reader", op.process), "last": None, "end_offset": None,
                                   "chunk": 0, "last_offset": None, "first_index": op.index})
        if op.type is OpType.INVOKE:
            continue
        chunk, last_offset = history.record_extent(op)
        s["last"] = op.type
        s["end_offset"] = v.get("end_offset")
        s["chunk"] = chunk
        if chunk:  # read in offset order: the chunk's last record is the furthest yet
            s["last_offset"] = int(last_offset)
    rows = []
    for (process, topic, partition), s in state.items():
        end, last = s["end_offset"], s["last_offset"]
        reached = end is None or s["chunk"] < READ_CHUNK or (last is not None and last >= end - 1)
        complete = s["last"] is OpType.OK and reached
        if end is None and last is not None:
            end = last + 1
        rows.append({"process": process, "reader": s["reader"], "topic": topic, "partition": partition,
                     "complete": complete, "end_offset": end, "first_index": s["first_index"]})
    readers = pd.DataFrame(rows, columns=["process", "reader", "topic", "partition", "complete", "end_offset",
                                          "first_index"])
    readers["end_offset"] = pd.to_numeric(readers["end_offset"], errors="coerce").astype(float)
    readers["complete"] = readers["complete"].astype(bool)
    complete = {(t, p) for t, p, ok in zip(readers["topic"], readers["partition"], readers["complete"]) if ok}
    incomplete = {(t, p) for t, p in zip(readers["topic"], readers["partition"])} - complete
    return FinalReadCoverage(readers, complete, incomplete)


def in_partitions(df: pd.DataFrame, partitions: Iterable[Partition]) -> np.ndarray:
    """A mask of the rows of ``df`` whose (``topic``, ``partition``) is one of ``partitions`` (column-wise)."""
    wanted = list(partitions)
    if not len(df) or not wanted:
        return np.zeros(len(df), dtype=bool)
    column = df["partition"]
    if str(column.dtype) in ("Int64", "int64"):
        part = column.to_numpy(dtype="int64", na_value=-1)
    else:
        part = pd.Series(column).astype("Int64").fillna(-1).to_numpy(dtype="int64")
    topics = list(dict.fromkeys(t for t, _ in wanted))
    numbers = [p for _, p in wanted]
    low, width = min(numbers), max(numbers) - min(numbers) + 1
    if not all(isinstance(t, str) for t in topics) or width > 1_000_000:
        keys = pd.MultiIndex.from_arrays([df["topic"].to_numpy(dtype=object), part])
        return np.asarray(keys.isin(wanted), dtype=bool)
    # A few topics and partitions: a table of them, looked up by each row's topic and partition number.
    table = np.zeros((len(topics), width), dtype=bool)
    for t, p in wanted:
        table[topics.index(t), p - low] = True
    code = coded(df["topic"].to_numpy(dtype=object), topics)
    inside = np.flatnonzero((code >= 0) & (part >= low) & (part < low + width))
    out = np.zeros(len(df), dtype=bool)
    out[inside] = table[code[inside], part[inside] - low]
    return out


def partitions_of(df: pd.DataFrame) -> set[Partition]:
    """The distinct (topic, partition) of ``df``'s rows (rows without a partition left out)."""
    if not len(df):
        return set()
    pairs = df[["topic", "partition"]].dropna().drop_duplicates()
    return {(str(t), int(p)) for t, p in zip(pairs["topic"], pairs["partition"])}


def names(partitions: Iterable[Partition]) -> list[str]:
    """Partitions as Kafka names them (``t-0``), sorted."""
    return [f"{t}-{p}" for t, p in sorted(partitions)]


def not_judged_reason(coverage: FinalReadCoverage) -> str:
    """Why a check could not judge some partitions, in a sentence."""
    if not coverage.attempted:
        return "the history has no final read"
    if not coverage.complete:
        return "no final reader read any partition to the end (the read timed out, or the history ends during it)"
    return "no final reader read these partitions to the end (the read timed out, or the history ends during it)"


# -- the check ------------------------------------------------------------------------------------------------


def final_reads_disagree(history: History) -> CheckResult:
    coverage = final_read_coverage(history)
    expected = _expected_readers(history, coverage)
    if expected < 2:
        return CheckResult(NAME, 0, skipped="the run had a single final reader (nothing to compare it with)")
    if not coverage.attempted:
        return CheckResult(NAME, 0, decided=False, notes={"reason": "the history has no final read"})
    readers = coverage.readers
    done = readers[readers["complete"]]
    per_partition = done.groupby(["topic", "partition"], sort=True).agg(
        readers=("process", "size"), bound=("end_offset", "min"))
    compared = per_partition[per_partition["readers"] >= 2]
    attempted = {(t, p) for t, p in zip(readers["topic"], readers["partition"])}
    unjudged = attempted - {(str(t), int(p)) for t, p in compared.index}
    notes: dict[str, Any] = {
        "readers": sorted({f"{p} ({r})" for p, r in zip(readers["process"], readers["reader"])}),
        "partitions_compared": len(compared)}
    if unjudged:
        notes["undecided_partitions"] = names(unjudged)
        notes["reason"] = "fewer than two final readers read these partitions to the end"
    bad, n_offsets = _differing(history, done, compared)
    notes["offsets_compared"] = n_offsets
    full_isr, why = _full_isr_before_final_read(history, int(readers["first_index"].min()))
    if not full_isr:
        notes["differing_offsets_without_full_isr"] = len(bad)
        notes["reason"] = why
        return CheckResult(NAME, 0, decided=False, notes=notes)
    examples = _examples(history, done, bad[:MAX_EXAMPLES])
    return CheckResult(NAME, len(bad), examples, decided=not unjudged, notes=notes, found=bad)


def _expected_readers(history: History, coverage: FinalReadCoverage) -> int:
    """How many final readers the run had: one through the leaders and one per rack (from the run op), or,
    in a history without it, the final readers it shows."""
    for op in history.ops:
        if op.f == "run" and isinstance(op.value, dict):
            racks = ((op.value.get("scenario") or {}).get("cluster") or {}).get("racks")
            if racks:
                return 1 + len(set(racks))
            break
    return int(coverage.readers["process"].nunique()) if coverage.attempted else 2


def _full_isr_before_final_read(history: History, first_read: int) -> tuple[bool, str]:
    """Whether the last wait for a full ISR before the final read's first op reached it, and if not, why."""
    last = None
    for op in history.ops:
        if op.index >= first_read:
            break
        if op.f == "healthy":
            last = op
    if last is None:
        return False, "the history shows no full ISR before the final read"
    if last.type is not OpType.OK:
        return False, f"the ISR was not full again before the final read ({last.error or 'not in time'})"
    return True, ""


def _differing(history: History, done: pd.DataFrame, compared: pd.DataFrame
               ) -> tuple[list[tuple[str, int, int]], int]:
    """The (topic, partition, offset) below the compared partitions' common end where the complete readers
    differ, and how many offsets were compared."""
    if compared.empty:
        return [], 0
    reads = history.reads("read")
    bounds = compared.reset_index()[["topic", "partition", "readers", "bound"]]
    who = done[["process", "topic", "partition"]].merge(bounds, on=["topic", "partition"])
    # Each record's reader and partition, coded through the op that read it (an op has one process and
    # topic), then looked up in ``who`` by array indexing: millions of records, a few dozen readers.
    vid = reads["vid"].to_numpy(dtype="int64")
    if not len(vid):
        return [], 0
    process, topic = reads["process"].to_numpy(dtype=object), reads["topic"].to_numpy(dtype=object)
    op = reads["op"].to_numpy(dtype="int64")
    opens = np.empty(len(op), dtype=bool)
    opens[0] = True
    np.not_equal(op[1:], op[:-1], out=opens[1:])
    starts = np.flatnonzero(opens)
    run = np.cumsum(opens, dtype=np.int64)
    run -= 1
    del opens
    pair_code: dict[tuple[Any, Any], int] = {}
    topic_code: dict[Any, int] = {}
    run_pair = np.array([pair_code.setdefault((process[i], topic[i]), len(pair_code)) for i in starts.tolist()],
                        dtype=np.int64)
    run_topic = np.array([topic_code.setdefault(topic[i], len(topic_code)) for i in starts.tolist()], dtype=np.int64)
    partition, offset = reads["partition"].to_numpy(dtype="int64"), reads["offset"].to_numpy(dtype="int64")
    pmin, width = int(partition.min()), int(partition.max()) - int(partition.min()) + 1
    bound = np.full(len(pair_code) * width, -np.inf)
    readers = np.zeros(len(topic_code) * width, dtype=np.int64)
    for w in who.itertuples(index=False):
        if (w.process, w.topic) in pair_code and pmin <= int(w.partition) < pmin + width:
            bound[pair_code[(w.process, w.topic)] * width + int(w.partition) - pmin] = w.bound
            readers[topic_code[w.topic] * width + int(w.partition) - pmin] = w.readers
    # Below the bound, each reader's first record at each offset (as the records are ordered).
    key = run_pair[run]  # the reader and partition of each record
    key *= width
    key += partition
    key -= pmin
    rows = np.flatnonzero(offset < bound[key])
    key, at_offset = key[rows], offset[rows]
    if not _first_at_each_offset(key, at_offset):
        mine = Places(key, np.zeros(len(key), dtype=np.int64), at_offset)
        keep = mine.first_rows()[mine.code] == np.arange(len(rows))
        rows, key, at_offset = rows[keep], key[keep], at_offset[keep]
    del key, at_offset
    # Per offset: how many readers hold it, and whether they hold the same value (the final read's
    # places: ``harness.checks.places.final_log``, of these same records).
    places = final_log(history).places
    code = places.code[rows]
    held = np.bincount(code, minlength=places.size)
    lo = np.full(places.size, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(places.size, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(lo, code, vid[rows])
    np.maximum.at(hi, code, vid[rows])
    first = np.full(places.size, len(rows), dtype=np.int64)
    np.minimum.at(first, code, np.arange(len(rows), dtype=np.int64))
    del code
    present = first < len(rows)
    at = rows[first[present]]
    want = np.zeros(places.size, dtype=np.int64)
    want[present] = readers[run_topic[run[at]] * width + (partition[at] - pmin)]
    bad = np.flatnonzero(present & ((held < want) | (lo != hi)))
    found = [(str(topic[i]), int(partition[i]), int(offset[i])) for i in rows[first[bad]].tolist()]
    return sorted(found), int(present.sum())


def _first_at_each_offset(key: np.ndarray, offset: np.ndarray) -> bool:
    """Whether every record is its reader-partition's (``key``) first at its offset, for certain: each
    reader-partition's records are one run of rising offsets, as a final read records them."""
    if len(key) < 2:
        return True
    same = key[1:] == key[:-1]
    if not (offset[1:][same] > offset[:-1][same]).all():
        return False
    opens = np.flatnonzero(~same) + 1
    return len(np.unique(key[np.concatenate([[0], opens])])) == len(opens) + 1


def _examples(history: History, done: pd.DataFrame, offsets: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
    """Each offset with what every complete reader of its partition holds there (None: nothing)."""
    if not offsets:
        return []
    reads = history.reads("read")
    keys = pd.MultiIndex.from_arrays([reads["topic"].to_numpy(dtype=object),
                                      reads["partition"].to_numpy(dtype="int64"),
                                      reads["offset"].to_numpy(dtype="int64")])
    at = reads[np.asarray(keys.isin(offsets), dtype=bool)]
    held = {(t, int(p), int(o), proc): v for t, p, o, proc, v in
            zip(at["topic"], at["partition"], at["offset"], at["process"], at["value"])}
    out = []
    for topic, partition, offset in offsets:
        who = done[(done["topic"] == topic) & (done["partition"] == partition)]
        out.append({"topic": topic, "partition": partition, "offset": offset,
                    "readers": {f"{p} ({r})": held.get((topic, partition, offset, p))
                                for p, r in sorted(zip(who["process"], who["reader"]))}})
    return out
