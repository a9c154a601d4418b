"""A verified reset of a running cluster between two runs on it (a comparison's repeats): the next run must
find the cluster as a fresh one would be, or not run on it at all.

Verified: every broker container running (none paused or stopped), no iptables rule of the harness left in
any broker, every broker registered and a replicated probe topic with a full ISR (``wait_ready``), the
previous run's topics deleted and gone from every broker's metadata, and its consumer groups deleted and no
longer listed. Anything else is a problem, named in one line; the caller then starts a fresh cluster and
says so. (Transactional ids cannot be deleted; each run's are named after its own topic, so none is met
again.)
"""

from __future__ import annotations

import time

from harness.cluster.kraft import KafkaCluster
from harness.nemesis.core import leftover


def reset_cluster(cluster: KafkaCluster, topics: list[str], timeout_s: float = 60.0,
                  groups: list[str] = ()) -> list[str]:
    """Delete ``topics`` and ``groups`` and verify the cluster is clean; returns the problems found ([]: verified)."""
    problems: list[str] = []
    for b in cluster.brokers:
        try:
            if problem := leftover(b):
                problems.append(problem)
        except Exception as exc:
            problems.append(f"broker {b.node_id}: {type(exc).__name__}: {exc}")
    if problems:
        return problems
    try:
        cluster.wait_ready(timeout_s)
    except Exception as exc:
        return [f"not ready: {exc}"]
    if topics:
        for topic, future in cluster.admin.delete_topics(topics, operation_timeout=30).items():
            try:
                future.result()
            except Exception as exc:
                problems.append(f"topic {topic} not deleted: {exc}")
    deadline = time.monotonic() + timeout_s
    left = set(topics)
    while left and time.monotonic() < deadline:
        left = set()
        for b in cluster.brokers:  # each broker's own metadata cache
            try:
                known = cluster.admin_via(b.node_id).list_topics(timeout=5).topics
            except Exception as exc:
                left.add(f"(broker {b.node_id} did not answer: {type(exc).__name__})")
                continue
            left |= set(topics) & set(known)
        if left:
            time.sleep(0.5)
    if left:
        problems.append(f"still listed after {timeout_s:.0f} s: {', '.join(sorted(left))}")
    if groups:
        problems += _delete_groups(cluster.bootstrap_servers, list(groups))
    return problems


def _delete_groups(bootstrap: str, groups: list[str]) -> list[str]:
    """Delete the consumer groups (from a child process: see ``harness.observe.group_probe``)."""
    from harness.observe.group_probe import ask

    values, error = ask("delete", {"bootstrap": bootstrap, "group_ids": groups}, timeout_s=60.0)
    if error or not values or not isinstance(values[0], dict):
        return [f"consumer groups not deleted: {error or 'no answer'}"]
    answer = values[0]
    return [f"consumer group {g} not deleted: {e}" for g, e in sorted(answer.get("errors", {}).items())] + \
        [f"consumer group {g} still listed" for g in answer.get("left", [])]
