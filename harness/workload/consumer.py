"""A consumer that records every poll, and librdkafka's view of where it fetches from.

A *leader reader* has no ``client.rack``: it fetches from each partition's leader. A *follower reader*
sets ``client.rack``, so the brokers' RackAwareReplicaSelector may point it at a same-rack follower
(KIP-392). Statistics (``statistics.interval.ms``) are recorded as ``stats`` ops: per partition the
leader, the broker actually fetched from, and the watermarks that broker served.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, TopicPartition

from harness.history.schema import FetchStats, Poll, Stats
from harness.history.writer import HistoryWriter

STATS_FIELDS = ("leader", "broker", "hi_offset", "lo_offset", "ls_offset", "fetch_state", "next_offset",
                "leader_epoch")


@dataclass
class ConsumerStats:
    polls: int = 0
    records: int = 0
    errors: int = 0


@dataclass
class RecordingConsumer:
    name: str
    bootstrap: str
    topic: str
    partitions: int
    history: HistoryWriter
    client_rack: str | None = None
    duration_s: float = 30.0
    stats_interval_ms: int = 1000
    config: dict = field(default_factory=dict)
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    @property
    def reader(self) -> str:
        return f"rack:{self.client_rack}" if self.client_rack else "leader"

    def run(self, stop: threading.Event | None = None) -> ConsumerStats:
        stop = stop or threading.Event()
        cfg = {"bootstrap.servers": self.bootstrap, "group.id": f"kafka-chaos-{self.name}-{uuid.uuid4().hex[:6]}",
               "enable.auto.commit": False, "auto.offset.reset": "earliest", "log_level": 0,
               "error_cb": lambda err: None, "statistics.interval.ms": self.stats_interval_ms,
               "stats_cb": self._on_stats, **self.config}
        if self.client_rack:
            cfg["client.rack"] = self.client_rack
        consumer = Consumer(cfg)
        consumer.assign([TopicPartition(self.topic, p, 0) for p in range(self.partitions)])
        deadline = time.monotonic() + self.duration_s
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                msgs = consumer.consume(num_messages=500, timeout=0.2)
                records, epochs = [], []
                for m in msgs:
                    if m.error():
                        if m.error().code() != KafkaError._PARTITION_EOF:
                            self.stats.errors += 1
                            self.history.info(self.name, Poll(topic=self.topic, reader=self.reader, records=[]),
                                              error=m.error().name())
                        continue
                    records.append([m.partition(), m.offset(), m.value().decode(errors="replace")])
                    epochs.append(m.leader_epoch())
                if records:
                    self.stats.polls += 1
                    self.stats.records += len(records)
                    self.history.ok(self.name, Poll(topic=self.topic, reader=self.reader, records=records,
                                                    epochs=epochs))
        finally:
            consumer.close()
        return self.stats

    def _on_stats(self, raw: str) -> None:
        try:
            topic = json.loads(raw).get("topics", {}).get(self.topic)
        except ValueError:
            return
        if not topic:
            return
        parts = [FetchStats(partition=int(pid), **{k: p.get(k) for k in STATS_FIELDS})
                 for pid, p in topic.get("partitions", {}).items() if int(pid) >= 0]
        if parts:
            self.history.ok(self.name, Stats(topic=self.topic, reader=self.reader, rack=self.client_rack,
                                             partitions=parts))
