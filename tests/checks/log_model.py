"""A small model of a replicated Kafka topic, for the model-based tests of the checks (test_model_based.py).

The model runs a clean workload the way Kafka promises to: one topic of a few partitions, replication factor
3 on brokers 1-3 (racks ``rack-a``, ``rack-b``, ``rack-c``), broker 1 leading every partition all run long,
acks=all with min.insync.replicas=2, idempotent producers (by default).

- A producer invokes sends (at most ``MAX_IN_FLIGHT`` in flight); the leader appends each producer's sends
  to a partition in the order they were invoked (idempotence); an append gives the record its offset.
- The followers fetch, and the high watermark moves up to the end of the leader's log (or part of the way).
- A send is acknowledged only once the high watermark has passed its record (acks=all).
- Consumers (one through the leaders, one or two rack-aware ones served by their rack's broker), each from a
  drawn moment on, poll in offset order, only below the high watermark, a few records per partition per
  poll, and take statistics samples (serving broker, high watermark); a poll records the high watermark
  it saw.
- After the run every send is acknowledged, every consumer has caught up, the ISR is full again
  (``healthy``), and the final read goes once through the leaders and once through each rack: every
  final reader reads every partition to its end offset. The controller's record shows every partition
  created with the full ISR and leader 1, and the log autopsy (``replica_log``, optional) shows every
  replica holding the leader's log, with each record's batch headers.

``TopicModel`` holds the run as plain data (the leader's log per partition, the sends, the timeline of
events) and renders it to a history (``history``) only at the end, so a test can change the run first
(the injectors of test_model_based.py): polls name offsets and read whatever the log holds there when the
history is rendered, and a slot of the log may be a ``HOLE`` (an offset the log skips).

``topic_models`` is the hypothesis strategy: it draws the sizes, then each step of the run.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from harness.history.loader import History
from harness.history.ops import OpType
from harness.history.schema import FetchStats, Poll, ReplicaLog, Run, SendFailed, Stats
from tests.crafted import WALL, Crafted, created

TOPIC = "t"
RACKS = ("rack-a", "rack-b", "rack-c")
NODES = (1, 2, 3)
"""Broker n is in rack ``RACKS[n - 1]`` and holds a replica of every partition."""
LEADER = 1
MAX_IN_FLIGHT = 5
HOLE = None
"""A slot of the log that holds no record (an offset the log skips)."""
PRODUCER_ID_BASE = 1000
NO_PRODUCER = -1
"""The producer id, epoch and sequence of a record written without idempotence (as the log dump shows them)."""


@dataclass
class Entry:
    """One record of the leader's log, with the headers of its batch (as the log autopsy shows them)."""

    value: str
    producer_id: int
    producer_epoch: int
    sequence: int
    leader_epoch: int = 0


@dataclass
class Send:
    """One send. ``offset`` is what its acknowledgement reports (ok sends); an injector may make it differ
    from where the log holds the value."""

    producer: str
    value: str
    partition: int
    entry: Entry
    outcome: str | None = None
    """None while in flight; then ``ok``, ``fail`` or ``info``."""
    offset: int | None = None
    error: str | None = None


@dataclass
class Invoke:
    send: int


@dataclass
class Complete:
    send: int


@dataclass
class PollEvent:
    """A consumer's poll: the records it returned, in order, each ``(partition, offset)`` (its value is what
    the log holds there when the history is rendered; a HOLE is left out) or ``(partition, offset, value)``
    (that value, whatever the log holds), and the high watermark of each partition when it returned."""

    consumer: str
    records: list[tuple]
    watermarks: dict[int, int]

    def chunk(self, partition: int) -> list[int]:
        """The positions in ``records`` of this partition's records."""
        return [i for i, r in enumerate(self.records) if r[0] == partition]


@dataclass
class StatsEvent:
    """A consumer's statistics sample: for every partition the serving broker and its high watermark."""

    consumer: str
    hwm: dict[int, int]


