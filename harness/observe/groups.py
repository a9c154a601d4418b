"""Consumer groups as their coordinator sees them: sampled during the run, and their committed offsets after it.

The members record what they were told (assignments, commit results); these observations record what
the coordinator holds: the group's state and members, which broker coordinates it, and, after the final
read, the offsets it kept. The checks hold the two against each other.
"""

from __future__ import annotations

import threading

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from harness.history.schema import GroupMember, GroupOffsets, GroupSample
from harness.history.writer import HistoryWriter

PROCESS = "group-sampler"
INTERVAL_S = 1.0
TIMEOUT_S = 5.0


def _name(x) -> str:
    """An enum's name in lower case (librdkafka's group state or type), else the value as text."""
    return getattr(x, "name", str(x)).lower()


def describe_group(admin: AdminClient, group_id: str, topic: str, timeout_s: float = TIMEOUT_S) -> GroupSample:
    """The group's description, as a ``group`` record (raises KafkaException when it cannot be had)."""
    desc = admin.describe_consumer_groups([group_id], request_timeout=timeout_s)[group_id].result(timeout_s + 1)
    members = [GroupMember(member_id=m.member_id, client_id=m.client_id,
                           partitions=sorted(tp.partition for tp in (m.assignment.topic_partitions or [])
                                             if tp.topic == topic))
               for m in desc.members or []]
    return GroupSample(group=group_id, topic=topic, state=_name(desc.state),
                       coordinator=desc.coordinator.id if desc.coordinator is not None else None,
                       type=_name(getattr(desc, "type", None)), members=members)


def coordinator_of(admin: AdminClient, group_id: str, timeout_s: float = TIMEOUT_S) -> int | None:
    """The node coordinating the group now (None when no broker could say)."""
    try:
        desc = admin.describe_consumer_groups([group_id], request_timeout=timeout_s)[group_id].result(timeout_s + 1)
    except (KafkaException, TimeoutError, Exception):  # a future's timeout, a coordinator moving
        return None
    return desc.coordinator.id if desc.coordinator is not None else None


class GroupSampler:
    """Describes each group every ``interval_s`` in a thread of its own, until stopped."""

    def __init__(self, admin: AdminClient, groups: list[tuple[str, str]], history: HistoryWriter,
                 interval_s: float = INTERVAL_S):
        self.admin, self.groups, self.history, self.interval_s = admin, groups, history, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=PROCESS, daemon=True)

    def __enter__(self) -> GroupSampler:
        if self.groups:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(TIMEOUT_S * len(self.groups) + 2)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            for group_id, topic in self.groups:
                try:
                    self.history.ok(PROCESS, describe_group(self.admin, group_id, topic))
                except Exception as exc:  # noqa: BLE001 - recorded, the sampler goes on
                    self.history.info(PROCESS, GroupSample(group=group_id, topic=topic), error=_error(exc))


def record_group_offsets(admin: AdminClient, groups: list[tuple[str, str]], history: HistoryWriter,
                         timeout_s: float = 15.0) -> int:
    """The coordinator's committed offsets of each group, as ``group_offsets`` ops; returns how many were read."""
    read = 0
    for group_id, topic in groups:
        try:
            request = [ConsumerGroupTopicPartitions(group_id)]
            result = admin.list_consumer_group_offsets(request, request_timeout=timeout_s)[group_id].result(
                timeout_s + 1)
            offsets = sorted([tp.partition, tp.offset, _epoch(tp)] for tp in result.topic_partitions or []
                             if tp.topic == topic)
            history.ok(PROCESS, GroupOffsets(group=group_id, topic=topic, offsets=offsets))
            read += 1
        except Exception as exc:  # noqa: BLE001 - recorded: the checks say undecided
            history.info(PROCESS, GroupOffsets(group=group_id, topic=topic), error=_error(exc))
    return read


def _epoch(tp: TopicPartition) -> int:
    epoch = getattr(tp, "leader_epoch", None)
    return -1 if epoch is None or epoch < 0 else epoch


def _error(exc: Exception) -> str:
    if isinstance(exc, KafkaException) and exc.args and hasattr(exc.args[0], "str"):
        return exc.args[0].str()
    return f"{type(exc).__name__}: {exc}"[:300]
