"""Plots of a run, drawn from its history and its report model (PNG files, for report.html, report.md
and CI pages). Figures that a check decides come from the check's result, fault windows from the model,
and every time axis counts from the start of the workload.

- ``timeline.png``: sends per second by outcome (the writes the lost_writes check found lost shown
  apart, as "ok, then lost"), and acknowledgement latency p50 / p99, with every fault window shaded
  and labelled;
- ``partitions.png``: per partition, the leader, ISR size, leader epoch and high watermark over time. With
  the controller's metadata log in the history, leader, ISR size and epoch are its record, drawn as step
  functions (every change, no sampling gaps) and the high watermark comes from the samples; without it,
  all four come from the 1 s samples. No leader (-1) is a gap;
- ``follower_reads.png``: for each rack-aware reader, which broker served each partition over time;
- ``groups.png`` (runs with consumer groups): per group, one row per member (a replacement on its
  predecessor's row), the partitions it held over time from its rebalance callbacks (one lane per
  partition), its kills (×) and pauses (hatched), the coordinator's moves, fault windows shaded;
- ``transactions.png`` (runs with transactions): the transactions open at each moment (begun, not yet
  completed) per producer, and, as a consumer of committed data saw them in its statistics, each
  partition's last stable offset beside its high watermark and the gap between them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from harness.history.loader import History  # noqa: E402
from harness.history.ops import OpType  # noqa: E402
from harness.observe.controller import controller_timeline  # noqa: E402
from harness.report.groups import SAMPLE_GAP_S, GroupSection, replacement_of  # noqa: E402
from harness.report.model import Fault, Report, build_model  # noqa: E402

COLOURS = {"ok": "#2a9d8f", "ok, then lost": "#9b2226", "info": "#e9c46a", "fail": "#e76f51",
           "unanswered": "#6c757d"}
FAULT_COLOUR = "#e76f51"


def _shade_faults(ax, faults: list[Fault], label: bool) -> None:
    """Shade each fault's window behind the data; labels step down in rows so neighbours don't overlap."""
    for i, f in enumerate(f for f in faults if f.start is not None):
        end = f.end if f.end is not None else ax.get_xlim()[1]
        ax.axvspan(f.start, end, color=FAULT_COLOUR, alpha=0.12, lw=0, zorder=0)
        if label:
            ax.text(f.start, 1.0 - 0.08 * (i % LABEL_ROWS), f" {f.kind} {f.target} → {f.nodes_text}",
                    transform=ax.get_xaxis_transform(), fontsize=7, va="top", ha="left", color="#9b2226",
                    clip_on=True, zorder=3, bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 0.5})


LABEL_ROWS = 4


def _finish(fig, bottom_ax, title: str, path: Path) -> Path:
    bottom_ax.set_xlabel("seconds since the workload started")
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _origin(report: Report) -> float:
    return report.workload_start or 0.0


def timeline(history: History, report: Report, path: Path) -> Path | None:
    sends = history.sends()
    if sends.empty:
        return None
    faults = report.faults
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True, constrained_layout=True)
    outcome = sends["outcome"].fillna("unanswered")
    lost_check = report.checks.get("lost_writes")
    lost = lost_check.result.found if lost_check is not None else []
    if lost:  # the writes the lost_writes check found lost, where they were sent
        keys = pd.MultiIndex.from_arrays([sends["topic"], sends["value"]])
        outcome = outcome.where(~((outcome == "ok").to_numpy() & keys.isin(lost)), "ok, then lost")
    invoked = sends["invoke_time"].fillna(sends["complete_time"]).astype(float) - _origin(report)
    second = invoked.floordiv(1)  # the two columns needed, not a copy of every send's row
    per_second = pd.DataFrame({"second": second, "outcome": outcome}).groupby(["second", "outcome"]).size() \
        .unstack(fill_value=0)
    acked = outcome.isin(["ok", "ok, then lost"]).to_numpy(dtype=bool)  # every acknowledged send
    bottom = None
    for outcome in COLOURS:
        if outcome in per_second:
            ax1.bar(per_second.index, per_second[outcome], width=1.0, bottom=bottom, color=COLOURS[outcome],
                    label=outcome, align="edge", zorder=2)
            bottom = per_second[outcome] if bottom is None else bottom + per_second[outcome]
    ax1.set_ylabel("sends / s (by invoke time)")
    ax1.legend(loc="upper right", fontsize=8, ncol=4)
    _shade_faults(ax1, faults, label=True)

    if acked.any():
        lat = pd.DataFrame({"second": second[acked],
                            "ms": ((sends["complete_time"] - sends["invoke_time"]) * 1000)[acked]})
        q = lat.groupby("second")["ms"].quantile([0.5, 0.99]).unstack()
        ax2.plot(q.index + 0.5, q[0.5], label="p50", color="#264653")
        ax2.plot(q.index + 0.5, q[0.99], label="p99", color="#e76f51")
        ax2.set_yscale("log")
        ax2.legend(loc="upper right", fontsize=8)
    ax2.set_ylabel("ack latency (ms)")
    _shade_faults(ax2, faults, label=False)
    return _finish(fig, ax2, "Workload: throughput and latency, faults shaded", path)


PANELS = [("leader", "leader (node id)"), ("isr_size", "ISR size"), ("epoch", "leader epoch"),
          ("hwm", "high watermark")]


def _controller_states(history: History, report: Report, begin: float = 0.0) -> pd.DataFrame:
    """The controller's record of each partition of the run's topic as rows (time from the workload start,
    topic, partition, leader, isr_size, epoch), one per change from ``begin`` on (the state at ``begin``
    first), each state carried on to the end of the history; empty without the record."""
    tl = controller_timeline(history)
    if not tl.read:
        return pd.DataFrame()
    rows = [{"time": c.time - _origin(report), "topic": c.topic, "partition": c.partition, "leader": c.after.leader,
             "isr_size": len(c.after.isr), "epoch": c.after.leader_epoch}
            for c in tl.partitions if c.time is not None and (report.topic is None or c.topic == report.topic)]
    if not rows:
        return pd.DataFrame()
    states = pd.DataFrame(rows)
    end = max(float(states["time"].max()), (history.ops[-1].time - _origin(report)) if history.ops else 0.0)
    before = states[states["time"] <= begin].groupby(["topic", "partition"], as_index=False).last()
    first = before.assign(time=begin)  # the topic was created before the workload: start the lines with it
    last = states.groupby(["topic", "partition"], as_index=False).last().assign(time=end)
    return pd.concat([first, states[states["time"] > begin], last], ignore_index=True)


def _series(frame: pd.DataFrame, col: str):
    """(label, times, values) per partition; negative values (-1: no leader, -1001: no offset) become gaps."""
    if frame.empty or col not in frame:
        return
    for (topic, partition), grp in frame.groupby(["topic", "partition"]):
        values = pd.to_numeric(grp[col], errors="coerce")
        yield f"{topic}-{partition}", grp["time"], values.where(values >= 0)


def partitions(history: History, report: Report, path: Path) -> Path | None:
    samples = history.samples()
    begin = min(0.0, float(samples["time"].min()) - _origin(report)) if not samples.empty else 0.0
    recorded = _controller_states(history, report, begin)
    if samples.empty and recorded.empty:
        return None
    faults = report.faults
    if not samples.empty:
        samples = samples.assign(isr_size=samples["isr"].map(len), time=samples["time"] - _origin(report))
        if report.topic is not None:
            samples = samples[samples["topic"] == report.topic]
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(11, 8), sharex=True, constrained_layout=True)
    colours: dict[str, str] = {}
    for ax, (col, label) in zip(axes, PANELS):
        source = samples if recorded.empty or col == "hwm" else recorded
        for name, times, values in _series(source, col):
            line, = ax.step(times, values, where="post", label=name, lw=1.3, color=colours.get(name))
            colours.setdefault(name, line.get_color())
        ax.set_ylabel(label, fontsize=9)  # the source is in the title: a longer label collapses the layout
        _shade_faults(ax, faults, label=ax is axes[0])
    if not recorded.empty:  # mark where a partition had no leader (at the panel's foot): a gap is easy to miss
        for name, times, values in _series(recorded, "leader"):
            gaps = times[values.isna()]
            if len(gaps):
                axes[0].plot(gaps, [0.04] * len(gaps), "x", color=colours.get(name), ms=7, mew=2,
                             transform=axes[0].get_xaxis_transform())
    axes[0].legend(loc="upper right", fontsize=8, ncol=4)
    for ax in axes[:3]:  # node ids, ISR sizes and epochs are whole numbers
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        low, high = ax.dataLim.y0, ax.dataLim.y1
        if math.isfinite(low) and math.isfinite(high) and high - low < 4:
            # a series of few values: half a step of room, so no line runs along the frame
            ax.set_ylim(low - 0.5, high + 0.5)
    title = ("Partition state as most brokers report it (a gap: no leader)" if recorded.empty else
             "Partition state as the controller recorded it; high watermark sampled (a gap, ×: no leader)")
    return _finish(fig, axes[-1], title, path)


def follower_reads(history: History, report: Report, path: Path) -> Path | None:
    stats = history.fetch_stats()
    if stats.empty or stats["rack"].isna().all():
        return None
    stats = stats[stats["rack"].notna()]
    stats = stats.assign(time=stats["time"] - _origin(report))
    racks = history.brokers()
    readers = sorted(stats["process"].unique())
    fig, axes = plt.subplots(len(readers), 1, figsize=(11, 2.4 * len(readers)), sharex=True, squeeze=False,
                             constrained_layout=True)
    faults = report.faults
    for ax, reader in zip(axes[:, 0], readers):
        grp = stats[stats["process"] == reader]
        rack = grp["rack"].iloc[0]
        for partition, part in grp.groupby("partition"):
            served = pd.to_numeric(part["broker"], errors="coerce")
            ax.step(part["time"], served.where(served >= 0), where="post", lw=1.6, label=f"p{partition} served by")
            leader = pd.to_numeric(part["leader"], errors="coerce")
            ax.step(part["time"], leader.where(leader >= 0), where="post", lw=1, ls="--", alpha=0.6,
                    label=f"p{partition} leader")  # -1 (no leader) is a gap
        same = [n for n, r in racks.items() if r == rack]
        ax.set_title(f"{reader} (client.rack={rack}; own-rack broker(s): {same})", fontsize=9, loc="left")
        ax.set_ylabel("broker")
        ax.set_yticks(sorted(racks) or sorted(set(grp["broker"].dropna())))
        ax.legend(loc="upper right", fontsize=7, ncol=4)
        _shade_faults(ax, faults, label=False)
    return _finish(fig, axes[-1, 0], "Follower readers: which broker served each partition", path)


def _history_end(history: History, report: Report) -> float:
    return (history.ops[-1].time - _origin(report)) if history.ops else 0.0


def _draw_group(ax, g: GroupSection, end: float, faults: list[Fault], label: bool) -> None:
    """One group's members (rows) and the partitions each held (lanes within a row)."""
    rows = sorted({m.member for m in g.members} | {h.member for h in g.held})
    row_of = {m: i for i, m in enumerate(rows)}
    partitions = sorted({h.partition for h in g.held}) or [0]
    lane = 0.8 / len(partitions)
    colours = plt.get_cmap("tab10")
    for h in g.held:
        y = row_of[h.member] - 0.4 + partitions.index(h.partition) * lane
        stop = h.end if h.end is not None else end
        ax.broken_barh([(h.start, max(stop - h.start, 0.05))], (y, lane * 0.9),
                       color=colours(partitions.index(h.partition) % 10), zorder=2)
    for m in g.members:
        y = row_of[m.member]
        if m.start is not None and replacement_of(m.process):  # a replacement starts
            ax.plot([m.start, m.start], [y - 0.45, y + 0.45], color="#333", lw=1, zorder=3)
            ax.text(m.start, y + 0.45, f" r{replacement_of(m.process)}", fontsize=7, va="bottom", color="#333")
        if m.ended_by == "killed" and m.end is not None:
            ax.plot([m.end], [y], "x", color="#9b2226", ms=9, mew=2, zorder=4)
        for w in m.paused:
            stop = w["end"] if w["end"] is not None else end
            ax.broken_barh([(w["start"], stop - w["start"])], (y - 0.45, 0.9), facecolor="none", edgecolor="#555",
                           hatch="//", lw=0.5, zorder=3)
    for c in g.coordinator_changes[1:]:
        if c.last_seen_time is not None and c.time - c.last_seen_time > SAMPLE_GAP_S:  # somewhere in between
            ax.axvspan(c.last_seen_time, c.time, color="#264653", alpha=0.07, lw=0, zorder=1)
        ax.axvline(c.time, color="#264653", ls="--", lw=1.2, zorder=3)
        ax.text(c.time, 0.02, f" coordinator {c.from_node} → {c.to_node}", transform=ax.get_xaxis_transform(),
                fontsize=7, color="#264653", va="bottom", zorder=4,
                bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 0.5})
    ax.set_yticks(range(len(rows)), [f"member {m}" for m in rows], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_title(f"{g.id} ({g.protocol or '?'} protocol, {g.commit or '?'} commit)", fontsize=9, loc="left")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours(i % 10)) for i in range(len(partitions))]
    ax.legend(handles, [f"p{p}" for p in partitions], loc="upper right", fontsize=7, ncol=len(partitions))
    _shade_faults(ax, faults, label=label)


