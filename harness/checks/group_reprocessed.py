"""group_reprocessed: records a consumer group processed more than once.

A group processes each record at least once; it processes one again when a member resumes a partition
from a committed offset below what had been processed (a rebalance: a member killed, paused, cut off
from the coordinator, or one joining or leaving, before its last records were committed), or when a
member's position is reset (out of range) to an earlier offset. Each record is its place and value,
``(topic, partition, offset, value)``: a value written twice at two offsets and consumed once at each is
not reprocessing (duplicates counts it). ``count`` is the extra deliveries: a record the group's polls
returned n times counts n - 1.

Each extra delivery has a cause, from what the history holds between it and the delivery before it:
``rebalance`` when a rebalance callback of any member of the group names the partition (assigned, revoked,
lost) or a member was killed, paused or exited; ``zombie`` when the member that delivered it again had
already lost the partition without knowing (its next callback for the partition says ``lost``: its session
had expired, say while it was paused, and it processed records it had fetched before); ``offset_reset``
when a member of the group reset its position in that partition; else ``unexplained``. At-least-once delivery allows reprocessing, so this is a
finding, not a failure, by default. Skipped when the run has no consumer group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.groups import (
    NO_GROUPS,
    OFFSET_RESET,
    REBALANCE,
    UNEXPLAINED,
    ZOMBIE,
    Group,
    count_between,
    groups,
)
from harness.checks.result import MAX_EXAMPLES, CheckResult, records
from harness.history.loader import History

NAME = "group_reprocessed"
CAUSES = (UNEXPLAINED, OFFSET_RESET, ZOMBIE, REBALANCE)
"""Every cause, the ones that need attention first (the order of examples)."""
STOPS = ("killed", "paused", "exited")
"""Member events after which the group rebalances (or its partitions stall until it does)."""
COLUMNS = ["group", "topic", "partition", "offset", "value", "process", "time", "previous_process", "previous_time",
           "cause"]


def _again(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The rows (positions) that deliver a record (partition, offset, value) the group had delivered before,
    and for each the position of the delivery before it. Sorted by record, then by time (then history order)."""
    partition = rows["partition"].to_numpy(dtype=np.int64)
    offset = rows["offset"].to_numpy(dtype=np.int64)
    vid = rows["vid"].to_numpy(dtype=np.int64)
    order = np.lexsort((np.arange(len(rows)), rows["time"].to_numpy(dtype=float), vid, offset, partition))
    p, o, v = partition[order], offset[order], vid[order]
    repeat = np.flatnonzero((p[1:] == p[:-1]) & (o[1:] == o[:-1]) & (v[1:] == v[:-1])) + 1
    return order[repeat], order[repeat - 1]


def _causes(g: Group, partition: np.ndarray, before: np.ndarray, after: np.ndarray,
            process: np.ndarray | None = None) -> np.ndarray:
    """Per extra delivery (its partition, when the delivery before it and itself were recorded, and who
    delivered it), the index of its cause in ``CAUSES``. By time: the deliveries and the events are of
    different processes."""
    out = np.full(len(partition), CAUSES.index(UNEXPLAINED), dtype=np.int64)
    if process is not None:  # extra deliveries are few: one look per delivery
        zombie = np.array([g.lost_after(str(who), int(p), float(t)) for who, p, t in zip(process, partition, after)],
                          dtype=bool)
        out[zombie] = CAUSES.index(ZOMBIE)
    stops = g.life_times(*STOPS)
    for p in np.unique(partition).tolist():
        at = np.flatnonzero(partition == p)
        rebalance = np.array(sorted(g.assignment_times(p) + stops), dtype=float)
        resets = np.array(g.reset_times(p), dtype=float)
        moved = count_between(rebalance, before[at], after[at]) > 0
        reset = count_between(resets, before[at], after[at]) > 0
        out[at] = np.where(moved, CAUSES.index(REBALANCE),
                           np.where(out[at] == CAUSES.index(ZOMBIE), out[at],
                                    np.where(reset, CAUSES.index(OFFSET_RESET), out[at])))
    return out


def _group(g: Group, polls: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """One group's extra deliveries (a frame of ``COLUMNS`` but the cause), their causes, and its notes."""
    rows = polls[(polls["reader"] == g.reader).to_numpy(dtype=bool)]
    rows = rows[rows["partition"].notna().to_numpy(dtype=bool) & rows["offset"].notna().to_numpy(dtype=bool)]
    again, before = _again(rows)
    partition = rows["partition"].to_numpy(dtype=np.int64)
    times, processes = rows["time"].to_numpy(dtype=float), rows["process"].to_numpy(dtype=object)
    codes = _causes(g, partition[again], times[before], times[again], processes[again])
    found = pd.DataFrame({"group": g.id, "topic": rows["topic"].to_numpy(dtype=object)[again],
                          "partition": partition[again], "offset": rows["offset"].to_numpy(dtype=np.int64)[again],
                          "value": rows["value"].to_numpy(dtype=object)[again], "process": processes[again],
                          "time": times[again], "previous_process": processes[before],
                          "previous_time": times[before]}, columns=COLUMNS[:-1])
    counts = np.bincount(codes, minlength=len(CAUSES))
    notes = {"records_polled": len(rows), "extra_deliveries": len(again),
             **{c: int(counts[CAUSES.index(c)]) for c in (REBALANCE, ZOMBIE, OFFSET_RESET, UNEXPLAINED)}}
    return found, codes, notes


def group_reprocessed(history: History) -> CheckResult:
    """group_reprocessed: records (topic, partition, offset, value) a consumer group's polls returned more
    than once; each extra delivery with its cause (rebalance, zombie, offset_reset or unexplained)."""
    gs = groups(history)
    if not gs:
        return CheckResult(NAME, 0, skipped=NO_GROUPS)
    polls = history.reads("poll")
    frames, all_codes, per_group = [], [], {}
    for g in gs.values():
        found, codes, notes = _group(g, polls)
        frames.append(found)
        all_codes.append(codes)
        per_group[g.id] = notes
    found = pd.concat(frames, ignore_index=True)
    codes = np.concatenate(all_codes)
    counts = np.bincount(codes, minlength=len(CAUSES))
    causes = np.asarray(CAUSES, dtype=object)[codes]
    order = np.argsort(codes, kind="stable")
    shown = found.iloc[order[:MAX_EXAMPLES]].assign(cause=causes[order[:MAX_EXAMPLES]])
    notes = {**{c: int(counts[CAUSES.index(c)]) for c in (REBALANCE, ZOMBIE, OFFSET_RESET, UNEXPLAINED)},
             "per_group": per_group}
    return CheckResult(NAME, len(found), records(shown, COLUMNS), notes=notes,
                       found=list(zip(found["group"].tolist(), found["partition"].tolist(), found["offset"].tolist(),
                                      found["value"].tolist(), causes.tolist())))