Event = Invoke | Complete | PollEvent | StatsEvent


@dataclass
class Consumer:
    name: str
    rack: str | None
    """None: reads through the leaders; else a rack-aware reader (``client.rack``) served by its rack's broker."""

    @property
    def reader(self) -> str:
        return f"rack:{self.rack}" if self.rack else "leader"

    @property
    def broker(self) -> int:
        return RACKS.index(self.rack) + 1 if self.rack else LEADER


@dataclass
class TopicModel:
    partitions: int
    producers: list[str]
    consumers: list[Consumer]
    idempotent: bool = True
    replica_logs: bool = True
    log: dict[int, list[Entry | None]] = field(default_factory=dict)
    """The leader's log per partition (index = offset); after the run every replica holds it."""
    hwm: dict[int, int] = field(default_factory=dict)
    sends: list[Send] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    final_missing: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    """Per final reader process: (partition, offset) it does not get (final_reads_disagree)."""
    replica_values: dict[tuple[int, int, int], str] = field(default_factory=dict)
    """(node, partition, offset) -> the value that replica's log holds there instead of the leader's."""

    def __post_init__(self):
        self.log = {p: [] for p in range(self.partitions)}
        self.hwm = dict.fromkeys(range(self.partitions), 0)
        self._pending: dict[tuple[str, int], deque[int]] = {}
        self._position = {(c.name, p): 0 for c in self.consumers for p in range(self.partitions)}
        self._sequence: dict[tuple[str, int], int] = {}
        self._count: dict[str, int] = {}

    @classmethod
    def new(cls, partitions: int, producers: int, rack_consumers=("rack-b",), idempotent=True,
            replica_logs=True) -> TopicModel:
        """Producers ``producer-0-<n>``, a leader consumer ``consumer-0-leader`` and rack consumers
        ``consumer-<i>-<rack>``, named as the runner names them."""
        consumers = [Consumer("consumer-0-leader", None)] + [Consumer(f"consumer-{i + 1}-{rack}", rack)
                                                             for i, rack in enumerate(rack_consumers)]
        return cls(partitions, [f"producer-0-{n}" for n in range(producers)], consumers, idempotent, replica_logs)

    # -- the workload ---------------------------------------------------------------------------------------

    def in_flight(self, producer: str) -> int:
        return sum(1 for s in self.sends if s.producer == producer and s.outcome is None)

    def invoke(self, producer: str, partition: int) -> int | None:
        """The producer sends a new value to ``partition`` (None: already ``MAX_IN_FLIGHT`` in flight)."""
        if self.in_flight(producer) >= MAX_IN_FLIGHT:
            return None
        n = self._count.get(producer, 0)
        self._count[producer] = n + 1
        self.new_send(producer, partition, f"{producer.replace('producer-0-', 'p')}-{n}")
        i = len(self.sends) - 1
        self._pending.setdefault((producer, partition), deque()).append(i)
        self.events.append(Invoke(i))
        return i

    def new_send(self, producer: str, partition: int, value: str) -> Send:
        """A send of ``value`` with its record's headers (the producer's id and its next sequence in the
        partition; -1 without idempotence), not yet in the timeline or the log."""
        seq = self._sequence.get((producer, partition), 0)
        self._sequence[(producer, partition)] = seq + 1
        if self.idempotent:
            entry = Entry(value, PRODUCER_ID_BASE + self.producers.index(producer), 0, seq)
        else:
            entry = Entry(value, NO_PRODUCER, NO_PRODUCER, NO_PRODUCER)
        self.sends.append(Send(producer, value, partition, entry))
        return self.sends[-1]

    def append(self, producer: str, partition: int) -> bool:
        """The leader appends the producer's oldest send to ``partition`` not yet appended."""
        queue = self._pending.get((producer, partition))
        if not queue:
            return False
        send = self.sends[queue.popleft()]
        send.offset = len(self.log[partition])
        self.log[partition].append(send.entry)
        return True

    def replicate(self, partition: int, upto: int | None = None) -> None:
        """The followers fetch: the high watermark moves to ``upto`` (default: the end of the leader's log)."""
        end = len(self.log[partition])
        self.hwm[partition] = max(self.hwm[partition], min(end, end if upto is None else upto))

    def ackable(self) -> list[int]:
        """Sends appended and below the high watermark, not yet acknowledged."""
        return [i for i, s in enumerate(self.sends)
                if s.outcome is None and s.offset is not None and s.offset < self.hwm[s.partition]]

    def ack(self, i: int) -> None:
        assert i in self.ackable()
        self.sends[i].outcome = "ok"
        self.events.append(Complete(i))

    def poll(self, consumer: Consumer, per_partition: dict[int, int]) -> bool:
        """The consumer polls up to ``per_partition[p]`` records of each partition, from its position, below
        the high watermark; an empty poll is not recorded."""
        records, watermarks = [], {}
        for p, n in per_partition.items():
            pos = self._position[(consumer.name, p)]
            upto = min(self.hwm[p], pos + n)
            if upto > pos:
                records += [(p, o) for o in range(pos, upto)]
                watermarks[p] = self.hwm[p]
                self._position[(consumer.name, p)] = upto
        if records:
            self.events.append(PollEvent(consumer.name, records, watermarks))
        return bool(records)

    def stats(self, consumer: Consumer) -> None:
        self.events.append(StatsEvent(consumer.name, dict(self.hwm)))

    def drain(self, per_poll: int = 3) -> None:
        """The end of the workload: every send appended and acknowledged, every consumer caught up (polls of
        ``per_poll`` records per partition). (The history ends the workload with a statistics sample of every
        consumer: ``crafted``.)"""
        for (producer, p), queue in sorted(self._pending.items()):
            while queue:
                self.append(producer, p)
        for p in self.log:
            self.replicate(p)
        for i in self.ackable():
            self.ack(i)
        self.catch_up(per_poll)

    def catch_up(self, per_poll: int = 3) -> None:
        """Every consumer polls (``per_poll`` records per partition at a time) up to the high watermark."""
        for c in self.consumers:
            while self.poll(c, dict.fromkeys(self.log, per_poll)):
                pass

    def insert(self, at: int, *events: Event) -> None:
        """Add events to the timeline at index ``at``."""
        self.events[at:at] = events

    # -- what the run holds (for the injectors) ------------------------------------------------------------

    def consumer(self, name: str) -> Consumer:
        return next(c for c in self.consumers if c.name == name)

    def end(self, partition: int) -> int:
        """The partition's end offset (a HOLE takes its offset too)."""
        return len(self.log[partition])

    def value_at(self, partition: int, offset: int) -> str | None:
        log = self.log[partition]
        return log[offset].value if 0 <= offset < len(log) and log[offset] is not HOLE else None

    def acked(self) -> list[int]:
        return [i for i, s in enumerate(self.sends) if s.outcome == "ok"]

    def slots(self) -> list[tuple[int, int]]:
        """Every (partition, offset) that holds a record."""
        return [(p, o) for p, log in self.log.items() for o, e in enumerate(log) if e is not HOLE]

    def event_of(self, kind: type, send: int) -> int:
        """The index in ``events`` of the send's invocation (``Invoke``) or completion (``Complete``)."""
        return next(j for j, e in enumerate(self.events) if isinstance(e, kind) and e.send == send)

    def first_poll_of(self, partition: int, offset: int) -> int:
        """The index of the first poll that returned this offset (past the end when none did)."""
        return next((j for j, e in enumerate(self.events) if isinstance(e, PollEvent)
                     and any(r[0] == partition and r[1] == offset for r in e.records)), len(self.events))

    def send_at(self, partition: int, offset: int) -> int:
        """The send whose record the log holds at (partition, offset)."""
        entry = self.log[partition][offset]
        return next(i for i, s in enumerate(self.sends) if s.entry is entry)

    def chunks(self, consumer: str | None = None) -> list[tuple[int, int]]:
        """(event index, partition) of every poll's records of one partition (of one consumer)."""
        return [(j, p) for j, e in enumerate(self.events) if isinstance(e, PollEvent)
                and (consumer is None or e.consumer == consumer) for p in sorted({r[0] for r in e.records})]

    # -- the history ---------------------------------------------------------------------------------------

    def final_readers(self) -> list[tuple[str, str]]:
        """(process, reader) of each final reader: through the leaders, then one per rack (as the runner)."""
        return [("final-leader", "leader")] + [(f"final-{rack}", f"rack:{rack}") for rack in RACKS]

    def scenario(self) -> dict[str, Any]:
        return {"name": "model", "seed": 0,
                "cluster": {"brokers": len(NODES), "racks": list(RACKS)},
                "topic": {"name": TOPIC, "partitions": self.partitions, "replication_factor": len(NODES),
                          "min_insync_replicas": 2, "unclean_leader_election": False, "settings": {}},
                "workload": {"producers": [{"count": len(self.producers), "acks": "all",
                                            "enable_idempotence": self.idempotent, "max_in_flight": MAX_IN_FLIGHT,
                                            "settings": {}}],
                             "consumers": [{"rack": c.rack} if c.rack else {} for c in self.consumers]}}

    def crafted(self) -> Crafted:
        """The run as the runner records it: run, cluster, the workload (its events, then a statistics sample
        of every consumer), heal, healthy, the final read
        (every reader's invocations, then its reads), the controller's record, the log autopsy."""
        c = Crafted(TOPIC)
        c.record("harness", OpType.OK, Run(run_id="model", scenario=self.scenario(), image="model",
                                           started_at="model", wall_start=WALL))
        c.cluster(RACKS)
        c.phase("workload")
        for event in [*self.events, *(StatsEvent(consumer.name, dict(self.hwm)) for consumer in self.consumers)]:
            self._render(c, event)
        c.phase("heal")
        c.healthy(1.0)
        for process, reader in self.final_readers():
            for p in range(self.partitions):
                c.read_start(p, reader, process)
            missing = self.final_missing.get(process, set())
            for p in range(self.partitions):
                rows = [(p, o, e.value) for o, e in enumerate(self.log[p]) if e is not HOLE and (p, o) not in missing]
                c.final_read(rows, partition=p, reader=reader, process=process, end_offset=self.end(p), start=False)
        for p in range(self.partitions):
            created(c, t=0.0, partition=p, leader=LEADER, isr=NODES)
        if self.replica_logs:
            for node in NODES:
                for p in range(self.partitions):
                    c.record("ground-truth", OpType.OK, self._replica_log(node, p))
        return c

    def history(self) -> History:
        return self.crafted().history()

    def history_cut_during_final_read(self) -> History:
        """The history up to the final read's first invocation, and nothing after it (the run was killed)."""
        ops = self.crafted().ops
        first = next(i for i, op in enumerate(ops) if op.f == "read")
        return History(ops[:first + 1])

    def _render(self, c: Crafted, event: Event) -> None:
        if isinstance(event, Invoke):
            s = self.sends[event.send]
            c.invoke(s.producer, s.value)
        elif isinstance(event, Complete):
            s = self.sends[event.send]
            if s.outcome == "ok":
                c.ack(s.producer, s.value, s.offset, partition=s.partition)
            else:
                c.record(s.producer, OpType(s.outcome),
                         SendFailed(topic=TOPIC, values=[s.value], times=[c.t + 0.001], errors=[s.error]))
        elif isinstance(event, PollEvent):
            rows = [[r[0], r[1], r[2] if len(r) > 2 else self.value_at(r[0], r[1])] for r in event.records]
            rows = [r for r in rows if r[2] is not None]
            if rows:
                consumer = self.consumer(event.consumer)
                c.record(consumer.name, OpType.OK, Poll(
                    topic=TOPIC, reader=consumer.reader, records=rows,
                    watermarks=[[p, hwm] for p, hwm in sorted(event.watermarks.items())]))
        elif isinstance(event, StatsEvent):
            consumer = self.consumer(event.consumer)
            c.record(consumer.name, OpType.OK, Stats(
                topic=TOPIC, reader=consumer.reader, rack=consumer.rack,
                partitions=[FetchStats(partition=p, leader=LEADER, broker=consumer.broker, hi_offset=hwm,
                                       lo_offset=0, ls_offset=hwm) for p, hwm in sorted(event.hwm.items())]))

    def _replica_log(self, node: int, partition: int) -> ReplicaLog:
        rows = [(o, self.replica_values.get((node, partition, o), e.value), e.leader_epoch, e.producer_id,
                 e.producer_epoch, e.sequence) for o, e in enumerate(self.log[partition]) if e is not HOLE]
        cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in range(6)]
        return ReplicaLog(node=node, topic=TOPIC, partition=partition, offsets=cols[0], values=cols[1],
                          leader_epochs=cols[2], producer_ids=cols[3], producer_epochs=cols[4], sequences=cols[5],
                          epochs=[[0, 0]])


