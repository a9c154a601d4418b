"""A producer that records every send: invoked, then ok (partition, offset), fail or info."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, Producer

from harness.history import HistoryWriter, OpType
from harness.workload.outcomes import classify

KEYS = 64
"""Distinct keys cycled through, so records spread over every partition."""


@dataclass
class ProducerStats:
    invoked: int = 0
    ok: int = 0
    fail: int = 0
    info: int = 0


@dataclass
class RecordingProducer:
    """Sends ``<name>-<seq>`` values at a target rate until the duration or the count runs out."""

    name: str
    bootstrap: str
    topic: str
    history: HistoryWriter
    config: dict = field(default_factory=dict)
    rate: float = 100.0
    duration_s: float = 30.0
    max_messages: int = 1_000_000
    stats: ProducerStats = field(default_factory=ProducerStats)

    def run(self, stop: threading.Event | None = None) -> ProducerStats:
        stop = stop or threading.Event()
        cfg = {"bootstrap.servers": self.bootstrap, "client.id": self.name, "log_level": 0,
               "error_cb": lambda err: None, **self.config}
        producer = Producer(cfg)
        interval = 1.0 / self.rate
        start = time.monotonic()
        deadline = start + self.duration_s
        seq = 0
        while seq < self.max_messages and not stop.is_set():
            now = time.monotonic()
            if now >= deadline:
                break
            due = start + seq * interval
            if due > now:
                producer.poll(min(due - now, 0.05))
                continue
            self._send(producer, seq)
            seq += 1
            producer.poll(0)
        timeout = float(self.config.get("delivery.timeout.ms", 60_000)) / 1000 + 10
        remaining = producer.flush(timeout)
        if remaining:  # no delivery report for these within the delivery timeout: indeterminate
            producer.purge(in_queue=True, in_flight=True)
            producer.flush(5)
        return self.stats

    def _send(self, producer: Producer, seq: int) -> None:
        value = f"{self.name}-{seq}"
        key = f"k{seq % KEYS}"
        self.history.invoke(self.name, "send", {"topic": self.topic, "value": value, "key": key})
        self.stats.invoked += 1
        while True:
            try:
                producer.produce(self.topic, value=value.encode(), key=key.encode(), on_delivery=self._on_delivery)
                return
            except BufferError:  # local queue full: serve callbacks, then try again
                producer.poll(0.1)
            except KafkaException as exc:
                self.stats.fail += 1
                self.history.fail(self.name, "send", {"topic": self.topic, "value": value},
                                  error=exc.args[0].name())
                return

    def _on_delivery(self, err: KafkaError | None, msg) -> None:
        value = msg.value().decode()
        if err is None:
            self.stats.ok += 1
            self.history.ok(self.name, "send", {"topic": self.topic, "value": value, "partition": msg.partition(),
                                                "offset": msg.offset()})
            return
        outcome = classify(err)
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        self.history.append(self.name, _TYPES[outcome], "send", {"topic": self.topic, "value": value},
                            error=err.name())


_TYPES = {"fail": OpType.FAIL, "info": OpType.INFO}