def groups(history: History, report: Report, path: Path) -> Path | None:
    shown = [g for g in report.groups if g.members or g.held]
    if not shown:
        return None
    # to the groups' last event (the history goes on with the final read)
    times = [t for g in shown for t in [*(h.end for h in g.held), *(m.end for m in g.members)] if t is not None]
    end = max(times) + 1.0 if times else _history_end(history, report)
    heights = [0.9 + 0.55 * len({m.member for m in g.members}) for g in shown]
    fig, axes = plt.subplots(len(shown), 1, figsize=(11, 1.2 + sum(heights)), sharex=True, squeeze=False,
                             constrained_layout=True, gridspec_kw={"height_ratios": heights})
    for i, (ax, g) in enumerate(zip(axes[:, 0], shown)):
        _draw_group(ax, g, end, report.faults, label=i == 0)
    axes[0, 0].set_xlim(left=min(0.0, *(h.start for g in shown for h in g.held)), right=end)
    return _finish(fig, axes[-1, 0], "Consumer groups: partitions each member held (× killed, hatched: paused; "
                   "dashed: the coordinator moved)", path)


TXN_COLOURS = {"committed": "#2a9d8f", "aborted as planned": "#8d99ae", "failed": "#e76f51", "unknown": "#e9c46a",
               "never completed": "#9b2226"}


