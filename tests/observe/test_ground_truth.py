"""Kafka's own records from a real cluster: the controller's metadata log and every replica's log, read
after a leader was killed, written into the history and replayed offline."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic

from harness.history import schema as records
from harness.history.loader import History
from harness.history.ops import OpType
from harness.history.writer import HistoryWriter
from harness.nemesis.core import Nemesis
from harness.nemesis.spec import FaultSpec
from harness.observe.controller import controller_timeline
from harness.observe.ground_truth import record_metadata, record_replica_logs
from harness.observe.leadership import leader_changes
from harness.observe.state import agreed_state, all_in_sync, wait_for

pytestmark = pytest.mark.cluster


def _produce(cluster, topic: str, values: list[str]) -> None:
    p = Producer({"bootstrap.servers": cluster.bootstrap_servers, "enable.idempotence": True, "acks": "all",
                  "linger.ms": 5, "log_level": 0})
    for v in values:
        p.produce(topic, value=v.encode(), partition=0)
        p.poll(0)
    assert p.flush(60) == 0


def test_a_killed_leader_shows_in_the_controllers_record_and_every_replica_holds_the_same_log(cluster, tmp_path):
    topic = f"gt-{uuid.uuid4().hex[:6]}"
    cluster.admin.create_topics([NewTopic(topic, 1, 3, config={"min.insync.replicas": "2"})])[topic].result()
    assert wait_for(lambda: all_in_sync(cluster.admin, topic), 60)[0]
    path = tmp_path / "history.jsonl"
    with HistoryWriter(path) as history:
        history.ok("harness", records.Run(run_id="gt", scenario={}, image=cluster.config.image, started_at="now",
                                          wall_start=history.wall_start))
        _produce(cluster, topic, [f"before-{i}" for i in range(300)])
        old_leader = agreed_state(cluster, topic, 0, with_offsets=False).leader
        with Nemesis(cluster, history, topic, seed=1, effect_timeout_s=30) as nemesis:
            fault = nemesis.inject(FaultSpec(kind="kill", target="leader", at_s=0))
            assert wait_for(lambda: agreed_state(cluster, topic, 0, with_offsets=False).leader not in (-1, old_leader)
                            or None, 60)[0]
            _produce(cluster, topic, [f"after-{i}" for i in range(300)])
            nemesis.heal(fault)
        nemesis.stop_watching()
        assert wait_for(lambda: all_in_sync(cluster.admin, topic), 90, 0.5)[0]
        kept = record_metadata(cluster, topic, history, keep=tmp_path / "ground-truth")
        logs = record_replica_logs(cluster, topic, history, keep=tmp_path / "ground-truth")
    assert kept > 0 and logs == 3
    assert sorted(p.name for p in (tmp_path / "ground-truth").iterdir()) == sorted(
        [f"metadata-log-node{n}.txt.gz" for n in [min(b.node_id for b in cluster.brokers)]]
        + [f"{topic}-node{b.node_id}.txt.gz" for b in cluster.brokers])

    h = History.load(path)
    timeline = controller_timeline(h)
    assert timeline.read and timeline.error is None
    changes = [c for c in leader_changes(h) if c["topic"] == topic]
    assert changes and all(c["source"] == "controller" for c in changes)
    first = changes[0]
    assert first["from"] == old_leader and first["to"] not in (-1, old_leader)
    assert first["epoch_to"] == first["epoch_from"] + 1
    assert not first["unclean"]
    assert any(b.node == old_leader and b.what == "fenced" for b in timeline.brokers)
    assert first["time"] is not None and first["time"] > 0

    replica_logs = [op.value for op in h.ops if op.f == "replica_log" and op.type is OpType.OK]
    assert sorted(v["node"] for v in replica_logs) == sorted(b.node_id for b in cluster.brokers)
    expected = [f"before-{i}" for i in range(300)] + [f"after-{i}" for i in range(300)]
    for v in replica_logs:  # the same log on every replica: values, offsets and batch headers
        assert v["values"] == replica_logs[0]["values"] and v["offsets"] == replica_logs[0]["offsets"]
        assert v["leader_epochs"] == replica_logs[0]["leader_epochs"]
    log = replica_logs[0]
    assert set(expected) <= set(log["values"])
    assert set(log["leader_epochs"]) >= {first["epoch_from"], first["epoch_to"]}  # written before and after
    assert min(log["producer_ids"]) >= 0  # idempotent: every batch names its producer
    assert [e for e, _ in log["epochs"]][-1] >= first["epoch_to"]  # the leader-epoch checkpoint
