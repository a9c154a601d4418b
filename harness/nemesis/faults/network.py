"""Network partitions by iptables inside the brokers: isolate, isolate-all, split, bridge, ring and one-way.

Each plans a shape (``shapes``) and applies it as rules tagged with the fault's id (``netfilter``). Every
heal deletes exactly that fault's rules. ``loss`` uses the same rules, so it imports the helpers here.
"""

from __future__ import annotations

from harness.errors import FaultError
from harness.nemesis import effects, netfilter, shapes
from harness.nemesis.faults.base import FaultContext, FaultKindDef, Targets
from harness.nemesis.netfilter import Rule


def ips(ctx: FaultContext) -> dict[int, str]:
    """Addresses on the cluster network now (a restarted container may have a new one)."""
    return {b.node_id: b.ip() for b in ctx.cluster.brokers if b.status() == "running"}


def apply(ctx: FaultContext, node: int, rules: list[Rule]) -> None:
    """Add rules on one broker and remember them for the heal."""
    if rules:
        netfilter.apply(ctx.cluster.broker(node), rules)
        ctx.rules.setdefault(node, []).extend(rules)


def _apply_grudge(ctx: FaultContext, grudge: shapes.Grudge) -> None:
    addresses = ips(ctx)
    for node, drops in sorted(grudge.items()):
        apply(ctx, node, netfilter.drop_from(ctx.fault_id, [addresses[d] for d in sorted(drops) if d in addresses]))


def remove_rules(ctx: FaultContext) -> None:
    """The heal of every iptables fault: delete exactly the rules this fault added."""
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
    rest = sorted(set(ctx.all_nodes()) - set(ctx.nodes))
    return f"isolated {effects.node_list(ctx.nodes)} from {rest} (clients still reach them)"


def _isolate_all(ctx: FaultContext) -> str:
    for n in ctx.nodes:
        apply(ctx, n, netfilter.drop_all_but_loopback(ctx.fault_id))
    return f"cut {effects.node_list(ctx.nodes)} off from every peer and client"


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
    addresses = ips(ctx)
    for n in ctx.nodes:
        others = [ip for m, ip in addresses.items() if m not in ctx.nodes]
        apply(ctx, n, netfilter.drop_to(ctx.fault_id, others))
    return f"packets from {effects.node_list(ctx.nodes)} to the other brokers dropped (the other way still flows)"


def _network_kind(name: str, summary: str, targets: Targets, inject, **kw) -> FaultKindDef:
    return FaultKindDef(name=name, summary=summary, targets=targets, inject_with=inject, heal_with=remove_rules,
                        start_effect=effects.cluster_reaction, heal_effect=effects.full_isr_again, **kw)


KINDS = (
    _network_kind("isolate", "drop traffic between the target(s) and the other brokers; clients still reach them",
                  Targets.CUT_OFF, _isolate),
    _network_kind("isolate-all", "drop all traffic but loopback: cut off from brokers and clients",
                  Targets.CUT_OFF, _isolate_all),
    _network_kind("split", "a minority side (at most (n-1)/2 brokers) that holds the target, against the majority",
                  Targets.SHAPE, _split, min_brokers=3),
    _network_kind("bridge", "two halves that cannot see each other; the target sees both",
                  Targets.SHAPE, _bridge, min_brokers=3),
    _network_kind("ring", "every broker sees a majority, no two the same one", Targets.SHAPE, _ring, min_brokers=4),
    _network_kind("one-way", "packets from the target(s) to the other brokers are dropped; the other way still flows",
                  Targets.CUT_OFF, _one_way),
)
