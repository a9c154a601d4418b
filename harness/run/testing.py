"""Assertions on a history, for tests written with the pytest plugin's fixtures.

    def test_kill_loses_nothing(kafka_cluster, chaos_topic, chaos_history, nemesis):
        ...  # write with a RecordingProducer, inject faults with nemesis, final_read(...)
        assert_no_lost_writes(chaos_history)
"""

from __future__ import annotations

from pathlib import Path

from harness.checks.result import CheckResult
from harness.checks.suite import CHECKS
from harness.history.loader import History
from harness.history.writer import HistoryWriter


def _history(h: History | HistoryWriter | Path | str) -> History:
    if isinstance(h, History):
        return h
    if isinstance(h, HistoryWriter):
        h.flush()
        return History.load(h.path)
    return History.load(h)


def check(history: History | HistoryWriter | Path | str, name: str) -> CheckResult:
    if name not in CHECKS:
        raise KeyError(f"unknown check {name!r}; known: {sorted(CHECKS)}")
    return CHECKS[name](_history(history))


def assert_check_passes(history: History | HistoryWriter | Path | str, name: str) -> CheckResult:
    """The check found nothing and could decide (a skipped check does not pass)."""
    result = check(history, name)
    verdict = result.verdict().value
    assert verdict == "pass", f"{name}: {verdict}, count {result.count}, examples {result.examples}, " \
                              f"notes {result.notes}"
    return result


def assert_no_lost_writes(history: History | HistoryWriter | Path | str) -> CheckResult:
    return assert_check_passes(history, "lost_writes")
