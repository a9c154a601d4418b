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
from typing import Callable

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from harness.history.ops import OpType
from harness.history.schema import ProducerFatal, SendFailed, SendInvoke, SendOk
from harness.history.writer import HistoryWriter
from harness.workload.outcomes import classify

KEYS = 64
"""Distinct keys cycled through, so records spread over every partition."""

BATCH_INTERVAL_S = 0.1
"""How long send records wait in memory before they are written to the history."""

BURST = 32
"""At most this many sends that are due go out back to back, timed as invoked at the burst's start
(a few hundred microseconds early at worst); a producer at its target rate sends one at a time."""


@dataclass
class ProducerStats:
    invoked: int = 0
    ok: int = 0
    fail: int = 0
    info: int = 0


class _Columns:
    """One batch of send records of one outcome, kept as columns.

    Appending strings and numbers to lists creates nothing the cyclic GC tracks; a list per record did,
    and the collections it caused cost about a microsecond per message. The lists keep their identity
    (emptied, not replaced), so callers may hold their ``append`` methods.
    """

    def __init__(self, *names: str):
        self.columns: dict[str, list] = {name: [] for name in names}

    def appenders(self, *names: str) -> tuple[Callable, ...]:
        return tuple(self.columns[name].append for name in names)

    def add(self, *row) -> None:
        """One record, its fields in the columns' order (for the rare paths; hot ones hold appenders)."""
        for column, field_ in zip(self.columns.values(), row, strict=True):
            column.append(field_)

    def take(self) -> dict[str, list]:
        batch = {name: column.copy() for name, column in self.columns.items()}
        for column in self.columns.values():
            column.clear()
        return batch

    def __len__(self) -> int:
        return len(self.columns["values"])


SEND_RECORDS = {OpType.INVOKE: SendInvoke, OpType.OK: SendOk, OpType.FAIL: SendFailed, OpType.INFO: SendFailed}
"""The record class of a send batch, by outcome."""


