"""What the final read (read_committed, after the heal) holds of each transaction: ``torn_transactions``,
``lost_transactions`` and ``txn_duplicates``.

A transaction is atomic: a read_committed reader sees all of a committed transaction's values or none.
Only a partition some final reader read to the end (``final_reads.final_read_coverage``) can prove a value
absent, and in a partition whose LSO stayed behind after the heal only below the offset the final read
read to (``stable_offsets.beyond_stuck_lso``: a read_committed reader is not given anything past the LSO);
a value found anywhere is present. Read_committed pollers during the run are not used here: a
consumer fetches partitions independently and may stop between two partitions of one transaction, so a
poller seeing part of a transaction proves nothing.

- ``torn_transactions``: a committed transaction (``ok``, action ``commit``) of which the final read holds
  some values and proves others absent. ``count`` is the transactions. A transaction that shows no tear but
  has an absent value in a partition not read to the end is undecided (noted, with those partitions, and
  the check is then undecided). A tear of a transaction whose outcome is unknown (``info``) is noted, not
  counted: the brief for this check counts committed ones.
- ``lost_transactions``: a committed transaction none of whose values the final read holds, every one in a
  partition read to the end (with any value in a partition not read to the end it is undecided, noted).
  ``count`` is the transactions.
- ``txn_duplicates``: a transactional value the final read holds at more than one offset: committed data
  written twice. ``count`` is the distinct values; all count, whatever their cause, since a copy visible to
  read_committed was committed and a transactional producer's resend belongs to an aborted transaction.

Each torn or lost transaction carries a cause (``harness.checks.causes``): ``unclean_election`` when the
controller recorded an unclean election of one of its partitions (for a tear, one holding a missing value)
after the transaction began, ``undecided`` without the controller's record, else ``unexplained`` (examples
show the unexplained first). Each duplicate carries the cause its copies' batch headers show
(``harness.checks.duplicates``: ``client_epoch_bump``, ``broker_dedup_failed``, ``different_producers``,
``unexplained``, ``undecided`` when no replica log covers a copy).

All three are skipped when the run had no transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.checks.causes import (
    CAUSES,
    UNDECIDED,
    UNEXPLAINED,
    Attribution,
    cause_notes,
    grounds,
    lost_write_causes,
)
from harness.checks.codes import memo
from harness.checks.duplicates import SEVERITY, copies_of, copy_causes, value_cause
from harness.checks.final_reads import final_read_coverage, names, not_judged_reason
from harness.checks.result import MAX_EXAMPLES, CheckResult
from harness.checks.stable_offsets import STUCK_REASON, beyond_stuck_lso
from harness.checks.txn_model import COMMITTED, NO_TXNS, STATUSES, UNKNOWN, TxnModel, read_values, transactions
from harness.history.loader import History

SHOWN_VALUES = 5
"""At most this many values of a transaction in an example."""


@dataclass
class _View:
    """Per transactional value (``TxnModel.values`` rows): whether the final read holds it, whether its
    partition was read to the end; and per transaction, how many of its values are in each case."""

    present: np.ndarray
    judged: np.ndarray
    behind: np.ndarray
    """Past a last stable offset that stayed behind (where the read_committed final read stopped)."""
    n_values: np.ndarray
    n_present: np.ndarray
    n_absent: np.ndarray
    """Values proved absent (not held, in a partition read to the end)."""
    n_unsure: np.ndarray
    """Values not held, in a partition no final reader read to the end, or past a stuck LSO."""
    committed: np.ndarray
    unknown: np.ndarray


def _view(history: History) -> _View:
    def build() -> _View:
        model = transactions(history)
        at = read_values(history, "read")
        present = np.zeros(len(model.values), dtype=bool)
        present[at[at >= 0]] = True
        values = model.values.assign(offset=model.values["offset"].where(model.values["offset"] >= 0))
        behind = beyond_stuck_lso(history, values)
        judged = final_read_coverage(history).judged(values) & ~behind
        txn, n = model.txn_of, len(model.txns)

        def per_txn(mask: np.ndarray) -> np.ndarray:
            return np.bincount(txn[mask], minlength=n)

        status = np.array([STATUSES.index(t.status) for t in model.txns], dtype=np.int64)
        return _View(present, judged, behind, np.bincount(txn, minlength=n), per_txn(present),
                     per_txn(judged & ~present), per_txn(~judged & ~present), status == STATUSES.index(COMMITTED),
                     status == STATUSES.index(UNKNOWN))
    return memo(history, "txn_final_view", build)


def torn_transactions(history: History) -> CheckResult:
    """torn_transactions: a committed transaction of which the final read holds some values and proves the
    others absent."""
    name = "torn_transactions"
    model = transactions(history)
    if not model:
        return CheckResult(name, 0, skipped=NO_TXNS)
    v = _view(history)
    split = (v.n_present > 0) & (v.n_absent > 0)
    torn = np.flatnonzero(v.committed & split)
    unsure = np.flatnonzero(v.committed & ~split & (v.n_unsure > 0))
    notes: dict[str, Any] = {"committed_transactions": int(v.committed.sum()),
                             "values_missing_from_torn": int(v.n_absent[torn].sum()),
                             "torn_with_unknown_outcome": int((v.unknown & split).sum()),
                             "undecided_transactions": len(unsure)}
    notes.update(_undecided_notes(history, model, v, unsure))
    missing = ~v.present & v.judged
    return _with_causes(history, name, model, torn, missing, notes, decided=not len(unsure))


def lost_transactions(history: History) -> CheckResult:
    """lost_transactions: a committed transaction none of whose values the final read holds."""
    name = "lost_transactions"
    model = transactions(history)
    if not model:
        return CheckResult(name, 0, skipped=NO_TXNS)
    v = _view(history)
    none_held = v.committed & (v.n_values > 0) & (v.n_present == 0)
    lost = np.flatnonzero(none_held & (v.n_unsure == 0))
    unsure = np.flatnonzero(none_held & (v.n_unsure > 0))
    notes: dict[str, Any] = {"committed_transactions": int(v.committed.sum()),
                             "values_of_lost_transactions": int(v.n_values[lost].sum()),
                             "undecided_transactions": len(unsure)}
    notes.update(_undecided_notes(history, model, v, unsure))
    return _with_causes(history, name, model, lost, ~v.present, notes, decided=not len(unsure))


def _undecided_notes(history: History, model: TxnModel, v: _View, txns: np.ndarray) -> dict[str, Any]:
    """Why these transactions could not be judged: the partitions of their values not read to the end (or
    not past a stuck LSO)."""
    if not len(txns):
        return {}
    rows = np.isin(model.txn_of, txns) & ~v.judged & ~v.present
    parts = {(t, int(p)) for t, p in zip(model.values["topic"].to_numpy(dtype=object)[rows].tolist(),
                                         model.values["partition"].to_numpy(dtype=np.int64)[rows].tolist())}
    reason = STUCK_REASON if (rows & v.behind).any() else not_judged_reason(final_read_coverage(history))
    return {"undecided_partitions": names(parts), "reason": reason}


def _with_causes(history: History, name: str, model: TxnModel, txns: np.ndarray, missing: np.ndarray,
                 notes: dict[str, Any], decided: bool) -> CheckResult:
    """The result for these transactions (``txns``), each with the cause found for the partitions of its
    values that ``missing`` marks; examples show the unexplained first."""
    if not len(txns):
        return CheckResult(name, 0, notes=notes, decided=decided)
    why = _causes(history, model, txns, missing)
    notes.update(cause_notes(why))
    examples = []
    for i in why.order()[:MAX_EXAMPLES].tolist():
        cause = {"cause": why.cause(i), "cause_detail": why.detail(i)}
        when = why.grounds.time_of(int(why.refs[i]))
        if when is not None:
            cause["cause_time"] = when
        examples.append(_example(model, int(txns[i]), missing, cause))
    found = [(model.txns[int(t)].name, why.cause(i)) for i, t in enumerate(txns.tolist())]
    return CheckResult(name, len(txns), examples, decided=decided, notes=notes, found=found)


def _causes(history: History, model: TxnModel, txns: np.ndarray, missing: np.ndarray) -> Attribution:
    """One cause per transaction (in ``txns`` order): an unclean election, after the transaction began, of a
    partition holding one of its ``missing`` values (``causes.lost_write_causes`` per partition, with no
    producer named: a transactional producer's acks are all, and the tie-breaking rules for acks do not
    apply); ``undecided`` without the controller's record; else ``unexplained``."""
    g = grounds(history)
    rows = np.flatnonzero(np.isin(model.txn_of, txns) & missing)
    frame = model.values.iloc[rows][["txn", "topic", "partition"]].drop_duplicates().reset_index(drop=True)
    start = np.array([-np.inf if t.start_time is None else t.start_time for t in model.txns], dtype=float)
    frame = frame.assign(complete_time=start[frame["txn"].to_numpy(dtype=np.int64)], process=None)
    per_partition = lost_write_causes(g, frame)
    out = Attribution(g, np.full(len(txns), CAUSES.index(UNEXPLAINED if g.decided else UNDECIDED), dtype=np.int8),
                      np.full(len(txns), -1, dtype=np.int64))
    where = {int(t): i for i, t in enumerate(txns.tolist())}
    for txn, code, ref in zip(frame["txn"].tolist(), per_partition.codes.tolist(), per_partition.refs.tolist()):
        i = where[int(txn)]
        if code > out.codes[i]:  # a named cause (after unexplained and undecided in CAUSES) wins
            out.codes[i], out.refs[i] = code, ref
    return out


