"""A producer that records every send: invoked, then ok (partition, offset), fail or info.

Each send is timed when it is invoked and when its delivery report arrives, but the records reach the
history in batches (one ``send`` op per outcome every ``BATCH_INTERVAL_S``): serializing two JSON lines
per message on the producing thread halved a saturated producer's throughput. Invocations of a batch
are always written before the completions that follow them, so every completion comes after its
invocation in the history.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, Producer

from harness.history import HistoryWriter, OpType
from harness.workload.outcomes import classify

KEYS = 64
"""Distinct keys cycled through, so records spread over every partition."""

BATCH_INTERVAL_S = 0.1
"""How long send records wait in memory before they are written to the history."""


@dataclass
class ProducerStats:
    invoked: int = 0
    ok: int = 0
    fail: int = 0
    info: int = 0


class SendLog:
    """Buffers one producer's send records and writes them as batched ``send`` ops.

    Rows: an invocation is ``[value, time, key]``; a completion is ``[value, time, partition, offset,
    error]`` (partition and offset for ok, error for fail and info). Times are the history's clock.
    """

    def __init__(self, history: HistoryWriter, process: str, topic: str, stats: ProducerStats):
        self.history, self.process, self.topic, self.stats = history, process, topic, stats
        self.invoked: list[list] = []
        self.completed: dict[OpType, list[list]] = {OpType.OK: [], OpType.FAIL: [], OpType.INFO: []}
        self._written = time.monotonic()

    def flush_if_due(self, now: float) -> None:
        if now - self._written >= BATCH_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        self._written = time.monotonic()
        if self.invoked:
            batch, self.invoked = self.invoked, []
            self.stats.invoked += len(batch)
            self.history.append(self.process, OpType.INVOKE, "send", {"topic": self.topic, "sends": batch})
        for type_, batch in self.completed.items():
            if batch:
                self.completed[type_] = []
                setattr(self.stats, type_.value, getattr(self.stats, type_.value) + len(batch))
                self.history.append(self.process, type_, "send", {"topic": self.topic, "sends": batch})


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
        self._log = log = SendLog(self.history, self.name, self.topic, self.stats)
        self._clock = self.history.start
        keys = [f"k{i}" for i in range(KEYS)]
        interval = 1.0 / self.rate
        start = time.monotonic()
        deadline = start + self.duration_s
        seq = 0
        try:
            while seq < self.max_messages and not stop.is_set():
                now = time.monotonic()
                if now >= deadline:
                    break
                log.flush_if_due(now)
                due = start + seq * interval
                if due > now:
                    producer.poll(min(due - now, 0.05))
                    continue
                self._send(producer, f"{self.name}-{seq}", keys[seq % KEYS], now)
                seq += 1
                producer.poll(0)
            self._drain(producer)
        finally:
            log.flush()
        return self.stats

    def _drain(self, producer: Producer) -> None:
        """Wait out the delivery reports, writing them as they come; what is left after the delivery
        timeout is purged (and reported as indeterminate)."""
        deadline = time.monotonic() + float(self.config.get("delivery.timeout.ms", 60_000)) / 1000 + 10
        while len(producer) and time.monotonic() < deadline:
            producer.poll(0.1)
            self._log.flush_if_due(time.monotonic())
        if len(producer):
            producer.purge(in_queue=True, in_flight=True)
            producer.flush(5)

    def _send(self, producer: Producer, value: str, key: str, now: float) -> None:
        self._log.invoked.append([value, now - self._clock, key])
        while True:
            try:
                producer.produce(self.topic, value=value.encode(), key=key.encode(), on_delivery=self._on_delivery)
                return
            except BufferError:  # local queue full: serve callbacks, then try again
                producer.poll(0.1)
            except KafkaException as exc:
                self._log.completed[OpType.FAIL].append([value, time.monotonic() - self._clock, None, None,
                                                         exc.args[0].name()])
                return

    def _on_delivery(self, err: KafkaError | None, msg) -> None:
        t = time.monotonic() - self._clock
        if err is None:
            self._log.completed[OpType.OK].append([msg.value().decode(), t, msg.partition(), msg.offset(), None])
        else:
            self._log.completed[_TYPES[classify(err)]].append([msg.value().decode(), t, None, None, err.name()])


_TYPES = {"fail": OpType.FAIL, "info": OpType.INFO}