class SendLog:
    """Buffers one producer's send records and writes them as batched ``send`` ops.

    An invocation batch holds ``values``, ``times`` and ``keys``; an ok batch ``values``, ``times``,
    ``partitions`` and ``offsets``; a fail or info batch ``values``, ``times`` and ``errors``. Times
    are the history's clock.
    """

    def __init__(self, history: HistoryWriter, process: str, topic: str, stats: ProducerStats):
        self.history, self.process, self.topic, self.stats = history, process, topic, stats
        self.invoked = _Columns("values", "times", "keys")
        self.completed = {OpType.OK: _Columns("values", "times", "partitions", "offsets"),
                          OpType.FAIL: _Columns("values", "times", "errors"),
                          OpType.INFO: _Columns("values", "times", "errors")}
        self.written = time.monotonic()

    def flush(self) -> None:
        self.written = time.monotonic()
        for type_, columns in [(OpType.INVOKE, self.invoked), *self.completed.items()]:
            if len(columns):
                batch = columns.take()
                counter = "invoked" if type_ is OpType.INVOKE else type_.value
                setattr(self.stats, counter, getattr(self.stats, counter) + len(batch["values"]))
                self.history.record(self.process, type_, SEND_RECORDS[type_](topic=self.topic, **batch))

    def invocation_recorder(self) -> Callable[[str, float, str], None]:
        value, time_, key = self.invoked.appenders("values", "times", "keys")

        def invoked(v: str, t: float, k: str) -> None:
            value(v)
            time_(t)
            key(k)

        return invoked

    def delivery_callback(self) -> Callable[[KafkaError | None, Message], None]:
        value, time_, partition, offset = self.completed[OpType.OK].appenders("values", "times", "partitions",
                                                                               "offsets")
        clock, monotonic = self.history.start, time.monotonic

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is None:
                value(msg.value().decode())
                time_(monotonic() - clock)
                partition(msg.partition())
                offset(msg.offset())
            else:
                self.failed(msg.value().decode(), err.name(), OpType.FAIL if classify(err) == "fail" else OpType.INFO)

        return on_delivery

    def failed(self, value: str, error: str, type_: OpType = OpType.FAIL) -> None:
        self.completed[type_].add(value, time.monotonic() - self.history.start, error)


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

    def run(self, stop: threading.Event | None = None, abort: threading.Event | None = None) -> ProducerStats:
        """Send until the duration or ``stop``, then drain the delivery reports; ``abort`` (an interrupted
        run) cuts the drain short: what is still unanswered is purged and recorded as such."""
        stop = stop or threading.Event()
        abort = abort or threading.Event()
        cfg = {"bootstrap.servers": self.bootstrap, "client.id": self.name, "log_level": 0,
               "error_cb": lambda err: None, **self.config}
        producer = Producer(cfg)
        log = SendLog(self.history, self.name, self.topic, self.stats)
        on_delivery, invoked, clock = log.delivery_callback(), log.invocation_recorder(), self.history.start
        keys = [(f"k{i}", f"k{i}".encode()) for i in range(KEYS)]
        name, topic, produce, poll = self.name, self.topic, producer.produce, producer.poll
        interval = 1.0 / self.rate
        start = time.monotonic()
        deadline = start + self.duration_s
        seq = 0
        try:
            while seq < self.max_messages and not stop.is_set():
                now = time.monotonic()
                if now >= deadline:
                    break
                if now - log.written >= BATCH_INTERVAL_S:
                    log.flush()
                # Sends due by now (message i is due at start + i * interval), at most BURST at once.
                due = min(int((now - start) / interval) + 1, self.max_messages, seq + BURST)
                if due <= seq:
                    poll(min(start + seq * interval - now, 0.05))
                    continue
                invoked_at = now - clock
                for i in range(seq, due):
                    value = f"{name}-{i}"
                    key, key_bytes = keys[i % KEYS]
                    invoked(value, invoked_at, key)
                    try:
                        produce(topic, value=value.encode(), key=key_bytes, on_delivery=on_delivery)
                    except BufferError:
                        self._produce_when_room(producer, value, key_bytes, on_delivery, log)
                    except KafkaException as exc:
                        log.failed(value, exc.args[0].name())
                    poll(0)
                seq = due
            self._drain(producer, log, abort)
        except KafkaException as exc:
            # Raised by poll only for a fatal error, e.g. an idempotent producer whose sequence numbers no
            # longer match the log after a truncation. The producer is unusable: record why and give up.
            err = exc.args[0]
            self.history.info(self.name, ProducerFatal(topic=self.topic), error=f"fatal {err.name()}: {err.str()}")
            self._abandon(producer)
        finally:
            log.flush()
        return self.stats

    @staticmethod
    def _abandon(producer: Producer) -> None:
        """Purge what is left so its delivery reports say so (queued: fail; in flight: info)."""
        try:
            producer.purge(in_queue=True, in_flight=True)
            producer.flush(5)
        except KafkaException:
            pass  # sends left without a report stay unanswered in the history

    def _produce_when_room(self, producer: Producer, value: str, key: bytes, on_delivery, log: SendLog) -> None:
        """The local queue is full: serve delivery reports until the send fits."""
        while True:
            producer.poll(0.1)
            try:
                producer.produce(self.topic, value=value.encode(), key=key, on_delivery=on_delivery)
                return
            except BufferError:
                continue
            except KafkaException as exc:
                log.failed(value, exc.args[0].name())
                return

    def _drain(self, producer: Producer, log: SendLog, abort: threading.Event) -> None:
        """Wait out the delivery reports, writing them as they come; what is left after the delivery
        timeout is purged (and reported as indeterminate)."""
        deadline = time.monotonic() + float(self.config.get("delivery.timeout.ms", 60_000)) / 1000 + 10
        while len(producer) and time.monotonic() < deadline and not abort.is_set():
            producer.poll(0.1)
            if time.monotonic() - log.written >= BATCH_INTERVAL_S:
                log.flush()
        if len(producer):
            producer.purge(in_queue=True, in_flight=True)
            producer.flush(5)
