"""availability: how the workload fared, overall and in each fault window.

Shares of sends ok / fail / info, acknowledgement latency (p50 / p99 / max), and the time to the first
acknowledged send after each fault starts and after it heals. The count is the sends that were not
acknowledged; by default it is reported as a finding, not a failure (set it in ``must_be_zero`` to
require full availability).
"""

from __future__ import annotations

import pandas as pd

from harness.checks.result import CheckResult
from harness.history.loader import History


def _latency(df: pd.DataFrame) -> dict:
    lat = (df["complete_time"] - df["invoke_time"]).dropna().astype(float) * 1000
    if lat.empty:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"p50_ms": round(float(lat.quantile(0.5)), 1), "p99_ms": round(float(lat.quantile(0.99)), 1),
            "max_ms": round(float(lat.max()), 1)}


def _shares(df: pd.DataFrame) -> dict:
    n = len(df)
    counts = df["outcome"].fillna("unanswered").value_counts()
    return {"sends": n, **{k: round(float(counts.get(k, 0)) / n, 4) if n else 0.0
                           for k in ("ok", "fail", "info", "unanswered")}}


def availability(history: History) -> CheckResult:
    sends = history.sends()
    if sends.empty:
        return CheckResult("availability", 0, skipped="no sends")
    ok = sends[sends["outcome"] == "ok"]
    windows = []
    for f in history.faults():
        if f["start"] is None:
            continue
        end = f["end"] if f["end"] is not None else float(sends["invoke_time"].max())
        inside = sends[(sends["invoke_time"] >= f["start"]) & (sends["invoke_time"] < end)]
        acked_after_start = ok[ok["complete_time"] >= f["start"]]["complete_time"]
        acked_after_heal = ok[ok["complete_time"] >= end]["complete_time"]
        windows.append({
            "fault": f["id"], "kind": f["kind"], "target": f["target"], "start": round(f["start"], 2),
            "end": round(end, 2), **_shares(inside), **_latency(inside[inside["outcome"] == "ok"]),
            "first_ok_after_start_s": round(float(acked_after_start.min() - f["start"]), 2)
            if len(acked_after_start) else None,
            "first_ok_after_heal_s": round(float(acked_after_heal.min() - end), 2) if len(acked_after_heal) else None,
        })
    not_ok = int((sends["outcome"] != "ok").sum())
    return CheckResult("availability", not_ok, [w for w in windows][:5],
                       notes={"overall": {**_shares(sends), **_latency(ok)}, "fault_windows": windows})
