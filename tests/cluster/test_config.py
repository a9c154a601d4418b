"""Pure parts of the cluster (no Docker)."""

from harness.cluster.config import ClusterConfig
from harness.cluster.kraft import _kraft_cluster_id


def test_cluster_ids_never_start_with_a_dash():
    ids = [_kraft_cluster_id() for _ in range(5000)]  # about 78 would start with "-" unguarded
    assert not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids) and len(set(ids)) == len(ids)


def test_brokers_cycle_through_the_racks():
    config = ClusterConfig(brokers=5, racks=("a", "b"))
    assert [config.rack_of(i) for i in range(5)] == ["a", "b", "a", "b", "a"]
