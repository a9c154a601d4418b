"""The cluster against real brokers: it forms, it replicates, it round-trips, and it leaves nothing."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from harness.cluster.cleanup import leftovers
from harness.cluster.config import ClusterConfig
from harness.cluster.kraft import RACK_AWARE_SELECTOR, KafkaCluster
from harness.errors import ClusterError
from harness.observe.state import all_in_sync, wait_for

pytestmark = pytest.mark.cluster


def test_three_brokers_register_with_their_racks(cluster):
    nodes = cluster.admin.describe_cluster().result().nodes
    assert sorted((n.id, n.rack) for n in nodes) == [(1, "rack-a"), (2, "rack-b"), (3, "rack-c")]


def test_every_broker_runs_the_rack_aware_selector(cluster):
    from confluent_kafka.admin import ConfigResource, ResourceType

    for b in cluster.brokers:  # one BROKER resource per DescribeConfigs call
        resource = ConfigResource(ResourceType.BROKER, str(b.node_id))
        config = cluster.admin.describe_configs([resource])[resource].result()
        assert config["broker.rack"].value == b.rack
        assert config["replica.selector.class"].value == RACK_AWARE_SELECTOR
        assert config["min.insync.replicas"].value == "2"
        assert config["offsets.topic.replication.factor"].value == "3"


def test_replication_factor_3_topic_gets_a_full_isr(cluster):
    topic = f"rf3-{uuid.uuid4().hex[:6]}"
    cluster.admin.create_topics([NewTopic(topic, 3, 3)])[topic].result()
    states, _ = wait_for(lambda: all_in_sync(cluster.admin, topic), 30)
    assert states is not None and len(states) == 3
    for s in states:
        assert sorted(s.isr) == [1, 2, 3] and s.leader in (1, 2, 3)


def test_produce_and_consume_round_trip(cluster):
    topic = f"rt-{uuid.uuid4().hex[:6]}"
    cluster.admin.create_topics([NewTopic(topic, 1, 3)])[topic].result()
    wait_for(lambda: all_in_sync(cluster.admin, topic), 30)
    producer = Producer({"bootstrap.servers": cluster.bootstrap_servers, "acks": "all"})
    sent = [f"v{i}" for i in range(50)]
    for v in sent:
        producer.produce(topic, v.encode())
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap_servers, "group.id": "rt",
                         "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got = []
    for _ in range(60):
        got += [m.value().decode() for m in consumer.consume(100, 0.5) if not m.error()]
        if len(got) >= len(sent):
            break
    consumer.close()
    assert got == sent


def test_teardown_removes_every_container_and_network(broker_image):
    c = KafkaCluster(ClusterConfig(brokers=1, image=broker_image))
    with c:
        containers, networks = leftovers(c.run_id)
        assert len(containers) == 1 and len(networks) == 1
    assert leftovers(c.run_id) == ([], [])


def test_a_cluster_that_cannot_start_is_removed_and_names_the_broker(broker_image):
    config = ClusterConfig(brokers=1, image=broker_image, ready_timeout_s=20,
                           broker_settings={"num.network.threads": "not-a-number"})
    c = KafkaCluster(config)
    with pytest.raises(ClusterError) as err:
        c.start()
    assert "broker 1" in str(err.value)
    assert "num.network.threads" in err.value.details  # the broker's own log says why
    assert leftovers(c.run_id) == ([], [])
