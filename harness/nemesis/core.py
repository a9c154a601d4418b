"""The nemesis: injects faults into the real cluster, heals them, and records what the cluster did.

A fault's target is resolved when it starts (the leader *now*) and remembered for the heal. Start and
heal are ops in the run's history; a watcher thread then records the effect actually seen. ``Nemesis``
is a context manager whose exit heals everything and checks that nothing is left: no harness iptables
rule, no paused or stopped broker.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from harness.cluster.kraft import KafkaCluster
from harness.errors import FaultError
from harness.history import schema as records
from harness.history.writer import HistoryWriter
from harness.nemesis import netfilter
from harness.nemesis.faults.base import Effect, Expect, FaultContext, FaultUnsupported
from harness.nemesis.faults.registry import fault_kind
from harness.nemesis.spec import FaultSpec, Role, TargetSpec
from harness.observe.coordinators import OFFSETS_TOPIC, TRANSACTION_TOPIC, coordinator_of
from harness.observe.state import PartitionState, active_controller, agreed_state

PROCESS = "nemesis"
EFFECT_TIMEOUT_S = 60.0


@dataclass
class ActiveFault:
    ctx: FaultContext
    target: TargetSpec
    before: PartitionState | None
    healed: bool = False
    watchers: list[threading.Thread] = field(default_factory=list)
    start_effect: Effect | None = None
    start_effect_at: float | None = None
    """History time at which the start effect's watcher finished (seen or not); None while it watches."""

    @property
    def id(self) -> str:
        return self.ctx.fault_id

    @property
    def spec(self) -> FaultSpec:
        return self.ctx.spec

    @property
    def nodes(self) -> list[int]:
        return self.ctx.nodes


