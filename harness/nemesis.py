"""The nemesis: injects faults into the real cluster, heals them, and records what the cluster did.

A fault is a FaultSpec (kind, target, start, duration). Its target is resolved when it starts (the
leader *now*) and remembered for the heal. Every fault kind maps to an inject/heal pair in ``ACTIONS``.
Start and heal are ops in the run's history; a watcher thread then records the effect actually seen
(a new leader under a higher epoch, an ISR that shrank, an ISR restored after the heal).

``Nemesis`` is a context manager whose exit heals everything, on every exit path.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Callable

from harness.cluster import Broker, KafkaCluster
from harness.errors import FaultError
from harness.history import HistoryWriter
from harness.observe import PartitionState, active_controller, partition_state, wait_for
from harness.scenario import FaultKind, FaultSpec, Role, TargetSpec

PROCESS = "nemesis"
EFFECT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class FaultAction:
    inject: Callable[[Broker], None]
    heal: Callable[[Broker], None]
    takes_broker_out: bool
    """The broker stops serving while the fault lasts (so leadership moves and the ISR shrinks)."""


def _start_if_not_running(b: Broker) -> None:
    if b.status() != "running":
        b.start()


ACTIONS: dict[FaultKind, FaultAction] = {
    FaultKind.KILL: FaultAction(inject=lambda b: b.kill("SIGKILL"), heal=_start_if_not_running, takes_broker_out=True),
    FaultKind.STOP: FaultAction(inject=lambda b: b.stop(timeout_s=30), heal=_start_if_not_running,
                                takes_broker_out=True),
    FaultKind.PAUSE: FaultAction(inject=Broker.pause, heal=lambda b: b.unpause() if b.status() == "paused" else None,
                                 takes_broker_out=True),
}


@dataclass
class ActiveFault:
    id: str
    spec: FaultSpec
    target: TargetSpec
    nodes: list[int]
    before: PartitionState | None
    healed: bool = False
    watchers: list[threading.Thread] = field(default_factory=list)


class Nemesis:
    def __init__(self, cluster: KafkaCluster, history: HistoryWriter, topic: str, seed: int = 0,
                 effect_timeout_s: float = EFFECT_TIMEOUT_S):
        self.cluster = cluster
        self.history = history
        self.topic = topic
        self.rng = random.Random(seed)
        self.effect_timeout_s = effect_timeout_s
        self.faults: list[ActiveFault] = []
        self._stop = threading.Event()

    def __enter__(self) -> Nemesis:
        return self

    def __exit__(self, *exc) -> None:
        self.heal_all()

    # -- targets -------------------------------------------------------------------------------

    def _with_topic(self, target: TargetSpec) -> TargetSpec:
        return target if target.topic else target.model_copy(update={"topic": self.topic})

    def resolve(self, target: TargetSpec) -> list[int]:
        """The node ids a target means right now."""
        running = [b.node_id for b in self.cluster.brokers if b.status() == "running"]
        match target.role:
            case Role.LEADER:
                leader = partition_state(self.cluster.admin, target.topic, target.partition, False).leader
                if leader < 0:
                    raise FaultError(f"{target.describe()} has no leader right now")
                return [leader]
            case Role.FOLLOWER:
                s = partition_state(self.cluster.admin, target.topic, target.partition, False)
                followers = [r for r in s.replicas if r != s.leader and r in s.isr] or \
                            [r for r in s.replicas if r != s.leader]
                if not followers:
                    raise FaultError(f"{target.describe()} has no follower")
                return [self.rng.choice(sorted(followers))]
            case Role.CONTROLLER:
                return [active_controller(self.cluster)]
            case Role.RANDOM:
                return [self.rng.choice(sorted(running))]
            case Role.NODE:
                return [target.node]
            case Role.RACK:
                return [b.node_id for b in self.cluster.brokers if b.rack == target.rack]
        raise FaultError(f"no way to resolve target role {target.role}")  # unreachable: Role is closed

    # -- inject / heal --------------------------------------------------------------------------

    def inject(self, spec: FaultSpec) -> ActiveFault:
        fid = f"f{len(self.faults) + 1}"
        target = self._with_topic(spec.target)
        base = {"id": fid, "kind": spec.kind.value, "target": target.describe()}
        self.history.invoke(PROCESS, "fault", base)
        try:
            before = self._watched_state(target)
            nodes = self.resolve(target)
            action = ACTIONS[spec.kind]
            for node in nodes:
                action.inject(self.cluster.broker(node))
        except Exception as exc:
            self.history.fail(PROCESS, "fault", base, error=f"{type(exc).__name__}: {exc}")
            raise FaultError(f"could not inject {spec.kind.value} on {target.describe()}: {exc}") from None
        fault = ActiveFault(fid, spec, target, nodes, before)
        self.faults.append(fault)
        detail = f"{spec.kind.value} node{'s' if len(nodes) > 1 else ''} {', '.join(map(str, nodes))}"
        self.history.ok(PROCESS, "fault", {**base, "nodes": nodes, "detail": detail})
        self._watch(fault, "start", lambda: self._start_effect(fault))
        return fault

    def heal(self, fault: ActiveFault) -> None:
        if fault.healed:
            return
        base = {"id": fault.id, "kind": fault.spec.kind.value, "target": fault.target.describe()}
        self.history.invoke(PROCESS, "heal", base)
        errors = []
        for node in fault.nodes:
            try:
                ACTIONS[fault.spec.kind].heal(self.cluster.broker(node))
            except Exception as exc:  # keep healing the others; report it
                errors.append(f"node {node}: {type(exc).__name__}: {exc}")
        fault.healed = True
        if errors:
            self.history.info(PROCESS, "heal", base, error="; ".join(errors))
        else:
            self.history.ok(PROCESS, "heal", {**base, "nodes": fault.nodes})
            self._watch(fault, "heal", lambda: self._heal_effect(fault))

    def heal_all(self) -> None:
        """Heal every fault still in force, then make sure no broker is left paused or stopped. Idempotent."""
        for fault in reversed(self.faults):
            self.heal(fault)
        for b in self.cluster.brokers:
            try:
                status = b.status()
                if status == "paused":
                    b.unpause()
                elif status in ("exited", "created"):
                    b.start()
            except Exception:
                pass

    def stop_watching(self, timeout_s: float = EFFECT_TIMEOUT_S) -> None:
        """Let the effect watchers finish (each is bounded by its own deadline)."""
        for fault in self.faults:
            for t in fault.watchers:
                t.join(timeout_s)
        self._stop.set()

    # -- effects ------------------------------------------------------------------------------

    def _watched_state(self, target: TargetSpec) -> PartitionState | None:
        if target.role in (Role.LEADER, Role.FOLLOWER):
            topic, partition = target.topic, target.partition
        else:
            topic, partition = self.topic, 0
        try:
            return partition_state(self.cluster.admin, topic, partition)
        except Exception:
            return None

    def _watch(self, fault: ActiveFault, phase: str, observe: Callable[[], tuple[str | None, float, str]]) -> None:
        def run():
            try:
                observed, after, expected = observe()
            except Exception as exc:
                observed, after, expected = None, 0.0, f"observation failed: {exc}"
            value = {"id": fault.id, "kind": fault.spec.kind.value, "phase": phase, "after_s": round(after, 2)}
            if observed is not None:
                self.history.ok(PROCESS, "effect", {**value, "observed": observed})
            else:
                self.history.info(PROCESS, "effect", {**value, "observed": None},
                                  error=f"not seen within {self.effect_timeout_s:.0f} s: {expected}")

        t = threading.Thread(target=run, name=f"effect-{fault.id}-{phase}", daemon=True)
        fault.watchers.append(t)
        t.start()

    def _start_effect(self, fault: ActiveFault) -> tuple[str | None, float, str]:
        before = fault.before
        action = ACTIONS[fault.spec.kind]
        if fault.spec.target.role is Role.CONTROLLER:
            old = fault.nodes[0]
            new, after = wait_for(lambda: (c if (c := active_controller(self.cluster)) != old else None),
                                  self.effect_timeout_s, 0.5)
            return (f"active controller moved from {old} to {new} after {after:.1f} s" if new else None), after, \
                f"active controller to move away from {old}"
        if before is None or not action.takes_broker_out:
            return None, 0.0, "no partition state to compare with"
        name = f"{before.topic}-{before.partition}"
        if before.leader in fault.nodes:
            def moved():  # Metadata only: ListOffsets to the dead leader would stall each probe
                s = partition_state(self.cluster.admin, before.topic, before.partition, with_offsets=False)
                return s if s.leader >= 0 and s.leader not in fault.nodes else None

            s, after = wait_for(moved, self.effect_timeout_s)
            if s is not None:  # the new leader's epoch, from the new leader itself
                s, _ = wait_for(lambda: (x if (x := partition_state(self.cluster.admin, before.topic,
                                                                    before.partition)).epoch is not None else None),
                                10.0)
            text = (f"leader of {name} moved from {before.leader} to {s.leader}, leader epoch {before.epoch} -> "
                    f"{s.epoch}, after {after:.1f} s") if s else None
            return text, after, f"leader of {name} to move away from {before.leader}"
        out = [n for n in fault.nodes if n in before.replicas]
        if not out:
            return None, 0.0, f"nodes {fault.nodes} hold no replica of {name}"

        def shrank():
            s = partition_state(self.cluster.admin, before.topic, before.partition, with_offsets=False)
            return s if not set(out) & set(s.isr) else None

        s, after = wait_for(shrank, self.effect_timeout_s)
        text = f"ISR of {name} shrank to {list(s.isr)} after {after:.1f} s" if s else None
        return text, after, f"ISR of {name} to drop {out}"

    def _heal_effect(self, fault: ActiveFault) -> tuple[str | None, float, str]:
        before = fault.before
        if before is None:
            return None, 0.0, "no partition state to compare with"
        name = f"{before.topic}-{before.partition}"

        def full():
            s = partition_state(self.cluster.admin, before.topic, before.partition, with_offsets=False)
            return s if s.full_isr else None

        s, after = wait_for(full, self.effect_timeout_s)
        text = f"ISR of {name} back to {list(s.isr)} {after:.1f} s after heal" if s else None
        return text, after, f"full ISR of {name}"


class Schedule:
    """Runs a timeline of faults against the nemesis in a thread; stops early and heals on ``stop()``."""

    def __init__(self, nemesis: Nemesis, faults: list[FaultSpec], end_s: float, log=print):
        self.nemesis = nemesis
        self.faults = sorted(faults, key=lambda f: f.at_s)
        self.end_s = end_s
        self.log = log
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nemesis-schedule", daemon=True)
        self._t0 = 0.0

    def start(self) -> Schedule:
        self._t0 = self.nemesis.history.now()
        self._thread.start()
        return self

    def _elapsed(self) -> float:
        return self.nemesis.history.now() - self._t0

    def timeline(self) -> list[tuple[float, str, int]]:
        """(time, "inject" | "heal", fault index), in the order they happen. Every fault heals by end_s."""
        events = []
        for i, f in enumerate(self.faults):
            heal_at = self.end_s if f.duration_s is None else min(f.at_s + f.duration_s, self.end_s)
            events.append((f.at_s, 2 * i, "inject", i))
            events.append((max(heal_at, f.at_s), 2 * i + 1, "heal", i))
        return [(t, what, i) for t, _, what, i in sorted(events)]

    def _run(self) -> None:
        active: dict[int, ActiveFault] = {}
        try:
            for t, what, i in self.timeline():
                if self._stop.wait(max(0.0, t - self._elapsed())):
                    break
                if what == "inject":
                    fault = active[i] = self.nemesis.inject(self.faults[i])
                    self.log(f"  {fault.spec.kind.value} {fault.target.describe()} -> node(s) {fault.nodes}")
                elif i in active:
                    fault = active.pop(i)
                    self.nemesis.heal(fault)
                    self.log(f"  healed {fault.spec.kind.value} of {fault.target.describe()}")
        except Exception as exc:  # reported by the runner; the heal still happens
            self.error = exc
        finally:
            self.nemesis.heal_all()

    def stop(self, timeout_s: float = 120.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def join(self, timeout_s: float | None = None) -> None:
        self._thread.join(timeout_s)
