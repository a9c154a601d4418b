"""availability: how the workload fared, overall and in each fault window.

Shares of sends ok / fail / info, acknowledgement latency (p50 / p99 / max), and the time to the first
acknowledged send after each fault starts and after it heals. The count is the sends that were not
acknowledged; by default it is reported as a finding, not a failure (set it in ``must_be_zero`` to
require full availability).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.checks.codes import outcome_is
from harness.checks.result import CheckResult
from harness.history.loader import History


def _latency(complete: np.ndarray, invoke: np.ndarray) -> dict:
    lat = pd.Series((complete - invoke) * 1000).dropna()
    if lat.empty:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"p50_ms": round(float(lat.quantile(0.5)), 1), "p99_ms": round(float(lat.quantile(0.99)), 1),
            "max_ms": round(float(lat.max()), 1)}


def _shares(rows: np.ndarray, outcomes: dict[str, np.ndarray]) -> dict:
    """Shares of the sends ``rows`` marks, per outcome (``outcomes``: a mask of every send per outcome)."""
    n = int(rows.sum())
    return {"sends": n, **{k: round(float((mask & rows).sum()) / n, 4) if n else 0.0 for k, mask in outcomes.items()}}


def availability(history: History) -> CheckResult:
    sends = history.sends()
    if sends.empty:
        return CheckResult("availability", 0, skipped="no sends")
    # Column by column, on masks of the sends: a million sends are not copied once per fault window.
    outcomes = {k: outcome_is(history, None if k == "unanswered" else k) for k in ("ok", "fail", "info", "unanswered")}
    is_ok = outcomes["ok"]
    invoke = sends["invoke_time"].to_numpy(dtype=float)
    complete = sends["complete_time"].to_numpy(dtype=float)
    ok_complete = complete[is_ok]
    windows = []
    for f in history.faults():
        if f["start"] is None:
            continue
        end = f["end"] if f["end"] is not None else float(sends["invoke_time"].max())
        inside = (invoke >= f["start"]) & (invoke < end)
        acked_after_start = ok_complete[ok_complete >= f["start"]]
        acked_after_heal = ok_complete[ok_complete >= end]
        windows.append({
            "fault": f["id"], "kind": f["kind"], "target": f["target"], "start": round(f["start"], 2),
            "end": round(end, 2), **_shares(inside, outcomes),
            **_latency(complete[inside & is_ok], invoke[inside & is_ok]),
            "first_ok_after_start_s": round(float(acked_after_start.min() - f["start"]), 2)
            if len(acked_after_start) else None,
            "first_ok_after_heal_s": round(float(acked_after_heal.min() - end), 2) if len(acked_after_heal) else None,
        })
    not_ok = int((~is_ok).sum())
    return CheckResult("availability", not_ok, [w for w in windows][:5],
                       notes={"overall": {**_shares(np.ones(len(sends), dtype=bool), outcomes),
                                          **_latency(ok_complete, invoke[is_ok])}, "fault_windows": windows})