class Nemesis:
    def __init__(self, cluster: KafkaCluster, history: HistoryWriter, topic: str, seed: int = 0,
                 effect_timeout_s: float = EFFECT_TIMEOUT_S, groups: dict | None = None,
                 transactional_ids: dict[int, str] | None = None):
        self.groups = groups or {}
        """The workload's consumer groups by scenario name, for group targets."""
        self.transactional_ids = transactional_ids or {}
        """The transactional producers' ids by index, for transaction coordinator targets."""
        self.cluster = cluster
        self.history = history
        self.topic = topic
        self.rng = random.Random(seed)
        self.effect_timeout_s = effect_timeout_s
        self.faults: list[ActiveFault] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._swept = False
        """True after a recorded sweep found nothing left, until the next inject."""
        self._ids = 0

    def __enter__(self) -> Nemesis:
        self.heal_all(record=False)  # start from a known-good state
        return self

    def __exit__(self, *exc) -> None:
        """The one sweep on every exit path (normal end, error, interrupt), unless the run already
        swept after its last fault: the heal is recorded once."""
        self._stopping.set()
        if not self._swept:
            self.heal_all()

    # -- targets -------------------------------------------------------------------------------

    def _with_topic(self, target: TargetSpec) -> TargetSpec:
        return target if target.topic else target.model_copy(update={"topic": self.topic})

    def resolve(self, target: TargetSpec, ctx: FaultContext | None = None) -> list[int]:
        """The node ids a target means right now. A member target means no node: it sets ``ctx.member``."""
        running = [b.node_id for b in self.cluster.brokers if b.status() == "running"]
        match target.role:
            case Role.LEADER:
                leader = agreed_state(self.cluster, target.topic, target.partition, False).leader
                if leader < 0:
                    raise FaultError(f"{target.describe()} has no leader right now")
                return [leader]
            case Role.FOLLOWER:
                s = agreed_state(self.cluster, target.topic, target.partition, False)
                followers = [r for r in s.replicas if r != s.leader and r in s.isr] or \
                            [r for r in s.replicas if r != s.leader]
                if not followers:
                    raise FaultError(f"{target.describe()} has no follower")
                return [self.rng.choice(self._maybe_not_controller(target, sorted(followers)))]
            case Role.CONTROLLER:
                return [active_controller(self.cluster)]
            case Role.RANDOM:
                if not running:
                    raise FaultError("no broker is running")
                return [self.rng.choice(self._maybe_not_controller(target, sorted(running)))]
            case Role.NODE:
                return [target.node]
            case Role.RACK:
                return [b.node_id for b in self.cluster.brokers if b.rack == target.rack]
            case Role.GROUP_COORDINATOR:
                group = self._group(target)
                node = coordinator_of(self.cluster.admin, group.group_id)
                if node is None:
                    raise FaultError(f"group {group.group_id} has no coordinator now (its __consumer_offsets "
                                     "partition has no leader, or the topic does not exist yet)")
                if ctx is not None:
                    ctx.coordinator, ctx.coordinated = node, (group.group_id, OFFSETS_TOPIC)
                return [node]
            case Role.TXN_COORDINATOR:
                tid = self.transactional_ids.get(target.producer)
                if tid is None:
                    raise FaultError(f"the workload has no transactional producer {target.producer}")
                node = coordinator_of(self.cluster.admin, tid, TRANSACTION_TOPIC)
                if node is None:
                    raise FaultError(f"{tid} has no transaction coordinator now (its __transaction_state "
                                     "partition has no leader, or the topic does not exist yet)")
                if ctx is not None:
                    ctx.coordinator, ctx.coordinated = node, (tid, TRANSACTION_TOPIC)
                return [node]
            case Role.MEMBER:
                group = self._group(target)
                alive = group.alive()
                if target.member is not None:
                    member = target.member
                elif alive:
                    member = self.rng.choice(alive)
                else:
                    raise FaultError(f"group {group.group_id} has no running member")
                if ctx is not None:
                    ctx.member = member
                return []
        raise FaultError(f"no way to resolve target role {target.role}")  # unreachable: Role is closed

    def _group(self, target: TargetSpec):
        if target.group not in self.groups:
            raise FaultError(f"the workload has no consumer group {target.group!r}")
        return self.groups[target.group]

    def _maybe_not_controller(self, target: TargetSpec, candidates: list[int]) -> list[int]:
        if not target.not_controller:
            return candidates
        try:
            controller = active_controller(self.cluster)
        except Exception:
            return candidates  # the quorum did not say: any candidate, as without the option
        return [n for n in candidates if n != controller] or candidates

    # -- inject / heal --------------------------------------------------------------------------

    def stop(self) -> None:
        """No new fault from now on, and a fault being injected step by step (a bounce) stops at its next
        step: the run is ending, and the sweep must not race an inject."""
        self._stopping.set()

    def inject(self, spec: FaultSpec) -> ActiveFault:
        if self._stopping.is_set():
            raise FaultError(f"not injecting {spec.kind.value}: the nemesis is stopping")
        fid = self._next_id()
        target = self._with_topic(spec.target)
        base = {"id": fid, "kind": spec.kind.value, "target": target.describe()}
        self.history.invoke(PROCESS, records.FaultStart(**base))
        ctx = FaultContext(self.cluster, spec, fid, [], self.rng, self._stopping, groups=self.groups)
        try:
            before = self._watched_state(target)
            ctx.nodes = self.resolve(target, ctx)
            detail = fault_kind(spec.kind).inject(ctx)
        except Exception as exc:
            unsupported = isinstance(exc, FaultUnsupported)
            self.history.fail(PROCESS, records.FaultFailed(**base, nodes=ctx.nodes, unsupported=unsupported),
                              error=f"{type(exc).__name__}: {exc}")
            fault = ActiveFault(ctx, target, None)
            self._heal_quietly(fault)  # undo whatever part of it went in
            raise FaultError(f"could not inject {spec.kind.value} on {target.describe()}: {exc}") from None
        fault = ActiveFault(ctx, target, before)
        self.faults.append(fault)
        self._swept = False
        self.history.ok(PROCESS, records.FaultStarted(**base, nodes=ctx.nodes, cut_off=sorted(ctx.cut_off),
                                                      detail=detail))
        self._watch(fault, "start", lambda: fault_kind(spec.kind).start_effect(ctx, before, self.effect_timeout_s))
        return fault

    def skip(self, spec: FaultSpec, reason: str) -> None:
        """Record a fault the schedule does not inject: what it waited for did not happen."""
        base = {"id": self._next_id(), "kind": spec.kind.value, "target": self._with_topic(spec.target).describe()}
        self.history.invoke(PROCESS, records.FaultStart(**base))
        self.history.fail(PROCESS, records.FaultFailed(**base, nodes=[], unsupported=False),
                          error=f"not injected: {reason}")

    def _next_id(self) -> str:
        """f1, f2, ... in the order faults are tried (a fault that failed or was skipped keeps its id)."""
        self._ids += 1
        return f"f{self._ids}"

    def heal(self, fault: ActiveFault) -> None:
        with self._lock:  # the schedule's thread and the final sweep may both reach one fault
            if fault.healed:
                return
            fault.healed = True
        base = {"id": fault.id, "kind": fault.spec.kind.value, "target": fault.target.describe()}
        self.history.invoke(PROCESS, records.HealStart(**base))
        healed_at = time.monotonic()
        try:
            fault_kind(fault.spec.kind).heal(fault.ctx)
        except Exception as exc:  # heal_all's sweep still runs; the history says what went wrong
            self.history.info(PROCESS, records.HealFailed(**base), error=f"{type(exc).__name__}: {exc}")
            return
        self.history.ok(PROCESS, records.Healed(**base, nodes=fault.nodes))
        self._watch(fault, "heal", lambda: fault_kind(fault.spec.kind).heal_effect(fault.ctx, fault.before,
                                                                                   self.effect_timeout_s, healed_at))

    def _heal_quietly(self, fault: ActiveFault) -> None:
        try:
            fault_kind(fault.spec.kind).heal(fault.ctx)
        except Exception:
            pass

    def heal_all(self, record: bool = True) -> list[str]:
        """Heal every fault in force, then sweep: resume, start, flush rules. Idempotent.

        Returns (and records) what is still wrong after the sweep; an empty list means clean.
        """
        for fault in reversed(self.faults):
            self.heal(fault)
        fixed, left = [], []
        for b in self.cluster.brokers:
            try:
                status = b.status()
                if status == "paused":
                    b.unpause()
                    fixed.append(f"resumed {b.node_id}")
                elif status in ("exited", "created"):
                    b.start()
                    fixed.append(f"started {b.node_id}")
                if netfilter.rules(b):
                    netfilter.flush(b)
                    fixed.append(f"flushed rules on {b.node_id}")
                if problem := leftover(b):
                    left.append(problem)
            except Exception as exc:
                left.append(f"broker {b.node_id}: {type(exc).__name__}: {exc}")
        if record:
            self._swept = not left
            if left:
                self.history.info(PROCESS, records.Sweep(fixed=fixed, left=left), error="; ".join(left))
            else:
                self.history.ok(PROCESS, records.Sweep(fixed=fixed, left=[]))
        return left

    def stop_watching(self, timeout_s: float = EFFECT_TIMEOUT_S) -> None:
        """Let the effect watchers finish (each is bounded by its own deadline)."""
        for fault in self.faults:
            for t in fault.watchers:
                t.join(timeout_s)

    # -- effects ------------------------------------------------------------------------------

    def _watched_state(self, target: TargetSpec) -> PartitionState | None:
        topic, partition = (target.topic, target.partition) if target.role in (Role.LEADER, Role.FOLLOWER) \
            else (self.topic, 0)
        try:
            return agreed_state(self.cluster, topic, partition)
        except Exception:
            return None

    def _watch(self, fault: ActiveFault, phase: str, observe: Callable[[], Effect]) -> None:
        """Watch for a fault's effect in a thread and record it, with what was awaited in structured form:
        the report decides that from the controller's record, so the live verdict is for progress only."""
        def run():
            try:
                effect = observe()
            except Exception as exc:
                effect = Effect(None, 0.0, f"observation failed: {type(exc).__name__}: {exc}")
            value = records.Effect(id=fault.id, kind=fault.spec.kind.value, phase=phase,
                                   after_s=round(effect.after_s, 2), observed=effect.observed,
                                   **_expect_fields(effect.expect))
            if effect.observed is not None:
                self.history.ok(PROCESS, value)
            else:
                self.history.info(PROCESS, value, error=f"not seen: {effect.expected}")
            if phase == "start":  # for a schedule that waits on this fault's effect
                fault.start_effect = effect
                fault.start_effect_at = self.history.now()

        t = threading.Thread(target=run, name=f"effect-{fault.id}-{phase}", daemon=True)
        fault.watchers.append(t)
        t.start()


def leftover(broker) -> str | None:
    """What a fault may have left on a broker (not running, or harness iptables rules); None when clean."""
    if (status := broker.status()) != "running":
        return f"broker {broker.node_id} is {status}"
    if rules := netfilter.rules(broker):
        return f"broker {broker.node_id} keeps {len(rules)} rule(s)"
    return None


def _expect_fields(expect: Expect | None) -> dict:
    """An expectation as the effect record's optional fields (none of them without one)."""
    if expect is None:
        return {}
    return {"expect": expect.what, "topic": expect.topic, "partition": expect.partition,
            "nodes": list(expect.nodes) if expect.nodes else None}
