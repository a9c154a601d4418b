"""A cause for every lost write and every divergent offset, from the controller's own record (the KRaft
metadata log replayed by ``harness.observe.controller``) and the scenario's settings (the ``run`` op).

Causes, each a documented way for Kafka to lose acknowledged data, and the rule that finds it:

- ``unclean_election``: the controller records an unclean election of the write's partition (a leader
  from outside the ISR and the eligible leader replicas, or leader recovery state RECOVERING) after the
  write was acknowledged. For a divergent offset: one between the first and the last time the offset was
  read (any unclean election of the partition when the controller's times are unknown).
- ``lone_leader_min_isr_1``: acks=all, ``min.insync.replicas=1``, the controller's ISR of the partition
  was the leader alone when the write was acknowledged, and that leader was later replaced.
- ``acks_below_all``: the producer used acks=0 or acks=1 and a leader change of the partition (to another
  broker) followed the acknowledgement: the write need not have reached a follower before its leader was
  replaced. Failing a later change, the last one before the acknowledgement: a leader cut off from the
  controller keeps acknowledging after it was replaced, until it hears (a deposed leader), and with
  acks 0/1 nothing stops it. For a divergent offset: a writer of one of its values used acks 0/1 and the leader changed
  between the reads.
- ``unexplained``: none of these. Kafka promised durability here: a Kafka bug or a harness bug.
- ``undecided``: the history has no controller record (no metadata ops, or only ``MetadataUnread``).

When several apply, the earliest change wins, and at the same change the order above. A delivery report
reaches the recorder a little after the broker took the write, so a change up to ``ACK_SLACK_S`` before
the acknowledgement still counts as after it. Pure: it reads the history only. The per-write work is
numpy over the anomalies (a search per partition), never a loop over the sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.history.loader import History
from harness.observe.controller import NO_LEADER, RECOVERING, ControllerTimeline, PartitionChange, controller_timeline

UNCLEAN_ELECTION = "unclean_election"
LONE_LEADER_MIN_ISR_1 = "lone_leader_min_isr_1"
ACKS_BELOW_ALL = "acks_below_all"
UNEXPLAINED = "unexplained"
UNDECIDED = "undecided"

CAUSES = (UNEXPLAINED, UNDECIDED, UNCLEAN_ELECTION, LONE_LEADER_MIN_ISR_1, ACKS_BELOW_ALL)
"""Every cause, the ones that need attention first (the order of notes and examples)."""
_RULES = (UNCLEAN_ELECTION, LONE_LEADER_MIN_ISR_1, ACKS_BELOW_ALL)
"""The documented causes, in the order that breaks a tie at one change."""

ACK_SLACK_S = 0.1
"""How long before an acknowledgement's recorded time a change may be and still count as after it (the
delivery report reaches the recorder's poll loop, every 50 ms at most, after the broker took the write)."""

NO_DATA_REASON = "the history has no record of the controller (its metadata log was not read)"
_NONE = np.inf
_UNKNOWN_TIME = np.finfo(float).max
"""The rank of a change whose time is unknown: after any known time, before no change at all."""
_PRODUCER = re.compile(r"^producer-(\d+)-\d+$")


# -- the scenario's settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the run promised: each producer's acks, the topic's min.insync.replicas and unclean election
    (None where the history does not say)."""

    producer_acks: tuple[str | None, ...] = ()
    """acks of each ``[[workload.producers]]`` entry, in order (processes ``producer-<i>-<n>``)."""
    min_insync_replicas: int | None = None
    unclean_leader_election: bool | None = None
    producer_idempotence: tuple[bool | None, ...] = ()
    """enable.idempotence of each ``[[workload.producers]]`` entry, in order (None: unknown)."""

    def idempotent(self, process: str) -> bool | None:
        """Whether a producer process was idempotent; None when unknown."""
        m = _PRODUCER.match(process or "")
        if m and int(m.group(1)) < len(self.producer_idempotence):
            return self.producer_idempotence[int(m.group(1))]
        return None

    def acks_of(self, process: str) -> str | None:
        """The acks a producer process used; None when unknown."""
        m = _PRODUCER.match(process or "")
        if m and int(m.group(1)) < len(self.producer_acks):
            return self.producer_acks[int(m.group(1))]
        known = set(self.producer_acks)
        return known.pop() if len(known) == 1 else None

    def describe(self) -> str:
        """The settings in Kafka's words, e.g. ``acks=all, min.insync.replicas=2``."""
        acks = sorted({a for a in self.producer_acks if a is not None})
        parts = [f"acks={'/'.join(acks)}" if acks else "acks unknown",
                 f"min.insync.replicas={self.min_insync_replicas}" if self.min_insync_replicas else
                 "min.insync.replicas unknown"]
        if self.unclean_leader_election:
            parts.append("unclean.leader.election.enable=true")
        return ", ".join(parts)


