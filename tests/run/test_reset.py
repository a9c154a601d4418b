"""The verified reset between runs on one cluster, against a real cluster."""

from __future__ import annotations

import pytest

from harness.observe.groups import describe_now
from harness.observe.state import wait_for
from harness.run.reset import reset_cluster

pytestmark = pytest.mark.cluster


def test_reset_deletes_the_runs_topic_and_its_consumer_groups(kafka_cluster, chaos_topic, consumer_group):
    group = consumer_group(name="r", members=1, duration_s=30)
    assert wait_for(lambda: (lambda s: s if s and s.members else None)(
        describe_now(kafka_cluster.bootstrap_servers, group.group_id, chaos_topic)), 40, 1.0)[0]
    group.stop()
    assert reset_cluster(kafka_cluster, [chaos_topic], groups=[group.group_id]) == []
    assert chaos_topic not in kafka_cluster.admin.list_topics(timeout=10).topics
    after = describe_now(kafka_cluster.bootstrap_servers, group.group_id, chaos_topic)
    assert after is None or (after.state in ("dead", "unknown") and not after.members)
