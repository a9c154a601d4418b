"""Observing the real cluster: partition state, the active controller, and waiting for a condition.

Leader and ISR come from a Metadata request (any live broker answers it; DescribeTopics would wait for
the controller librdkafka last heard of, which may be the broker just killed). The leader epoch and the
high watermark come from ListOffsets(latest), which the partition leader answers with its current epoch.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Callable, TypeVar

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from tenacity import Retrying, retry_if_exception_type, retry_if_result, stop_after_delay, wait_fixed

T = TypeVar("T")


@dataclass(frozen=True)
class PartitionState:
    topic: str
    partition: int
    leader: int
    """-1 when the partition has no leader."""
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    epoch: int | None = None
    hwm: int | None = None

    @property
    def full_isr(self) -> bool:
        return self.leader >= 0 and set(self.replicas) <= set(self.isr)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["replicas"], d["isr"] = list(self.replicas), list(self.isr)
        return d


def partition_states(admin: AdminClient, topic: str, with_offsets: bool = True,
                     timeout_s: float = 5.0) -> list[PartitionState]:
    """The state of every partition of ``topic``; epoch/hwm are None where the leader did not answer."""
    states = {s.partition: s for s in metadata_view(admin, topic, timeout_s)[1]}
    if with_offsets:
        for pid, (epoch, hwm) in latest_offsets(admin, topic, list(states), timeout_s).items():
            s = states[pid]
            states[pid] = PartitionState(s.topic, s.partition, s.leader, s.replicas, s.isr, epoch, hwm)
    return [states[k] for k in sorted(states)]


def metadata_view(admin: AdminClient, topic: str, timeout_s: float) -> tuple[int, list[PartitionState]]:
    """Leader and ISR of every partition of ``topic`` from one Metadata request, with the node id of the
    broker that answered it (a client whose own broker is down asks another; the answer says which)."""
    md = admin.list_topics(topic, timeout=timeout_s)
    t = md.topics[topic]
    if t.error is not None:
        raise KafkaException(t.error)
    return md.orig_broker_id, [PartitionState(topic, p.id, p.leader, tuple(p.replicas), tuple(sorted(p.isrs)))
                               for p in sorted(t.partitions.values(), key=lambda p: p.id)]


def latest_offsets(admin: AdminClient, topic: str, partitions: list[int], timeout_s: float,
                   wait_s: float | None = None) -> dict[int, tuple[int | None, int | None]]:
    """Leader epoch and high watermark (ListOffsets latest) of the partitions whose leader answered, each
    waited for at most ``wait_s`` (default: the request timeout and 5 s more).
    ``admin`` must stay referenced until this returns: a dropped client never answers."""
    futures = admin.list_offsets({TopicPartition(topic, p): OffsetSpec.latest() for p in partitions},
                                 request_timeout=timeout_s)
    out: dict[int, tuple[int | None, int | None]] = {}
    for tp, fut in futures.items():
        try:
            res = fut.result(timeout=timeout_s + 5 if wait_s is None else wait_s)
        except (KafkaException, TimeoutError):
            continue
        # -1001 (OFFSET_INVALID) and a missing epoch mean the leader had none: say None.
        out[tp.partition] = (res.leader_epoch if res.leader_epoch is not None and res.leader_epoch >= 0 else None,
                             res.offset if res.offset >= 0 else None)
    return out


def partition_state(admin: AdminClient, topic: str, partition: int, with_offsets: bool = True,
                    timeout_s: float = 5.0) -> PartitionState:
    for s in partition_states(admin, topic, with_offsets, timeout_s):
        if s.partition == partition:
            return s
    raise KeyError(f"{topic}-{partition} does not exist")


def majority_view(answers: list[tuple[int, PartitionState]]) -> PartitionState:
    """The (leader, ISR) most brokers report, from (answering node, its view) pairs. In a tie (a broker
    did not answer in time), a view vouched for by a broker other than the leader it names beats one
    only the named leader holds: a cut-off broker goes on claiming it leads."""
    votes = Counter((s.leader, s.isr) for _, s in answers)

    def weight(key: tuple[int, list[int]]) -> tuple[int, bool]:
        return votes[key], any(node != key[0] for node, s in answers if (s.leader, s.isr) == key)

    best = max(votes, key=weight)
    return next(s for _, s in answers if (s.leader, s.isr) == best)


def agree(views: list[tuple[int, list[PartitionState]]]) -> list[PartitionState]:
    """Every partition's majority view (``majority_view``) from (answering node, its states) pairs."""
    return [majority_view([(node, s) for node, view in views for s in view if s.partition == pid])
            for pid in sorted({s.partition for _, view in views for s in view})]