def _setting(settings: dict[str, Any], names: tuple[str, ...], default: Any) -> Any:
    return next((settings[n] for n in names if n in settings), default)


def _acks_text(v: Any) -> str | None:
    if v is None:
        return None
    text = str(v).strip().lower()
    return {"-1": "all", "true": "1"}.get(text, text)


def _bool(v: Any) -> bool | None:
    return None if v is None else str(v).strip().lower() in ("true", "1")


def run_settings(history: History) -> Settings:
    """The scenario's settings from the ``run`` op (a setting given as a client or topic setting wins)."""
    scenario = next((op.value.get("scenario") for op in history.ops if op.f == "run" and isinstance(op.value, dict)),
                    None) or {}
    producers = (scenario.get("workload") or {}).get("producers") or []
    acks = tuple(_acks_text(_setting(p.get("settings") or {}, ("acks", "request.required.acks"), p.get("acks")))
                 for p in producers)
    topic = scenario.get("topic") or {}
    ts = topic.get("settings") or {}
    min_isr = _setting(ts, ("min.insync.replicas",), topic.get("min_insync_replicas"))
    unclean = _setting(ts, ("unclean.leader.election.enable",), topic.get("unclean_leader_election"))
    idempotence = tuple(_bool(_setting(p.get("settings") or {}, ("enable.idempotence",), p.get("enable_idempotence")))
                        for p in producers)
    return Settings(acks, None if min_isr is None else int(min_isr), _bool(unclean), idempotence)


# -- the controller's changes, per partition ---------------------------------------------------------------