# -- generating runs ------------------------------------------------------------------------------------------

ACTIONS = ("invoke", "invoke", "invoke", "append", "append", "append", "replicate", "ack", "ack", "poll", "stats")


@st.composite
def topic_models(draw, idempotent: bool | None = True, replica_logs: bool | None = None,
                 max_sends: int = 24) -> TopicModel:
    """A clean run of a TopicModel: 1-3 partitions, 1-3 producers, a leader consumer and one or two rack
    consumers, up to ``max_sends`` sends, each step drawn (``idempotent`` / ``replica_logs`` None: drawn)."""
    model = TopicModel.new(
        partitions=draw(st.integers(1, 3), label="partitions"),
        producers=draw(st.integers(1, 3), label="producers"),
        rack_consumers=draw(st.lists(st.sampled_from(RACKS), min_size=1, max_size=2, unique=True), label="racks"),
        idempotent=draw(st.booleans()) if idempotent is None else idempotent,
        replica_logs=draw(st.booleans()) if replica_logs is None else replica_logs)
    sends = draw(st.integers(4, max_sends), label="sends")
    partitions = st.integers(0, model.partitions - 1)
    # A consumer starts polling at a drawn step: one that starts late has a backlog, read in larger polls.
    starts = {c.name: draw(st.integers(0, sends * 3), label=f"{c.name} starts") for c in model.consumers}
    for step in range(sends * 5):
        if len(model.sends) >= sends and not model.ackable():
            break
        action = draw(st.sampled_from(ACTIONS))
        if action == "invoke" and len(model.sends) < sends:
            model.invoke(draw(st.sampled_from(model.producers)), draw(partitions))
        elif action == "append":
            model.append(draw(st.sampled_from(model.producers)), draw(partitions))
        elif action == "replicate":
            p = draw(partitions)
            model.replicate(p, draw(st.integers(model.hwm[p], model.end(p))))
        elif action == "ack" and model.ackable():
            model.ack(draw(st.sampled_from(model.ackable())))
        elif action == "poll":
            consumer = draw(st.sampled_from(model.consumers))
            if step >= starts[consumer.name]:
                model.poll(consumer, {p: draw(st.integers(1, 5)) for p in range(model.partitions)})
        elif action == "stats":
            model.stats(draw(st.sampled_from(model.consumers)))
    while len(model.sends) < sends:  # the steps drawn did not send them all: send the rest now
        if model.invoke(draw(st.sampled_from(model.producers)), draw(partitions)) is None:
            model.drain()
    model.drain(per_poll=draw(st.integers(1, 6), label="per_poll"))
    return model
