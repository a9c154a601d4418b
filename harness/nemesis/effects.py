"""What a fault was seen to do to the real cluster, in one sentence, or None when it was not seen.

Observations go through a broker the fault did not cut off: an isolated broker still answers clients
with its own stale view (itself as leader). Each watcher is bounded by its deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.nemesis import netfilter
from harness.nemesis.actions import FaultContext
from harness.nemesis.spec import FaultKind, Role
from harness.observe.state import (
    PartitionState,
    active_controller,
    agreed_state,
    latest_offsets,
    partition_state,
    wait_for,
)

LOSS_WINDOW_S = 3.0


@dataclass(frozen=True)
class Effect:
    observed: str | None
    after_s: float
    expected: str
    """What was being waited for (said when it was not seen)."""


def _observer(ctx: FaultContext):
    """Partition state as a running broker outside the cut-off set reports it (a new client per look)."""
    for b in ctx.cluster.brokers:
        if b.node_id not in ctx.cut_off and b.status() == "running":
            return lambda topic, partition: partition_state(ctx.cluster.admin_via(b.node_id), topic, partition,
                                                            with_offsets=False)
    return lambda topic, partition: partition_state(ctx.cluster.admin, topic, partition, with_offsets=False)


def _since(t0: float) -> float:
    return time.monotonic() - t0


def start_effect(ctx: FaultContext, before: PartitionState | None, timeout_s: float) -> Effect:
    """Times count from when the fault was asked for (``ctx.started``)."""
    cut = ctx.cut_off
    if ctx.spec.target.role is Role.CONTROLLER and cut:
        old = ctx.nodes[0]
        new, _ = wait_for(lambda: (c if (c := active_controller(ctx.cluster, exclude=cut)) != old else None),
                          timeout_s, 0.5)
        after = _since(ctx.started)
        return Effect(f"active controller moved from {old} to {new} after {after:.1f} s" if new else None, after,
                      f"the active controller to move away from {old}")
    if ctx.spec.kind is FaultKind.LOSS:
        time.sleep(LOSS_WINDOW_S)
        dropped = sum(netfilter.dropped_packets(ctx.cluster.broker(n)) for n in ctx.nodes)
        text = f"{dropped} packets dropped on {sorted(ctx.nodes)} in the first {LOSS_WINDOW_S:g} s"
        return Effect(text if dropped else None, LOSS_WINDOW_S, "packets to be dropped")
    if before is None:
        return Effect(None, 0.0, "a partition state to compare with (none was read before the fault)")
    look = _observer(ctx)
    name = f"{before.topic}-{before.partition}"
    if before.leader in cut:
        def moved():  # Metadata only: ListOffsets to a dead leader would stall each probe
            s = look(before.topic, before.partition)
            return s if s.leader >= 0 and s.leader not in cut else None

        s, _ = wait_for(moved, timeout_s)
        after = _since(ctx.started)
        if s is None:
            return Effect(None, after, f"the leader of {name} to move away from {before.leader}")
        def new_epoch():  # asked of the new leader alone: a deposed leader may still answer with its old one
            admin = ctx.cluster.admin_via(s.leader)
            return latest_offsets(admin, before.topic, [before.partition], 5.0).get(before.partition, (None,))[0]

        epoch, _ = wait_for(new_epoch, 10.0)
        return Effect(f"leader of {name} moved from {before.leader} to {s.leader}, leader epoch {before.epoch} -> "
                      f"{epoch}, after {after:.1f} s", after, "")
    dropped = cut & set(before.replicas)
    if dropped:
        def shrank():
            s = look(before.topic, before.partition)
            return s if not dropped & set(s.isr) else None

        s, _ = wait_for(shrank, timeout_s)
        after = _since(ctx.started)
        return Effect(f"ISR of {name} shrank to {list(s.isr)} after {after:.1f} s" if s else None, after,
                      f"the ISR of {name} to drop {sorted(dropped)}")

    def changed():
        s = look(before.topic, before.partition)
        return s if (s.leader, s.isr) != (before.leader, before.isr) else None

    s, _ = wait_for(changed, timeout_s)
    after = _since(ctx.started)
    text = (f"{name} changed: leader {before.leader} -> {s.leader}, ISR {list(before.isr)} -> {list(s.isr)}, "
            f"after {after:.1f} s") if s else None
    return Effect(text, after, f"any change of leader or ISR of {name}")


def heal_effect(ctx: FaultContext, before: PartitionState | None, timeout_s: float, healed_at: float) -> Effect:
    """Times count from when the heal was asked for (``healed_at``)."""
    if before is None:
        return Effect(None, 0.0, "a partition state to compare with")
    name = f"{before.topic}-{before.partition}"

    def full():
        s = agreed_state(ctx.cluster, before.topic, before.partition, with_offsets=False)
        return s if s.full_isr else None

    s, _ = wait_for(full, timeout_s)
    after = _since(healed_at)
    return Effect(f"ISR of {name} back to {list(s.isr)} {after:.1f} s after heal" if s else None, after,
                  f"a full ISR of {name}")
