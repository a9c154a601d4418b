"""Every fault kind against the real cluster, each proven by an observation of what it did.

The tests share one cluster (short replica.lag.time.max.ms and session timeouts); each heals and waits
for a full ISR before the next, so they leave it as they found it.
"""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic

from harness.errors import FaultError
from harness.history.loader import History
from harness.history.ops import OpType
from harness.history.writer import HistoryWriter
from harness.nemesis import netfilter
from harness.nemesis.core import Nemesis
from harness.nemesis.spec import FaultSpec
from harness.observe.state import (
    active_controller,
    agreed_state,
    all_in_sync,
    partition_state,
    quorum_leader,
    quorum_tool_leader,
    wait_for,
)

pytestmark = pytest.mark.cluster


@pytest.fixture
def topic(cluster):
    name = f"f-{uuid.uuid4().hex[:6]}"
    cluster.admin.create_topics([NewTopic(name, 1, 3)])[name].result()
    assert wait_for(lambda: all_in_sync(cluster.admin, name), 30)[0]
    return name


@pytest.fixture
def nemesis(cluster, topic, tmp_path):
    history = HistoryWriter(tmp_path / "history.jsonl")
    with Nemesis(cluster, history, topic, seed=3, effect_timeout_s=40) as n:
        yield n
    n.stop_watching()
    history.close()
    states, _ = wait_for(lambda: all_in_sync(cluster.admin, topic), 90, 0.5)
    assert states, "the cluster did not return to a full ISR after the test healed"


def fault(kind, target, **kw) -> FaultSpec:
    return FaultSpec(kind=kind, target=target, at_s=0, **kw)


def state(cluster, topic, via=None, offsets=True):
    """Through one broker (``via``), or as most brokers see it: a cut-off broker's own view is stale."""
    if via is None:
        return agreed_state(cluster, topic, 0, with_offsets=offsets)
    return partition_state(cluster.admin_via(via), topic, 0, with_offsets=offsets)


def recorded_ops(nemesis: Nemesis):
    nemesis.history.flush()  # the writer buffers; read what it has taken so far
    return History.load(nemesis.history.path).ops


def recorded_effects(nemesis: Nemesis, fault_id: str) -> dict[str, str | None]:
    nemesis.stop_watching()
    ops = recorded_ops(nemesis)
    return {op.value["phase"]: op.value["observed"] for op in ops if op.f == "effect" and op.value["id"] == fault_id}


def can_connect(broker, alias: str, port: int = 9092) -> bool:
    code, _ = broker.exec(["timeout", "3", "bash", "-c", f"</dev/tcp/{alias}/{port}"])
    return code == 0


def test_paused_follower_leaves_the_isr_and_rejoins_after_resume(cluster, topic, nemesis):
    before = state(cluster, topic)
    f = nemesis.inject(fault("pause", {"role": "follower"}))
    (node,) = f.nodes
    assert node != before.leader and cluster.broker(node).status() == "paused"
    shrunk, after = wait_for(lambda: (s if node not in (s := state(cluster, topic, offsets=False)).isr else None), 30)
    assert shrunk is not None, "a paused follower stayed in the ISR"
    nemesis.heal(f)
    back, _ = wait_for(lambda: (s if node in (s := state(cluster, topic, offsets=False)).isr else None), 60)
    assert back is not None
    effects = recorded_effects(nemesis, f.id)
    assert "shrank" in effects["start"] and "back to" in effects["heal"]


def test_killed_leader_is_replaced_by_an_in_sync_follower_with_a_higher_epoch(cluster, topic, nemesis):
    before = state(cluster, topic)
    f = nemesis.inject(fault("kill", "leader"))
    assert f.nodes == [before.leader] and cluster.broker(before.leader).status() == "exited"
    after, _ = wait_for(lambda: (s if (s := state(cluster, topic)).leader not in (-1, before.leader)
                                 and s.epoch is not None else None), 30)
    assert after is not None
    assert after.leader in before.isr
    assert after.epoch > before.epoch
    nemesis.heal(f)
    assert "moved from" in recorded_effects(nemesis, f.id)["start"]


