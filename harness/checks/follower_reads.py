"""follower_reads: were rack-aware readers served by their own rack's replica whenever one was in sync (KIP-392)?

Measured in time, from each rack reader's librdkafka statistics (per sample and partition: the broker it
fetched from, the leader) and the brokers' racks in the history. A reader is *off its rack* over the
time from a statistics sample naming a broker of another rack (a follower, or the leader) until its
next sample that does not (or its last sample): consecutive samples bound every stretch, so the
statistics interval is the stretch's resolution (``resolution_s``). Samples naming no broker (-1, none)
end a stretch and start none.

The time off its rack is cut by the partition's ISR over time: the controller's record (authoritative)
when the history holds it, the sampler's samples otherwise (``isr_source``). Off-rack time while a
replica in the reader's rack was in the ISR is a stretch; each stretch longer than ``OFF_RACK_GRACE_S``
counts. Off-rack time while no replica of its rack was in the ISR (the broker killed, paused, cut off)
is allowed and noted per reader (``off_rack_allowed_s``). A reader that never read from its rack is one
long stretch.

Undecided when the history names no broker racks, when a rack reader left no statistics, or when the
ISR over time of a partition it read is unknown (no controller record, no samples). Also noted: the
share of samples served by a same-rack follower, the leader or another broker, and after each leader
change how long until each reader's statistics showed the new leader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.checks.groups import GROUP_PREFIX
from harness.checks.result import CheckResult
from harness.history.loader import History
from harness.observe.controller import controller_timeline

NAME = "follower_reads"

OFF_RACK_GRACE_S = 10.0
"""How long a rack reader may be served off its rack while a replica of its rack is in the ISR.

Where the time goes, per the broker and librdkafka sources (KIP-392):
- the leader runs its replica selector (``RackAwareReplicaSelector``) on every consumer fetch, among
  the replicas in its ISR (``ReplicaManager.findPreferredReadReplica``), and answers with the preferred
  read replica; librdkafka moves to it at once (``rd_kafka_fetch_preferred_replica_handle``; a second
  move within 60 s only backs the next fetch off by ``fetch.error.backoff.ms``, 500 ms). So after an ISR
  rejoin a reader on the leader is back within one fetch (``fetch.wait.max.ms``, 500 ms);
- after a leader change, the first fetch error (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH) makes
  librdkafka refresh its metadata at once (retried every ``retry.backoff.ms``, 100 ms, up to 1 s), move
  to the new leader, which redirects it as above: a second or two;
- a killed, paused or cut-off replica of the reader's rack stays in the ISR until the controller fences
  it (``broker.session.timeout.ms``, 9 s by default); meanwhile the reader may fall back to the leader;
- statistics come every ``statistics.interval.ms`` (1 s) and, without the controller's record, the ISR
  is sampled every 1 s: up to a second more on either end.
