"""Latency with ``tc netem`` on the targets' interface. A kernel without netem makes the fault report
itself unsupported, with the reason; nothing is faked."""

from __future__ import annotations

from pydantic import Field

from harness.errors import FaultError
from harness.nemesis import effects, netfilter
from harness.nemesis.faults.base import FaultContext, FaultKindDef, FaultUnsupported, Params, Targets


class LatencyParams(Params):
    delay_ms: int = Field(ge=1)
    """the delay added to the target's traffic"""


def _latency(ctx: FaultContext) -> str:
    delay_ms = ctx.params(LatencyParams).delay_ms
    for b in ctx.brokers():
        ok, why = netfilter.netem_supported(b)
        if not ok:
            raise FaultUnsupported(f"latency needs tc netem, which this kernel lacks ({why})")
        code, out = b.exec(["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", f"{delay_ms}ms"])
        if code != 0:
            raise FaultError(f"tc netem on broker {b.node_id}: {out.strip()}")
    return f"{delay_ms} ms delay on {effects.node_list(ctx.nodes)}"


def _remove_qdisc(ctx: FaultContext) -> None:
    for b in ctx.brokers():
        if b.status() == "running":
            b.exec(["tc", "qdisc", "del", "dev", "eth0", "root"])


KINDS = (
    FaultKindDef(name="latency", summary="`delay_ms` on the target's traffic with tc netem; heal: remove the qdisc",
                 targets=Targets.DEGRADE, params=LatencyParams, inject_with=_latency, heal_with=_remove_qdisc,
                 start_effect=effects.cluster_reaction, heal_effect=effects.full_isr_again,
                 random_params=None, not_random_because="it needs delay_ms and tc netem"),
)