def test_clean_stop_moves_leadership_and_the_broker_rejoins_after_start(cluster, topic, nemesis):
    before = state(cluster, topic)
    f = nemesis.inject(fault("stop", "leader"))
    assert cluster.broker(before.leader).status() == "exited"
    after, _ = wait_for(lambda: (s if (s := state(cluster, topic, offsets=False)).leader not in (-1, before.leader)
                                 else None), 30)
    assert after is not None
    nemesis.heal(f)
    assert wait_for(lambda: all_in_sync(cluster.admin, topic), 60)[0]


def test_bounce_restarts_the_broker_each_time(cluster, topic, nemesis):
    target = state(cluster, topic).replicas[-1]
    broker = cluster.broker(target)
    started_before = broker.started_at()
    f = nemesis.inject(fault("bounce", {"role": "node", "node": target}, times=2, interval_s=2, hard=True))
    assert broker.started_at() != started_before
    assert broker.status() == "running"
    ops = recorded_ops(nemesis)
    assert any(op.f == "fault" and op.type is OpType.OK and "2 time(s)" in op.value["detail"] for op in ops)
    nemesis.heal(f)


def test_leader_isolated_from_brokers_loses_leadership_but_clients_still_reach_it(cluster, topic, nemesis):
    before = state(cluster, topic)
    f = nemesis.inject(fault("isolate", "leader"))
    old = before.leader
    others = [b for b in cluster.brokers if b.node_id != old]
    assert not can_connect(others[0], f"kafka-{old}") and can_connect(others[0], others[1].alias)
    # The rest of the cluster elects another leader...
    moved, _ = wait_for(lambda: (s if (s := state(cluster, topic, via=others[0].node_id, offsets=False)).leader
                                 not in (-1, old) else None), 40)
    assert moved is not None
    # ...while the old leader still answers a client on the host, with its own stale view.
    stale = partition_state(cluster.admin_via(old), topic, 0, with_offsets=False)
    assert stale is not None
    nemesis.heal(f)
    assert can_connect(others[0], f"kafka-{old}")
    assert "moved from" in recorded_effects(nemesis, f.id)["start"]


def test_minority_side_cannot_acknowledge_acks_all_writes(cluster, topic, nemesis):
    old = state(cluster, topic).leader
    f = nemesis.inject(fault("split", "leader"))
    assert f.ctx.cut_off == {old}
    time.sleep(2)
    acked, errors = [], []
    producer = Producer({"bootstrap.servers": cluster.broker(old).bootstrap, "acks": "all",
                         "message.timeout.ms": 8000, "log_level": 0,
                         "topic.metadata.refresh.interval.ms": 60000})
    for i in range(20):
        producer.produce(topic, f"m{i}".encode(),
                         on_delivery=lambda err, msg: (errors if err else acked).append(err or msg.offset()))
    producer.flush(20)
    assert acked == [] and len(errors) == 20  # nothing acknowledged while cut off from the majority
    nemesis.heal(f)


def test_fully_isolated_broker_is_unreachable_from_clients_too(cluster, topic, nemesis):
    old = state(cluster, topic).leader
    f = nemesis.inject(fault("isolate-all", "leader"))
    from confluent_kafka import KafkaException

    with pytest.raises(KafkaException):
        cluster.admin_via(old).list_topics(topic, timeout=3)
    others = [b.node_id for b in cluster.brokers if b.node_id != old]
    moved, _ = wait_for(lambda: (s if (s := state(cluster, topic, via=others[0], offsets=False)).leader
                                 not in (-1, old) else None), 40)
    assert moved is not None
    nemesis.heal(f)


def test_one_way_drop_from_a_follower_takes_it_out_of_the_isr(cluster, topic, nemesis):
    f = nemesis.inject(fault("one-way", "follower"))
    (node,) = f.nodes
    leader_alias = f"kafka-{state(cluster, topic, offsets=False).leader}"
    assert not can_connect(cluster.broker(node), leader_alias)  # its packets out are dropped
    shrunk, _ = wait_for(lambda: (s if node not in (s := state(cluster, topic, offsets=False)).isr else None), 40)
    assert shrunk is not None
    nemesis.heal(f)


