"""Property-based: the order checks agree with a plain, row-by-row statement of each anomaly on small
generated histories (a few dozen examples each, well under two seconds)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.checks.order_polls import (
    int_nonmonotonic_poll,
    int_poll_skip,
    nonmonotonic_poll,
    poll_skip,
)
from harness.checks.order_sends import nonmonotonic_send, realtime_order
from tests.crafted import Crafted

MAX_OFFSET = 12


@st.composite
def sends(draw):
    """Sends one after another (each acknowledged before the next is invoked): producer, partition,
    offset (distinct per partition), outcome, and whether the final read still holds it there."""
    n = draw(st.integers(1, 14))
    partitions = draw(st.integers(1, 2))
    out = []
    offsets = {p: draw(st.permutations(range(MAX_OFFSET + 3))) for p in range(partitions)}
    for i in range(n):
        p = draw(st.integers(0, partitions - 1))
        out.append((draw(st.sampled_from(["p0", "p1"])), f"v{i}", p, offsets[p][i],
                    draw(st.sampled_from(["ok", "ok", "ok", "fail"])), draw(st.sampled_from([True, True, False]))))
    return partitions, out


def _send_history(partitions, rows):
    c = Crafted()
    for producer, value, p, offset, outcome, _ in rows:
        if outcome == "ok":
            c.send(producer, value, partition=p, offset=offset)
        else:
            c.send(producer, value, outcome="fail")
    for p in range(partitions):
        c.read(sorted((p, o, v) for _, v, q, o, outcome, kept in rows if q == p and outcome == "ok" and kept),
               partition=p)
    return c.history()


def _send_oracle(rows, same_producer: bool) -> tuple[int, int]:
    """(counted, explained by truncation): B counts when B and some earlier A above it are held."""
    acked = [r for r in rows if r[4] == "ok"]
    counted = explained = 0
    for i, b in enumerate(acked):
        above = [a for a in acked[:i] if a[2] == b[2] and a[3] > b[3] and (not same_producer or a[0] == b[0])]
        if above and b[5] and any(a[5] for a in above):
            counted += 1
        elif above:
            explained += 1
    return counted, explained


@settings(max_examples=40, deadline=None)
@given(sends())
def test_send_checks_match_their_definition(data):
    partitions, rows = data
    h = _send_history(partitions, rows)
    for check, same_producer in ((nonmonotonic_send, True), (realtime_order, False)):
        r = check(h)
        assert (r.count, r.notes["explained_by_truncation"]) == _send_oracle(rows, same_producer), check.__name__
        assert r.decided


@st.composite
def polls(draw):
    """Two consumers' polls over two partitions (offsets from 0 to MAX_OFFSET, any order) and the offsets
    the final log holds per partition."""
    out = []
    for _ in range(draw(st.integers(1, 8))):
        consumer = draw(st.sampled_from(["c1", "c2"]))
        out.append((consumer, draw(st.lists(st.tuples(st.integers(0, 1), st.integers(0, MAX_OFFSET)),
                                            min_size=1, max_size=5))))
    logs = [draw(st.sets(st.integers(0, MAX_OFFSET))) for _ in range(2)]
    return out, logs


def _poll_oracle(polled, logs) -> dict[str, int]:
    counts = dict.fromkeys(["nonmonotonic_poll", "int_nonmonotonic_poll", "poll_skip", "int_poll_skip"], 0)
    last: dict[tuple[str, int], tuple[int, int, int]] = {}  # (consumer, partition) -> (poll, offset, highest)
    for i, (consumer, records) in enumerate(polled):
        for p, o in records:
            if (consumer, p) in last:
                poll, prev, highest = last[(consumer, p)]
                within = "int_" if poll == i else ""
                if o <= prev:
                    counts[within + "nonmonotonic_poll"] += 1
                if any(highest < x < o for x in logs[p]):
                    counts[within + "poll_skip"] += 1
                last[(consumer, p)] = (i, o, max(highest, o))
            else:
                last[(consumer, p)] = (i, o, o)
    return counts


@settings(max_examples=40, deadline=None)
@given(polls(), st.integers(1, 3))
def test_poll_checks_match_their_definition(data, readers):
    polled, logs = data
    c = Crafted()
    for consumer, records in polled:
        c.poll(consumer, [(p, o, f"{p}-{o}") for p, o in records])
    for reader in range(readers):  # the same log read by one to three final readers
        for p in (0, 1):
            c.read([(p, o, f"{p}-{o}") for o in sorted(logs[p])], partition=p, process=f"final-{reader}")
    h = c.history()
    got = {check.__name__: check(h).count
           for check in (nonmonotonic_poll, int_nonmonotonic_poll, poll_skip, int_poll_skip)}
    assert got == _poll_oracle(polled, logs)
