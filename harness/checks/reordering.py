"""Order, in Jepsen's vocabulary (its Kafka analysis and elle's kafka workload): six checks, each with its
own name and count. ``order_checks`` lists them, in this order.

Sends (``harness.checks.order_sends``), over acknowledged sends with their acknowledged offsets:

- ``nonmonotonic_send``: per producer process and partition, a send invoked after another acknowledged
  one got a lower offset. Kafka allows it without idempotence when ``max.in.flight.requests.per.connection``
  is above 1: a failed batch retried behind a later one lands after it. With idempotence (at most 5 in
  flight) the broker keeps each producer's order, so it must not happen.
- ``realtime_order`` (Redpanda's check): across all producers, per partition, a send acknowledged at a
  lower offset than another send whose acknowledgement completed before this one was invoked. A
  partition's leader appends in arrival order, and the earlier send's record was in its log before the
  later send was even made, so only a log that lost it can do this.

For both, a send whose acknowledged offset the final read does not hold with its value was truncated:
acks=1 (or acks=all with min.insync.replicas=1, or an unclean election) lets a leader acknowledge a
record that a leader change then cuts off, and the next leader hands those offsets out again, so later
sends get lower offsets. lost_writes counts that loss; here such cases are only noted
(``explained_by_truncation``). Where the final read is missing or incomplete they cannot be told from
real reordering, and the check is undecided unless nothing was out of order in the first place.

Polls (``harness.checks.order_polls``), per consumer process and partition, in the order it got them:

- ``nonmonotonic_poll``: a poll's first record at or below the previous poll's last (back, or the same
  offset again). Kafka allows it only when the consumer seeks or resets its position (the harness
  records resets, and lets those steps go) or when the log it read was truncated under it (a leader
  change after an uncommitted read, which uncommitted_reads counts).
- ``int_nonmonotonic_poll``: the same between two records of one poll. A fetch returns a log's
  records in offset order, so this is never allowed.
- ``poll_skip``: a poll starting past offsets the final log holds, beyond the highest offset the consumer
  had read in that partition. Allowed only for records that are not visible to the consumer (aborted
  transactions under read_committed, compaction); the workload uses neither. With no final read for the
  partition the check is undecided, never passed.
- ``int_poll_skip``: the same within one poll.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.checks.order_polls import (
    int_nonmonotonic_poll,
    int_poll_skip,
    nonmonotonic_poll,
    poll_skip,
)
from harness.checks.order_sends import nonmonotonic_send, realtime_order
from harness.checks.result import CheckResult
from harness.history.loader import History

__all__ = ["int_nonmonotonic_poll", "int_poll_skip", "nonmonotonic_poll", "nonmonotonic_send", "order_checks",
           "poll_skip", "realtime_order"]

order_checks: dict[str, Callable[[History], CheckResult]] = {
    "nonmonotonic_send": nonmonotonic_send,
    "realtime_order": realtime_order,
    "nonmonotonic_poll": nonmonotonic_poll,
    "int_nonmonotonic_poll": int_nonmonotonic_poll,
    "poll_skip": poll_skip,
    "int_poll_skip": int_poll_skip,
}