@dataclass
class _Series:
    """Changes of one kind for one partition: those with a known time (sorted), then those without."""

    times: list[float] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)
    """Each change's index in ``Grounds.changes``."""
    unknown: list[int] = field(default_factory=list)

    def first_in(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each window (lo, hi], the first change in it: its rank time and its reference (-1: none). A
        change of unknown time falls in every window, ranked after the known ones."""
        times = np.asarray(self.times, dtype=float)
        refs = np.asarray(self.refs, dtype=np.int64)
        i = np.searchsorted(times, lo, side="right")
        ok = i < len(times)
        ok[ok] &= times[i[ok]] <= hi[ok]
        at = np.where(ok, times[np.minimum(i, max(len(times) - 1, 0))] if len(times) else _NONE, _NONE)
        ref = np.where(ok, refs[np.minimum(i, max(len(refs) - 1, 0))] if len(refs) else -1, -1)
        if self.unknown:
            at = np.where(ok, at, _UNKNOWN_TIME)
            ref = np.where(ok, ref, self.unknown[0])
        return at, ref

    def last_before(self, t: np.ndarray) -> np.ndarray:
        """For each time, the reference of the last change with a known time at or before it (-1: none)."""
        refs = np.asarray(self.refs, dtype=np.int64)
        i = np.searchsorted(np.asarray(self.times, dtype=float), t, side="right") - 1
        return np.where(i >= 0, refs[np.maximum(i, 0)] if len(refs) else -1, -1)


@dataclass
class _Partition:
    unclean: _Series = field(default_factory=_Series)
    replaced: _Series = field(default_factory=_Series)
    """Changes that gave the partition a leader other than its last one (a leaderless spell in between
    does not count as a change of leader)."""
    state_times: list[float] = field(default_factory=list)
    lone: list[int] = field(default_factory=list)
    """Per state: its leader when the ISR is that leader alone, else -1."""


@dataclass
class Grounds:
    """What causes are judged by: the controller's changes, the settings, and the clock the report uses."""

    timeline: ControllerTimeline
    settings: Settings
    origin: float
    """History time of the workload's start: times in sentences count from it, as the report's do."""
    changes: list[PartitionChange] = field(default_factory=list)
    previous_leader: list[int] = field(default_factory=list)
    """Per change, the partition's last leader before it (not "no leader")."""
    partitions: dict[tuple[str, int], _Partition] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        return self.timeline.read

    def elections_text(self, topic: str | None = None) -> str:
        """The leader changes the controller recorded, in a few words (``clean elections only``)."""
        picked = [c for c in self.timeline.leader_changes() if topic is None or c.topic == topic]
        elected = [c for c in picked if c.after.leader != NO_LEADER]
        unclean = [c for c in elected if c.unclean]
        if not self.decided:
            return "no controller record"
        if not elected:
            return "no leader change"
        if not unclean:
            return "clean elections only"
        return f"{len(unclean)} unclean election{'s' if len(unclean) > 1 else ''}"

    def describe(self, cause: str, ref: int) -> str:
        """One sentence naming the change behind a cause."""
        if cause == UNDECIDED:
            return NO_DATA_REASON
        if cause == UNEXPLAINED or ref < 0:
            return (f"no documented cause in the controller's record ({self.settings.describe()}, "
                    f"{self.elections_text()})")
        c = self.changes[ref]
        where = f"{c.topic}-{c.partition}"
        when = "at an unknown time" if c.time is None else f"at {c.time - self.origin:.2f} s"
        prev = self.previous_leader[ref]
        if cause == UNCLEAN_ELECTION:
            mark = " (leader recovery state RECOVERING)" if c.after.recovery == RECOVERING else ""
            if c.last_known_leader:
                mark += (": the last known eligible leader, elected with the ISR and the eligible leader replicas "
                         "empty (KIP-966), whatever unclean.leader.election.enable says")
            return (f"unclean election of {where} {when}: leader epoch {c.after.leader_epoch} given to broker "
                    f"{c.after.leader} from outside the ISR {list(c.before.isr) if c.before else []}{mark}")
        moved = f"leader of {where} moved from {prev} to {c.after.leader} (epoch {c.after.leader_epoch}) {when}"
        if cause == LONE_LEADER_MIN_ISR_1:
            return f"acknowledged by leader {prev} alone in the ISR (min.insync.replicas=1); {moved}"
        return f"acks below all: {moved}, before a follower need have had the write"

    def time_of(self, ref: int) -> float | None:
        """A change's time on the history's clock (the report counts it from the workload start)."""
        return self.changes[ref].time if ref >= 0 else None


def grounds(history: History) -> Grounds:
    """The controller's changes indexed per partition, with the run's settings."""
    tl = controller_timeline(history)
    origin = next((op.time for op in history.ops if op.f == "phase" and isinstance(op.value, dict)
                   and op.value.get("phase") == "workload"), 0.0)
    g = Grounds(tl, run_settings(history), origin)
    last: dict[tuple[str, int], int] = {}
    timed = sorted(range(len(tl.partitions)), key=lambda i: (tl.partitions[i].time is None,
                                                             tl.partitions[i].time or 0.0, i))
    for i in timed:
        c = tl.partitions[i]
        key = (c.topic, c.partition)
        part = g.partitions.setdefault(key, _Partition())
        prev = last.get(key, c.before.leader if c.before else NO_LEADER)
        ref = len(g.changes)
        g.changes.append(c)
        g.previous_leader.append(prev)
        for series, applies in ((part.unclean, c.unclean),
                                (part.replaced, c.before is not None and c.after.leader not in (NO_LEADER, prev)
                                 and prev != NO_LEADER)):
            if not applies:
                continue
            if c.time is None:
                series.unknown.append(ref)
            else:
                series.times.append(c.time)
                series.refs.append(ref)
        if c.time is not None:
            part.state_times.append(c.time)
            lone = c.after.leader != NO_LEADER and c.after.isr == (c.after.leader,)
            part.lone.append(c.after.leader if lone else NO_LEADER)
        if c.after.leader != NO_LEADER:
            last[key] = c.after.leader
    return g


# -- attribution --------------------------------------------------------------------------------------------


@dataclass
class Attribution:
    """One cause per anomaly (``codes``: indices into ``CAUSES``), and the change that names it (``refs``: an
    index into ``grounds.changes``; -1: none)."""

    grounds: Grounds
    codes: np.ndarray
    refs: np.ndarray

    @property
    def causes(self) -> np.ndarray:
        """Each anomaly's cause, by name."""
        return np.asarray(CAUSES, dtype=object)[self.codes]

    def counts(self) -> dict[str, int]:
        """How many anomalies each cause has, in ``CAUSES`` order (causes with none left out)."""
        n = np.bincount(self.codes, minlength=len(CAUSES))
        return {c: int(k) for c, k in zip(CAUSES, n) if k}

    def cause(self, i: int) -> str:
        return CAUSES[int(self.codes[i])]

    def detail(self, i: int) -> str:
        return self.grounds.describe(self.cause(i), int(self.refs[i]))

    def by_change(self, limit: int = 10) -> list[str]:
        """How many anomalies each naming change explains, most first: ``"12: unclean election of ..."``."""
        named = self.refs >= 0
        if not named.any():
            return []
        pairs = pd.DataFrame({"code": self.codes[named], "ref": self.refs[named]})
        sizes = pairs.groupby(["code", "ref"]).size().sort_values(ascending=False, kind="stable")
        return [f"{int(n):,}: {self.grounds.describe(CAUSES[int(code)], int(ref))}"
                for (code, ref), n in sizes.head(limit).items()]

    def order(self) -> np.ndarray:
        """Row order putting the causes that need attention first (stable within a cause)."""
        return np.argsort(self.codes, kind="stable")


_CODE = {c: np.int8(i) for i, c in enumerate(CAUSES)}


def _empty(g: Grounds, n: int, cause: str) -> Attribution:
    return Attribution(g, np.full(n, _CODE[cause], dtype=np.int8), np.full(n, -1, dtype=np.int64))


def _groups(topics: pd.Series, partitions: pd.Series) -> list[tuple[tuple[str, int], np.ndarray]]:
    """Row positions per (topic, partition): the partitions are few, the rows many."""
    if not len(topics):
        return []
    frame = pd.DataFrame({"t": topics.to_numpy(dtype=object), "p": partitions.to_numpy(dtype="int64")})
    groups = frame.groupby(["t", "p"], sort=False).indices
    return [((str(t), int(p)), np.asarray(rows)) for (t, p), rows in groups.items()]


def _pick(candidates: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The earliest candidate per row (ties: the first rule), its rule's index, and its change."""
    times = np.vstack([t for t, _ in candidates])
    refs = np.vstack([r for _, r in candidates])
    which = np.argmin(times, axis=0)
    cols = np.arange(times.shape[1])
    return which, refs[which, cols], times[which, cols] < _NONE


def lost_write_causes(g: Grounds, lost: pd.DataFrame) -> Attribution:
    """A cause for each lost write (rows with ``topic``, ``partition``, ``complete_time``, ``process``)."""
    n = len(lost)
    if not g.decided:
        return _empty(g, n, UNDECIDED)
    out = _empty(g, n, UNEXPLAINED)
    acks = _acks_column(g, lost["process"])
    below_all = np.isin(acks, ["0", "1"])
    lone_rule = (acks == "all") & (g.settings.min_insync_replicas == 1)
    ack_times = lost["complete_time"].to_numpy(dtype=float)
    for key, rows in _groups(lost["topic"], lost["partition"]):
        part = g.partitions.get(key)
        if part is None:
            continue
        t = ack_times[rows]
        lo, hi = t - ACK_SLACK_S, np.full(len(rows), _NONE)
        unclean = part.unclean.first_in(lo, hi)
        replaced_at, replaced = part.replaced.first_in(lo, hi)
        # The leader when acknowledged, if it was alone in the ISR; and whether the replacement replaced it.
        k = np.searchsorted(np.asarray(part.state_times, dtype=float), t, side="right") - 1
        alone = np.where(k >= 0, np.asarray(part.lone + [NO_LEADER], dtype=np.int64)[k], NO_LEADER)
        replaced_from = np.asarray(g.previous_leader + [NO_LEADER], dtype=np.int64)[replaced]
        lone_ok = lone_rule[rows] & (alone != NO_LEADER) & (replaced >= 0) & (replaced_from == alone)
        which, refs, found = _pick([unclean, (np.where(lone_ok, replaced_at, _NONE), replaced),
                                    (np.where(below_all[rows], replaced_at, _NONE), replaced)])
        out.codes[rows[found]] = np.asarray([_CODE[c] for c in _RULES], dtype=np.int8)[which[found]]
        out.refs[rows[found]] = refs[found]
        # Acknowledged by a deposed leader: no change after, but one before (acks 0/1 only).
        deposed = part.replaced.last_before(lo)
        late = ~found & below_all[rows] & (deposed >= 0)
        out.codes[rows[late]] = _CODE[ACKS_BELOW_ALL]
        out.refs[rows[late]] = deposed[late]
    return out


def divergence_causes(g: Grounds, offsets: pd.DataFrame) -> Attribution:
    """A cause for each divergent offset (rows with ``topic``, ``partition``, ``first_seen``, ``last_seen``
    and ``below_all``: whether a writer of one of its values used acks 0 or 1)."""
    n = len(offsets)
    if not g.decided:
        return _empty(g, n, UNDECIDED)
    out = _empty(g, n, UNEXPLAINED)
    first = offsets["first_seen"].to_numpy(dtype=float)
    last = offsets["last_seen"].to_numpy(dtype=float)
    below_all = offsets["below_all"].to_numpy(dtype=bool)
    for key, rows in _groups(offsets["topic"], offsets["partition"]):
        part = g.partitions.get(key)
        if part is None:
            continue
        lo, hi = first[rows] - ACK_SLACK_S, last[rows]
        unclean = part.unclean.first_in(lo, hi)
        replaced_at, replaced = part.replaced.first_in(lo, hi)
        which, refs, found = _pick([unclean, (np.where(below_all[rows], replaced_at, _NONE), replaced)])
        codes = np.asarray([_CODE[UNCLEAN_ELECTION], _CODE[ACKS_BELOW_ALL]], dtype=np.int8)
        out.codes[rows[found]] = codes[which[found]]
        out.refs[rows[found]] = refs[found]
    return out


def _acks_column(g: Grounds, processes: pd.Series) -> np.ndarray:
    """Each row's producer acks (None: unknown), looked up once per distinct process."""
    values = processes.to_numpy(dtype=object)
    if not len(values):
        return np.array([], dtype=object)
    codes, uniques = pd.factorize(values)
    table = np.array([g.settings.acks_of(p) if isinstance(p, str) else None for p in uniques] + [None],
                     dtype=object)
    return table[codes]  # code -1 (a missing process) takes the last entry: unknown


def writers_below_all(g: Grounds, processes: pd.Series) -> np.ndarray:
    """Per row, whether its writer used acks 0 or 1; a row with no known writer (a value no send holds):
    whether any producer of the scenario did."""
    anyone = any(a in ("0", "1") for a in g.settings.producer_acks)
    known = processes.notna().to_numpy(dtype=bool)
    below = np.isin(_acks_column(g, processes), ["0", "1"])
    return np.where(known, below, anyone)


def cause_notes(a: Attribution) -> dict[str, Any]:
    """The notes every attributed check carries: one count per cause found, under the cause's name
    (``unexplained`` and ``undecided`` always), the changes that explain the most, and the settings an
    unexplained anomaly is read against. Flat values: the report shows them as facts."""
    counts = a.counts()
    notes: dict[str, Any] = {UNEXPLAINED: counts.get(UNEXPLAINED, 0), UNDECIDED: counts.get(UNDECIDED, 0)}
    notes.update({c: n for c, n in counts.items() if c not in notes})
    if counts.get(UNDECIDED):
        notes["causes_undecided_because"] = NO_DATA_REASON
    explained = a.by_change()
    if explained:
        notes["explained_by"] = explained
    if counts.get(UNEXPLAINED):
        notes["unexplained_context"] = f"{a.grounds.settings.describe()}, {a.grounds.elections_text()}"
    return notes


# -- the report's first line --------------------------------------------------------------------------------

_SENTENCES = {
    "lost_writes": ("acknowledged write lost", "acknowledged writes lost"),
    "inconsistent_offsets": ("offset read holding different values", "offsets read holding different values"),
    "duplicates": ("value written twice", "values written twice"),
    "lost_transactions": ("committed transaction lost", "committed transactions lost"),
    "torn_transactions": ("committed transaction torn", "committed transactions torn"),
    "stuck_lso": ("partition left with its last stable offset stuck", "partitions left with their last stable "
                  "offset stuck"),
}


def unexplained_anomalies(results: Mapping[str, Any]) -> list[str]:
    """One sentence per check with anomalies no documented cause explains, for the report's first line,
    e.g. "12 acknowledged writes lost with no recorded cause (acks=all, min.insync.replicas=2, clean
    elections only)." ``results``: check name -> CheckResult (or anything with ``notes`` and ``skipped``)."""
    out = []
    for name, (one, many) in _SENTENCES.items():
        r = results.get(name)
        if r is None or getattr(r, "skipped", None):
            continue
        notes = getattr(r, "notes", None) or {}
        n = notes.get(UNEXPLAINED)
        if not isinstance(n, int):
            n = (notes.get("causes") or {}).get(UNEXPLAINED, 0)
        if n:
            context = notes.get("unexplained_context")
            why = f" ({context})." if context else "."
            out.append(f"{n:,} {one if n == 1 else many} with no recorded cause{why}")
    r = results.get("uncommitted_reads")
    truncated = (getattr(r, "notes", None) or {}).get("not_in_final_log", 0) if r is not None else 0
    if truncated and not getattr(r, "skipped", None):
        them = "them" if truncated > 1 else "it"
        out.append(f"{truncated:,} polled record{'s' if truncated > 1 else ''} later missing from the final log "
                   f"with no unclean election to explain {them}.")
    return out