def test_packet_loss_drops_packets_but_replication_goes_on(cluster, topic, nemesis):
    f = nemesis.inject(fault("loss", "follower", probability=0.3))
    producer = Producer({"bootstrap.servers": cluster.bootstrap_servers, "acks": "all", "log_level": 0,
                         "message.timeout.ms": 60000})
    acked = []
    for i in range(300):
        producer.produce(topic, f"m{i}".encode(), on_delivery=lambda err, msg: acked.append(err is None))
        producer.poll(0)
    producer.flush(60)
    assert acked.count(True) == 300  # slowed, not stopped
    # The follower's fetches go on (long polls, about two a second): with 30% loss some packets are soon
    # dropped. A burst of 300 sends can fit in a handful of packets that all got through, so wait for them.
    dropped, _ = wait_for(lambda: sum(netfilter.dropped_packets(cluster.broker(n)) for n in f.nodes) or None, 30)
    assert dropped is not None and dropped > 0
    assert "packets dropped" in recorded_effects(nemesis, f.id)["start"]
    nemesis.heal(f)
    assert netfilter.rules(cluster.broker(f.nodes[0])) == []


def test_isolating_a_rack_takes_its_brokers_out_of_the_isr(cluster, topic, nemesis):
    leader = state(cluster, topic, offsets=False).leader
    rack = next(b.rack for b in cluster.brokers if b.node_id != leader)
    f = nemesis.inject(fault("isolate", {"role": "rack", "rack": rack}))
    assert f.nodes == [b.node_id for b in cluster.brokers if b.rack == rack]
    shrunk, _ = wait_for(lambda: (s if not set(f.nodes) & set((s := state(cluster, topic, offsets=False)).isr)
                                  else None), 40)
    assert shrunk is not None
    nemesis.heal(f)


def test_bridge_keeps_the_bridge_connected_to_both_halves(cluster, topic, nemesis):
    f = nemesis.inject(fault("bridge", "leader"))
    bridge = cluster.broker(f.nodes[0])
    a, b = [x for x in cluster.brokers if x is not bridge]
    assert not can_connect(a, b.alias) and not can_connect(b, a.alias)
    assert can_connect(a, bridge.alias) and can_connect(b, bridge.alias)
    nemesis.heal(f)
    assert can_connect(a, b.alias)


def test_latency_reports_itself_unsupported_without_netem(cluster, topic, nemesis):
    ok, _ = netfilter.netem_supported(cluster.brokers[0])
    if ok:
        pytest.skip("this kernel has netem: latency is supported here")
    with pytest.raises(FaultError, match="tc netem"):
        nemesis.inject(fault("latency", "leader", delay_ms=100))
    (op,) = [op for op in recorded_ops(nemesis) if op.f == "fault" and op.type is OpType.FAIL]
    assert op.value["unsupported"] is True


def test_killing_the_active_controller_elects_another(cluster, topic, nemesis):
    old = active_controller(cluster)
    assert old == quorum_leader(cluster) == quorum_tool_leader(cluster)  # the files say what the quorum says
    f = nemesis.inject(fault("kill", "controller"))
    assert f.nodes == [old]
    new, _ = wait_for(lambda: (c if (c := active_controller(cluster, exclude={old})) != old else None), 40)
    assert new is not None and new != old
    agreed, _ = wait_for(lambda: True if quorum_tool_leader(cluster, exclude={old}) == new else None, 20)
    assert agreed
    nemesis.heal(f)
    assert "active controller moved" in recorded_effects(nemesis, f.id)["start"]


def test_heal_all_leaves_no_rule_no_paused_and_no_stopped_broker(cluster, topic, nemesis):
    isolated = nemesis.inject(fault("isolate", "follower")).nodes
    paused = nemesis.inject(fault("pause", "leader")).nodes
    (free,) = [b.node_id for b in cluster.brokers if b.node_id not in isolated + paused]
    nemesis.inject(fault("loss", {"role": "node", "node": free}, probability=0.2))
    assert nemesis.heal_all() == []
    for b in cluster.brokers:
        assert b.status() == "running" and netfilter.rules(b) == []
    assert wait_for(lambda: all_in_sync(cluster.admin, topic), 90, 0.5)[0]
