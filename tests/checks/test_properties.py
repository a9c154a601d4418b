"""Property-based: generated clean histories pass every check; injected anomalies are caught exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.checks.duplicates import duplicates
from harness.checks.inconsistent_offsets import inconsistent_offsets
from harness.checks.lost_writes import lost_writes
from harness.checks.order_sends import nonmonotonic_send
from harness.checks.reordering import order_checks
from harness.checks.uncommitted_reads import uncommitted_reads
from harness.checks.unseen import unseen
from tests.crafted import Crafted


@st.composite
def logs(draw):
    """A per-partition log of acknowledged sends from a few producers, and indeterminate ones that may land."""
    partitions = draw(st.integers(1, 4))
    n = draw(st.integers(1, 60))
    sends = []  # (producer, value, partition, outcome)
    for i in range(n):
        producer = draw(st.sampled_from(["p0", "p1", "p2"]))
        outcome = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
        landed = outcome == "ok" or (outcome == "info" and draw(st.booleans()))
        sends.append((producer, f"{producer}-{i}", draw(st.integers(0, partitions - 1)), outcome, landed))
    return partitions, sends


def build(partitions, sends, drop=(), dup=None, swap=None, truncate_after_poll=None):
    c = Crafted()
    offsets = [0] * partitions
    log = {p: [] for p in range(partitions)}
    at = {}
    for producer, value, p, outcome, landed in sends:
        if landed:
            at[value] = (p, offsets[p])
            log[p].append((p, offsets[p], value))
            offsets[p] += 1
    order = list(sends)
    if swap is not None:  # make a later send get the earlier send's offset and vice versa, in the log too
        a, b = swap
        va, vb = order[a][1], order[b][1]
        at[va], at[vb] = at[vb], at[va]
        for q in log:
            log[q] = [(p_, o, vb if v == va else va if v == vb else v) for p_, o, v in log[q]]
    for producer, value, p, outcome, landed in order:
        if outcome == "ok":
            c.send(producer, value, partition=at[value][0], offset=at[value][1])
        else:
            c.send(producer, value, outcome=outcome, error="x")
    if truncate_after_poll is not None:
        p = truncate_after_poll
        c.poll("c1", [r for q in range(partitions) for r in log[q]])
        log[p] = log[p][:-1]
    else:
        c.poll("c1", [r for q in range(partitions) for r in log[q]])
    for p in range(partitions):
        recs = [r for r in log[p] if r[2] not in drop]
        if dup is not None and dup[0] == p:
            recs.append((p, len(log[p]) + 10, dup[1]))
        c.read(recs, partition=p)
    return c.history()


@settings(max_examples=60, deadline=None)
@given(logs())
def test_generated_clean_histories_pass_every_safety_check(data):
    h = build(*data)
    for check in (lost_writes, unseen, duplicates, inconsistent_offsets, *order_checks.values(), uncommitted_reads):
        r = check(h)
        assert r.count == 0, (check.__name__, r.examples)


@settings(max_examples=60, deadline=None)
@given(logs(), st.data())
def test_dropped_acknowledged_records_are_lost_one_for_one(data, draw):
    partitions, sends = data
    acked = [v for _, v, _, outcome, _ in sends if outcome == "ok"]
    drop = set(draw.draw(st.lists(st.sampled_from(acked), unique=True))) if acked else set()
    assert lost_writes(build(partitions, sends, drop=drop)).count == len(drop)


@settings(max_examples=60, deadline=None)
@given(logs(), st.data())
def test_a_record_written_twice_is_one_duplicate(data, draw):
    partitions, sends = data
    landed = [(p, v) for _, v, p, _, ok in sends if ok]
    if not landed:
        return
    p, value = draw.draw(st.sampled_from(landed))
    assert duplicates(build(partitions, sends, dup=(p, value))).count == 1


@settings(max_examples=60, deadline=None)
@given(logs(), st.data())
def test_swapped_offsets_within_a_producer_and_partition_are_reordering(data, draw):
    partitions, sends = data
    pairs = [(i, j) for i, a in enumerate(sends) for j, b in enumerate(sends)
             if i < j and a[0] == b[0] and a[2] == b[2] and a[3] == b[3] == "ok"]
    if not pairs:
        return
    r = nonmonotonic_send(build(partitions, sends, swap=draw.draw(st.sampled_from(pairs))))
    assert r.count >= 1 and r.decided


@settings(max_examples=40, deadline=None)
@given(logs(), st.data())
def test_a_polled_record_later_truncated_is_an_uncommitted_read(data, draw):
    partitions, sends = data
    nonempty = sorted({p for _, _, p, _, ok in sends if ok})
    if not nonempty:
        return
    p = draw.draw(st.sampled_from(nonempty))
    assert uncommitted_reads(build(partitions, sends, truncate_after_poll=p)).count == 1
