"""The suite uses the harness's own pytest plugin (harness.run.pytest_plugin): its fixtures, with
short broker timeouts so faults show their effect within seconds. Tests marked ``cluster`` run
against real brokers in Docker (no mock of Kafka)."""

from __future__ import annotations

import pytest

from harness.cluster.config import ClusterConfig

pytest_plugins = ["pytester"]

FAST_SETTINGS = {
    "replica.lag.time.max.ms": "5000",
    "broker.session.timeout.ms": "6000",
    "broker.heartbeat.interval.ms": "1000",
}


@pytest.fixture(scope="session")
def kafka_cluster_config(kafka_image):
    return ClusterConfig(image=kafka_image, broker_settings=FAST_SETTINGS)


@pytest.fixture(scope="session")
def broker_image(kafka_image) -> str:
    return kafka_image


@pytest.fixture(scope="session")
def cluster(kafka_cluster):
    """One 3-broker cluster shared by the tests that leave it as they found it."""
    return kafka_cluster
