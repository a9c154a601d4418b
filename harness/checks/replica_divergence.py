"""replica_divergence: the replicas of a partition hold different records at the same offset.

Kafka promises that once the cluster is healed and every replica is back in the ISR, all replicas of a
partition hold the same records at the same offsets up to the high watermark: a follower truncates to
the leader's log (by leader epoch) before it fetches again, and only records every in-sync replica holds
are committed. The log autopsy (``replica_log`` ops, read after the final read with the full ISR back)
records each replica's log, so this check compares them offset by offset on the range every replica
holds (from the largest log start to the smallest last offset). Any difference there is either a Kafka
bug or a harness bug (the autopsy read or parsed a log wrongly); the examples say which records differ,
on which node, with the leader epoch of the batch that wrote each.

Logs that end at different offsets are lag (a follower that had not fetched the last records when it was
read), not divergence: they are a note. A history without the autopsy (older runs) is skipped; a replica
whose log could not be read leaves the check undecided.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.history.loader import History
from harness.history.ops import OpType

NAME = "replica_divergence"


def replica_divergence(history: History) -> CheckResult:
    ops = history.by_f("replica_log")
    if not ops:
        return CheckResult(NAME, 0, skipped="the history has no replica logs (it predates the log autopsy, or the "
                                            "autopsy did not run)")
    unread = history.replica_logs_unread()
    replicas: dict[tuple[str, int], list[int]] = {}
    for op in ops:
        if op.type is OpType.OK:
            v = history.fields(op)  # not the records: a loaded history keeps them in its tables
            replicas.setdefault((v["topic"], v["partition"]), []).append(v["node"])
    replicas = {key: sorted(set(nodes)) for key, nodes in replicas.items()}
    logs = history.replica_logs()

    extents = logs.groupby(["topic", "partition", "node"], sort=True)["offset"].agg(["min", "max"])
    ranges, lag = _common_ranges(replicas, extents)
    divergent, compared = _divergent_offsets(logs, ranges)

    examples = [_example(logs, replicas[(t, p)], t, p, o) for t, p, o in divergent[:MAX_EXAMPLES]]
    notes: dict[str, Any] = {"partitions_compared": sum(1 for nodes in replicas.values() if len(nodes) > 1),
                             "offsets_compared": compared}
    single = sorted(f"{t}-{p}" for (t, p), nodes in replicas.items() if len(nodes) == 1)
    if single:
        notes["single_replica"] = single
    if lag:
        notes["lag"] = lag
    if unread:
        notes["unread"] = [f"node {node}: " + (f"{topic}-{partition}" if partition is not None
                                               else f"every partition of {topic}") + (f" ({error})" if error else "")
                           for node, topic, partition, error in unread]
    return CheckResult(NAME, len(divergent), examples, decided=not unread, notes=notes, found=divergent)


def _common_ranges(replicas: dict[tuple[str, int], list[int]], extents: pd.DataFrame
                   ) -> tuple[dict[tuple[str, int], tuple[int, int, int]], list[dict[str, Any]]]:
    """Per partition with two replicas or more, the offsets every replica holds (first, last) and the number
    of replicas, and the partitions whose replicas' logs end at different offsets."""
    ranges: dict[tuple[str, int], tuple[int, int, int]] = {}
    lag: list[dict[str, Any]] = []
    for (topic, partition), nodes in sorted(replicas.items()):
        if len(nodes) < 2:
            continue
        ends: dict[int, int | None] = {}
        starts: list[int] = []
        for node in sorted(nodes):
            key = (topic, partition, node)
            if key in extents.index:
                starts.append(int(extents.at[key, "min"]))
                ends[node] = int(extents.at[key, "max"])
            else:
                ends[node] = None  # an empty log
        if len(set(ends.values())) > 1:
            lag.append({"topic": topic, "partition": partition,
                        "last_offsets": {str(n): e for n, e in ends.items()}})
        if len(starts) == len(nodes):
            first, last = max(starts), min(e for e in ends.values() if e is not None)
            if first <= last:
                ranges[(topic, partition)] = (first, last, len(nodes))
    return ranges, lag


def _divergent_offsets(logs: pd.DataFrame, ranges: dict[tuple[str, int], tuple[int, int, int]]
                       ) -> tuple[list[tuple[str, int, int]], int]:
    """The (topic, partition, offset) in the common ranges where the replicas disagree, and how many offsets
    were compared. An offset disagrees when its replicas hold different values or some replica lacks it;
    an offset no replica holds (a transaction marker, a compacted record) is not compared."""
    if not ranges:
        return [], 0
    bounds = pd.DataFrame([(t, p, lo, hi, n) for (t, p), (lo, hi, n) in ranges.items()],
                          columns=["topic", "partition", "lo", "hi", "replicas"])
    rows = logs.merge(bounds, on=["topic", "partition"])
    rows = rows[(rows["offset"] >= rows["lo"]) & (rows["offset"] <= rows["hi"])]
    codes, _ = pd.factorize(rows["value"].to_numpy(dtype=object))  # None (a tombstone) is -1: a value of its own
    per_offset = pd.DataFrame({"topic": rows["topic"].to_numpy(), "partition": rows["partition"].to_numpy(),
                               "offset": rows["offset"].to_numpy(), "code": codes,
                               "replicas": rows["replicas"].to_numpy()}).groupby(
        ["topic", "partition", "offset"], sort=True).agg(held=("code", "size"), lo=("code", "min"),
                                                         hi=("code", "max"), replicas=("replicas", "first"))
    bad = per_offset[(per_offset["held"] < per_offset["replicas"]) | (per_offset["lo"] != per_offset["hi"])]
    return [(str(t), int(p), int(o)) for t, p, o in bad.index], len(per_offset)


def _example(logs: pd.DataFrame, nodes: list[int], topic: str, partition: int, offset: int) -> dict[str, Any]:
    at = logs[(logs["topic"] == topic) & (logs["partition"] == partition) & (logs["offset"] == offset)]
    held = {int(n): (v, int(e)) for n, v, e in zip(at["node"], at["value"], at["leader_epoch"])}
    return {"topic": topic, "partition": partition, "offset": offset,
            "replicas": [{"node": n, "value": held[n][0], "leader_epoch": held[n][1]} if n in held else
                         {"node": n, "missing": True} for n in sorted(nodes)]}

