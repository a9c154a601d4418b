"""The final read: every partition from its start to its end offset, recorded, bounded in time."""

from __future__ import annotations

import json
import time
import uuid
from typing import Sequence

from confluent_kafka import Consumer, KafkaError, TopicPartition

from harness.history.schema import Read, ReadStart
from harness.history.writer import HistoryWriter

STATS_INTERVAL_MS = 200
"""How often librdkafka reports which broker serves each partition during the final read."""
CHUNK = 20_000
"""Records per history op, so no single line grows without bound."""


def final_read(bootstrap: str, topic: str | Sequence[str], partitions: int, history: HistoryWriter,
               timeout_s: float = 60.0, reader: str = "leader", client_rack: str | None = None,
               process: str = "final-reader") -> bool:
    """Read ``topic`` (or each of several topics, with one consumer) completely; returns True when every
    partition reached its end offset in time.

    With ``client_rack`` set, the rack-aware selector may serve the read from a same-rack follower.
    """
    topics = [topic] if isinstance(topic, str) else list(topic)
    served = _Served(topics)
    cfg = {"bootstrap.servers": bootstrap, "group.id": f"kafka-chaos-final-{uuid.uuid4().hex[:8]}",
           "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest",
           "log_level": 0, "error_cb": lambda err: None, "statistics.interval.ms": STATS_INTERVAL_MS,
           "stats_cb": served.on_stats}
    if client_rack:
        cfg["client.rack"] = client_rack
    consumer = Consumer(cfg)
    deadline = time.monotonic() + timeout_s
    try:
        ends: dict[tuple[str, int], tuple[int, int]] = {}
        for t in topics:
            for p in range(partitions):
                history.invoke(process, ReadStart(topic=t, partition=p, reader=reader))
                ends[t, p] = _watermarks(consumer, t, p, deadline)
        consumer.assign([TopicPartition(t, p, low) for (t, p), (low, _) in ends.items() if low >= 0])
        records: dict[tuple[str, int], list] = {tp: [] for tp in ends}
        epochs: dict[tuple[str, int], list] = {tp: [] for tp in ends}
        done = {tp for tp, (low, high) in ends.items() if low >= 0 and high <= low}
        while len(done) < len(ends) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                tp = (msg.topic(), msg.partition())
                if tp not in ends:
                    continue
                end = ends[tp][1]
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF and msg.offset() >= end:
                        done.add(tp)
                    continue
                if msg.offset() < end:
                    records[tp].append([tp[1], msg.offset(), msg.value().decode(errors="replace")])
                    epochs[tp].append(msg.leader_epoch())
                if msg.offset() + 1 >= end:
                    done.add(tp)
        served.settle(consumer, deadline)
        for (t, p), (low, high) in ends.items():
            recs = records[t, p]
            for i in range(0, max(len(recs), 1), CHUNK):
                value = Read(topic=t, partition=p, reader=reader, records=recs[i:i + CHUNK],
                             epochs=epochs[t, p][i:i + CHUNK], end_offset=high if high >= 0 else None,
                             served_by=served.by.get((t, p), []))
                last = i + CHUNK >= len(recs)
                if (t, p) in done or not last:
                    history.ok(process, value)
                else:
                    got = recs[-1][1] + 1 if recs else low
                    history.info(process, value,
                                 error=f"reached offset {got} of {high} before the {timeout_s:.0f} s deadline"
                                 if low >= 0 else "end offsets unavailable before the deadline")
        return len(done) == len(ends)
    finally:
        consumer.close()


class _Served:
    """Which broker served each partition's fetches, from librdkafka's statistics (``broker`` per partition:
    the broker it currently fetches from, a same-rack follower when the leader's selector chose one)."""

    def __init__(self, topics: Sequence[str]):
        self.topics = list(topics)
        self.by: dict[tuple[str, int], list[int]] = {}
        self.samples = 0

    def on_stats(self, raw: str) -> None:
        try:
            stats = json.loads(raw).get("topics", {})
        except ValueError:
            return
        for topic in self.topics:
            for pid, p in stats.get(topic, {}).get("partitions", {}).items():
                broker = p.get("broker")
                if int(pid) >= 0 and isinstance(broker, int) and broker >= 0:
                    seen = self.by.setdefault((topic, int(pid)), [])
                    if not seen or seen[-1] != broker:
                        seen.append(broker)
        self.samples += 1

    def settle(self, consumer: Consumer, deadline: float) -> None:
        """Serve callbacks until a statistics sample taken after the last fetch has come (bounded): a read
        shorter than the statistics interval would otherwise name no broker."""
        wanted = self.samples + 1
        until = min(deadline, time.monotonic() + 3 * STATS_INTERVAL_MS / 1000)
        while self.samples < wanted and time.monotonic() < until:
            consumer.poll(0.05)


def _watermarks(consumer: Consumer, topic: str, partition: int, deadline: float) -> tuple[int, int]:
    while True:
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=5)
        except Exception:
            if time.monotonic() >= deadline:
                return -1, -1
            time.sleep(0.5)