The periodic ``topic.metadata.refresh.interval.ms`` (300 s) and librdkafka's fixed 5-minute preferred
replica lease play no part in moving back: a reader that waits for them was never redirected, which is
what this check is for. 10 s covers the fencing window plus a fetch and a sample, and is still far
below what a reader not redirected at all would show. A scenario that raises ``broker.session.timeout.ms``
above some 8 s may see stretches of a failing own-rack replica just over it.
"""

SWITCH_NOTES = 20
"""At most this many "switch after leader change" notes (the first ones); a long run has hundreds."""

OFF, ON, UNSERVED = 2, 1, 0


def follower_reads(history: History) -> CheckResult:
    stats = _not_group_members(history.fetch_stats())
    readers = _rack_readers(history, stats)
    if not readers:
        return CheckResult(NAME, 0, skipped="no follower reader (client.rack) ran")
    racks = history.brokers()
    if not any(r is not None for r in racks.values()):
        return CheckResult(NAME, 0, decided=False, notes={"reason": "the history names no broker racks"})

    reasons: list[str] = []
    rs = stats[stats["rack"].notna()] if not stats.empty else stats
    without = sorted(set(readers) - set(rs["process"] if not rs.empty else ()))
    if without:
        reasons.append(f"no statistics samples from rack reader(s) {', '.join(without)}")
    if rs.empty:
        return CheckResult(NAME, 0, decided=False, notes={"reason": "; ".join(reasons)})

    df = _samples(rs, racks)
    parts = sorted(set(zip(df["topic"], df["partition"])))
    steps, source, unknown = _own_rack_isr(history, racks, parts, sorted(set(df["rack"])))
    if unknown:
        reasons.append("ISR over time unknown (no controller record, no samples) for "
                       + ", ".join(f"{t}-{p}" for t, p in unknown))

    segs = _segments(df, steps)
    stretches, inside = _stretches(segs)
    over = stretches[stretches["seconds"] > OFF_RACK_GRACE_S]
    examples = _examples(over, inside, df)

    notes: dict[str, Any] = {}
    if reasons:
        notes["reason"] = "; ".join(reasons)
    notes.update({"isr_source": source, "grace_s": OFF_RACK_GRACE_S, "resolution_s": _resolution(df),
                  "per_reader": _per_reader(df, segs, stretches, over),
                  "share_of_samples": _shares(df),
                  **_switch_times(history, df)})
    found = [(e["reader"], e["topic"], e["partition"], e["start"], e["end"]) for e in examples]
    return CheckResult(NAME, len(examples), examples[:5], decided=not reasons, notes=notes, found=found)


# -- who reads by rack -------------------------------------------------------------------------------------


def _not_group_members(stats: pd.DataFrame) -> pd.DataFrame:
    """The statistics of every reader but consumer-group members (reader ``group:<id>``): a member fetches only
    the partitions the group gives it, and its statistics may name a broker for the others too, so its samples
    do not say where it read from. A member with ``client.rack`` is not judged here."""
    if stats.empty or "reader" not in stats:
        return stats
    member = stats["reader"].astype(object).str.startswith(GROUP_PREFIX, na=False).to_numpy(dtype=bool)
    return stats[~member] if member.any() else stats


def _rack_readers(history: History, stats: pd.DataFrame) -> dict[str, str]:
    """Every rack reader the history knows of, process -> rack: from its statistics, its polls, and the
    scenario (a rack reader that recorded nothing at all still ran)."""
    readers: dict[str, str] = {}
    if not stats.empty:
        with_rack = stats[stats["rack"].notna()].drop_duplicates("process")
        readers.update(zip(with_rack["process"], with_rack["rack"]))
    for op in history.ops:
        if op.f == "poll":
            reader = history.fields(op).get("reader") or ""
            if reader.startswith("rack:"):
                readers.setdefault(op.process, reader[len("rack:"):])
        elif op.f == "run":
            consumers = (((op.value or {}).get("scenario") or {}).get("workload") or {}).get("consumers") or []
            for i, spec in enumerate(consumers):  # named as harness.run.runner names them
                if isinstance(spec, dict) and spec.get("rack"):
                    readers.setdefault(f"consumer-{i}-{spec['rack']}", spec["rack"])
    return readers


def _samples(rs: pd.DataFrame, racks: dict[int, str | None]) -> pd.DataFrame:
    """The rack readers' samples, sorted per (reader, topic, partition), each ON, OFF or UNSERVED."""
    df = rs[["process", "rack", "topic", "partition", "time", "leader", "broker"]].copy()
    df["partition"] = df["partition"].astype("int64")
    df = df.sort_values(["process", "topic", "partition", "time"], kind="stable").reset_index(drop=True)
    broker = pd.to_numeric(df["broker"], errors="coerce")
    df["broker"] = broker
    df["leader"] = pd.to_numeric(df["leader"], errors="coerce")
    known = broker.isin([float(n) for n in racks])
    on = known & (broker.map({float(n): r for n, r in racks.items()}) == df["rack"])
    df["state"] = np.where(on, ON, np.where(known, OFF, UNSERVED))
    df["gid"] = df.groupby(["process", "topic", "partition"], sort=True).ngroup()
    return df


# -- the ISR over time, as "which replicas of the reader's rack were in it" -------------------------------


def _own_rack_isr(history: History, racks: dict[int, str | None], parts: list[tuple[str, int]],
                  reader_racks: list[str]) -> tuple[pd.DataFrame, str, list[tuple[str, int]]]:
    """Per (topic, partition, reader rack): the times the own-rack members of the ISR changed, and
    which they became (``own``, a sorted tuple; empty: none in the ISR). From the controller's record
    for the partitions it has (with times), from the samples for the others. Also the source, and the
    partitions neither knows."""
    wanted = set(parts)
    rows: list[tuple] = []
    from_controller: set[tuple[str, int]] = set()
    timeline = controller_timeline(history)
    if timeline.read:
        for c in timeline.partitions:
            if c.time is not None and (c.topic, c.partition) in wanted:
                from_controller.add((c.topic, c.partition))
                rows.extend((c.topic, c.partition, r, float(c.time), _own(c.after.isr, racks, r))
                            for r in reader_racks)
    rest = wanted - from_controller
    from_samples: set[tuple[str, int]] = set()
    if rest:
        samples = history.samples()
        if not samples.empty:
            last: dict[tuple[str, int], tuple[int, ...]] = {}
            for t, p, time, isr in zip(samples["topic"].to_numpy(), samples["partition"].to_numpy(),
                                       samples["time"].to_numpy(), samples["isr"].to_numpy()):
                key = (t, int(p))
                isr = tuple(isr) if isinstance(isr, (list, tuple)) else ()
                if key not in rest or last.get(key) == isr:
                    continue  # the ISR changes a handful of times per fault: only those count
                last[key] = isr
                from_samples.add(key)
                rows.extend((t, key[1], r, float(time), _own(isr, racks, r)) for r in reader_racks)
    steps = pd.DataFrame(rows, columns=["topic", "partition", "rack", "time", "own"])
    if not steps.empty:
        steps = steps.sort_values(["topic", "partition", "rack", "time"], kind="stable")
        key = steps["topic"] + "\0" + steps["partition"].astype(str) + "\0" + steps["rack"]
        own = steps["own"].map(str)
        changed = (key != key.shift()) | (own != own.shift())
        steps = steps[changed].reset_index(drop=True)  # only the changes: a handful per fault
    source = ("controller" if not from_samples else "samples" if not from_controller else
              "controller; samples for " + ", ".join(f"{t}-{p}" for t, p in sorted(from_samples)))
    if not from_controller and not from_samples:
        source = "none"
    return steps, source, sorted(wanted - from_controller - from_samples)


