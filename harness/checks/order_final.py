"""What the order checks need from the final read: how far it reached in each partition, which
acknowledged offsets still hold their value, and the distinct offsets the log holds.

The order checks come in families (two over sends, four over polls) that share one pass over the history:
``harness.checks.codes.memo`` keeps it per History object, and drops it with it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from harness.checks.codes import memo
from harness.checks.final_reads import final_read_coverage
from harness.history.loader import History


def group_cummax(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The running maximum of ``values`` within each run of equal ``group`` (``group`` non-decreasing).

    One ``np.maximum.accumulate``: each group is lifted above every earlier one, so an earlier group's
    values never reach into a later one's (by ranks when the lift would not fit in 64 bits)."""
    if not len(values):
        return values.copy()
    lo = int(values.min())
    span = int(values.max()) - lo + 1
    if (int(group[-1]) + 1) * span >= 2**62:
        uniq, rank = np.unique(values, return_inverse=True)
        return uniq[group_cummax(group, rank.astype(np.int64))]
    lift = group.astype(np.int64) * span - lo
    return np.maximum.accumulate(values + lift) - lift


def reach(history: History) -> dict[tuple[str, int], float]:
    """Per (topic, partition), the highest offset up to which the final read is known to hold the log:
    infinity when some final reader read the partition to its end (``final_read_coverage``, as every check
    that judges by the final read), otherwise the highest offset any final reader got (-1 when none got
    any). A partition with no final read is absent."""
    def build() -> dict[tuple[str, int], float]:
        coverage = final_read_coverage(history)
        out: dict[tuple[str, int], float] = dict.fromkeys(coverage.incomplete, -1.0)
        final = history.reads("read")
        if out and len(final):
            highest = final.groupby(["topic", "partition"], sort=False)["offset"].max()
            for (t, p), o in highest.items():
                if (t, int(p)) in out:
                    out[(t, int(p))] = float(o)
        out.update(dict.fromkeys(coverage.complete, math.inf))
        return out
    return memo(history, "reach", build)


def partition_codes(topics: np.ndarray, partitions: np.ndarray) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """A code per row for its (topic, partition), and the (topic, partition) of each code."""
    if not len(topics):
        return np.zeros(0, dtype=np.int64), []
    tcode, names = pd.factorize(topics)
    width = int(partitions.max()) + 2
    codes, uniq = pd.factorize(tcode.astype(np.int64) * width + (partitions + 1))
    return codes.astype(np.int64), [(names[u // width], int(u % width) - 1) for u in uniq.tolist()]


def reach_of(history: History, topics: np.ndarray, partitions: np.ndarray) -> np.ndarray:
    """``reach`` per row (-inf for a partition with no final read)."""
    known = reach(history)
    codes, keys = partition_codes(topics, partitions)
    return np.array([known.get(k, -math.inf) for k in keys], dtype=float)[codes] if keys else np.zeros(0)


def held(history: History, vid: np.ndarray, partition: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """A mask: which (value, partition, offset) some final reader read, that value at that offset.

    Looked up by the value's id, not joined: a value sits at one offset in nearly every history (however
    many final readers hold it there), and the few values the final read holds at more than one offset
    are checked one by one."""
    final = history.reads("read")
    out = np.zeros(len(vid), dtype=bool)
    if not len(final) or not len(vid):
        return out
    fv = final["vid"].to_numpy(dtype=np.int64)
    fp = final["partition"].to_numpy(dtype=np.int64, na_value=-1)
    fo = final["offset"].to_numpy(dtype=np.int64, na_value=-1)
    size = int(max(fv.max(), vid.max())) + 1
    where = np.full(size, -1, dtype=np.int64)
    where[fv] = np.arange(len(fv))
    # Every final reader holds each value: a value is at one place when all its copies agree on it.
    elsewhere = np.zeros(size, dtype=bool)
    j = where[fv]
    elsewhere[fv[(fp != fp[j]) | (fo != fo[j])]] = True
    j = where[vid]
    found = j >= 0
    j = np.where(found, j, 0)
    out = found & (fp[j] == partition) & (fo[j] == offset)
    several = np.flatnonzero(found & elsewhere[vid])
    if len(several):
        many = np.flatnonzero(elsewhere[fv])
        places = set(zip(fv[many].tolist(), fp[many].tolist(), fo[many].tolist()))
        out[several] = [k in places for k in zip(vid[several].tolist(), partition[several].tolist(),
                                                 offset[several].tolist())]
    return out


def log_offsets(history: History) -> dict[tuple[str, int], np.ndarray]:
    """Per (topic, partition), the distinct offsets any final reader read, sorted (one entry per offset,
    however many readers read it)."""
    def build() -> dict[tuple[str, int], np.ndarray]:
        final = history.reads("read")
        out: dict[tuple[str, int], np.ndarray] = {}
        if not len(final):
            return out
        offsets = final["offset"].to_numpy(dtype=np.int64, na_value=-1)
        for (t, p), idx in final.groupby(["topic", "partition"], sort=False).indices.items():
            out[(t, int(p))] = np.unique(offsets[idx])
        return out
    return memo(history, "log_offsets", build)
