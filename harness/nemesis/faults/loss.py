"""Packet loss: drop a share of the packets between the target(s) and the other brokers (iptables'
statistic match). It cuts nothing off, so its effect is the packets dropped, not a leader moving."""

from __future__ import annotations

import random
import time
from typing import Any

from pydantic import Field

from harness.nemesis import effects, netfilter
from harness.nemesis.faults.base import Effect, Expect, FaultContext, FaultKindDef, Params, Targets
from harness.nemesis.faults.network import apply, ips, remove_rules

POLL_S = 0.5
"""How often the start watcher counts dropped packets, until it sees some or its deadline passes."""


class LossParams(Params):
    probability: float = Field(gt=0, le=1)
    """the share of packets dropped, 0 < p <= 1"""


def _loss(ctx: FaultContext) -> str:
    p = ctx.params(LossParams).probability
    addresses = ips(ctx)
    for n in ctx.nodes:
        others = [ip for m, ip in addresses.items() if m not in ctx.nodes]
        apply(ctx, n, netfilter.drop_from(ctx.fault_id, others, p) + netfilter.drop_to(ctx.fault_id, others, p))
    return f"dropping {p:.0%} of packets between {effects.node_list(ctx.nodes)} and the other brokers"


def _packets_dropped(ctx: FaultContext, before, timeout_s: float) -> Effect:
    """The first packets dropped. A quiet link carries few packets (a follower's long polls, about two a
    second), so a fixed window could see none by chance: count until some are, or the deadline. The
    controller does not record packets, so this one is decided live, even in the report."""
    deadline = ctx.started + timeout_s
    while True:
        dropped = sum(netfilter.dropped_packets(ctx.cluster.broker(n)) for n in ctx.nodes)
        after = time.monotonic() - ctx.started
        if dropped or time.monotonic() >= deadline or ctx.stopping.is_set():
            break
        time.sleep(POLL_S)
    text = f"{dropped} packets dropped on {sorted(ctx.nodes)} within {after:.1f} s"
    return Effect(text if dropped else None, after, "packets to be dropped",
                  Expect("packets_dropped", nodes=tuple(sorted(ctx.nodes))))


def _from_random_settings(settings: Any, rng: random.Random) -> dict[str, Any]:
    return {"probability": settings.probability}


KINDS = (
    FaultKindDef(name="loss", summary="drop `probability` of packets between the target(s) and the other brokers",
                 targets=Targets.DEGRADE, params=LossParams, inject_with=_loss, heal_with=remove_rules,
                 start_effect=_packets_dropped, heal_effect=effects.full_isr_again,
                 random_params=_from_random_settings),
)
