"""Rack-aware follower reads against the real cluster (KIP-392)."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic

from harness.history.loader import History
from harness.history.writer import HistoryWriter
from harness.observe.state import all_in_sync, partition_state, wait_for
from harness.workload.consumer import RecordingConsumer

pytestmark = pytest.mark.cluster


def test_follower_reader_is_served_by_the_follower_in_its_rack(cluster, tmp_path):
    topic = f"fr-{uuid.uuid4().hex[:6]}"
    cluster.admin.create_topics([NewTopic(topic, 1, 3)])[topic].result()
    assert wait_for(lambda: all_in_sync(cluster.admin, topic), 30)[0]
    state = partition_state(cluster.admin, topic, 0, with_offsets=False)
    follower = cluster.broker(next(r for r in state.replicas if r != state.leader))
    producer = Producer({"bootstrap.servers": cluster.bootstrap_servers, "acks": "all"})
    for i in range(200):
        producer.produce(topic, f"v{i}".encode())
    assert producer.flush(30) == 0

    history = HistoryWriter(tmp_path / "history.jsonl")
    reader = RecordingConsumer("reader", cluster.bootstrap_servers, topic, 1, history, client_rack=follower.rack,
                               duration_s=8, stats_interval_ms=500)
    reader.run()
    history.close()

    h = History.load(history.path)
    assert reader.stats.records == 200
    stats = h.fetch_stats()
    last = stats.iloc[-1]
    assert last["leader"] == state.leader
    assert last["broker"] == follower.node_id != state.leader  # fetched from the follower, not the leader
    assert {b.node_id: b.rack for b in cluster.brokers}[int(last["broker"])] == follower.rack
    assert sorted(h.reads("poll")["value"]) == sorted(f"v{i}" for i in range(200))
