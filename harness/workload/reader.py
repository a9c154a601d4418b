"""The final read: every partition from its start to its end offset, recorded, bounded in time."""

from __future__ import annotations

import json
import time
import uuid

from confluent_kafka import Consumer, KafkaError, TopicPartition

from harness.history.schema import Read, ReadStart
from harness.history.writer import HistoryWriter

STATS_INTERVAL_MS = 200
"""How often librdkafka reports which broker serves each partition during the final read."""
CHUNK = 20_000
"""Records per history op, so no single line grows without bound."""


def final_read(bootstrap: str, topic: str, partitions: int, history: HistoryWriter, timeout_s: float = 60.0,
               reader: str = "leader", client_rack: str | None = None, process: str = "final-reader") -> bool:
    """Read ``topic`` completely; returns True when every partition reached its end offset in time.

    With ``client_rack`` set, the rack-aware selector may serve the read from a same-rack follower.
    """
    served = _Served(topic)
    cfg = {"bootstrap.servers": bootstrap, "group.id": f"kafka-chaos-final-{uuid.uuid4().hex[:8]}",
           "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest",
           "log_level": 0, "error_cb": lambda err: None, "statistics.interval.ms": STATS_INTERVAL_MS,
           "stats_cb": served.on_stats}
    if client_rack:
        cfg["client.rack"] = client_rack
    consumer = Consumer(cfg)
    deadline = time.monotonic() + timeout_s
    try:
        ends: dict[int, tuple[int, int]] = {}
        for p in range(partitions):
            history.invoke(process, ReadStart(topic=topic, partition=p, reader=reader))
            low, high = _watermarks(consumer, topic, p, deadline)
            ends[p] = (low, high)
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in ends.items() if low >= 0])
        records: dict[int, list] = {p: [] for p in ends}
        epochs: dict[int, list] = {p: [] for p in ends}
        done = {p for p, (low, high) in ends.items() if low >= 0 and high <= low}
        while len(done) < len(ends) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                p = msg.partition()
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF and msg.offset() >= ends[p][1]:
                        done.add(p)
                    continue
                if msg.offset() < ends[p][1]:
                    records[p].append([p, msg.offset(), msg.value().decode(errors="replace")])
                    epochs[p].append(msg.leader_epoch())
                if msg.offset() + 1 >= ends[p][1]:
                    done.add(p)
        served.settle(consumer, deadline)
        for p, (low, high) in ends.items():
            recs = records[p]
            for i in range(0, max(len(recs), 1), CHUNK):
                value = Read(topic=topic, partition=p, reader=reader, records=recs[i:i + CHUNK],
                             epochs=epochs[p][i:i + CHUNK], end_offset=high if high >= 0 else None,
                             served_by=served.by.get(p, []))
                last = i + CHUNK >= len(recs)
                if p in done or not last:
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

    def __init__(self, topic: str):
        self.topic = topic
        self.by: dict[int, list[int]] = {}
        self.samples = 0

    def on_stats(self, raw: str) -> None:
        try:
            parts = json.loads(raw).get("topics", {}).get(self.topic, {}).get("partitions", {})
        except ValueError:
            return
        for pid, p in parts.items():
            broker = p.get("broker")
            if int(pid) >= 0 and isinstance(broker, int) and broker >= 0:
                seen = self.by.setdefault(int(pid), [])
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
