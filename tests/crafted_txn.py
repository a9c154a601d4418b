"""Crafted histories with transactions, for the transaction checks' tests: helpers over ``tests.crafted``'s
``Crafted`` (through its generic ``record``), recording what a transactional producer, a read_uncommitted
consumer and the LSO wait after the heal record."""

from __future__ import annotations

from harness.history.ops import OpType
from harness.history.schema import GroupOffsets, Poll, StableOffsets, Txn
from tests.crafted import Crafted


def tid(c: Crafted, k: int) -> str:
    """The transactional id of producer ``txn-<k>`` (``<topic>.txn-<k>``)."""
    return f"{c.topic}.txn-{k}"


def values_of(k: int, n: int, count: int) -> list[str]:
    """The values of the ``n``-th transaction of producer ``k``, as the workload names them."""
    return [f"txn-{k}-{n}-{i}" for i in range(count)]


def begin(c: Crafted, k: int, n: int, values: list[str], partitions: list[int] | None = None,
          action: str = "commit") -> Crafted:
    """Producer ``txn-<k>`` begins its ``n``-th transaction (every value in partition 0 unless told)."""
    parts = list(partitions) if partitions is not None else [0] * len(values)
    return c.record(f"txn-{k}", OpType.INVOKE, Txn(transactional_id=tid(c, k), n=n, action=action, topic=c.topic,
                                                   values=list(values), partitions=parts))


def end(c: Crafted, k: int, n: int, outcome: str = "ok", offsets: list[int | None] | None = None,
        end_time: float | None = -1.0, error: str | None = None) -> Crafted:
    """The completion of transaction ``n`` of producer ``k`` (its invocation is looked up in ``c``).
    ``end_time`` -1: the commit or abort was asked for just now; None: not recorded."""
    inv = next(op for op in reversed(c.ops) if op.f == "txn" and op.type is OpType.INVOKE
               and op.value["transactional_id"] == tid(c, k) and op.value["n"] == n)
    v = inv.value
    when = c.t if end_time == -1.0 else end_time
    if error is None and outcome != "ok":
        error = "commit refused: aborted instead" if outcome == "fail" else "commit timed out"
    return c.record(f"txn-{k}", OpType(outcome),
                    Txn(transactional_id=v["transactional_id"], n=n, action=v["action"], topic=v["topic"],
                        values=v["values"], partitions=v["partitions"], offsets=offsets, end_time=when), error)


def txn(c: Crafted, k: int, n: int, values: list[str], partitions: list[int] | None = None,
        offsets: list[int | None] | None = None, action: str = "commit", outcome: str = "ok") -> Crafted:
    """A whole transaction: begun, then ended a millisecond later (commit or abort asked for at its end)."""
    begin(c, k, n, values, partitions, action)
    return end(c, k, n, outcome, offsets)


def poll(c: Crafted, process: str, records, isolation: str | None = None, reader: str = "leader") -> Crafted:
    """A consumer poll; ``isolation`` ``read_uncommitted`` for a consumer reading past the LSO (None: read
    committed, librdkafka's default)."""
    rows = [[p, o, v] for p, o, v in records]
    return c.record(process, OpType.OK, Poll(topic=c.topic, reader=reader, records=rows, isolation=isolation))


def group_poll(c: Crafted, process: str, records, group: str = "g") -> Crafted:
    """A group member's poll (read committed)."""
    return poll(c, process, records, reader=f"group:{group}")


def stable(c: Crafted, partitions, waited_s: float = 1.0) -> Crafted:
    """The LSO wait after the heal: ``partitions`` as ``(partition, LSO, high watermark)``; ``info`` when some
    LSO is still below its high watermark."""
    rows = [list(p) for p in partitions]
    stuck = any(lso < hw for _, lso, hw in rows)
    return c.record("harness", OpType.INFO if stuck else OpType.OK,
                    StableOffsets(topic=c.topic, partitions=rows, waited_s=waited_s),
                    f"LSO below the high watermark after {waited_s} s" if stuck else None)


# -- a clean mixed run --------------------------------------------------------------------------------------

LOG = {
    0: [(0, "p0-0"), (1, "txn-0-0-0"), (2, "p0-1"), (3, None), (4, "txn-0-1-0"), (5, None), (6, "p0-2")],
    1: [(0, "txn-0-0-1"), (1, None), (2, "p0-3"), (3, "txn-0-1-1"), (4, None), (5, "p0-4")],
}
"""The log of a clean mixed run, per partition: plain sends, a committed transaction (txn-0-0-*), an aborted
one (txn-0-1-*), and their markers (None: a commit or abort marker, which no reader is ever given)."""
ABORTED = {"txn-0-1-0", "txn-0-1-1"}


def committed_log(partition: int) -> list[tuple[int, int, str]]:
    """What a read_committed reader is given of ``LOG[partition]``: no aborted record, no marker."""
    return [(partition, o, v) for o, v in LOG[partition] if v is not None and v not in ABORTED]


def uncommitted_log(partition: int) -> list[tuple[int, int, str]]:
    """What a read_uncommitted reader is given: aborted records too, never a marker."""
    return [(partition, o, v) for o, v in LOG[partition] if v is not None]


def mixed_run(c: Crafted | None = None, final: bool = True) -> Crafted:
    """A clean run of plain sends and transactions (``LOG``): a read_committed consumer, a read_uncommitted
    one and a group member poll after the transactions ended; the LSO caught up after the heal; the final
    read (read committed) of both partitions to their end, and the group's committed offsets at the end of
    each log (past the markers). Nothing in it is an anomaly."""
    c = c or Crafted()
    c.phase("workload")
    where = {v: (p, o) for p, rows in LOG.items() for o, v in rows if v is not None}
    for v in ("p0-0", "p0-1", "p0-2", "p0-3", "p0-4"):
        if v == "p0-1":
            txn(c, 0, 0, ["txn-0-0-0", "txn-0-0-1"], [0, 1], offsets=[1, 0])
        if v == "p0-3":
            txn(c, 0, 1, ["txn-0-1-0", "txn-0-1-1"], [0, 1], offsets=[4, 3], action="abort")
        c.send("producer-0-0", v, partition=where[v][0], offset=where[v][1])
    c.wait(1.0)
    for p in LOG:
        poll(c, "c-leader", committed_log(p))
        poll(c, "c-uncommitted", uncommitted_log(p), isolation="read_uncommitted")
        group_poll(c, "group-g-0", committed_log(p))
    c.phase("heal").healthy(1.0)
    stable(c, [(p, len(rows), len(rows)) for p, rows in LOG.items()])
    if final:
        for p, rows in LOG.items():
            c.final_read(committed_log(p), partition=p, end_offset=len(rows))
        group_offsets(c, {p: len(rows) for p, rows in LOG.items()})
    return c


def group_offsets(c: Crafted, offsets: dict[int, int], group: str = "g") -> Crafted:
    """The group's committed offsets after the run, ``{partition: offset}``."""
    return c.record("harness", OpType.OK, GroupOffsets(group=group, topic=c.topic,
                                                       offsets=[[p, o, -1] for p, o in sorted(offsets.items())]))