def _txn_spans(history: History, report: Report) -> dict[str, list[tuple[float, float | None, float, str]]]:
    """Per producer process, each transaction as (begun, commit or abort asked for, completed, outcome), times
    from the workload start; one never completed runs to the end of the history."""
    origin = _origin(report)
    begun: dict[tuple[str, Any], float] = {}
    spans: dict[str, list[tuple[float, float | None, float, str]]] = {}
    for op in history.by_f("txn"):
        v = history.fields(op)
        key = (v.get("transactional_id"), v.get("n"))
        if op.type is OpType.INVOKE:
            begun[key] = op.time - origin
            spans.setdefault(op.process, [])
            continue
        start = begun.pop(key, None)
        if start is None:
            continue
        outcome = {OpType.OK: "committed" if v.get("action") != "abort" else "aborted as planned",
                   OpType.FAIL: "failed"}.get(op.type, "unknown")
        asked = v.get("end_time")
        spans.setdefault(op.process, []).append((start, asked - origin if isinstance(asked, (int, float)) else None,
                                                 op.time - origin, outcome))
    end = _history_end(history, report)
    for op in history.by_f("txn"):  # begun and never completed
        v = history.fields(op)
        key = (v.get("transactional_id"), v.get("n"))
        if op.type is OpType.INVOKE and key in begun:
            spans[op.process].append((begun.pop(key), None, end, "never completed"))
    return spans