def agreed_states(cluster, topic: str, with_offsets: bool = True, timeout_s: float = 3.0) -> list[PartitionState]:
    """Every partition's state as most running brokers report it.

    One broker's metadata may be stale (just resumed, or cut off and still claiming leadership), so
    neither a fault aimed at "the leader" nor a sampler may trust whichever broker happened to answer.
    Each broker is asked through its own new client, all at once; the epoch and high watermark then
    come from ListOffsets, asked of the agreed leader alone.
    """
    def view(b) -> list[PartitionState] | None:
        try:
            if b.status() != "running":
                return None
            return partition_states(cluster.admin_via(b.node_id), topic, False, timeout_s)
        except (KafkaException, KeyError):
            return None

    # All brokers at once: a sampler asking one after another fell to one sample every 2 to 5 s.
    with ThreadPoolExecutor(max_workers=max(len(cluster.brokers), 1), thread_name_prefix="observe") as pool:
        views = [(b.node_id, v) for b, v in zip(cluster.brokers, pool.map(view, cluster.brokers)) if v is not None]
    if not views:
        raise KafkaException(f"no broker answered for {topic}")
    agreed = agree(views)
    if not with_offsets:
        return agreed
    # ListOffsets through a new client that knows only the agreed leader, so the request cannot reach a
    # deposed leader that still answers with its old epoch and high watermark; leaders in parallel.
    by_leader: dict[int, list[int]] = {}
    for s in agreed:
        if s.leader >= 0:
            by_leader.setdefault(s.leader, []).append(s.partition)

    def offsets_from(leader: int) -> dict[int, tuple[int | None, int | None]]:
        try:
            admin = cluster.admin_via(leader)
            return latest_offsets(admin, topic, by_leader[leader], timeout_s)
        except (KafkaException, KeyError):
            return {}

    offsets: dict[int, tuple[int | None, int | None]] = {}
    with ThreadPoolExecutor(max_workers=max(len(by_leader), 1), thread_name_prefix="observe") as pool:
        for found in pool.map(offsets_from, by_leader):
            offsets.update(found)
    return [PartitionState(s.topic, s.partition, s.leader, s.replicas, s.isr, *offsets.get(s.partition, (None, None)))
            for s in agreed]


def agreed_state(cluster, topic: str, partition: int, with_offsets: bool = True) -> PartitionState:
    for s in agreed_states(cluster, topic, with_offsets):
        if s.partition == partition:
            return s
    raise KeyError(f"{topic}-{partition} does not exist")


_LEADER_ID = re.compile(r"^LeaderId:\s+(-?\d+)", re.MULTILINE)


QUORUM_STATE = "/var/lib/kafka-chaos/data/__cluster_metadata-0/quorum-state"
"""Each KRaft node's persisted Raft state: the leader (active controller) of the latest epoch it knows."""


def quorum_leader(cluster, exclude: set[int] | frozenset[int] = frozenset()) -> int | None:
    """The active controller as the nodes' own quorum-state files say: the leader of the highest epoch any
    running node (outside ``exclude``) knows a leader for; None when no file names one.

    Reading a file is a fraction of a second even on a loaded machine, where starting the quorum tool's JVM
    has taken 20 s (and held up every fault that avoids or aims at the controller)."""
    best: tuple[int, int] | None = None
    for broker in cluster.brokers:
        if broker.node_id in exclude:
            continue
        try:
            if broker.status() != "running":
                continue
            code, out = broker.exec(["cat", QUORUM_STATE])
            state = json.loads(out) if code == 0 else {}
        except Exception:
            continue
        epoch, leader = state.get("leaderEpoch"), state.get("leaderId")
        if isinstance(epoch, int) and isinstance(leader, int) and leader >= 0 and (best is None or epoch > best[0]):
            best = (epoch, leader)
    return best[1] if best else None


def active_controller(cluster, exclude: set[int] | frozenset[int] = frozenset()) -> int:
    """The active KRaft controller: from the nodes' quorum-state files, or else as the metadata quorum tool
    reports it (asked inside a running broker).

    ``exclude``: brokers not to ask (an isolated one only knows the controller it last heard of).
    """
    leader = quorum_leader(cluster, exclude)
    return leader if leader is not None else quorum_tool_leader(cluster, exclude)


def quorum_tool_leader(cluster, exclude: set[int] | frozenset[int] = frozenset()) -> int:
    """The active controller as ``kafka-metadata-quorum describe --status`` reports it, run inside the first
    running broker outside ``exclude`` that answers."""
    errors = []
    for broker in cluster.brokers:
        if broker.node_id in exclude:
            continue
        try:
            if broker.status() != "running":
                continue
            code, out = broker.exec(["/opt/kafka/bin/kafka-metadata-quorum.sh", "--bootstrap-controller",
                                     f"{broker.alias}:9093", "describe", "--status"])
        except Exception as exc:  # a paused or dying container
            errors.append(f"{broker.node_id}: {exc}")
            continue
        m = _LEADER_ID.search(out)
        if code == 0 and m and int(m.group(1)) >= 0:
            return int(m.group(1))
        errors.append(f"{broker.node_id}: exit {code}")
    raise RuntimeError(f"no broker reported an active controller ({'; '.join(errors)})")


def wait_for(probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.25) -> tuple[T | None, float]:
    """Call ``probe`` until it returns something other than None, or the deadline passes.

    Returns (value or None, seconds waited). Probe errors (a broker that does not answer) count as
    "not yet": observing a cluster under faults means many calls fail.
    """
    start = time.monotonic()
    retrying = Retrying(
        stop=stop_after_delay(timeout_s),
        wait=wait_fixed(interval_s),
        retry=retry_if_result(lambda v: v is None) | retry_if_exception_type((KafkaException, RuntimeError, KeyError)),
        retry_error_callback=lambda state: None,
    )
    value = retrying(probe)
    return value, time.monotonic() - start


def all_in_sync(admin: AdminClient, topic: str, with_offsets: bool = False) -> list[PartitionState] | None:
    """Every partition of ``topic`` when each has a leader and a full ISR; None otherwise (a wait_for probe)."""
    states = partition_states(admin, topic, with_offsets)
    return states if states and all(s.full_isr for s in states) else None
