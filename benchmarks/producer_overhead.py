"""Benchmark: the recording producer's throughput against a bare confluent-kafka producer.

Same cluster, same topic, same settings (acks=all, idempotent, linger 5 ms), unpaced, alternating
bare and recording rounds so both see the same cluster state. The recording producer also writes
every invoke and completion to a history file. Goal: at least 85% of the bare throughput.

Usage: .venv/bin/python benchmarks/producer_overhead.py [--messages 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic

from harness.cluster.config import ClusterConfig, ImageSpec
from harness.cluster.image import ensure_image
from harness.cluster.kraft import KafkaCluster
from harness.history.writer import HistoryWriter
from harness.observe.state import all_in_sync, wait_for
from harness.run.interrupts import Interrupts
from harness.workload.producer import KEYS, RecordingProducer

SETTINGS = {"acks": "all", "enable.idempotence": True, "linger.ms": 5, "max.in.flight.requests.per.connection": 5}


def bare(bootstrap: str, topic: str, n: int) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "log_level": 0, **SETTINGS})
    acked = 0

    def on_delivery(err, msg):
        nonlocal acked
        acked += err is None

    t0 = time.perf_counter()
    for seq in range(n):
        while True:
            try:
                producer.produce(topic, value=f"bare-{seq}".encode(), key=f"k{seq % KEYS}".encode(),
                                 on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(120)
    elapsed = time.perf_counter() - t0
    assert acked == n, f"bare producer acknowledged {acked} of {n}"
    return n / elapsed


def recording(bootstrap: str, topic: str, n: int, tmp: Path) -> float:
    with HistoryWriter(tmp / f"history-{uuid.uuid4().hex[:6]}.jsonl") as history:
        p = RecordingProducer(name="rec", bootstrap=bootstrap, topic=topic, history=history, config=dict(SETTINGS),
                              rate=1e9, duration_s=3600, max_messages=n)
        t0 = time.perf_counter()
        stats = p.run()
        elapsed = time.perf_counter() - t0
    assert stats.ok == n, f"recording producer acknowledged {stats.ok} of {n}"
    return n / elapsed


def main() -> None:
    Interrupts().install()  # an interrupted benchmark still removes its cluster
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    image = ensure_image(ImageSpec())
    with KafkaCluster(ClusterConfig(image=image), log=lambda *_: None) as cluster, \
            tempfile.TemporaryDirectory() as tmp:
        topic = "bench"
        cluster.admin.create_topics([NewTopic(topic, 3, 3, config={"min.insync.replicas": "2"})])[topic].result()
        wait_for(lambda: all_in_sync(cluster.admin, topic), 60)
        # Warm-up: the brokers' JIT keeps speeding them up for the first few hundred thousand messages.
        for _ in range(2):
            bare(cluster.bootstrap_servers, topic, 200_000)
            recording(cluster.bootstrap_servers, topic, 200_000, Path(tmp))
        b, r = [], []
        for i in range(args.rounds):
            # Alternate which goes first, so neither always meets the cluster just after the other's load.
            order = [("bare", b), ("recording", r)] if i % 2 == 0 else [("recording", r), ("bare", b)]
            for kind, figures in order:
                figures.append(bare(cluster.bootstrap_servers, topic, args.messages) if kind == "bare"
                               else recording(cluster.bootstrap_servers, topic, args.messages, Path(tmp)))
            print(f"round {i + 1} ({order[0][0]} first): bare {b[-1]:,.0f} msg/s, recording {r[-1]:,.0f} msg/s "
                  f"({r[-1] / b[-1]:.0%})", flush=True)
    ratios = [x / y for x, y in zip(r, b)]
    print(f"median over {args.rounds} rounds of {args.messages:,} messages: bare {statistics.median(b):,.0f} msg/s, "
          f"recording {statistics.median(r):,.0f} msg/s = {statistics.median(r) / statistics.median(b):.0%} of bare "
          f"(per-round ratios {min(ratios):.0%} to {max(ratios):.0%}, median {statistics.median(ratios):.0%})")


if __name__ == "__main__":
    main()
