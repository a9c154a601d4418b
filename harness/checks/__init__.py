"""The checks: pure functions over a loaded history, each returning a CheckResult.

``run_checks`` runs them all, safely: a check that raises becomes an undecided result naming the error,
never a crash of the report.
"""

from __future__ import annotations

from typing import Callable

from harness.checks.duplicates import duplicates
from harness.checks.lost_writes import lost_writes
from harness.checks.reordering import reordering
from harness.checks.result import CheckResult, Verdict
from harness.history import History

Check = Callable[[History], CheckResult]

CHECKS: dict[str, Check] = {
    "lost_writes": lost_writes,
    "duplicates": duplicates,
    "reordering": reordering,
}


def run_checks(history: History, names: list[str] | None = None) -> dict[str, CheckResult]:
    results: dict[str, CheckResult] = {}
    for name in names or list(CHECKS):
        try:
            results[name] = CHECKS[name](history)
        except Exception as exc:  # a broken check must not hide the others' results
            results[name] = CheckResult(name, 0, decided=False, notes={"error": f"{type(exc).__name__}: {exc}"})
    return results


__all__ = ["CHECKS", "CheckResult", "Verdict", "duplicates", "lost_writes", "reordering", "run_checks"]
