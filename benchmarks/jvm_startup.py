"""Benchmark: time to ready of a cluster with Kafka's own JVM settings against FAST_START_JVM_OPTS, side by
side (alternating, so both meet the same load on a shared machine).

Usage: .venv/bin/python benchmarks/jvm_startup.py [--rounds 4] [--brokers 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness.cluster.config import FAST_START_JVM_OPTS, ClusterConfig, ImageSpec
from harness.cluster.image import ensure_image
from harness.cluster.kraft import KafkaCluster
from harness.run.interrupts import Interrupts


def ready_s(image: str, brokers: int, jvm_opts: str | None) -> float:
    t0 = time.monotonic()
    cluster = KafkaCluster(ClusterConfig(brokers=brokers, image=image, jvm_opts=jvm_opts), log=lambda *_: None)
    try:
        cluster.start()
        return time.monotonic() - t0
    finally:
        cluster.stop()


def main() -> None:
    Interrupts().install()
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--brokers", type=int, default=3)
    args = parser.parse_args()
    image = ensure_image(ImageSpec())
    times: dict[str, list[float]] = {"kafka": [], "fast": []}
    for i in range(args.rounds):
        order = [("kafka", None), ("fast", FAST_START_JVM_OPTS)]
        for name, opts in order if i % 2 == 0 else order[::-1]:
            t = ready_s(image, args.brokers, opts)
            times[name].append(t)
            print(f"round {i + 1} {name}: ready in {t:.1f} s", flush=True)
    for name, ts in times.items():
        print(f"{name}: median {statistics.median(ts):.1f} s (min {min(ts):.1f}, max {max(ts):.1f}) over {len(ts)}")


if __name__ == "__main__":
    main()
