"""Places in the log, ``(topic, partition, offset)``, as small integers: grouping millions of records by
place with plain array indexing, where a pandas group-by or merge on three columns would hash every row.

A partition's offsets are nearly contiguous, so each (topic, partition) gets a run of integers from its
lowest offset to its highest. Where that would waste too much room (offsets far apart), places are
numbered by hashing instead. Either way the numbers only stand for places: nothing here depends on their
order. ``final_log`` is the final read's places, worked out once per history for every check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.checks.codes import coded, memo
from harness.history.loader import History
from harness.history.ops import OpType

ROOM = 4
"""Runs of integers may hold up to this many numbers per row (plus a million) before places are hashed."""


class Places:
    """The places of some rows (``topics``: integer codes, -1 for none; ``partitions``, ``offsets``: int64)."""

    def __init__(self, topics: np.ndarray, partitions: np.ndarray, offsets: np.ndarray):
        topics = np.asarray(topics, dtype=np.int64)
        self._tmin = min(int(topics.min()), 0) if len(topics) else 0
        self._pmin = int(partitions.min()) if len(partitions) else 0
        self._width = (int(partitions.max()) - self._pmin + 1) if len(partitions) else 1
        self._ntopics = (int(topics.max()) - self._tmin + 1) if len(topics) else 1
        pt = self._pt(topics, partitions)
        n_pt = self._ntopics * self._width
        lo = np.full(n_pt, np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full(n_pt, -1, dtype=np.int64)
        np.minimum.at(lo, pt, offsets)
        np.maximum.at(hi, pt, offsets)
        room = float(np.where(hi >= lo, hi.astype(float) - lo.astype(float) + 1, 0).sum())
        self._hashed: pd.Index | None = None
        if room <= ROOM * len(offsets) + 1_000_000:
            span = np.where(hi >= lo, hi - lo + 1, 0)
            self.size = int(span.sum())
            self._lo, self._hi = lo, hi
            self._base = np.concatenate([[0], np.cumsum(span)[:-1]]).astype(np.int64)
            code = self._base[pt]
            code -= lo[pt]
            code += offsets
            self.code = code
            self._held = np.zeros(self.size, dtype=bool)  # a run may have gaps: offsets no row is at
            self._held[self.code] = True
        else:  # offsets far apart: number the places that occur
            codes, uniques = pd.factorize(self._composite(pt, offsets))
            self.code = codes.astype(np.int64)
            self._hashed = pd.Index(uniques)
            self.size = len(uniques)

    def _pt(self, topics: np.ndarray, partitions: np.ndarray) -> np.ndarray:
        pt = partitions - self._pmin
        if self._ntopics > 1:
            pt += (topics - self._tmin) * self._width
        return pt

    def _composite(self, pt: np.ndarray, offsets: np.ndarray) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([pt, offsets])

    def of(self, topics: np.ndarray, partitions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """The code of each of these places, -1 for a place none of the rows is at."""
        if not self.size:
            return np.full(len(offsets), -1, dtype=np.int64)
        topics = np.asarray(topics, dtype=np.int64)
        known = (topics >= self._tmin) & (topics < self._tmin + self._ntopics) & (partitions >= self._pmin) & \
            (partitions < self._pmin + self._width)
        pt = np.where(known, self._pt(topics, partitions), 0)
        if self._hashed is not None:
            out = self._hashed.get_indexer(self._composite(pt, offsets)).astype(np.int64)
            return np.where(known, out, -1)
        lo, hi = self._lo[pt], self._hi[pt]
        known &= (offsets >= lo) & (offsets <= hi)
        code = np.where(known, self._base[pt] + (offsets - lo), 0)
        return np.where(known & self._held[code], code, -1)

    def held(self) -> np.ndarray:
        """Per code, whether some row is at that place (a partition's run of codes may have gaps)."""
        if self._hashed is not None:
            return np.ones(self.size, dtype=bool)
        return self._held

    def first_rows(self) -> np.ndarray:
        """Per place, the first row at it (len(rows) where no row is)."""
        first = np.full(self.size, len(self.code), dtype=np.int64)
        np.minimum.at(first, self.code, np.arange(len(self.code), dtype=np.int64))
        return first

    def any_row(self) -> np.ndarray:
        """Per place, one row at it (-1 where no row is)."""
        row = np.full(self.size, -1, dtype=np.int64)
        row[self.code] = np.arange(len(self.code), dtype=np.int64)
        return row

    def mixed(self, values: np.ndarray, row: np.ndarray | None = None) -> np.ndarray:
        """Per place, whether the rows at it hold more than one of ``values`` (one per row); ``row``: a
        row at each place (``any_row()``), when at hand."""
        out = np.zeros(self.size, dtype=bool)
        if len(values):
            row = self.any_row() if row is None else row
            out[self.code[values != values[row[self.code]]]] = True
        return out


def read_topics(history: History) -> list:
    """The topics of every record read (polls and final reads), in order of first appearance: the
    ``uniques`` of ``pd.factorize(history.reads()["topic"])``, from the ops that hold those records."""
    def build() -> list:
        topics: dict = {}
        for op in _read_ops(history):
            topic = history.fields(op).get("topic")
            if isinstance(topic, str) or not pd.isna(topic):  # as factorize, which leaves out missing values
                topics.setdefault(topic, None)
        return list(topics)
    return memo(history, "read_topics", build)


def read_topic_codes(history: History, rows: pd.DataFrame) -> np.ndarray:
    """``coded(rows["topic"], read_topics(history))`` for rows of ``history.reads()``: looked up by the op
    that read each (a record's topic is its op's), not compared row by row."""
    def build() -> np.ndarray | None:
        ops = _read_ops(history)
        if not ops:
            return None
        index = np.array([op.index for op in ops], dtype=np.int64)
        if int(index.min()) < 0 or int(index.max()) > 4 * len(history.ops) + 1_000_000 or \
                len(np.unique(index)) != len(index):
            return None
        topics = read_topics(history)
        by_op = np.full(int(index.max()) + 1, -1, dtype=np.int64)
        by_op[index] = coded(np.array([history.fields(op).get("topic") for op in ops], dtype=object), topics)
        return by_op
    by_op = memo(history, "topic_by_op", build)
    if by_op is None:
        return coded(rows["topic"].to_numpy(dtype=object), read_topics(history))
    return by_op[rows["op"].to_numpy(dtype=np.int64)]


def _read_ops(history: History) -> list:
    """The ops whose records make up ``history.reads()``, in its order: polls, then the final read."""
    return [op for f in ("poll", "read") for op in history.by_f(f)
            if op.type is not OpType.INVOKE and history.record_extent(op)[0]]


@dataclass
class FinalLog:
    """The final read's records by place (topics coded as in ``read_topics``)."""

    vids: np.ndarray
    places: Places
    row: np.ndarray
    """A record at each place (-1: none)."""
    mixed: np.ndarray
    """Per place, whether the records there hold different values."""

    def holds(self, topics: np.ndarray, partitions: np.ndarray, offsets: np.ndarray, vids: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """Each place's code (-1: the final read holds no record there), and whether a record there holds
        that value (``vids``)."""
        at = self.places.of(topics, partitions, offsets)
        if not self.places.size:
            return at, np.zeros(len(at), dtype=bool)
        place = np.maximum(at, 0)
        there = (at >= 0) & (self.vids[self.row[place]] == vids)
        unsure = (at >= 0) & ~there & self.mixed[place]
        if unsure.any():  # places with more than one value: is this one of them?
            sel = self.mixed[self.places.code]
            known = pd.MultiIndex.from_arrays([self.places.code[sel], self.vids[sel]])
            there[unsure] = pd.MultiIndex.from_arrays([at[unsure], vids[unsure]]).isin(known)
        return at, there


def final_log(history: History) -> FinalLog:
    """The final read's ``FinalLog``, worked out once per history."""
    def build() -> FinalLog:
        final = history.reads("read")
        places = Places(read_topic_codes(history, final),
                        final["partition"].to_numpy(dtype=np.int64, na_value=-1),
                        final["offset"].to_numpy(dtype=np.int64, na_value=-1))
        vids = final["vid"].to_numpy(dtype=np.int64)
        row = places.any_row()
        return FinalLog(vids, places, row, places.mixed(vids, row))
    return memo(history, "final_log", build)