def _committed_reader_stats(history: History, report: Report) -> tuple[str | None, pd.DataFrame]:
    """The statistics of one consumer that reads committed data only (its polls name no isolation; the
    first such process by name), with times from the workload start."""
    stats = history.fetch_stats()
    if stats.empty:
        return None, stats
    uncommitted = {op.process for op in history.by_f("poll")
                   if history.fields(op).get("isolation") == "read_uncommitted"}
    readers = sorted(set(stats["process"]) - uncommitted)
    if not readers:
        return None, stats.iloc[0:0]
    mine = stats[stats["process"] == readers[0]]
    if report.topic is not None:
        mine = mine[mine["topic"] == report.topic]
    return readers[0], mine.assign(time=mine["time"] - _origin(report))


def transactions(history: History, report: Report, path: Path) -> Path | None:
    if not history.by_f("txn"):
        return None
    reader, stats = _committed_reader_stats(history, report)
    panels = 3 if not stats.empty else 1
    fig, axes = plt.subplots(panels, 1, figsize=(11, 2.6 * panels + 0.6), sharex=True, squeeze=False,
                             constrained_layout=True, gridspec_kw={"height_ratios": [0.7] + [1.0] * (panels - 1)})
    ax = axes[0, 0]
    spans = _txn_spans(history, report)
    producers = sorted(spans)
    seen: set[str] = set()
    for row, process in enumerate(producers):  # a bar per transaction while it was open
        for start, asked, done, outcome in spans[process]:
            ax.broken_barh([(start, max(done - start, 0.01))], (row - 0.35, 0.7), facecolor=TXN_COLOURS[outcome],
                           edgecolor="white", lw=0.3, zorder=2, label=outcome if outcome not in seen else None)
            seen.add(outcome)
            if asked is not None and done - asked > 1.0:  # a slow end: when it was asked for
                ax.plot([asked, asked], [row - 0.35, row + 0.35], color="#333", lw=0.8, zorder=3)
    ax.set_yticks(range(len(producers)), producers, fontsize=8)
    ax.set_ylim(-0.6, len(producers) - 0.4)
    ax.set_ylabel("transactions open", fontsize=9)
    ax.set_title("each transaction from its begin until its commit or abort returned, by outcome (a tick: when "
                 "an end that took over 1 s was asked for)", fontsize=9, loc="left")
    ax.legend(loc="upper right", fontsize=7, ncol=len(seen))
    _shade_faults(ax, report.faults, label=True)
    if panels == 3:
        lso_ax, gap_ax = axes[1, 0], axes[2, 0]
        for partition, part in stats.groupby("partition"):
            hi = pd.to_numeric(part["hi_offset"], errors="coerce")
            ls = pd.to_numeric(part["ls_offset"], errors="coerce")
            hi, ls = hi.where(hi >= 0), ls.where(ls >= 0)  # -1001: librdkafka does not know it yet
            line, = lso_ax.step(part["time"], hi, where="post", lw=1.2, label=f"p{partition} high watermark")
            lso_ax.step(part["time"], ls, where="post", lw=1.2, ls="--", color=line.get_color(),
                        label=f"p{partition} LSO")
            gap_ax.step(part["time"], hi - ls, where="post", lw=1.3, color=line.get_color(), label=f"p{partition}")
        lso_ax.set_ylabel("offset", fontsize=9)
        lso_ax.legend(loc="upper left", fontsize=7, ncol=3)
        lso_ax.set_title(f"as {reader} (reads committed data) saw them in its statistics", fontsize=9, loc="left")
        gap_ax.set_ylabel("high watermark − LSO", fontsize=9)
        gap_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        gap_ax.legend(loc="upper right", fontsize=7, ncol=4)
        for a in (lso_ax, gap_ax):
            _shade_faults(a, report.faults, label=False)
    return _finish(fig, axes[-1, 0], "Transactions: open per producer; last stable offset vs high watermark", path)


PLOTS = {"timeline": timeline, "partitions": partitions, "follower_reads": follower_reads, "groups": groups,
         "transactions": transactions}


def draw_all(history: History, out_dir: Path, report: Report | None = None) -> dict[str, Path]:
    """Every plot this history has data for, as ``<out_dir>/<name>.png``; ``report`` is the history's
    report model (built here when not given)."""
    if report is None:
        report = build_model(history)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = {}
    for name, draw in PLOTS.items():
        p = draw(history, report, out_dir / f"{name}.png")
        if p is not None:
            drawn[name] = p
    return drawn
