"""Every fault kind's inject and heal. ``ACTIONS`` maps each FaultKind to exactly one pair.

An inject receives the resolved target nodes in a FaultContext. It records in that context what the
heal needs (iptables rules per broker) and which nodes it cut off from the rest of the cluster, so
the effect watcher knows what to expect. It returns one line saying what it did.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from harness.cluster.kraft import Broker, KafkaCluster
from harness.errors import FaultError
from harness.nemesis import netfilter, shapes
from harness.nemesis.netfilter import Rule
from harness.nemesis.spec import FaultKind, FaultSpec


class FaultUnsupported(FaultError):
    """The fault cannot be made on this machine (e.g. latency without tc netem); it says why."""


@dataclass
class FaultContext:
    cluster: KafkaCluster
    spec: FaultSpec
    fault_id: str
    nodes: list[int]
    rng: random.Random
    stopping: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    """When the fault was asked for: effect times count from here, not from when watching began."""
    rules: dict[int, list[Rule]] = field(default_factory=dict)
    cut_off: set[int] = field(default_factory=set)
    """Nodes the fault separates from the rest of the cluster (their leadership should move)."""

    def brokers(self) -> list[Broker]:
        return [self.cluster.broker(n) for n in self.nodes]

    def all_nodes(self) -> list[int]:
        return [b.node_id for b in self.cluster.brokers]


@dataclass(frozen=True)
class FaultAction:
    inject: Callable[[FaultContext], str]
    heal: Callable[[FaultContext], None]


def _nodes(nodes) -> str:
    nodes = sorted(nodes)
    return f"node{'s' if len(nodes) != 1 else ''} {', '.join(map(str, nodes))}"


# -- process faults ----------------------------------------------------------------------------------


def _start(ctx: FaultContext) -> None:
    for b in ctx.brokers():
        if b.status() != "running":
            b.start()


def _kill(ctx: FaultContext) -> str:
    for b in ctx.brokers():
        b.kill("SIGKILL")
    ctx.cut_off = set(ctx.nodes)
    return f"SIGKILL {_nodes(ctx.nodes)}"


def _stop(ctx: FaultContext) -> str:
    for b in ctx.brokers():
        b.stop(timeout_s=30)
    ctx.cut_off = set(ctx.nodes)
    return f"SIGTERM (clean stop) {_nodes(ctx.nodes)}"


def _pause(ctx: FaultContext) -> str:
    for b in ctx.brokers():
        b.pause()
    ctx.cut_off = set(ctx.nodes)
    return f"paused {_nodes(ctx.nodes)}"


def _unpause(ctx: FaultContext) -> None:
    for b in ctx.brokers():
        if b.status() == "paused":
            b.unpause()


def _bounce(ctx: FaultContext) -> str:
    spec = ctx.spec
    done = 0
    for _ in range(spec.times):
        if ctx.stopping.is_set():
            break
        for b in ctx.brokers():
            b.kill("SIGKILL") if spec.hard else b.stop(timeout_s=30)
        ctx.stopping.wait(spec.interval_s)
        _start(ctx)
        done += 1
        ctx.stopping.wait(spec.interval_s)
    ctx.cut_off = set(ctx.nodes)
    return f"bounced {_nodes(ctx.nodes)} {done} time(s) ({'SIGKILL' if spec.hard else 'SIGTERM'}, " \
           f"{spec.interval_s:g} s apart)"


# -- network faults ----------------------------------------------------------------------------------


def _ips(ctx: FaultContext) -> dict[int, str]:
    """Addresses on the cluster network now (a restarted container may have a new one)."""
    return {b.node_id: b.ip() for b in ctx.cluster.brokers if b.status() == "running"}


def _apply(ctx: FaultContext, node: int, rules: list[Rule]) -> None:
    if rules:
        netfilter.apply(ctx.cluster.broker(node), rules)
        ctx.rules.setdefault(node, []).extend(rules)


def _apply_grudge(ctx: FaultContext, grudge: shapes.Grudge) -> None:
    ips = _ips(ctx)
    for node, drops in sorted(grudge.items()):
        _apply(ctx, node, netfilter.drop_from(ctx.fault_id, [ips[d] for d in sorted(drops) if d in ips]))


def _remove_rules(ctx: FaultContext) -> None:
    errors = []
    for node, rules in ctx.rules.items():
        b = ctx.cluster.broker(node)
        if b.status() != "running":
            continue  # a stopped container has no network namespace left, so no rules either
        try:
            netfilter.remove(b, rules)
        except FaultError as exc:
            errors.append(str(exc))
    ctx.rules.clear()
    if errors:
        raise FaultError("; ".join(errors))


def _isolate(ctx: FaultContext) -> str:
    _apply_grudge(ctx, shapes.isolate(ctx.nodes, ctx.all_nodes()))
    ctx.cut_off = set(ctx.nodes)
    rest = sorted(set(ctx.all_nodes()) - set(ctx.nodes))
    return f"isolated {_nodes(ctx.nodes)} from {rest} (clients still reach them)"


def _isolate_all(ctx: FaultContext) -> str:
    for n in ctx.nodes:
        _apply(ctx, n, netfilter.drop_all_but_loopback(ctx.fault_id))
    ctx.cut_off = set(ctx.nodes)
    return f"cut {_nodes(ctx.nodes)} off from every peer and client"


def _split(ctx: FaultContext) -> str:
    side = shapes.minority(ctx.nodes, ctx.all_nodes(), ctx.rng)
    _apply_grudge(ctx, shapes.isolate(side, ctx.all_nodes()))
    ctx.cut_off = set(side)
    return f"split minority {side} | majority {sorted(set(ctx.all_nodes()) - set(side))}"


def _bridge(ctx: FaultContext) -> str:
    grudge = shapes.bridge(ctx.nodes[0], ctx.all_nodes())
    _apply_grudge(ctx, grudge)
    halves = sorted({tuple(sorted(d)) for n, d in grudge.items() if d})
    return f"bridge through node {ctx.nodes[0]}; halves {[list(h) for h in halves]} cannot see each other"


def _ring(ctx: FaultContext) -> str:
    grudge = shapes.majorities_ring(ctx.all_nodes(), start=ctx.nodes[0])
    _apply_grudge(ctx, grudge)
    return "majorities ring: " + ", ".join(f"{n} sees {sorted(set(ctx.all_nodes()) - d)}"
                                           for n, d in sorted(grudge.items()))


def _one_way(ctx: FaultContext) -> str:
    ips = _ips(ctx)
    for n in ctx.nodes:
        others = [ip for m, ip in ips.items() if m not in ctx.nodes]
        _apply(ctx, n, netfilter.drop_to(ctx.fault_id, others))
    ctx.cut_off = set(ctx.nodes)
    return f"packets from {_nodes(ctx.nodes)} to the other brokers dropped (the other way still flows)"


def _loss(ctx: FaultContext) -> str:
    ips = _ips(ctx)
    p = ctx.spec.probability
    for n in ctx.nodes:
        others = [ip for m, ip in ips.items() if m not in ctx.nodes]
        _apply(ctx, n, netfilter.drop_from(ctx.fault_id, others, p) + netfilter.drop_to(ctx.fault_id, others, p))
    return f"dropping {p:.0%} of packets between {_nodes(ctx.nodes)} and the other brokers"


def _latency(ctx: FaultContext) -> str:
    for b in ctx.brokers():
        ok, why = netfilter.netem_supported(b)
        if not ok:
            raise FaultUnsupported(f"latency needs tc netem, which this kernel lacks ({why})")
        code, out = b.exec(["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", f"{ctx.spec.delay_ms}ms"])
        if code != 0:
            raise FaultError(f"tc netem on broker {b.node_id}: {out.strip()}")
    return f"{ctx.spec.delay_ms} ms delay on {_nodes(ctx.nodes)}"


def _no_latency(ctx: FaultContext) -> None:
    for b in ctx.brokers():
        if b.status() == "running":
            b.exec(["tc", "qdisc", "del", "dev", "eth0", "root"])


ACTIONS: dict[FaultKind, FaultAction] = {
    FaultKind.KILL: FaultAction(_kill, _start),
    FaultKind.STOP: FaultAction(_stop, _start),
    FaultKind.PAUSE: FaultAction(_pause, _unpause),
    FaultKind.BOUNCE: FaultAction(_bounce, _start),
    FaultKind.ISOLATE: FaultAction(_isolate, _remove_rules),
    FaultKind.ISOLATE_ALL: FaultAction(_isolate_all, _remove_rules),
    FaultKind.SPLIT: FaultAction(_split, _remove_rules),
    FaultKind.BRIDGE: FaultAction(_bridge, _remove_rules),
    FaultKind.RING: FaultAction(_ring, _remove_rules),
    FaultKind.ONE_WAY: FaultAction(_one_way, _remove_rules),
    FaultKind.LOSS: FaultAction(_loss, _remove_rules),
    FaultKind.LATENCY: FaultAction(_latency, _no_latency),
}
