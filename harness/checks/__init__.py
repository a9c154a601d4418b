"""The checks: pure functions over a loaded history, each returning a CheckResult (``suite`` runs them all).

The names live here, apart from the checks themselves, so that validating a scenario file does not load
pandas.
"""

ORDER_CHECK_NAMES = ("nonmonotonic_send", "realtime_order", "nonmonotonic_poll", "int_nonmonotonic_poll",
                     "poll_skip", "int_poll_skip")
"""Jepsen's order anomalies (``harness.checks.reordering``), each its own check."""

GROUP_CHECK_NAMES = ("committed_offsets_backwards", "group_skipped", "group_reprocessed", "group_availability")
"""The consumer-group checks (skipped when the run has no ``[[workload.groups]]``)."""

CHECK_NAMES = ("lost_writes", "unseen", "duplicates", "inconsistent_offsets", "phantom_values",
               "failed_sends_landed", "final_reads_disagree", *ORDER_CHECK_NAMES, "uncommitted_reads",
               "follower_reads", "availability", "replica_divergence", *GROUP_CHECK_NAMES)

FINDINGS = ("availability", "unseen", "group_reprocessed", "group_availability")
"""Checks reported as findings unless a scenario says otherwise: availability, unseen (late, not lost), a
group's reprocessing (at-least-once allows it) and its availability."""

TXN_CHECK_NAMES = ("aborted_reads", "open_txn_reads", "torn_transactions", "lost_transactions", "stuck_lso",
                   "txn_duplicates")
"""The transaction checks (``harness.checks.txn_reads``, ``txn_final``, ``stable_offsets``): skipped in a run
without transactions."""
CHECK_NAMES += TXN_CHECK_NAMES

CHECK_GROUPS = {"reordering": ORDER_CHECK_NAMES}
"""Names a scenario may use for several checks at once (``reordering``: every order check)."""
CHECK_GROUPS["transactions"] = TXN_CHECK_NAMES


def expand_checks(names) -> list[str]:
    """Check names with each group replaced by its checks, each name once, in order (a history written
    before the order checks were split names ``reordering``)."""
    return list(dict.fromkeys(n for name in names for n in CHECK_GROUPS.get(name, (name,))))

DEFAULT_MUST_BE_ZERO = [name for name in CHECK_NAMES if name not in FINDINGS]
"""Safety checks must find nothing unless a scenario says otherwise; the ``FINDINGS`` are reported as
findings."""
