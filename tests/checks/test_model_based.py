"""Model-based: a small model of a replicated Kafka topic (log_model.py) generates clean runs, and runs with
one kind of anomaly injected k times; every check runs over each (``run_checks``, the whole suite).

- A clean run: every check counts 0 and passes, or is skipped where the run has nothing for it to look at
  (``expected_skipped`` says which, and why).
- An injected run: the check for that anomaly counts exactly k (and ``found`` names exactly the injected
  instances); every other check counts 0 and still decides, except where one anomaly necessarily implies
  another (each injector's ``Expect`` names those, and its docstring says why).
- A run cut off during the final read: the checks that judge by the final read are undecided, no safety
  check fails.


Each injector is a small function ``inject(model, k, draw) -> Expect``: it picks up to k places of the
generated run where the anomaly fits (``Expect.n``: how many it made; a run with none is rejected) and
changes the run there before its history is rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from harness.checks import CHECK_NAMES, DEFAULT_MUST_BE_ZERO, GROUP_CHECK_NAMES, TXN_CHECK_NAMES
from harness.checks.lost_writes import LostWrites
from harness.checks.result import CheckResult, Verdict
from harness.checks.suite import run_checks
from harness.checks.uncommitted_reads import uncommitted_reads
from tests.checks.log_model import (
    HOLE,
    NO_PRODUCER,
    NODES,
    TOPIC,
    Complete,
    Entry,
    Invoke,
    PollEvent,
    StatsEvent,
    TopicModel,
    topic_models,
)
from tests.crafted import Crafted

EXAMPLES = 10
"""Examples per property: each runs the whole suite over a history of some 30-150 ops (about 0.1 s)."""
CUT_EXAMPLES = 6
"""Examples per anomaly of the cut-off property (four of them)."""
MAX_K = 3

SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Draw = Callable[..., Any]


@dataclass
class Expect:
    """What the checks must say about an injected run: ``counts`` per check (every check not named counts
    0), ``found`` (a check's ``found``, exactly), ``undecided`` (checks that cannot decide)."""

    n: int
    counts: dict[str, int] = field(default_factory=dict)
    found: dict[str, set] = field(default_factory=dict)
    undecided: set[str] = field(default_factory=set)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per check, notes it must hold with these values."""


def expected_skipped(model: TopicModel) -> set[str]:
    """The checks a run of the model gives nothing to look at: ``failed_sends_landed`` when no send failed
    (every clean send is acknowledged), ``replica_divergence`` without the log autopsy, the consumer-group
    checks (the model has no group) and the transaction checks (no transactions). Every other check has
    something: the model always has consumers polling, a rack-aware one among them, and final reads."""
    skipped = set(GROUP_CHECK_NAMES) | set(TXN_CHECK_NAMES)
    if not any(s.outcome == "fail" for s in model.sends):
        skipped.add("failed_sends_landed")
    if not model.replica_logs:
        skipped.add("replica_divergence")
    skipped.update(TXN_CHECK_NAMES)  # the model has no transactions
    return skipped


def assert_checks(model: TopicModel, results: dict[str, CheckResult], expect: Expect) -> None:
    """Every check counts what ``expect`` says (0 unless named) and decides (unless named undecided), the
    expected ones are skipped, and ``found`` and the notes named hold exactly what was injected."""
    assert set(results) == set(CHECK_NAMES)
    skipped = expected_skipped(model)
    summary = {n: (r.count, r.verdict().value) for n, r in results.items()}
    for name, r in results.items():
        want = expect.counts.get(name, 0)
        assert r.count == want, (name, r.count, want, r.examples, r.notes, summary)
        if name in skipped:
            assert r.skipped, (name, r.notes, summary)
            continue
        assert not r.skipped, (name, r.skipped, summary)
        assert r.decided == (name not in expect.undecided), (name, r.notes, summary)
        safety = name in DEFAULT_MUST_BE_ZERO  # availability and unseen are findings by default
        verdict = (Verdict.FAIL if safety else Verdict.FINDING) if want else \
            Verdict.UNKNOWN if name in expect.undecided else Verdict.PASS
        assert r.verdict(must_be_zero=safety) is verdict, (name, summary)
    for name, found in expect.found.items():
        got = results[name].found
        got = got.with_causes() if isinstance(got, LostWrites) else got
        assert set(got) == found, (name, got, found)
    for name, notes in expect.notes.items():
        assert {key: results[name].notes.get(key) for key in notes} == notes, (name, results[name].notes)


def pick(draw: Draw, candidates: list, k: int, conflict: Callable[[Any, Any], bool] = lambda a, b: False) -> list:
    """Up to ``k`` of the candidates, drawn, no two in conflict."""
    chosen: list = []
    for c in draw(st.permutations(candidates)) if candidates else []:
        if len(chosen) < k and not any(conflict(c, d) for d in chosen):
            chosen.append(c)
    return chosen


# -- a clean run ----------------------------------------------------------------------------------------------


@SETTINGS
@given(topic_models(idempotent=None, replica_logs=None))
def test_a_clean_run_passes_every_check(model):
    """Nothing counted, nothing undecided; skipped: failed_sends_landed (no send failed), replica_divergence
    when the run has no log autopsy, and the transaction checks (no transactions)."""
    results = run_checks(model.history())
    assert_checks(model, results, Expect(0))
    skipped = {"failed_sends_landed", *GROUP_CHECK_NAMES} | (set() if model.replica_logs else {"replica_divergence"})
    skipped |= set(TXN_CHECK_NAMES)
    assert {n for n, r in results.items() if r.skipped} == skipped == expected_skipped(model)


# -- the injectors ----------------------------------------------------------------------------------------------


def lose_acknowledged_writes(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k acknowledged records vanish from the log: a hole at the offset (no consumer ever gets the record),
    or, for the last record of a partition that no consumer had read when it was acknowledged, the offset
    re-used by a later send of the same producer, invoked after the acknowledgement (the record was
    truncated and the offset written again). Breaks acks=all durability: an acknowledged write survives.

    Implies ``unseen``: no consumer ever read the lost record (each was lost before any consumer got to it)."""
    lost = []
    for i in pick(draw, m.acked(), k):
        s = m.sends[i]
        p, o = s.partition, s.offset
        acked_at = m.event_of(Complete, i)
        if o == m.end(p) - 1 and m.first_poll_of(p, o) > acked_at and draw(st.booleans(), label="reuse"):
            w = m.new_send(s.producer, p, f"reused-{len(lost)}")
            w.outcome, w.offset = "ok", o
            m.log[p][o] = w.entry
            m.insert(acked_at + 1, Invoke(len(m.sends) - 1), Complete(len(m.sends) - 1))
        else:
            m.log[p][o] = HOLE
        lost.append((TOPIC, s.value, "unexplained"))  # acks=all, min.insync.replicas=2, no unclean election
    return Expect(len(lost), {"lost_writes": len(lost), "unseen": len(lost)}, {"lost_writes": set(lost)})


def write_twice(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k records are appended a second time at the end of their partition, under the same batch headers
    (producer id, producer epoch, sequence): the broker's duplicate check let a retry through. Breaks
    idempotence: each send is written once.

    The cause comes from the log autopsy: ``broker_dedup_failed`` (a Kafka bug, counted); without
    idempotence (producer id -1) ``retry_without_idempotence`` (documented: not counted, a note); without the
    autopsy ``undecided`` (counted, and the check cannot decide)."""
    chosen = pick(draw, m.slots(), k)
    for p, o in chosen:
        m.log[p].append(m.log[p][o])
    cause = ("undecided" if not m.replica_logs else "broker_dedup_failed" if m.idempotent
             else "retry_without_idempotence")
    counted = 0 if cause == "retry_without_idempotence" else len(chosen)
    return Expect(len(chosen), {"duplicates": counted},
                  {"duplicates": {(TOPIC, m.value_at(p, o), cause) for p, o in chosen}},
                  undecided={"duplicates"} if cause == "undecided" else set())


def misreport_offsets(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k pairs of acknowledgements of one partition report each other's offsets, while the log holds each
    value at its own offset (Jepsen's inconsistent offsets: A acknowledged at 1500 and B at 1501, the log
    has B at 1500 and A at 1501). Breaks: an acknowledged offset holds the acknowledged value.

    Each swap makes two offsets inconsistent, so the check counts 2 per swap."""
    acked = m.acked()
    pairs = [(a, b) for a in acked for b in acked if a < b and m.sends[a].partition == m.sends[b].partition]
    chosen = pick(draw, pairs, k, lambda x, y: bool(set(x) & set(y)))
    offsets = set()
    for a, b in chosen:
        sa, sb = m.sends[a], m.sends[b]
        sa.offset, sb.offset = sb.offset, sa.offset
        offsets |= {(TOPIC, sa.partition, sa.offset, "unexplained"), (TOPIC, sb.partition, sb.offset, "unexplained")}
    return Expect(len(chosen), {"inconsistent_offsets": 2 * len(chosen)}, {"inconsistent_offsets": offsets})


def append_phantoms(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k records that no producer sent are appended at the end of partitions (and every replica holds them).
    Breaks: the log holds only what was produced."""
    values = set()
    for i in range(k):
        p = draw(st.integers(0, m.partitions - 1))
        m.log[p].append(Entry(f"phantom-{i}", NO_PRODUCER, NO_PRODUCER, NO_PRODUCER))
        values.add((TOPIC, f"phantom-{i}"))
    return Expect(k, {"phantom_values": k}, {"phantom_values": values})


def fail_sends_that_landed(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k sends are recorded as failed with NOT_ENOUGH_REPLICAS (definitely not written) while their records
    stay in the log and are read. Breaks the error classification: a ``fail`` was not appended.

    Implies ``availability``: those sends did not succeed (not a safety check)."""
    chosen = pick(draw, m.acked(), k)
    for i in chosen:
        m.sends[i].outcome, m.sends[i].error = "fail", "NOT_ENOUGH_REPLICAS"
    return Expect(len(chosen), {"failed_sends_landed": len(chosen), "availability": len(chosen)},
                  {"failed_sends_landed": {(TOPIC, m.sends[i].value) for i in chosen}})


def starve_rack_readers(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k records of the log are missing from one rack's final reader each (another rack's replica served a
    shorter log). Breaks: with the full ISR back, every replica serves the same log."""
    chosen = pick(draw, m.slots(), k)
    for p, o in chosen:
        process, _ = draw(st.sampled_from(m.final_readers()[1:]))
        m.final_missing.setdefault(process, set()).add((p, o))
    return Expect(len(chosen), {"final_reads_disagree": len(chosen)},
                  {"final_reads_disagree": {(TOPIC, p, o) for p, o in chosen}})


def adjacent_pairs(m: TopicModel) -> list[tuple[int, int]]:
    """(partition, offset) of two adjacent records A (at offset) and B (at offset + 1) of one producer, both
    acknowledged, in flight together (B invoked before A's acknowledgement), that no consumer read before
    B was invoked."""
    out = []
    for p, log in m.log.items():
        for o in range(len(log) - 1):
            if log[o] is HOLE or log[o + 1] is HOLE:
                continue
            a, b = m.send_at(p, o), m.send_at(p, o + 1)
            if m.sends[a].outcome != "ok" or m.sends[b].outcome != "ok" or m.sends[a].producer != m.sends[b].producer:
                continue
            b_invoked = m.event_of(Invoke, b)
            if b_invoked < m.event_of(Complete, a) and m.first_poll_of(p, o) > b_invoked:
                out.append((p, o))
    return out


def swap_adjacent(m: TopicModel, pairs: list[tuple[int, int]]) -> set:
    """Swap each pair's records in the log, their acknowledged offsets with them; B's (topic, value)."""
    moved = set()
    for p, o in pairs:
        a, b = m.send_at(p, o), m.send_at(p, o + 1)
        m.log[p][o], m.log[p][o + 1] = m.log[p][o + 1], m.log[p][o]
        m.sends[a].offset, m.sends[b].offset = o + 1, o
        moved.add((TOPIC, m.sends[b].value))
    return moved


def overlap(x: tuple[int, int], y: tuple[int, int]) -> bool:
    return x[0] == y[0] and abs(x[1] - y[1]) <= 1


def reorder_one_producers_sends(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k times, two sends of one producer to one partition, in flight together, land in the log in the
    opposite order to their invocation (the later one at the lower offset, both kept, both acknowledged
    where they are). Breaks idempotence's order: one producer's sends to a partition land in send order."""
    moved = swap_adjacent(m, pick(draw, adjacent_pairs(m), k, overlap))
    return Expect(len(moved), {"nonmonotonic_send": len(moved)}, {"nonmonotonic_send": moved})


def reorder_across_producers(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k times at the end of the workload, a producer's send is acknowledged, then another producer's send,
    invoked after that acknowledgement, lands just below it in the log (both kept; the consumers then read
    both). Breaks real-time order: a partition's leader appends in arrival order, so a send made after an
    acknowledgement lands after the acknowledged record. (Needs two producers.)"""
    if len(m.producers) < 2:
        return Expect(0)
    moved = set()
    for _ in range(k):
        p = draw(st.integers(0, m.partitions - 1))
        first, then = draw(st.permutations(m.producers))[:2]
        for producer in (first, then):
            i = m.invoke(producer, p)
            m.append(producer, p)
            m.replicate(p)
            m.ack(i)
        moved |= swap_adjacent(m, [(p, m.end(p) - 2)])
    m.catch_up()
    return Expect(k, {"realtime_order": k}, {"realtime_order": moved})


def repoll(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k times, a consumer's next poll returns one partition's records of its previous poll again (its
    position went back without a seek or a reset). Breaks: a consumer's position only moves forward."""
    found = set()
    for j, p in sorted(pick(draw, m.chunks(), k), reverse=True):
        e = m.events[j]
        again = [e.records[i] for i in e.chunk(p)]
        m.insert(j + 1, PollEvent(e.consumer, again, {p: e.watermarks[p]}))
        found.add((e.consumer, p, again[0][1]))
    return Expect(len(found), {"nonmonotonic_poll": len(found)}, {"nonmonotonic_poll": found})


def return_a_record_twice(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k times, a poll returns one of its records twice in a row (each time another poll, or another
    partition of it). Breaks: a fetch returns a log's records in offset order, each once."""
    found = set()
    for j, p in pick(draw, m.chunks(), k):
        e = m.events[j]
        i = draw(st.sampled_from(e.chunk(p)))
        e.records.insert(i + 1, e.records[i])
        found.add((e.consumer, p, e.records[i][1]))
    return Expect(len(found), {"int_nonmonotonic_poll": len(found)}, {"int_nonmonotonic_poll": found})


def skip_records(m: TopicModel, k: int, draw: Draw, within: bool) -> Expect:
    """One consumer jumps over records the log holds, k times: a poll's first records (``within``: records
    inside a poll, neither its first nor its last), one or more each time; each jump is one skip, the notes
    count the records. Breaks: a consumer gets every record of the log, in order. Another consumer still
    reads each skipped record, so none is unseen.

    Between polls, the jump is not into the consumer's first poll of the partition (the check measures a
    jump from the last record read, and there is none), and the records of a poll are skipped all only
    when a later poll of the partition follows (to land the jump); two jumps are never in consecutive polls
    of one partition (they would make one)."""
    def jumps(consumer: str) -> list[tuple[int, int, int, int]]:
        """(event, partition, ordinal of the poll among the consumer's polls of it, how many records it may
        skip at most) where this consumer may jump."""
        out = []
        for p in range(m.partitions):
            chunks = [j for j, q in m.chunks(consumer) if q == p]
            for n, j in enumerate(chunks):
                size = len(m.events[j].chunk(p))
                most = size - 2 if within else size - 1 if n == len(chunks) - 1 else size
                if most > 0 and (within or n > 0):
                    out.append((j, p, n, most))
        return out

    candidates = {c.name: jumps(c.name) for c in m.consumers}
    able = [name for name, found in candidates.items() if found]
    if not able:
        return Expect(0)
    consumer = draw(st.sampled_from(able))
    chosen = pick(draw, candidates[consumer], k, lambda a, b: a[1] == b[1] and abs(a[2] - b[2]) <= 1)
    found, skipped = set(), 0
    for j, p, _, most in sorted(chosen, reverse=True):
        e = m.events[j]
        positions = e.chunk(p)
        first = 1 if within else 0
        drop = draw(st.integers(1, most))
        landing = positions[first + drop] if first + drop < len(positions) else None
        found.add((consumer, p, e.records[landing][1] if landing is not None else e.records[positions[-1]][1] + 1))
        del e.records[positions[first]:positions[first] + drop]
        skipped += drop
    name = "int_poll_skip" if within else "poll_skip"
    return Expect(len(found), {name: len(found)}, {name: found}, notes={name: {"skipped_offsets": skipped}})


def skip_between_polls(m: TopicModel, k: int, draw: Draw) -> Expect:
    return skip_records(m, k, draw, within=False)


def skip_within_a_poll(m: TopicModel, k: int, draw: Draw) -> Expect:
    return skip_records(m, k, draw, within=True)


skip_between_polls.__doc__ = skip_within_a_poll.__doc__ = skip_records.__doc__


def read_uncommitted(m: TopicModel, k: int, draw: Draw, above: bool = False) -> Expect:
    """At the end of the workload, producers send k more records; the leader appends them, a consumer polls
    them, and a leader change truncates them (their sends time out: ``info``), so the final log does not
    hold them. Breaks high-watermark visibility: a consumer gets only committed records, which every
    replica holds and no clean leader change truncates.

    The consumer got them below the high watermark its broker reported (a leader that moved its high
    watermark before the followers had the records), or (``above``) at or above it, with a statistics
    sample just before the poll and one after (as librdkafka takes every second), so that the serving
    broker and its high watermark are known: both ways, each such record is one uncommitted read.

    Implies ``availability``: those sends did not succeed (not a safety check)."""
    consumer = draw(st.sampled_from(m.consumers))
    records, sends = [], []
    for p in sorted(draw(st.lists(st.integers(0, m.partitions - 1), min_size=k, max_size=k))):
        s = m.new_send(draw(st.sampled_from(m.producers)), p, f"uncommitted-{len(sends)}")
        s.outcome, s.error = "info", "_MSG_TIMED_OUT"
        sends.append(len(m.sends) - 1)
        records.append((p, m.end(p) + sum(1 for r in records if r[0] == p), s.value))
    served = {p: m.hwm[p] if above else o + 1 for p, o, _ in records}  # the last record's, per partition
    m.events += [Invoke(i) for i in sends]
    if above:
        m.stats(consumer)
    else:
        m.events.append(StatsEvent(consumer.name, {**m.hwm, **served}))
    m.events.append(PollEvent(consumer.name, records, served))
    m.events.append(StatsEvent(consumer.name, {**m.hwm, **served}))
    m.events += [Complete(i) for i in sends]
    return Expect(k, {"uncommitted_reads": k, "availability": k},
                  notes={"uncommitted_reads": {"not_in_final_log": k, "above_high_watermark": k if above else 0}})


def read_uncommitted_above_the_high_watermark(m: TopicModel, k: int, draw: Draw) -> Expect:
    return read_uncommitted(m, k, draw, above=True)


read_uncommitted_above_the_high_watermark.__doc__ = read_uncommitted.__doc__


def corrupt_replicas(m: TopicModel, k: int, draw: Draw) -> Expect:
    """k offsets where one follower's log (in the log autopsy) holds another value than the leader's.
    Breaks: with the full ISR back, every replica holds the same records at the same offsets."""
    chosen = pick(draw, m.slots(), k)
    for i, (p, o) in enumerate(chosen):
        m.replica_values[(draw(st.sampled_from(NODES[1:])), p, o)] = f"corrupt-{i}"
    return Expect(len(chosen), {"replica_divergence": len(chosen)},
                  {"replica_divergence": {(TOPIC, p, o) for p, o in chosen}})


INJECTORS: dict[str, tuple[Callable[[TopicModel, int, Draw], Expect], dict[str, Any]]] = {
    "lost_writes": (lose_acknowledged_writes, {}),
    "duplicates": (write_twice, {"idempotent": None, "replica_logs": None}),
    "inconsistent_offsets": (misreport_offsets, {}),
    "phantom_values": (append_phantoms, {}),
    "failed_sends_landed": (fail_sends_that_landed, {}),
    "final_reads_disagree": (starve_rack_readers, {}),
    "nonmonotonic_send": (reorder_one_producers_sends, {}),
    "realtime_order": (reorder_across_producers, {}),
    "nonmonotonic_poll": (repoll, {}),
    "int_nonmonotonic_poll": (return_a_record_twice, {}),
    "poll_skip": (skip_between_polls, {}),
    "int_poll_skip": (skip_within_a_poll, {}),
    "uncommitted_reads": (read_uncommitted, {}),
    "uncommitted_reads_above_the_high_watermark": (read_uncommitted_above_the_high_watermark, {}),
    "replica_divergence": (corrupt_replicas, {"replica_logs": True}),
}
"""Per anomaly (the check that counts it): its injector, and how to draw the run it goes into (default:
idempotent producers, the log autopsy drawn).

What one anomaly necessarily brings with it (each injector's docstring says why, its ``Expect`` counts it):
- a lost write is also unseen (no consumer ever read it);
- a failed send that landed, and a record read uncommitted and truncated (its send timed out), are sends not
  acknowledged: availability counts them (a finding, not a safety check);
- a misreported acknowledgement makes two offsets inconsistent, its own and its partner's;
- a duplicate's count depends on its cause: written by a producer without idempotence it is documented
  (a note, count 0); without the log autopsy its cause is undecided (counted, the check undecided).
"""


def inject_and_check(anomaly: str, data) -> None:
    inject, options = INJECTORS[anomaly]
    model = data.draw(topic_models(**{"idempotent": True, "replica_logs": None, **options}), label="run")
    expect = inject(model, data.draw(st.integers(1, MAX_K), label="k"), data.draw)
    assume(expect.n > 0)
    assert_checks(model, run_checks(model.history()), expect)


@pytest.mark.parametrize("anomaly", list(INJECTORS))
@SETTINGS
@given(data=st.data())
def test_each_injected_anomaly_is_found_exactly(anomaly, data):
    inject_and_check(anomaly, data)


def test_a_record_both_truncated_and_above_the_high_watermark_is_one_read():
    """Found by the model: "x" polled at offset 1 while the broker's high watermark was 1 (samples before
    and after the poll), then truncated: one uncommitted read, once counted twice."""
    c = Crafted()
    c.send("producer-0-0", "a", offset=0)
    c.send("producer-0-0", "x", outcome="info")
    c.stats("consumer-0-leader", None, 0, leader=1, broker=1, hi_offset=1)
    c.poll("consumer-0-leader", [(0, 0, "a"), (0, 1, "x")])
    c.stats("consumer-0-leader", None, 0, leader=1, broker=1, hi_offset=1)
    c.read([(0, 0, "a")])
    r = uncommitted_reads(c.history())
    assert (r.notes["not_in_final_log"], r.notes["above_high_watermark"]) == (1, 1)
    assert r.count == 1


# -- a history cut off during the final read ----------------------------------------------------------------

NEED_THE_FINAL_READ = {"lost_writes", "inconsistent_offsets", "uncommitted_reads", "final_reads_disagree"}
"""The checks that judge a clean run by the final read: cut off during it, they cannot decide."""
CUT_UNKNOWN = NEED_THE_FINAL_READ | {"follower_reads"}
"""... and follower_reads, which takes the ISR over time from the controller's record: the runner reads that
record after the final read, so a history cut off during the final read does not have it."""
CUT_SKIPPED = {"failed_sends_landed", "replica_divergence", *GROUP_CHECK_NAMES, *TXN_CHECK_NAMES}
"""No send failed; the log autopsy comes after the final read; no group, no transaction."""
CUT_MAY_NOT_DECIDE = {
    None: set(),
    "lost_writes": {"unseen", "poll_skip", "int_poll_skip"},
    "uncommitted_reads": set(),
    "final_reads_disagree": set(),
}
"""What else an injected anomaly leaves undecided in a cut history: a lost write is unseen, and whether it is
lost or late only the final read tells; a consumer that stepped over its hole may have skipped a record the
final read would show."""


@pytest.mark.parametrize("anomaly", list(CUT_MAY_NOT_DECIDE))
@settings(SETTINGS, max_examples=CUT_EXAMPLES)
@given(data=st.data())
def test_a_history_cut_off_during_the_final_read_is_undecided_never_failed(anomaly, data):
    """The history ends with the final read's first invocation (the run was killed there): the checks that
    need the final read say unknown (the anomalies only the final read shows: not failed either), the
    others still decide, and none says fail."""
    model = data.draw(topic_models(idempotent=None, replica_logs=None), label="run")
    if anomaly is not None:
        assume(INJECTORS[anomaly][0](model, data.draw(st.integers(1, MAX_K), label="k"), data.draw).n > 0)
    results = run_checks(model.history_cut_during_final_read())
    verdicts = {name: r.verdict(must_be_zero=name in DEFAULT_MUST_BE_ZERO) for name, r in results.items()}
    assert Verdict.FAIL not in verdicts.values(), verdicts
    unknown = {name for name, v in verdicts.items() if v is Verdict.UNKNOWN}
    assert CUT_UNKNOWN <= unknown <= CUT_UNKNOWN | CUT_MAY_NOT_DECIDE[anomaly], verdicts
    if anomaly == "lost_writes":
        assert "unseen" in unknown
    assert {name for name, v in verdicts.items() if v is Verdict.SKIPPED} == CUT_SKIPPED, verdicts


def test_every_injector_is_here():
    assert {name.split("_above")[0] for name in INJECTORS} | {"unseen", "follower_reads", "availability"} | \
        set(GROUP_CHECK_NAMES) | set(TXN_CHECK_NAMES) == set(CHECK_NAMES)  # transactions: tests/checks/test_txn_*.py
