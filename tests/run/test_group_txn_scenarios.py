"""The library's consumer-group and transaction scenarios, end to end on a real cluster: each fault takes
effect, every safety check (the group and transaction checks among them) stays at zero, and each new check
is in report.json."""

from __future__ import annotations

import pytest

from harness.run.cli import SCENARIO_DIR
from harness.run.runner import run_scenario
from harness.run.scenario import load_scenario

pytestmark = pytest.mark.cluster

GROUP_CHECKS = ("committed_offsets_backwards", "group_skipped", "group_reprocessed", "group_availability")
TXN_CHECKS = ("aborted_reads", "open_txn_reads", "torn_transactions", "lost_transactions", "stuck_lso",
              "txn_duplicates")


def _run(name: str, tmp_path) -> dict:
    return run_scenario(load_scenario(SCENARIO_DIR / f"{name}.toml"), out_dir=tmp_path, log=lambda *_: None).report


def _effects(report: dict, fault: int, phase: str) -> list[dict]:
    return [e for e in report["faults"][fault]["effects"] if e["phase"] == phase]


def _safe(report: dict, checks: tuple[str, ...]) -> None:
    for name in checks:
        assert name in report["checks"], name
    failed = {n: c["count"] for n, c in report["checks"].items() if c["verdict"] in ("fail", "unknown")}
    assert report["verdict"] == "pass", failed


def test_group_member_kill(tmp_path):
    report = _run("group-member-kill", tmp_path)
    _safe(report, GROUP_CHECKS)
    for fault in (0, 1):  # the killed member and the paused one both left their group, and came back
        assert any(e["seen"] for e in _effects(report, fault, "start")), report["faults"][fault]
        assert any(e["seen"] for e in _effects(report, fault, "heal")), report["faults"][fault]
    assert report["checks"]["committed_offsets_backwards"]["count"] == 0
    assert report["checks"]["group_skipped"]["count"] == 0


def test_group_coordinator_kill(tmp_path):
    report = _run("group-coordinator-kill", tmp_path)
    _safe(report, GROUP_CHECKS)
    (moved,) = _effects(report, 1, "start")
    assert moved["seen"] and "coordinator of group" in moved["observed"], moved


@pytest.mark.parametrize("name", ["txn-coordinator-kill", "txn-delayed-end"])
def test_transactions_through_coordinator_faults(tmp_path, name):
    report = _run(name, tmp_path)
    _safe(report, TXN_CHECKS)
    (moved,) = _effects(report, 0, "start")
    assert moved["seen"] and "coordinator of" in moved["observed"], moved
