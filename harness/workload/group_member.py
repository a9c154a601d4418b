"""One consumer-group member, run as a process of its own (``python -m harness.workload.group_member CONFIG``).

A member is a process, not a thread, so that a fault can SIGKILL or SIGSTOP it the way a crash or a stall
of a real application would hit it: no clean leave, no last commit, heartbeats stopped.

It subscribes to the topic, and for each poll it *processes* the records by reporting them, then commits
what it processed (``commit = "manual"``: synchronously, after the report is written) or stores their
offsets for librdkafka's background auto-commit (``"auto"``; ``enable.auto.offset.store`` is off, so
only processed records are ever committed: at-least-once, as a careful application does it).

It reports every op as one JSON line on stdout: ``[time, type, f, value, error]`` with ``time`` on the
history's clock (CLOCK_MONOTONIC is shared by every process of the machine). A line is written with one
``write`` and flushed before the member goes on: once it is in the pipe, a SIGKILL cannot lose it, so the
history never lacks a processed record whose offset was committed. The parent
(``harness.workload.group``) writes each line to the history.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

FENCED = frozenset({"_ASSIGNMENT_LOST", "_STATE", "_NO_OFFSET"})
"""Commit errors after which the offsets were surely not stored: librdkafka refused to send the commit (the
member held no assignment, or had nothing to commit). Every error from the coordinator leaves the outcome
unknown (``info``): librdkafka retries a commit whose answer was lost, and the retry may be refused
(ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, ...) although the first attempt was stored."""


@dataclass
class MemberConfig:
    process: str
    group_id: str
    member: int
    topic: str
    bootstrap: str
    protocol: str
    commit: str
    history_start: float
    """The history's time 0 (``time.monotonic()`` of the parent)."""
    end: float
    """When to leave the group and exit (``time.monotonic()``), unless stopped before (SIGTERM)."""
    auto_commit_interval_ms: int = 1000
    session_timeout_ms: int = 10_000
    settings: dict = field(default_factory=dict)

    def to_arg(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_arg(cls, arg: str) -> MemberConfig:
        return cls(**json.loads(arg))

    def client_config(self) -> dict:
        cfg = {"bootstrap.servers": self.bootstrap, "group.id": self.group_id, "client.id": self.process,
               "group.protocol": self.protocol, "auto.offset.reset": "earliest",
               "enable.auto.commit": self.commit == "auto", "enable.auto.offset.store": False,
               "auto.commit.interval.ms": self.auto_commit_interval_ms, "log_level": 0}
        if self.protocol == "classic":  # the consumer protocol takes these from the broker
            cfg.update({"session.timeout.ms": self.session_timeout_ms,
                        "heartbeat.interval.ms": max(100, min(1000, self.session_timeout_ms // 5))})
        cfg.update(self.settings)
        return cfg


class _Out:
    """The member's report: one JSON line per op, written and flushed at once."""

    def __init__(self, cfg: MemberConfig):
        self.cfg = cfg
        self.lock = threading.Lock()

    def op(self, type_: str, f: str, value: dict, error: str | None = None) -> None:
        line = json.dumps([round(time.monotonic() - self.cfg.history_start, 6), type_, f, value, error]) + "\n"
        with self.lock:
            write_all(line.encode())


def write_all(data: bytes, fd: int = 1) -> None:
    """Write every byte: a write to a full pipe can return early when a signal arrives (SIGSTOP, SIGTERM)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def run(cfg: MemberConfig) -> int:
    from confluent_kafka import Consumer, KafkaError, KafkaException

    out = _Out(cfg)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    base = {"group": cfg.group_id, "topic": cfg.topic}

    def assignment(event: str):
        def callback(consumer, partitions):
            out.op("ok", "assignment", {**base, "event": event, "partitions": sorted(p.partition for p in partitions
                                                                                    if p.topic == cfg.topic),
                                        "protocol": cfg.protocol})
        return callback

    def on_commit(err, partitions):  # auto-commit only: manual commits are recorded from their return value
        offsets = [[p.partition, p.offset, _epoch(p)] for p in partitions if p.topic == cfg.topic and p.offset >= 0]
        if err is not None and err.code() == KafkaError._NO_OFFSET:
            return  # nothing was stored since the last commit: nothing was sent
        if err is None and not offsets:
            return
        failed = err is not None or any(p.error for p in partitions)
        error = err.name() if err is not None else next((p.error.name() for p in partitions if p.error), None)
        if failed:
            out.op("fail" if error in FENCED else "info", "commit", {**base, "offsets": offsets, "auto": True}, error)
        else:
            out.op("ok", "commit", {**base, "offsets": offsets, "auto": True})

    cfg_client = cfg.client_config()
    isolation = "read_uncommitted" if str(cfg_client.get("isolation.level")) == "read_uncommitted" else None
    if cfg.commit == "auto":
        cfg_client["on_commit"] = on_commit
    consumer = Consumer(cfg_client)
    consumer.subscribe([cfg.topic], on_assign=assignment("assigned"), on_revoke=assignment("revoked"),
                       on_lost=assignment("lost"))
    try:
        while not stop.is_set() and time.monotonic() < cfg.end:
            msgs = consumer.consume(num_messages=500, timeout=0.2)
            records, epochs, last = [], [], {}
            for m in msgs:
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        out.op("info", "poll", {"topic": cfg.topic, "reader": f"group:{cfg.group_id}",
                                                "records": []}, m.error().name())
                    continue
                records.append([m.partition(), m.offset(), m.value().decode(errors="replace")])
                epochs.append(m.leader_epoch())
                last[m.partition()] = m
            if not records:
                continue
            poll = {"topic": cfg.topic, "reader": f"group:{cfg.group_id}", "records": records, "epochs": epochs}
            out.op("ok", "poll", poll if isolation is None else {**poll, "isolation": isolation})
            offsets = [_next(cfg.topic, m) for _, m in sorted(last.items())]
            if cfg.commit == "auto":
                try:
                    consumer.store_offsets(offsets=offsets)
                except KafkaException:
                    pass  # the partition was revoked meanwhile: its next owner processes from the last commit
                continue
            value = {**base, "offsets": [[t.partition, t.offset, _epoch(t)] for t in offsets], "auto": False}
            out.op("invoke", "commit", value)
            try:
                result = consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as exc:
                error = exc.args[0].name()
                out.op("fail" if error in FENCED else "info", "commit", value, error)
                continue
            bad = [t for t in result or [] if t.error]
            if bad:
                error = bad[0].error.name()
                out.op("fail" if error in FENCED else "info", "commit", value, error)
            else:
                out.op("ok", "commit", value)
    finally:
        consumer.close()  # leaves the group: the revocation (and an auto-commit's last commit) comes first
        out.op("ok", "member", {"group": cfg.group_id, "topic": cfg.topic, "member": cfg.member, "event": "closed",
                                "pid": os.getpid()})
    return 0


def _next(topic: str, m):
    """The offset to commit after message ``m``, with its leader epoch when the client knows it."""
    from confluent_kafka import TopicPartition

    epoch = m.leader_epoch()
    return TopicPartition(topic, m.partition(), m.offset() + 1) if epoch is None else \
        TopicPartition(topic, m.partition(), m.offset() + 1, leader_epoch=epoch)


def _epoch(tp) -> int:
    epoch = getattr(tp, "leader_epoch", None)
    return -1 if epoch is None or epoch < 0 else epoch


if __name__ == "__main__":
    sys.exit(run(MemberConfig.from_arg(sys.argv[1])))
