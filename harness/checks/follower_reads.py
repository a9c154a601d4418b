"""follower_reads: were rack-aware readers really served by their own rack's replica (KIP-392)?

From each follower reader's librdkafka statistics (``broker`` = who it fetched from, ``leader``), with
the racks of the brokers from the history: the share of samples served by a same-rack follower, by
the leader, or by another broker. The count is the (reader, partition) pairs that never fetched from
their rack's replica although, per the sampler, that replica was in sync at the time.
Also noted: after each leader change, how long until each reader's statistics showed the new leader.
"""

from __future__ import annotations

import pandas as pd

from harness.checks.result import CheckResult
from harness.history.loader import History

WARMUP_S = 3.0
"""A reader's first fetches go to the leader, which then redirects it; samples this early do not count."""


def follower_reads(history: History) -> CheckResult:
    stats = history.fetch_stats()
    if stats.empty or stats["rack"].isna().all():
        return CheckResult("follower_reads", 0, skipped="no follower reader (client.rack) ran")
    racks = history.brokers()
    stats = stats[stats["rack"].notna() & stats["broker"].notna() & (stats["broker"] >= 0)].copy()
    stats["broker_rack"] = stats["broker"].map(racks)
    stats["served_by"] = "other broker"
    stats.loc[stats["broker"] == stats["leader"], "served_by"] = "leader"
    stats.loc[(stats["broker"] != stats["leader"]) & (stats["broker_rack"] == stats["rack"]),
              "served_by"] = "same-rack follower"
    stats["from_own_rack"] = stats["broker_rack"] == stats["rack"]
    stats = _with_rack_replica_in_sync(history, stats, racks)

    first = stats.groupby("process")["time"].transform("min")
    settled = stats[stats["time"] >= first + WARMUP_S]
    never = []
    for (process, topic, partition), grp in settled.groupby(["process", "topic", "partition"]):
        if grp["rack_replica_in_sync"].any() and not grp["from_own_rack"].any():
            never.append({"reader": process, "rack": grp["rack"].iloc[0], "topic": topic, "partition": int(partition),
                          "served_by": sorted(set(grp["served_by"])), "samples": int(len(grp))})
    shares = {process: {k: round(float(v), 3) for k, v in grp["served_by"].value_counts(normalize=True).items()}
              for process, grp in settled.groupby("process")}
    return CheckResult("follower_reads", len(never), never,
                       notes={"share_of_samples": shares, "switch_after_leader_change_s": _switch_times(history,
                                                                                                        stats)})


def _with_rack_replica_in_sync(history: History, stats: pd.DataFrame, racks: dict[int, str]) -> pd.DataFrame:
    samples = history.samples()
    if samples.empty:
        return stats.assign(rack_replica_in_sync=True)  # no sampler: assume it was, so a miss still counts
    samples = samples.sort_values("time")[["time", "topic", "partition", "isr"]].astype({"partition": "int64"})
    joined = pd.merge_asof(stats.sort_values("time").astype({"partition": "int64"}), samples, on="time",
                           by=["topic", "partition"], direction="backward")
    joined["rack_replica_in_sync"] = [isinstance(isr, list) and any(racks.get(n) == rack for n in isr)
                                      for isr, rack in zip(joined["isr"], joined["rack"])]
    return joined.drop(columns=["isr"])


def _switch_times(history: History, stats: pd.DataFrame) -> list[dict]:
    from harness.observe.leadership import leader_changes

    out = []
    for change in leader_changes(history):
        rows = stats[(stats["topic"] == change["topic"]) & (stats["partition"] == change["partition"])
                     & (stats["time"] >= change["time"]) & (stats["leader"] == change["to"])]
        for process, grp in rows.groupby("process"):
            out.append({"reader": process, "partition": change["partition"], "leader_to": change["to"],
                        "after_s": round(float(grp["time"].min() - change["time"]), 2)})
    return out
