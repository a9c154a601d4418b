"""Every check by name, and ``run_checks``, which runs them all safely: a check that raises becomes an
undecided result naming the error, never a crash of the report.
"""

from __future__ import annotations

from typing import Callable

from harness.checks import CHECK_NAMES
from harness.checks.availability import availability
from harness.checks.duplicates import duplicates
from harness.checks.failed_sends import failed_sends_landed
from harness.checks.final_reads import final_reads_disagree
from harness.checks.follower_reads import follower_reads
from harness.checks.group_availability import group_availability
from harness.checks.group_commits import committed_offsets_backwards
from harness.checks.group_reprocessed import group_reprocessed
from harness.checks.group_skipped import group_skipped
from harness.checks.inconsistent_offsets import inconsistent_offsets
from harness.checks.lost_writes import lost_writes
from harness.checks.phantoms import phantom_values
from harness.checks.reordering import order_checks
from harness.checks.replica_divergence import replica_divergence
from harness.checks.result import CheckResult
from harness.checks.stable_offsets import stuck_lso
from harness.checks.txn_final import lost_transactions, torn_transactions, txn_duplicates
from harness.checks.txn_reads import aborted_reads, open_txn_reads
from harness.checks.uncommitted_reads import uncommitted_reads
from harness.checks.unseen import unseen
from harness.history.loader import History
from harness.history.ops import gc_paused

Check = Callable[[History], CheckResult]

CHECKS: dict[str, Check] = {
    "lost_writes": lost_writes,
    "unseen": unseen,
    "duplicates": duplicates,
    "inconsistent_offsets": inconsistent_offsets,
    "phantom_values": phantom_values,
    "failed_sends_landed": failed_sends_landed,
    "final_reads_disagree": final_reads_disagree,
    **order_checks,
    "uncommitted_reads": uncommitted_reads,
    "follower_reads": follower_reads,
    "availability": availability,
    "replica_divergence": replica_divergence,
    "committed_offsets_backwards": committed_offsets_backwards,
    "group_skipped": group_skipped,
    "group_reprocessed": group_reprocessed,
    "group_availability": group_availability,
    "aborted_reads": aborted_reads,
    "open_txn_reads": open_txn_reads,
    "torn_transactions": torn_transactions,
    "lost_transactions": lost_transactions,
    "stuck_lso": stuck_lso,
    "txn_duplicates": txn_duplicates,
}
assert tuple(CHECKS) == CHECK_NAMES, "harness.checks.CHECK_NAMES must list every check, in order"


def run_checks(history: History, names: list[str] | None = None) -> dict[str, CheckResult]:
    results: dict[str, CheckResult] = {}
    with gc_paused():
        for name in names or list(CHECKS):
            try:
                results[name] = CHECKS[name](history)
            except Exception as exc:  # a broken check must not hide the others' results
                results[name] = CheckResult(name, 0, decided=False,
                                            notes={"error": f"{type(exc).__name__}: {exc}"})
    return results