def _example(model: TxnModel, txn: int, missing: np.ndarray, cause: dict[str, Any]) -> dict[str, Any]:
    t = model.txns[txn]
    mine = np.flatnonzero(model.txn_of == txn)
    gone = model.values["value"].to_numpy(dtype=object)[mine[missing[mine]]].tolist()
    out = {**t.describe(), "topic": t.topic, "values": len(t.values), "partitions": sorted(set(t.partitions)),
           "missing": gone[:SHOWN_VALUES], "missing_count": len(gone), "invoke_time": t.invoke_time,
           "complete_time": t.complete_time, **cause}
    if len(gone) < len(t.values):
        missing_values = set(gone)
        held = [x for x in t.values if x not in missing_values]
        out["held"] = held[:SHOWN_VALUES]
    return out


def txn_duplicates(history: History) -> CheckResult:
    """txn_duplicates: a transactional value the final read holds at more than one offset (committed data
    written twice)."""
    name = "txn_duplicates"
    model = transactions(history)
    if not model:
        return CheckResult(name, 0, skipped=NO_TXNS)
    final = history.reads("read")
    at = read_values(history, "read")
    rows = final[at >= 0].assign(row=at[at >= 0])
    places = rows.drop_duplicates(["row", "partition", "offset"])
    sizes = places.groupby("row").size()
    dup = sizes[sizes > 1].index.to_numpy()
    coverage = final_read_coverage(history)
    unjudged = {(t, int(p)) for t, p in zip(model.values["topic"], model.values["partition"])} - coverage.complete
    notes: dict[str, Any] = {"transactional_values_read": int(len(sizes))}
    if unjudged:
        notes["undecided_partitions"] = names(unjudged)
        notes["reason"] = not_judged_reason(coverage)
    if not len(dup):
        return CheckResult(name, 0, notes=notes, decided=not unjudged)
    dups = rows[rows["row"].isin(dup)]
    examples, found, by_cause = [], [], {}
    for (topic, value), copies, undecided in copies_of(dups, history.replica_logs()):
        cause = value_cause(copy_causes(copies, undecided, idempotent_writer=True, acknowledged=True))
        by_cause[cause] = by_cause.get(cause, 0) + 1
        found.append((topic, value, cause))
        examples.append({"value": value, "topic": topic, "at": [[c.partition, c.offset] for c in copies],
                         "cause": cause, "copies": [c._asdict() for c in copies],
                         **model.txns[model.txn_of[model.row_of[(topic, value)]]].describe()})
    notes["causes"] = dict(sorted(by_cause.items(), key=lambda kv: SEVERITY.index(kv[0])))
    if by_cause.get(UNDECIDED):
        notes["causes_undecided_because"] = ("the history has no replica logs: the copies' batch headers cannot "
                                              "be read" if history.replica_logs().empty else
                                              "some copies are at offsets the replica logs do not cover")
    examples.sort(key=lambda e: SEVERITY.index(e["cause"]))
    return CheckResult(name, len(found), examples[:MAX_EXAMPLES], decided=not unjudged, notes=notes, found=found)
