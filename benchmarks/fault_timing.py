"""Benchmark: for each fault kind, time from asking for it to it being in force, and from heal to healed.

"In force" and "healed" are observed, not assumed: the container's state for process faults, a TCP
connection between brokers (or the rule counters, for loss) for network faults. Also printed: how long
the cluster took to react (the effect the nemesis recorded: leader moved, ISR shrank, ISR restored).

Usage: .venv/bin/python benchmarks/fault_timing.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka.admin import NewTopic

from harness.cluster.config import ClusterConfig, ImageSpec
from harness.cluster.image import ensure_image
from harness.cluster.kraft import KafkaCluster
from harness.history.loader import History
from harness.history.writer import HistoryWriter
from harness.nemesis import netfilter
from harness.nemesis.core import Nemesis
from harness.nemesis.spec import FaultSpec
from harness.observe.state import all_in_sync, wait_for
from harness.run.interrupts import Interrupts

SETTINGS = {"replica.lag.time.max.ms": "5000", "broker.session.timeout.ms": "6000",
            "broker.heartbeat.interval.ms": "1000"}


def can_connect(src, dst_alias: str) -> bool:
    return src.exec(["timeout", "2", "bash", "-c", f"</dev/tcp/{dst_alias}/9092"])[0] == 0


def in_force(cluster, fault) -> bool:
    """Process faults: the container's state. Network faults: the rules are in the broker's kernel."""
    kind = fault.spec.kind.value
    b = cluster.broker(fault.nodes[0])
    if kind in ("kill", "stop"):
        return b.status() == "exited"
    if kind == "pause":
        return b.status() == "paused"
    return len(netfilter.rules(b)) > 0


def confirm_blocked(cluster, fault) -> bool:
    """Outside the timing (a dropped SYN only shows as a connect timeout): the path really is cut."""
    kind = fault.spec.kind.value
    b = cluster.broker(fault.nodes[0])
    other = next(x for x in cluster.brokers if x.node_id not in fault.nodes)
    if kind in ("isolate", "split", "isolate-all"):
        return not can_connect(other, b.alias)
    if kind == "one-way":
        return not can_connect(b, other.alias)
    return True


def healed(cluster, fault) -> bool:
    b = cluster.broker(fault.nodes[0])
    other = next(x for x in cluster.brokers if x.node_id not in fault.nodes)
    if b.status() != "running":
        return False
    if fault.spec.kind.value in ("isolate", "split", "isolate-all"):
        return can_connect(other, b.alias)
    if fault.spec.kind.value == "one-way":
        return can_connect(b, other.alias)
    return netfilter.rules(b) == []


KINDS_ALL = [("kill", "leader"), ("stop", "leader"), ("pause", "follower"), ("isolate", "leader"),
         ("isolate-all", "follower"), ("split", "leader"), ("one-way", "follower"), ("loss", "follower")]


def main() -> None:
    Interrupts().install()  # an interrupted benchmark still removes its cluster
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", help="only these kinds")
    args = parser.parse_args()
    kinds = [k for k in KINDS_ALL if not args.kinds or k[0] in args.kinds]
    image = ensure_image(ImageSpec())
    rows = []
    with KafkaCluster(ClusterConfig(image=image, broker_settings=SETTINGS), log=lambda *_: None) as cluster, \
            tempfile.TemporaryDirectory() as tmp:
        topic = f"bench-{uuid.uuid4().hex[:6]}"
        cluster.admin.create_topics([NewTopic(topic, 1, 3)])[topic].result()
        wait_for(lambda: all_in_sync(cluster.admin, topic), 60)
        history = HistoryWriter(Path(tmp) / "history.jsonl")
        with Nemesis(cluster, history, topic, effect_timeout_s=45) as nemesis:
            for kind, role in kinds:
                inject_s, heal_s = [], []
                for _ in range(args.repeats):
                    spec = FaultSpec(kind=kind, target=role, at_s=0,
                                     probability=0.3 if kind == "loss" else None)
                    t0 = time.monotonic()
                    fault = nemesis.inject(spec)
                    ok, _ = wait_for(lambda: True if in_force(cluster, fault) else None, 30, 0.05)
                    inject_s.append(time.monotonic() - t0)
                    assert ok and confirm_blocked(cluster, fault), f"{kind} never in force"
                    time.sleep(8)  # let the cluster react, so the effect is recorded
                    t1 = time.monotonic()
                    nemesis.heal(fault)
                    ok, _ = wait_for(lambda: True if healed(cluster, fault) else None, 60, 0.05)
                    heal_s.append(time.monotonic() - t1)
                    assert ok, f"{kind} never healed"
                    wait_for(lambda: all_in_sync(cluster.admin, topic), 90, 0.5)
                rows.append((kind, role, statistics.median(inject_s), statistics.median(heal_s)))
                print(f"{kind:<12} {role:<9} in force after {rows[-1][2]:.2f} s, healed after {rows[-1][3]:.2f} s "
                      f"(median of {args.repeats})", flush=True)
            nemesis.stop_watching()
        history.close()
        effects: dict[tuple[str, str], list[float]] = {}
        for op in History.load(history.path).ops:
            if op.f == "effect" and op.type.value == "ok":
                effects.setdefault((op.value["kind"], op.value["phase"]), []).append(op.value["after_s"])
    print("\ncluster reaction (median seconds until the recorded effect):")
    for (kind, phase), values in sorted(effects.items()):
        print(f"  {kind:<12} {phase:<6} {statistics.median(values):6.1f} s  (n={len(values)})")


if __name__ == "__main__":
    main()
