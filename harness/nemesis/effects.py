"""Shared effect watchers: what a fault was seen to do to the real cluster, in one sentence, or None when
it was not seen. Each kind's definition (``harness.nemesis.faults``) names the watchers it uses.

Each watcher also says what it waits for as an ``Expect`` (``leader_moved``, ``isr_dropped``, ...), recorded
with the effect. The report decides that expectation from the controller's metadata log after the run
(``harness.observe.fault_effects``), so a saved run re-reports it and the live verdict is for progress
lines only; it stands in the report only when the history has no controller record.

Observations go through a broker the fault did not cut off: an isolated broker still answers clients
with its own stale view (itself as leader). Each watcher is bounded by its deadline.

The kinds import this module when the registry loads them for scenario validation. It therefore
imports the observation code (confluent_kafka) inside the watchers, not at the top.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterable

from harness.nemesis.faults.base import Effect, Expect, FaultContext
from harness.nemesis.target import Role

if TYPE_CHECKING:
    from harness.observe.state import PartitionState

__all__ = ["Effect", "Expect", "cluster_reaction", "full_isr_again", "node_list"]


def node_list(nodes: Iterable[int]) -> str:
    """``node 2`` or ``nodes 1, 3``, for a fault's one-line detail."""
    nodes = sorted(nodes)
    return f"node{'s' if len(nodes) != 1 else ''} {', '.join(map(str, nodes))}"


def _observer(ctx: FaultContext):
    """Partition state as a running broker outside the cut-off set reports it (a new client per look)."""
    from harness.observe.state import partition_state

    for b in ctx.cluster.brokers:
        if b.node_id not in ctx.cut_off and b.status() == "running":
            return lambda topic, partition: partition_state(ctx.cluster.admin_via(b.node_id), topic, partition,
                                                            with_offsets=False)
    return lambda topic, partition: partition_state(ctx.cluster.admin, topic, partition, with_offsets=False)


def _since(t0: float) -> float:
    return time.monotonic() - t0


def cluster_reaction(ctx: FaultContext, before: PartitionState | None, timeout_s: float) -> Effect:
    """How the cluster reacted to what the fault cut off (``ctx.cut_off``).

    A controller that was cut off must be replaced. A leader that was cut off must be replaced, under a
    new leader epoch. A follower that was cut off must leave the ISR. When nothing was cut off, any change
    of leader or ISR counts. Times count from when the fault was asked for (``ctx.started``).
    """
    from harness.observe.state import active_controller, latest_offsets, wait_for

    cut = ctx.cut_off
    if ctx.spec.target.role is Role.CONTROLLER and cut:
        old = ctx.nodes[0]
        new, _ = wait_for(lambda: (c if (c := active_controller(ctx.cluster, exclude=cut)) != old else None),
                          timeout_s, 0.5)
        after = _since(ctx.started)
        return Effect(f"active controller moved from {old} to {new} after {after:.1f} s" if new else None, after,
                      f"the active controller to move away from {old}", Expect("controller_moved", nodes=(old,)))
    if ctx.coordinated is not None and ctx.coordinator in cut:
        return coordinator_moved(ctx, timeout_s)
    if before is None:
        return Effect(None, 0.0, "a partition state to compare with (none was read before the fault)")
    look = _observer(ctx)
    name = f"{before.topic}-{before.partition}"
    if before.leader in cut:
        expect = Expect("leader_moved", before.topic, before.partition, tuple(sorted(cut)))

        def moved():  # Metadata only: ListOffsets to a dead leader would stall each probe
            s = look(before.topic, before.partition)
            return s if s.leader >= 0 and s.leader not in cut else None

        s, _ = wait_for(moved, timeout_s)
        after = _since(ctx.started)
        if s is None:
            return Effect(None, after, f"the leader of {name} to move away from {before.leader}", expect)

        def new_epoch():  # asked of the new leader alone: a deposed leader may still answer with its old one
            admin = ctx.cluster.admin_via(s.leader)
            return latest_offsets(admin, before.topic, [before.partition], 5.0).get(before.partition, (None,))[0]

        epoch, _ = wait_for(new_epoch, 10.0)
        return Effect(f"leader of {name} moved from {before.leader} to {s.leader}, leader epoch {before.epoch} -> "
                      f"{epoch}, after {after:.1f} s", after, "", expect)
    dropped = cut & set(before.replicas)
    if dropped:
        def shrank():
            s = look(before.topic, before.partition)
            return s if not dropped & set(s.isr) else None

        s, _ = wait_for(shrank, timeout_s)
        after = _since(ctx.started)
        return Effect(f"ISR of {name} shrank to {list(s.isr)} after {after:.1f} s" if s else None, after,
                      f"the ISR of {name} to drop {sorted(dropped)}",
                      Expect("isr_dropped", before.topic, before.partition, tuple(sorted(dropped))))

    def changed():
        s = look(before.topic, before.partition)
        return s if (s.leader, s.isr) != (before.leader, before.isr) else None

    s, _ = wait_for(changed, timeout_s)
    after = _since(ctx.started)
    text = (f"{name} changed: leader {before.leader} -> {s.leader}, ISR {list(before.isr)} -> {list(s.isr)}, "
            f"after {after:.1f} s") if s else None
    return Effect(text, after, f"any change of leader or ISR of {name}",
                  Expect("any_change", before.topic, before.partition))


def coordinator_moved(ctx: FaultContext, timeout_s: float) -> Effect:
    """The coordinator (of a group, or of a transactional id) moved away from the node the fault cut off, as a
    broker outside the cut says."""
    from harness.observe.coordinators import coordinator_of
    from harness.observe.state import wait_for

    assert ctx.coordinated is not None
    old, (key, topic) = ctx.coordinator, ctx.coordinated
    what = f"group {key}" if topic == "__consumer_offsets" else key
    via = next((b.node_id for b in ctx.cluster.brokers if b.node_id not in ctx.cut_off and b.status() == "running"),
               None)

    def moved():  # the coordinator partition's leader, from a new client of a broker outside the cut (a
        # long-lived one gathers connections, and may ask the cut-off broker, which keeps its stale view)
        admin = ctx.cluster.admin_via(via) if via is not None else ctx.cluster.admin
        node = coordinator_of(admin, key, topic)
        return node if node is not None and node != old else None

    new, _ = wait_for(moved, timeout_s, 0.5)
    after = _since(ctx.started)
    return Effect(f"coordinator of {what} moved from {old} to {new} after {after:.1f} s" if new else None,
                  after, f"the coordinator of {what} to move away from {old}",
                  Expect("coordinator_moved", nodes=(old,) if old is not None else ()))


def full_isr_again(ctx: FaultContext, before: PartitionState | None, timeout_s: float, healed_at: float) -> Effect:
    """The watched partition back to a full ISR. Times count from when the heal was asked for (``healed_at``)."""
    from harness.observe.state import agreed_state, wait_for

    if before is None:
        return Effect(None, 0.0, "a partition state to compare with")
    name = f"{before.topic}-{before.partition}"

    def full():
        s = agreed_state(ctx.cluster, before.topic, before.partition, with_offsets=False)
        return s if s.full_isr else None

    s, _ = wait_for(full, timeout_s)
    after = _since(healed_at)
    return Effect(f"ISR of {name} back to {list(s.isr)} {after:.1f} s after heal" if s else None, after,
                  f"a full ISR of {name}", Expect("isr_full", before.topic, before.partition))
