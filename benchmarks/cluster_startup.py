"""Benchmark: start and stop a 3-broker cluster several times; print the median time to ready.

Usage: .venv/bin/python benchmarks/cluster_startup.py [--runs 5] [--brokers 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness.cluster.config import ClusterConfig, ImageSpec
from harness.cluster.image import ensure_image
from harness.cluster.kraft import KafkaCluster
from harness.run.interrupts import Interrupts


def main() -> None:
    Interrupts().install()  # an interrupted benchmark still removes its cluster
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--brokers", type=int, default=3)
    args = parser.parse_args()
    image = ensure_image(ImageSpec())
    ready, teardown = [], []
    for i in range(args.runs):
        t0 = time.monotonic()
        cluster = KafkaCluster(ClusterConfig(brokers=args.brokers, image=image), log=lambda *_: None)
        cluster.start()
        t1 = time.monotonic()
        cluster.stop()
        t2 = time.monotonic()
        ready.append(t1 - t0)
        teardown.append(t2 - t1)
        print(f"run {i + 1}: ready in {t1 - t0:.1f} s, removed in {t2 - t1:.1f} s", flush=True)
    print(f"{args.brokers} brokers, {args.runs} runs: median time to ready {statistics.median(ready):.1f} s "
          f"(min {min(ready):.1f}, max {max(ready):.1f}); median teardown {statistics.median(teardown):.1f} s")


if __name__ == "__main__":
    main()
