"""Consumer groups against a real cluster: members are processes, and faults move the group."""

from __future__ import annotations

import threading

import pytest

from harness.history.loader import History
from harness.history.ops import OpType
from harness.nemesis.core import Nemesis
from harness.nemesis.spec import FaultSpec
from harness.observe.groups import OFFSETS_TOPIC, coordinator_of, describe_now, record_group_offsets
from harness.observe.state import wait_for
from harness.workload.producer import RecordingProducer

pytestmark = pytest.mark.cluster


def _produce(cluster, topic, history, seconds: float) -> threading.Thread:
    p = RecordingProducer(name="producer-0", bootstrap=cluster.bootstrap_servers, topic=topic, history=history,
                          config={"acks": "all", "enable.idempotence": True}, rate=50, duration_s=seconds)
    t = threading.Thread(target=p.run, daemon=True)
    t.start()
    return t


def _assigned(history: History, process: str, after: float = 0.0) -> set[int]:
    """Every partition given to ``process`` after ``after`` (history time)."""
    return {p for op in history.ops if op.f == "assignment" and op.process == process and op.time > after
            and op.value["event"] == "assigned" for p in op.value["partitions"]}


def test_a_killed_member_leaves_and_its_partitions_move_to_the_others(kafka_cluster, chaos_topic, chaos_history,
                                                                      consumer_group):
    """SIGKILL one member of a classic group: the coordinator drops it after its session timeout and the
    group rebalances, giving its partitions to the member left (a new generation); the heal starts a
    replacement, which joins and gets partitions back."""
    producer = _produce(kafka_cluster, chaos_topic, chaos_history, 45)
    group = consumer_group(name="g", members=2, protocol="classic", commit="manual", duration_s=60)
    both, _ = wait_for(lambda: (lambda s: s if s and len(s.members) == 2 and all(m.partitions for m in s.members)
                                else None)(describe_now(kafka_cluster.bootstrap_servers, group.group_id, chaos_topic)),
                       40, 1.0)
    assert both is not None, "the group never had both members with partitions"
    spec = FaultSpec(kind="member-kill", target={"role": "member", "group": "g", "member": 0}, at_s=0)
    with Nemesis(kafka_cluster, chaos_history, chaos_topic, groups={"g": group}) as nemesis:
        fault = nemesis.inject(spec)
        killed_at = chaos_history.now()
        killed = fault.ctx.member
        dead = group.member(killed).process
        survivor = group.member(1 - killed).process
        dead_held = {p for m in both.members if m.client_id == dead for p in m.partitions}
        nemesis.stop_watching(60)  # the start watcher: the member gone from the coordinator's description
        assert fault.start_effect is not None and fault.start_effect.observed, fault.start_effect
        assert dead in fault.start_effect.observed
        # The group rebalances without it (a new generation): the survivor is given the dead member's
        # partitions. Waited for before the heal, whose replacement would join that rebalance and share them.
        moved, _ = wait_for(lambda: dead_held <= _assigned(History(list(_ops(chaos_history))), survivor,
                                                           after=killed_at) or None, 40, 1.0)
        assert dead_held and moved, f"the survivor was never given {sorted(dead_held)}"
        nemesis.heal(fault)
        nemesis.stop_watching(60)
    replacement = group.member(killed).process
    assert replacement.endswith("-r1")
    assert wait_for(lambda: _assigned(History(list(_ops(chaos_history))), replacement) or None, 40, 1.0)[0]
    group.stop()
    producer.join(60)
    ended = {op.value["event"] for op in History(list(_ops(chaos_history))).ops if op.f == "member"}
    assert {"started", "killed", "closed"} <= ended


def test_killing_the_group_coordinator_moves_it_and_the_group_consumes_again(kafka_cluster, chaos_topic,
                                                                              chaos_history, consumer_group):
    """The coordinator is the leader of the group's __consumer_offsets partition: kill it, and an in-sync
    follower takes the partition and the group; commits go on, and the committed offsets survive."""
    producer = _produce(kafka_cluster, chaos_topic, chaos_history, 50)
    group = consumer_group(name="c", members=2, protocol="consumer", commit="manual", duration_s=65)
    first, _ = wait_for(lambda: coordinator_of(kafka_cluster.admin, group.group_id), 40, 1.0)
    assert first is not None
    assert wait_for(lambda: any(op.f == "commit" and op.type is OpType.OK for op in _ops(chaos_history)) or None,
                    40, 1.0)[0], "no commit before the fault"
    spec = FaultSpec(kind="kill", target={"role": "group_coordinator", "group": "c"}, at_s=0)
    with Nemesis(kafka_cluster, chaos_history, chaos_topic, groups={"c": group}) as nemesis:
        fault = nemesis.inject(spec)
        assert fault.nodes == [first]
        killed_at = chaos_history.now()
        nemesis.stop_watching(60)
        effect = fault.start_effect
        assert effect is not None and effect.observed and f"moved from {first} to" in effect.observed, effect
        assert effect.expect is not None and effect.expect.what == "coordinator_moved"
        new = coordinator_of(kafka_cluster.admin, group.group_id)
        assert new not in (None, first)
        # Commits acknowledged after the kill: the group works under its new coordinator.
        again, _ = wait_for(lambda: any(op.f == "commit" and op.type is OpType.OK and op.time > killed_at + 1
                                        for op in _ops(chaos_history)) or None, 60, 1.0)
        assert again, "no commit was acknowledged after the coordinator was killed"
        nemesis.heal(fault)
    group.stop()
    producer.join(60)
    record_group_offsets(kafka_cluster.bootstrap_servers, [(group.group_id, chaos_topic)], chaos_history)
    history = History(list(_ops(chaos_history)))
    (final,) = [op for op in history.ops if op.f == "group_offsets"]
    assert final.type is OpType.OK and len(final.value["offsets"]) == 3
    highest = {}
    for op in history.ops:
        if op.f == "commit" and op.type is OpType.OK:
            for p, offset, _ in op.value["offsets"]:
                highest[p] = max(highest.get(p, -1), offset)
    # The coordinator kept at least the last acknowledged commit of each partition: none was lost (a
    # commit whose answer was lost may have gone through too, so more is fine).
    kept = {p: o for p, o, _ in final.value["offsets"]}
    assert highest and all(kept[p] >= o for p, o in highest.items()), (kept, highest)
    assert OFFSETS_TOPIC == "__consumer_offsets"


def _ops(history):
    """The ops written so far (the writer's file, flushed first)."""
    from harness.history.loader import read_ops

    history.flush()
    return read_ops(history.path)
