"""The checks: pure functions over a loaded history, each returning a CheckResult (``suite`` runs them all).

The names live here, apart from the checks themselves, so that validating a scenario file does not load
pandas.
"""

CHECK_NAMES = ("lost_writes", "unseen", "duplicates", "inconsistent_offsets", "reordering", "uncommitted_reads",
               "follower_reads", "availability", "replica_divergence")

DEFAULT_MUST_BE_ZERO = [name for name in CHECK_NAMES if name not in ("availability", "unseen")]
"""Safety checks must find nothing unless a scenario says otherwise; availability and unseen (late, not
lost) are reported as findings."""
