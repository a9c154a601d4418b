"""Whether consumers of committed data can read to the end after the faults: each partition's last stable
offset (LSO) against its high watermark. A transaction left open holds the LSO back, and every
``read_committed`` consumer with it, until the transaction ends or times out and is aborted."""

from __future__ import annotations

import time

from confluent_kafka import IsolationLevel, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from harness.history.schema import StableOffsets
from harness.history.writer import HistoryWriter

PROCESS = "harness"
POLL_S = 0.5


def stable_offsets(admin: AdminClient, topic: str, partitions: int, timeout_s: float = 10.0) -> list[list[int]]:
    """``[partition, LSO, high watermark]`` of each partition now (ListOffsets to each leader, read_committed
    and read_uncommitted)."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    out: dict[int, dict[str, int]] = {p: {} for p in range(partitions)}
    for level, key in ((IsolationLevel.READ_COMMITTED, "lso"), (IsolationLevel.READ_UNCOMMITTED, "hw")):
        futures = admin.list_offsets({tp: OffsetSpec.latest() for tp in tps}, isolation_level=level,
                                     request_timeout=timeout_s)
        for tp, fut in futures.items():
            out[tp.partition][key] = fut.result(timeout_s + 1).offset
    return [[p, v["lso"], v["hw"]] for p, v in sorted(out.items())]


def record_stable_offsets(bootstrap: str, topic: str, partitions: int, history: HistoryWriter,
                          within_s: float) -> bool:
    """Wait until every partition's LSO reached its high watermark (no transaction left open), up to
    ``within_s``; record the last reading as a ``stable`` op (``info`` if some LSO stayed behind).

    Each reading comes from a new client: a long-lived one was seen to keep a leader epoch from before a
    leader change and to be refused (FENCED_LEADER_EPOCH) for as long as it was asked."""
    started = time.monotonic()
    last: list[list[int]] | None = None
    error = None
    while True:
        try:
            admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000, "log_level": 0})
            last = stable_offsets(admin, topic, partitions)
            error = None
            if all(lso >= hw for _, lso, hw in last):
                history.ok(PROCESS, StableOffsets(topic=topic, partitions=last,
                                                  waited_s=round(time.monotonic() - started, 2)))
                return True
        except Exception as exc:  # noqa: BLE001 - a leader moving: read again until the deadline
            error = f"{type(exc).__name__}: {exc}"[:200]
        if time.monotonic() - started >= within_s:
            break
        time.sleep(POLL_S)
    behind = [f"{topic}-{p} LSO {lso} < high watermark {hw}" for p, lso, hw in last or [] if lso < hw]
    history.info(PROCESS, StableOffsets(topic=topic, partitions=last or [], waited_s=round(within_s, 2)),
                 error=(f"after {within_s:.0f} s: " + ", ".join(behind)) if behind else
                 f"the offsets could not be read within {within_s:.0f} s ({error})")
    return False
