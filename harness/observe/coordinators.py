"""Which broker coordinates a consumer group or a transactional id, from plain metadata: the leader of the
key's partition of ``__consumer_offsets`` or ``__transaction_state``, found the way Kafka finds it."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient

OFFSETS_TOPIC = "__consumer_offsets"
TRANSACTION_TOPIC = "__transaction_state"


def java_hash(s: str) -> int:
    """Java's ``String.hashCode``: 31 * h + each UTF-16 code unit, in 32-bit two's complement."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def coordinator_partition(key: str, partitions: int) -> int:
    """The partition of ``__consumer_offsets`` (a group id) or ``__transaction_state`` (a transactional id)
    that coordinates ``key``: ``Utils.abs(key.hashCode()) % partitions`` in Kafka's group and transaction
    coordinators (``Utils.abs`` maps Integer.MIN_VALUE to 0)."""
    h = java_hash(key)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def coordinator_of(admin: AdminClient, group_id: str, topic: str = OFFSETS_TOPIC) -> int | None:
    """The node coordinating ``group_id`` now: the leader of its coordinator partition, from metadata (None
    when the topic does not exist yet or the partition has no leader)."""
    try:
        meta = admin.list_topics(topic, timeout=10).topics.get(topic)
    except Exception:  # noqa: BLE001 - no broker answered: no coordinator known
        return None
    if meta is None or meta.error is not None or not meta.partitions:
        return None
    partition = meta.partitions.get(coordinator_partition(group_id, len(meta.partitions)))
    return partition.leader if partition is not None and partition.leader >= 0 else None
