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

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, KafkaException, TopicPartition

from harness.history.schema import FetchStats, OffsetReset, Poll, Stats
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
    start_offset: int = 0
    """Where the consumer starts in every partition (beyond the end: it resets, which tests use)."""
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    @property
    def reader(self) -> str:
        return f"rack:{self.client_rack}" if self.client_rack else "leader"

    def run(self, stop: threading.Event | None = None) -> ConsumerStats:
        stop = stop or threading.Event()
        cfg = {"bootstrap.servers": self.bootstrap, "group.id": f"kafka-chaos-{self.name}-{uuid.uuid4().hex[:6]}",
               "enable.auto.commit": False, "log_level": 0,
               "error_cb": lambda err: None, "statistics.interval.ms": self.stats_interval_ms,
               "stats_cb": self._on_stats, **self.config}
        # The consumer resets its position itself, so that every reset is in the history (librdkafka's own
        # reset is silent, and a reset read back from the start looks like a poll going backwards).
        reset_to = cfg.pop("auto.offset.reset", "earliest")
        cfg["auto.offset.reset"] = "error"
        if self.client_rack:
            cfg["client.rack"] = self.client_rack
        isolation = "read_uncommitted" if str(cfg.get("isolation.level")) == "read_uncommitted" else None
        consumer = Consumer(cfg)
        consumer.assign([TopicPartition(self.topic, p, self.start_offset) for p in range(self.partitions)])
        deadline = time.monotonic() + self.duration_s
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                msgs = consumer.consume(num_messages=500, timeout=0.2)
                records, epochs = [], []
                for m in msgs:
                    if m.error():
                        if m.error().code() == KafkaError._AUTO_OFFSET_RESET and m.partition() is not None:
                            self._reset(consumer, m, reset_to)
                        elif m.error().code() != KafkaError._PARTITION_EOF:
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
                                                    epochs=epochs, isolation=isolation,
                                                    watermarks=self._watermarks(consumer, records)))
        finally:
            consumer.close()
        return self.stats

    def _watermarks(self, consumer: Consumer, records: list) -> list[list[int]]:
        """The cached high watermark of each partition in a poll (no request: from the latest fetch response)."""
        out = []
        for p in sorted({r[0] for r in records}):
            try:
                high = consumer.get_watermark_offsets(TopicPartition(self.topic, p), cached=True)[1]
            except KafkaException:
                continue
            if high is not None and high >= 0:
                out.append([p, high])
        return out

    def _reset(self, consumer: Consumer, m, reset_to: str) -> None:
        """Restart a partition whose position was out of range, and record it."""
        p = m.partition()
        position = m.offset() if m.offset() is not None and m.offset() >= 0 else None
        to = OFFSET_END if reset_to in ("latest", "largest", "end") else OFFSET_BEGINNING
        self.history.ok(self.name, OffsetReset(topic=self.topic, partition=p, position=position,
                                               to="latest" if to == OFFSET_END else "earliest"))
        # librdkafka has stopped fetching the partition (a seek is refused in that state): assign it again.
        consumer.incremental_unassign([TopicPartition(self.topic, p)])
        consumer.incremental_assign([TopicPartition(self.topic, p, to)])

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
