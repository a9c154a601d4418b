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


def _topic_with(cluster, n: int) -> str:
    topic = f"fr-{uuid.uuid4().hex[:6]}"
    cluster.admin.create_topics([NewTopic(topic, 1, 3)])[topic].result()
    assert wait_for(lambda: all_in_sync(cluster.admin, topic), 30)[0]
    producer = Producer({"bootstrap.servers": cluster.bootstrap_servers, "acks": "all"})
    for i in range(n):
        producer.produce(topic, f"v{i}".encode())
    assert producer.flush(30) == 0
    return topic


def test_an_out_of_range_position_is_reset_by_the_consumer_and_recorded(cluster, tmp_path):
    topic = _topic_with(cluster, 50)
    history = HistoryWriter(tmp_path / "history.jsonl")
    reader = RecordingConsumer("reader", cluster.bootstrap_servers, topic, 1, history, duration_s=6,
                               start_offset=10_000)
    reader.run()
    history.close()

    h = History.load(history.path)
    resets = h.by_f("reset")
    assert len(resets) == 1 and resets[0].value["partition"] == 0 and resets[0].value["to"] == "earliest"
    assert sorted(h.reads("poll")["value"]) == sorted(f"v{i}" for i in range(50))  # read again from the start
    polls = [op.value for op in h.by_f("poll") if op.value["records"]]
    assert polls and all(p["watermarks"] == [[0, 50]] for p in polls)  # the high watermark it was served with


def test_the_final_read_names_the_broker_that_served_it(cluster, tmp_path):
    from harness.workload.reader import final_read

    topic = _topic_with(cluster, 100)
    state = partition_state(cluster.admin, topic, 0, with_offsets=False)
    follower = cluster.broker(next(r for r in state.replicas if r != state.leader))
    history = HistoryWriter(tmp_path / "history.jsonl")
    assert final_read(cluster.bootstrap_servers, topic, 1, history, timeout_s=30, reader=f"rack:{follower.rack}",
                      client_rack=follower.rack)
    assert final_read(cluster.bootstrap_servers, topic, 1, history, timeout_s=30, process="final-leader")
    history.close()

    reads = {op.process: op.value for op in History.load(history.path).by_f("read") if op.type.value == "ok"}
    assert len(reads["final-reader"]["records"]) == len(reads["final-leader"]["records"]) == 100
    assert reads["final-reader"]["served_by"][-1] == follower.node_id  # the same-rack follower (KIP-392)
    assert reads["final-leader"]["served_by"] == [state.leader]
