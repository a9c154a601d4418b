"""committed_offsets_backwards: a consumer group's committed offset of a partition went back, or an
acknowledged commit was lost.

A group's committed offset of a partition is where a member given that partition starts; it moves forward
as the group processes. Per group and partition, three ways it can go back, each commit counted once:

- ``within_member``: one member process had a commit acknowledged (ok) below an earlier ok commit of its own.
- ``across_members``: a manual commit invoked after another member's manual commit was acknowledged (by
  the times the members recorded: history order is not real-time order across members), and acknowledged
  itself with a lower offset: in real time the second came after the first, so the group's position went
  back (the coordinator fences a member's commits from before a rebalance by generation).
  An auto commit has no invoke (librdkafka's commit callback reports only its outcome), so its place in
  real time against another member's commits is unknown: auto commits are compared within their member and
  against the final committed offset only.
- ``final_below_acknowledged``: the coordinator's committed offset after the run (``group_offsets``) is
  below the highest ok commit of the partition: an acknowledged commit was lost.

A member's offset reset (its position out of range, e.g. past the end of a log an unclean election
truncated) legitimately moves it back, and its next commits with it: a reset of that partition by a
member of the group recorded after the earlier commit began and before the later one completed (for the
final offset: after the lost commit began) excuses the pair. Excused pairs are not counted; the notes
count them under ``offset_reset``.

Undecided when the final committed offsets of a group that had commits acknowledged could not be read
(no ``group_offsets``, or ``info``), unless something was counted anyway. Skipped when the run has no
consumer group.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from typing import Any

from harness.checks.groups import NO_GROUPS, OFFSET_RESET, Commit, Group, groups
from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.history.loader import History

NAME = "committed_offsets_backwards"
WITHIN_MEMBER = "within_member"
ACROSS_MEMBERS = "across_members"
FINAL_BELOW_ACKNOWLEDGED = "final_below_acknowledged"
KINDS = (FINAL_BELOW_ACKNOWLEDGED, ACROSS_MEMBERS, WITHIN_MEMBER)
"""In the order examples show them."""
AUTO_NOTE = ("auto commits have no invoke (librdkafka's commit callback reports only the outcome), so their "
             "real-time order against other members' commits is unknown: they are compared within their member "
             "and against the final committed offset only")


class _Segments:
    """A partition's resets by the group's members (their times, sorted): the segment of a time is how many
    resets came before it. An earlier commit and a later one have no reset between them exactly when the
    earlier one's start and the later one's end fall in the same segment."""

    def __init__(self, resets: list[float]):
        self.resets = resets

    def of(self, time: float) -> int:
        return bisect_left(self.resets, time)


def _violation(kind: str, later: Commit | None, earlier: Commit, g: Group, final: int | None = None) -> dict[str, Any]:
    """One example: where, both offsets, both processes, both times (the final offset's read for ``final``)."""
    out: dict[str, Any] = {"kind": kind, "group": g.id, "topic": earlier.topic, "partition": earlier.partition}
    if later is not None:
        out.update({"offset": later.offset, "process": later.process, "auto": later.auto, "time": later.time})
    else:
        out.update({"offset": final, "process": g.final.process, "time": g.final.time})
    out.update({"earlier_offset": earlier.offset, "earlier_process": earlier.process, "earlier_auto": earlier.auto,
                "earlier_time": earlier.time})
    return out


def _within(commits: list[Commit], seg: _Segments) -> tuple[list[tuple[Commit, Commit]], set[int]]:
    """Per member process, each ok commit below an earlier ok commit of its own: (later, earlier) pairs
    counted, and the commits (their ``id``) excused by a reset. One pass in the order of the oks, keeping per
    process the highest commit so far per segment of its start, and over all segments (a member's ops are in
    its own order in the history)."""
    found: list[tuple[Commit, Commit]] = []
    excused: set[int] = set()
    best: dict[tuple[str, int], Commit] = {}
    overall: dict[str, Commit] = {}
    for c in commits:
        same = best.get((c.process, seg.of(c.time)))
        top = overall.get(c.process)
        if same is not None and c.offset < same.offset:
            found.append((c, same))
        elif top is not None and c.offset < top.offset:
            excused.add(id(c))
        key = (c.process, seg.of(c.start_time))
        if key not in best or c.offset > best[key].offset:
            best[key] = c
        if top is None or c.offset > top.offset:
            overall[c.process] = c
    return found, excused


def _across(commits: list[Commit], seg: _Segments, skip: set[int]) -> tuple[list[tuple[Commit, Commit]], set[int]]:
    """Each manual ok commit invoked after another process's manual commit was acknowledged with a higher
    offset (but those in ``skip``, counted already): (later, earlier) pairs counted, and the commits excused
    by a reset. Events in time order (ops of different members are compared by time, not by their place in
    the history): an earlier commit joins at its ok, a later one asks at its invoke (before any join at the
    same time: real-time order is strict) for the highest of the other processes' (per segment of their
    start: the one its own end falls in; and over all)."""
    manual = [c for c in commits if not c.auto]
    events = sorted([(c.time, 1, i) for i, c in enumerate(manual)] +
                    [(c.start_time, 0, i) for i, c in enumerate(manual)])
    best: dict[int, dict[str, Commit]] = defaultdict(dict)
    overall: dict[str, Commit] = {}
    found: list[tuple[Commit, Commit]] = []
    excused: set[int] = set()

    def highest(by_process: dict[str, Commit], me: str) -> Commit | None:
        others = [c for p, c in by_process.items() if p != me]
        return max(others, key=lambda c: c.offset, default=None)

    for _, joins, i in events:
        c = manual[i]
        if joins:
            for table in (best[seg.of(c.start_time)], overall):
                if c.process not in table or c.offset > table[c.process].offset:
                    table[c.process] = c
            continue
        if id(c) in skip:
            continue
        same, top = highest(best.get(seg.of(c.time), {}), c.process), highest(overall, c.process)
        if same is not None and c.offset < same.offset:
            found.append((c, same))
        elif top is not None and c.offset < top.offset:
            excused.add(id(c))
    return found, excused


def _final(commits: list[Commit], seg: _Segments, committed: int) -> tuple[Commit | None, bool]:
    """The highest ok commit the final committed offset is below with no reset after it began (None: none),
    and whether the final offset is below some ok commit that a later reset excuses."""
    last = len(seg.resets)
    kept = [c for c in commits if seg.of(c.start_time) == last]
    lost = max(kept, key=lambda c: c.offset, default=None)
    top = max(commits, key=lambda c: c.offset, default=None)
    if lost is not None and committed < lost.offset:
        return lost, False
    return None, top is not None and committed < top.offset


def committed_offsets_backwards(history: History) -> CheckResult:
    """committed_offsets_backwards: per consumer group and partition, an acknowledged commit below an
    earlier one of the same member, a manual commit invoked after another member's was acknowledged and
    lower than it, or a final committed offset below the highest acknowledged commit (a lost commit). A
    member's offset reset in between excuses it (noted as ``offset_reset``)."""
    gs = groups(history)
    if not gs:
        return CheckResult(NAME, 0, skipped=NO_GROUPS)
    found: list[dict[str, Any]] = []
    excused = 0
    unread: dict[str, str] = {}
    per_group: dict[str, dict[str, Any]] = {}
    for g in gs.values():
        by_partition: dict[int, list[Commit]] = defaultdict(list)
        for c in g.commits:
            by_partition[c.partition].append(c)
        mine: list[dict[str, Any]] = []
        mine_excused = 0
        for partition, commits in sorted(by_partition.items()):
            seg = _Segments(g.reset_times(partition))
            within, excused_within = _within(commits, seg)
            counted = {id(c) for c, _ in within}
            across, excused_across = _across(commits, seg, counted)
            counted |= {id(c) for c, _ in across}
            mine_excused += len((excused_within | excused_across) - counted)
            mine += [_violation(WITHIN_MEMBER, c, e, g) for c, e in within]
            mine += [_violation(ACROSS_MEMBERS, c, e, g) for c, e in across]
            committed = (g.final.offsets or {}).get(partition)
            if committed is None:
                unread[g.id] = _unread_reason(g, partition)
                continue
            lost, excuse = _final(commits, seg, committed)
            if lost is not None:
                mine.append(_violation(FINAL_BELOW_ACKNOWLEDGED, None, lost, g, final=committed))
            mine_excused += excuse
        found += mine
        excused += mine_excused
        per_group[g.id] = {"commits_ok": g.outcomes.get("ok", 0), "commits_failed": g.outcomes.get("fail", 0),
                           "commits_unknown": g.outcomes.get("info", 0),
                           **{k: sum(1 for v in mine if v["kind"] == k) for k in reversed(KINDS)},
                           OFFSET_RESET: mine_excused}
    counts = {k: sum(1 for v in found if v["kind"] == k) for k in reversed(KINDS)}
    notes: dict[str, Any] = {**counts, OFFSET_RESET: excused, "per_group": per_group, "auto_commits": AUTO_NOTE}
    decided = not unread or bool(found)
    if unread:
        notes["final_offsets_unread"] = unread
        notes["reason"] = ("the group's committed offsets after the run could not be read: whether an acknowledged "
                           "commit was lost cannot be told")
    found.sort(key=lambda v: KINDS.index(v["kind"]))
    return CheckResult(NAME, len(found), found[:MAX_EXAMPLES], decided=decided, notes=notes,
                       found=[(v["kind"], v["group"], v["partition"], v["offset"], v["earlier_offset"], v["process"])
                              for v in found])


def _unread_reason(g: Group, partition: int) -> str:
    if g.final.index is None:
        return "no group_offsets record"
    if g.final.offsets is None:
        return f"group_offsets could not be read: {g.final.error or 'no reason given'}"
    return f"group_offsets does not name partition {partition}"
