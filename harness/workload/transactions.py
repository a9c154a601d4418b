"""A transactional producer that records each transaction: what it wrote where, how it meant to end, how it did.

Each transaction writes ``size`` values to several partitions and then commits or aborts, by a seeded
choice. Its ``txn`` op is invoked at ``begin_transaction`` and completed once the outcome is known:

- ``ok``: it ended as meant (the commit or the abort returned);
- ``fail``: it surely did not commit (a commit refused with an abortable error and then aborted, or an
  abort of a commit that timed out: the coordinator aborted it, so it was never committed);
- ``info``: the outcome is unknown (a commit that kept timing out and could not be aborted either; a fatal
  error: the producer is then replaced, and its successor fences it with a new epoch).

librdkafka 2.16 speaks the transaction protocol of before KIP-890's second part (no epoch bump per
transaction; see README, "Transactions"), which is what runs here.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, Producer

from harness.history.ops import OpType
from harness.history.schema import Phase, Txn
from harness.history.writer import HistoryWriter

CALL_TIMEOUT_S = 10.0
"""How long one transactional call (init, commit, abort) may take before it is retried or given up."""
COMMIT_TRIES = 3


@dataclass
class TxnStats:
    begun: int = 0
    committed: int = 0
    aborted: int = 0
    failed: int = 0
    unknown: int = 0


@dataclass
class TransactionalProducer:
    name: str
    bootstrap: str
    topic: str
    partitions: int
    history: HistoryWriter
    transactional_id: str
    size: int = 4
    abort_ratio: float = 0.2
    rate: float = 10.0
    """Transactions per second."""
    duration_s: float = 30.0
    max_transactions: int = 100_000
    seed: int = 0
    config: dict = field(default_factory=dict)
    stats: TxnStats = field(default_factory=TxnStats)

    def _producer(self, stop: threading.Event, deadline: float) -> Producer | None:
        """A producer with its transactions initialised; None when the run ends first."""
        cfg = {"bootstrap.servers": self.bootstrap, "client.id": self.name, "transactional.id": self.transactional_id,
               "log_level": 0, "error_cb": lambda err: None, "linger.ms": 5, **self.config}
        producer = Producer(cfg)
        while True:
            try:
                producer.init_transactions(CALL_TIMEOUT_S)
                return producer
            except KafkaException as exc:
                if not exc.args[0].retriable():
                    raise
                if stop.wait(0.5) or time.monotonic() > deadline:
                    return None

    def run(self, stop: threading.Event | None = None, abort: threading.Event | None = None) -> TxnStats:
        stop = stop or threading.Event()
        abort = abort or threading.Event()
        rng = random.Random(f"{self.seed}-{self.transactional_id}")
        deadline = time.monotonic() + self.duration_s
        interval = 1.0 / self.rate
        producer: Producer | None = None
        n = 0
        while n < self.max_transactions and not stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            if producer is None:
                try:
                    producer = self._producer(stop, deadline)
                except KafkaException as exc:
                    self.history.info(self.name, Phase(phase="workload"),  # no transaction began
                                      error=f"init_transactions: {exc.args[0].name()}")
                    stop.wait(1.0)
                    continue
                if producer is None or stop.is_set() or time.monotonic() >= deadline:
                    break  # the run ended while the producer was being set up: no transaction begins now
            action = "abort" if rng.random() < self.abort_ratio else "commit"
            first = rng.randrange(self.partitions)
            values = [f"{self.name}-{n}-{k}" for k in range(self.size)]
            partitions = [(first + k) % self.partitions for k in range(self.size)]
            if stop.is_set() or time.monotonic() >= deadline:
                break
            if not self._one(producer, n, action, values, partitions, abort):
                producer = None  # fatal: a new producer (same transactional id) fences the old one
            n += 1
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
        if producer is not None:
            producer.flush(5)
        return self.stats

    def _txn(self, n: int, action: str, values: list[str], partitions: list[int], **completion) -> Txn:
        return Txn(transactional_id=self.transactional_id, n=n, action=action, topic=self.topic, values=values,
                   partitions=partitions, **completion)

    def _one(self, producer: Producer, n: int, action: str, values: list[str], partitions: list[int],
             abort: threading.Event) -> bool:
        """One transaction, recorded; False when the producer hit a fatal error and must be replaced."""
        offsets: list[int | None] = [None] * len(values)

        def delivered(k: int):
            def cb(err, msg):
                if err is None:
                    offsets[k] = msg.offset()
            return cb

        self.history.invoke(self.name, self._txn(n, action, values, partitions))
        self.stats.begun += 1
        end_time: float | None = None

        def done(type_: OpType, error: str | None = None) -> None:
            try:
                producer.poll(0)  # the delivery reports still queued (an abort does not serve them)
            except KafkaException:
                pass
            rec = self._txn(n, action, values, partitions, offsets=list(offsets), end_time=end_time)
            self.history.record(self.name, type_, rec, error)
            counter = ("committed" if action == "commit" else "aborted") if type_ is OpType.OK else \
                "failed" if type_ is OpType.FAIL else "unknown"
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)

        try:
            producer.begin_transaction()
            for k, (v, p) in enumerate(zip(values, partitions)):
                producer.produce(self.topic, value=v.encode(), partition=p, on_delivery=delivered(k))
            producer.poll(0)
            error = None
        except KafkaException as exc:
            error = exc.args[0]
        except BufferError:
            error = KafkaError(KafkaError._QUEUE_FULL)
        end_time = round(self.history.now(), 6)
        if error is not None:
            return self._abort_after(producer, error, done)
        if action == "abort":
            error = _call(producer.abort_transaction)
            if error is None:
                done(OpType.OK)
                return True
            done(OpType.INFO, f"abort_transaction: {error.name()}")
            return False  # a producer that could not end its transaction cannot begin another: replace it
        for _ in range(COMMIT_TRIES):
            error = _call(producer.commit_transaction)
            if error is None:
                done(OpType.OK)
                return True
            if error.fatal():
                done(OpType.INFO, f"commit_transaction: fatal {error.name()}")
                return False
            if error.txn_requires_abort() or not error.retriable() or abort.is_set():
                break
        # The commit did not go through: abort it. An abort that succeeds means the coordinator never
        # committed it (a commit already decided would refuse the abort).
        return self._abort_after(producer, error, done)

    @staticmethod
    def _abort_after(producer: Producer, error: KafkaError, done) -> bool:
        """Abort after a failed step; False when the abort failed too: librdkafka then still counts the
        commit as in progress (an abort answers _CONFLICT) or the producer is fenced, and every later
        transaction of it would fail, so it is replaced (the new one fences it, and the outcome stays
        unknown)."""
        aborted = _call(producer.abort_transaction)
        if aborted is None:
            done(OpType.FAIL, f"{error.name()}; aborted")
            return True
        done(OpType.INFO, f"{error.name()}; abort_transaction: {aborted.name()}")
        return False


def _call(fn) -> KafkaError | None:
    """Call a transactional API with the harness's timeout; its error, or None."""
    try:
        fn(CALL_TIMEOUT_S)
        return None
    except KafkaException as exc:
        return exc.args[0]