def _own(isr, racks: dict[int, str | None], rack: str) -> tuple[int, ...]:
    return tuple(sorted(n for n in (isr if isinstance(isr, (list, tuple)) else ()) if racks.get(n) == rack))


# -- segments and stretches --------------------------------------------------------------------------------


def _segments(df: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Each reader-partition's time cut at its samples and at the ISR changes between them: per segment
    its start ``time``, ``end``, the sample state in force, and the own-rack ISR in force (``own``, NaN
    while unknown)."""
    cols = ["gid", "time", "state", "broker", "leader"]
    bp = df[cols].assign(sample=1)
    if not steps.empty:
        groups = df.groupby("gid").agg(process=("process", "first"), rack=("rack", "first"),
                                       topic=("topic", "first"), partition=("partition", "first"),
                                       t0=("time", "min"), t1=("time", "max")).reset_index()
        cuts = groups.merge(steps[["topic", "partition", "rack", "time"]], on=["topic", "partition", "rack"])
        cuts = cuts[(cuts["time"] > cuts["t0"]) & (cuts["time"] < cuts["t1"])]
        if not cuts.empty:
            bp = pd.concat([bp, cuts[["gid", "time"]].assign(sample=0)], ignore_index=True)
    bp = bp.sort_values(["gid", "time", "sample"], ascending=[True, True, False], kind="stable")
    bp[["state", "broker", "leader"]] = bp[["state", "broker", "leader"]].ffill()  # a group opens with a sample
    bp = bp.reset_index(drop=True)
    meta = df.drop_duplicates("gid").set_index("gid")[["process", "rack", "topic", "partition"]]
    bp = bp.join(meta, on="gid")
    if steps.empty:
        bp["own"] = None
    else:
        bp["_order"] = np.arange(len(bp))
        bp = pd.merge_asof(bp.sort_values("time", kind="stable"),
                           steps.sort_values("time", kind="stable").rename(columns={"time": "_at"}),
                           left_on="time", right_on="_at", by=["topic", "partition", "rack"],
                           direction="backward")
        bp = bp.sort_values("_order").drop(columns=["_order", "_at"]).reset_index(drop=True)
    same = bp["gid"].shift(-1) == bp["gid"]
    bp["end"] = np.where(same, bp["time"].shift(-1), bp["time"])
    bp["dur"] = bp["end"] - bp["time"]
    known = bp["own"].notna()
    in_isr = known & np.array([bool(o) if isinstance(o, tuple) else False for o in bp["own"]], dtype=bool)
    off = bp["state"] == OFF
    bp["bad"] = off & in_isr
    bp["allowed"] = off & known & ~in_isr
    bp["unknown"] = off & ~known
    return bp


def _stretches(segs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs of consecutive off-rack segments while an own-rack replica was in the ISR (``run``, its
    reader-partition ``gid``, ``start``, ``end``, ``seconds``), and those segments with their run."""
    bad = segs["bad"]
    opens = bad & ~(bad.shift(fill_value=False) & (segs["gid"].shift() == segs["gid"]))
    inside = segs[bad].assign(run=opens.cumsum()[bad])
    if inside.empty:
        return pd.DataFrame(columns=["run", "gid", "process", "start", "end", "seconds"]), inside
    out = inside.groupby("run").agg(gid=("gid", "first"), process=("process", "first"), start=("time", "min"),
                                    end=("end", "max")).reset_index()
    out["seconds"] = out["end"] - out["start"]
    return out, inside


def _examples(over: pd.DataFrame, inside: pd.DataFrame, df: pd.DataFrame) -> list[dict[str, Any]]:
    """Every stretch over the grace, oldest first, as plain dicts: who served it, the leaders, and the
    replica(s) of the reader's rack in the ISR when it began."""
    if over.empty:
        return []
    over = over.sort_values(["start", "process"], kind="stable")
    meta = df.drop_duplicates("gid").set_index("gid")
    inside = inside[inside["run"].isin(set(over["run"]))]
    served = inside.groupby("run")["broker"].agg(lambda s: sorted({int(v) for v in s.dropna()}))
    leaders = inside.groupby("run")["leader"].agg(lambda s: sorted({int(v) for v in s.dropna() if v >= 0}))
    own = inside.groupby("run")["own"].first()
    out = []
    for r in over.itertuples(index=False):
        m = meta.loc[r.gid]
        out.append({"reader": r.process, "rack": m["rack"], "topic": m["topic"], "partition": int(m["partition"]),
                    "start": round(float(r.start), 3), "end": round(float(r.end), 3),
                    "seconds": round(float(r.seconds), 2), "served_by": served[r.run], "leader": leaders[r.run],
                    "own_rack_replica": [int(n) for n in own[r.run]]})
    return out


# -- notes -------------------------------------------------------------------------------------------------


def _resolution(df: pd.DataFrame) -> float | None:
    """The statistics interval: the median time between a reader's consecutive samples of a partition."""
    gaps = df["time"].diff()[df["gid"].shift() == df["gid"]]
    return round(float(gaps.median()), 2) if len(gaps) else None


def _per_reader(df: pd.DataFrame, segs: pd.DataFrame, stretches: pd.DataFrame,
                over: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per reader (all partitions summed): off-rack time while an own-rack replica was in the ISR, off-rack
    time while none was (allowed), the longest stretch, the stretches over the grace."""
    totals = pd.DataFrame({"process": segs["process"], "off_rack_s": segs["dur"].where(segs["bad"], 0.0),
                           "off_rack_allowed_s": segs["dur"].where(segs["allowed"], 0.0),
                           "isr_unknown_s": segs["dur"].where(segs["unknown"], 0.0)}).groupby("process").sum()
    longest = stretches.groupby("process")["seconds"].max() if not stretches.empty else pd.Series(dtype=float)
    counted = over.groupby("process").size() if not over.empty else pd.Series(dtype=int)
    show_unknown = bool((totals["isr_unknown_s"] > 0).any())
    out = {}
    for process, rack in df.drop_duplicates("process")[["process", "rack"]].itertuples(index=False):
        t = totals.loc[process]
        row = {"rack": rack, "off_rack_s": round(float(t["off_rack_s"]), 2),
               "off_rack_allowed_s": round(float(t["off_rack_allowed_s"]), 2),
               "longest_off_rack_s": round(float(longest.get(process, 0.0)), 2),
               "stretches_over_grace": int(counted.get(process, 0))}
        if show_unknown:
            row["isr_unknown_s"] = round(float(t["isr_unknown_s"]), 2)
        out[process] = row
    return out


def _shares(df: pd.DataFrame) -> dict[str, dict[str, float]]:
    served = df[df["state"] != UNSERVED]
    label = np.where(served["broker"] == served["leader"], "leader",
                     np.where(served["state"] == ON, "same-rack follower", "other broker"))
    shares = pd.Series(label, index=served.index).groupby(served["process"]).value_counts(normalize=True)
    out: dict[str, dict[str, float]] = {}
    for (process, what), v in shares.items():
        out.setdefault(process, {})[what] = round(float(v), 3)
    return out


def _switch_times(history: History, df: pd.DataFrame) -> dict[str, Any]:
    """After each leader change, how long until each reader's statistics named the new leader (the first
    ``SWITCH_NOTES``; ``switch_after_leader_change_more`` counts the rest)."""
    from harness.observe.leadership import leader_changes

    served = df[df["state"] != UNSERVED]
    times = {k: g["time"].to_numpy() for k, g in served.groupby(["topic", "partition", "leader"])}
    procs = {k: g["process"].to_numpy() for k, g in served.groupby(["topic", "partition", "leader"])}
    out = []
    for change in leader_changes(history):
        if change.get("time") is None or change["to"] is None or change["to"] < 0:
            continue
        key = (change["topic"], int(change["partition"]), float(change["to"]))
        if key not in times:
            continue
        t, p = times[key], procs[key]
        later = t >= change["time"]
        for process in sorted(set(p[later])):
            first = t[later & (p == process)].min()
            out.append({"reader": process, "partition": change["partition"], "leader_to": change["to"],
                        "after_s": round(float(first - change["time"]), 2)})
    notes: dict[str, Any] = {"switch_after_leader_change_s": out[:SWITCH_NOTES]}
    if len(out) > SWITCH_NOTES:
        notes["switch_after_leader_change_more"] = len(out) - SWITCH_NOTES
    return notes
