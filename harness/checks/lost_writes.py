"""lost_writes: acknowledged sends absent from the final read (Kafka's "acked minus consumed").

Each lost write carries its cause (``harness.checks.causes``): an unclean election, acks below all, a lone
leader under min.insync.replicas=1, or ``unexplained`` (Kafka promised durability there), ``undecided``
without the controller's record. ``count`` is every lost write whatever its cause; the notes count each
cause, and the examples show the unexplained first.

Only a partition that some final reader read to the end (``final_reads.final_read_coverage``) can prove a
write absent. A write missing from any other partition is ``unconfirmed`` (a note, not a count), and the
check is then undecided and names those partitions: with no final read, with a final read that timed
out, or with a history that ends during the final read (a reader's invocation alone proves nothing).
Partitions read to the end are still judged. Failed sends that landed are ``failed_sends_landed``'s.
With transactions, a partition whose last stable offset stayed behind after the heal (``stuck_lso``) is read
by the read_committed final read only up to it: a write past it is unconfirmed as well
(``unconfirmed_behind_stuck_lso``), and stuck_lso counts why.
"""

from __future__ import annotations

from harness.checks.causes import cause_notes, grounds, lost_write_causes
from harness.checks.codes import outcome_is
from harness.checks.final_reads import (
    final_read_coverage,
    names,
    not_judged_reason,
    partitions_of,
)
from harness.checks.result import MAX_EXAMPLES, CheckResult, present_in, records
from harness.checks.stable_offsets import STUCK_REASON, beyond_stuck_lso
from harness.history.loader import History


class LostWrites(list):
    """Each lost write as plots and tools match it, ``(topic, value)``, and ``causes``: the cause of each, in
    the same order (one list beside the pairs: cheap for hundreds of thousands of lost writes)."""

    def __init__(self, pairs: list[tuple[str, str]] = (), causes: list[str] = ()):  # type: ignore[assignment]
        super().__init__(pairs)
        self.causes: list[str] = list(causes)

    def with_causes(self) -> list[tuple[str, str, str]]:
        """Each lost write as ``(topic, value, cause)``."""
        return [(t, v, c) for (t, v), c in zip(self, self.causes)]


def lost_writes(history: History) -> CheckResult:
    coverage = final_read_coverage(history)
    sends = history.sends()
    final = history.reads("read")
    sends = sends.assign(landed=present_in(sends, final))
    acked = sends[outcome_is(history, "ok")]
    missing = acked[~acked["landed"]]
    # Only a partition some final reader read to the end can prove a write absent: set the others apart.
    behind = beyond_stuck_lso(history, missing)  # past a stuck LSO: the read_committed final read never got there
    judged = coverage.judged(missing) & ~behind
    lost = missing[judged]
    unconfirmed = missing[~judged]
    unjudged = coverage.incomplete | partitions_of(unconfirmed)
    notes: dict = {
        "acknowledged": len(acked),
        "indeterminate_landed": int((outcome_is(history, "info") & sends["landed"]).sum()),
        "indeterminate_missing": int((outcome_is(history, "info") & ~sends["landed"]).sum()),
        "unconfirmed_in_unreadable_partitions": len(unconfirmed),
    }
    decided = bool(coverage.complete) and not unjudged
    if not decided:
        notes["reason"] = not_judged_reason(coverage)
        if unjudged:
            notes["undecided_partitions"] = names(unjudged)
    if behind.any():
        notes["unconfirmed_behind_stuck_lso"] = int(behind.sum())
        notes["reason"] = STUCK_REASON
    examples: list = []
    found: list = LostWrites()
    if len(lost):
        why = lost_write_causes(grounds(history), lost)
        notes.update(cause_notes(why))
        order = why.order()[:MAX_EXAMPLES]
        examples = records(lost.iloc[order], ["value", "topic", "partition", "offset", "process", "complete_time"])
        for example, i in zip(examples, order):
            example["cause"] = why.cause(int(i))
            example["cause_detail"] = why.detail(int(i))
            when = why.grounds.time_of(int(why.refs[i]))
            if when is not None:
                example["cause_time"] = when
        found = LostWrites(zip(lost["topic"].tolist(), lost["value"].tolist()), why.causes.tolist())
    return CheckResult(
        "lost_writes",
        len(lost),
        examples,
        decided=decided,
        notes=notes,
        found=found,
    )
