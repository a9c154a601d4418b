"""group_skipped: records a consumer group committed past without ever processing them.

A group's committed offset C of a partition says the group is done with everything below C. Per group and
partition, with C from the coordinator's committed offsets after the run (``group_offsets``): every
acknowledged record the final log holds below C (its place in the final read) that no poll of the group's
reader (``group:<group id>``) ever returned was skipped: at-least-once processing broken. An acknowledged
record missing from the final read is a lost write (lost_writes counts it); here those below C are only
counted in the notes (``lost_writes_below_commit``).

Each skipped record has a cause: ``unclean_election`` when the controller's record shows an unclean
election of its partition (the group read a log the election then cut off, and committed past offsets the
new leader filled with other records), else ``unexplained``; ``undecided`` when the history has no
controller record.

A partition is judged only when the group's committed offsets were read and some final reader read the
partition to its end; any other partition with acknowledged records makes the check undecided, and is
named. Skipped when the run has no consumer group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.causes import NO_DATA_REASON, UNCLEAN_ELECTION, UNDECIDED, UNEXPLAINED, Grounds, grounds
from harness.checks.codes import outcome_is
from harness.checks.final_reads import final_read_coverage, in_partitions, names
from harness.checks.groups import NO_GROUPS, Group, group_partitions, groups
from harness.checks.result import MAX_EXAMPLES, CheckResult, present_in, records
from harness.history.loader import History

NAME = "group_skipped"
CAUSES = (UNEXPLAINED, UNDECIDED, UNCLEAN_ELECTION)
"""Every cause, the ones that need attention first (the order of notes and examples)."""


def _held(final: pd.DataFrame, acked: pd.DataFrame) -> pd.DataFrame:
    """Each acknowledged value the final read holds, once, at its first place in the final read (the final
    read's rows narrowed to acknowledged values, one per value, in the final read's order)."""
    held = final[present_in(final, acked)]
    _, first = np.unique(held["vid"].to_numpy(dtype=np.int64), return_index=True)
    return held.iloc[np.sort(first)]


def _committed(g: Group, partitions: np.ndarray) -> np.ndarray:
    """Each row's partition's final committed offset (-1: none committed; NaN: unknown)."""
    if not len(partitions):
        return np.zeros(0)
    keys = pd.unique(partitions)
    table = np.array([float((g.final.offsets or {}).get(int(p), np.nan)) for p in keys], dtype=float)
    return table[pd.Index(keys).get_indexer(partitions)]


def _decidable(history: History, g: Group, complete: set[tuple[str, int]]) -> tuple[list[int], set[tuple[str, int]]]:
    """The partitions of the group's topic that can be judged (its final committed offset known, and either
    nothing below it or a final read of the partition to its end), and the others."""
    final = g.final.offsets or {}
    ok, not_ok = [], set()
    for p in group_partitions(history, g):
        if p in final and (final[p] <= 0 or (g.topic, p) in complete):
            ok.append(p)
        else:
            not_ok.add((g.topic, p))
    return ok, not_ok


def group_skipped(history: History) -> CheckResult:
    """group_skipped: per consumer group, acknowledged records the final log holds below the group's final
    committed offset that no poll of the group ever returned."""
    gs = groups(history)
    if not gs:
        return CheckResult(NAME, 0, skipped=NO_GROUPS)
    complete = final_read_coverage(history).complete
    acked, final = history.sends()[outcome_is(history, "ok")], history.reads("read")
    held = _held(final, acked)
    lost = acked[~present_in(acked, final)]
    polls = history.reads("poll")
    frames, per_group, undecided = [], {}, set()
    for g in gs.values():
        judged, unjudged = _decidable(history, g, complete)
        undecided |= unjudged
        mine = held[(held["topic"] == g.topic).to_numpy(dtype=bool)]
        partition = mine["partition"].to_numpy(dtype=np.int64)
        committed = _committed(g, partition)
        below = np.isin(partition, judged) & (mine["offset"].to_numpy(dtype=np.int64) < np.nan_to_num(committed))
        candidates = mine[below]
        seen = present_in(candidates, polls[(polls["reader"] == g.reader).to_numpy(dtype=bool)])
        frames.append(candidates[~seen].assign(group=g.id, committed_offset=committed[below][~seen].astype(np.int64)))
        gone = _lost_below(g, lost, judged)
        per_group[g.id] = {"topic": g.topic, "records_below_commit": int(below.sum()), "skipped": int((~seen).sum()),
                           "lost_writes_below_commit": gone, "final_offsets": _final_state(g)}
    skipped = pd.concat(frames, ignore_index=True)
    codes = _causes(grounds(history), skipped)
    counts = np.bincount(codes, minlength=len(CAUSES))
    notes: dict[str, Any] = {c: int(n) for c, n in zip(CAUSES, counts) if n or c in (UNEXPLAINED, UNDECIDED)}
    notes.update({"lost_writes_below_commit": sum(v["lost_writes_below_commit"] for v in per_group.values()),
                  "per_group": per_group})
    if counts[CAUSES.index(UNDECIDED)]:
        notes["causes_undecided_because"] = NO_DATA_REASON
    if undecided:
        notes["undecided_partitions"] = names(undecided)
        notes["reason"] = ("the group's committed offsets after the run were not read, or no final reader read these "
                           "partitions to the end: what lies below the committed offset cannot be told")
    order = np.argsort(codes, kind="stable")
    causes = np.asarray(CAUSES, dtype=object)[codes]
    shown = skipped.iloc[order[:MAX_EXAMPLES]]
    shown = shown.assign(cause=causes[order[:MAX_EXAMPLES]], complete_time=_acknowledged_at(acked, shown))
    return CheckResult(NAME, len(skipped),
                       records(shown, ["group", "topic", "partition", "offset", "value", "committed_offset", "cause",
                                       "complete_time"]),
                       decided=not undecided, notes=notes,
                       found=list(zip(skipped["group"].tolist(), skipped["topic"].tolist(), skipped["value"].tolist(),
                                      causes.tolist())))


def _final_state(g: Group) -> str:
    if g.final.offsets is not None:
        return "read"
    return "not recorded" if g.final.index is None else f"could not be read: {g.final.error or 'no reason given'}"


def _lost_below(g: Group, lost: pd.DataFrame, judged: list[int]) -> int:
    """Acknowledged records of the group's topic missing from the final read, acknowledged below the final
    committed offset of their (judged) partition: lost writes, which lost_writes counts."""
    mine = lost[(lost["topic"] == g.topic).to_numpy(dtype=bool) & lost["offset"].notna().to_numpy(dtype=bool)]
    if mine.empty:
        return 0
    partition = mine["partition"].to_numpy(dtype=np.int64)
    committed = _committed(g, partition)
    below = mine["offset"].to_numpy(dtype=np.int64) < np.nan_to_num(committed)
    return int((np.isin(partition, judged) & below).sum())


def _acknowledged_at(acked: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """When each of a few rows' values was acknowledged (for examples)."""
    at = acked[present_in(acked, rows)].drop_duplicates("vid").set_index("vid")["complete_time"]
    return at.reindex(rows["vid"].to_numpy()).to_numpy(dtype=float)


def _causes(g: Grounds, skipped: pd.DataFrame) -> np.ndarray:
    """Per skipped record, its cause's index in ``CAUSES``: ``unclean_election`` when the controller recorded
    an unclean election of its partition, ``undecided`` without the controller's record, else
    ``unexplained``."""
    if not g.decided:
        return np.full(len(skipped), CAUSES.index(UNDECIDED), dtype=np.int64)
    unclean = [key for key, part in g.partitions.items() if part.unclean.times or part.unclean.unknown]
    return np.where(in_partitions(skipped, unclean), CAUSES.index(UNCLEAN_ELECTION),
                    CAUSES.index(UNEXPLAINED)).astype(np.int64)
