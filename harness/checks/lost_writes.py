"""lost_writes: acknowledged sends absent from the final read (Kafka's "acked minus consumed").

Each lost write carries its cause (``harness.checks.causes``): an unclean election, acks below all, a lone
leader under min.insync.replicas=1, or ``unexplained`` (Kafka promised durability there), ``undecided``
without the controller's record. ``count`` is every lost write whatever its cause; the notes count each
cause, and the examples show the unexplained first.
"""

from __future__ import annotations

import numpy as np

from harness.checks.causes import cause_notes, grounds, lost_write_causes
from harness.checks.result import MAX_EXAMPLES, CheckResult, present_in, records
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
    sends = history.sends()
    final = history.reads("read")
    read_ops = history.by_f("read")
    if not read_ops:
        return CheckResult("lost_writes", 0, decided=False, notes={"reason": "the history has no final read"})
    sends = sends.assign(landed=present_in(sends, final))
    acked = sends[sends["outcome"] == "ok"]
    missing = acked[~acked["landed"]]
    # A partition whose final read ran out of time cannot prove loss: set those apart.
    unreadable = history.unreadable_partitions()
    in_unreadable = np.array([(t, p) in unreadable for t, p in zip(missing["topic"], missing["partition"])], dtype=bool)
    lost = missing[~in_unreadable]
    notes = {
        "acknowledged": int(len(acked)),
        "indeterminate_landed": int(((sends["outcome"] == "info") & sends["landed"]).sum()),
        "indeterminate_missing": int(((sends["outcome"] == "info") & ~sends["landed"]).sum()),
        "failed_but_landed": int(((sends["outcome"] == "fail") & sends["landed"]).sum()),
        "unconfirmed_in_unreadable_partitions": int(in_unreadable.sum()),
    }
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
        int(len(lost)),
        examples,
        decided=not unreadable,
        notes=notes,
        found=found,
    )
