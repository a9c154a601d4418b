"""Shared fixtures. Tests marked ``cluster`` run against real brokers in Docker (no mock of Kafka)."""

from __future__ import annotations

import pytest

from harness.cluster import ClusterConfig, KafkaCluster
from harness.image import ImageSpec, ensure_image

FAST_SETTINGS = {
    "replica.lag.time.max.ms": "5000",
    "broker.session.timeout.ms": "6000",
    "broker.heartbeat.interval.ms": "1000",
}
"""Short timeouts so faults show their effect within seconds."""


@pytest.fixture(scope="session")
def broker_image() -> str:
    return ensure_image(ImageSpec())


@pytest.fixture(scope="session")
def cluster(broker_image):
    """One 3-broker cluster shared by the tests that leave it as they found it."""
    with KafkaCluster(ClusterConfig(image=broker_image, broker_settings=FAST_SETTINGS)) as c:
        yield c
