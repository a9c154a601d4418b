"""The consumer-group checks within the whole suite: a clean group run passes every check, a group's polls do
not distort the checks that read every poll, and a saved history gives the same results as in memory."""

from __future__ import annotations

from pathlib import Path

from harness.checks import DEFAULT_MUST_BE_ZERO, GROUP_CHECK_NAMES, TXN_CHECK_NAMES
from harness.checks.follower_reads import follower_reads
from harness.checks.result import Verdict
from harness.checks.suite import CHECKS, run_checks
from harness.history.loader import History, read_ops
from harness.history.schema import FetchStats, Stats
from harness.report.model import build_model
from tests.crafted import GroupCrafted, clean_group_run

A, B = "group-g-0", "group-g-1"


def test_a_clean_group_run_passes_every_check():
    results = run_checks(clean_group_run().history())
    assert set(results) == set(CHECKS)
    # Nothing to look at: no log autopsy, no send failed, a single final reader, no rack-aware reader, no
    # transaction.
    skipped = {"replica_divergence", "failed_sends_landed", "final_reads_disagree", "follower_reads",
               *TXN_CHECK_NAMES}
    expected = {name: Verdict.SKIPPED if name in skipped else Verdict.PASS for name in CHECKS}
    assert {name: r.verdict(name in DEFAULT_MUST_BE_ZERO) for name, r in results.items()} == expected
    assert all(results[name].decided for name in GROUP_CHECK_NAMES)


def test_a_group_reprocessing_after_a_rebalance_troubles_no_other_check():
    """Member A polls partition 0 and is killed before committing; B takes the partition over and polls it
    again from the committed offset: reprocessing (a finding), nothing else."""
    c = clean_group_run(n=6, partitions=1, members=2)
    c.ops = [op for op in c.ops if op.f not in ("commit", "group_offsets")]  # nothing committed by A
    c.member(0, "killed").assignment(B, [0]).group_poll(B, [(0, o, f"v{o}") for o in range(6)])
    c.commit(B, {0: 6}).group_offsets({0: 6})
    results = run_checks(c.history())
    counted = {name: r.count for name, r in results.items() if r.count}
    assert counted == {"group_reprocessed": 6}
    assert results["group_reprocessed"].notes["rebalance"] == 6
    assert results["nonmonotonic_poll"].notes["after_rebalance"] == 0  # two processes: no step between them


def test_group_members_statistics_are_not_judged_as_a_follower_reader():
    c = clean_group_run()
    c.record(A, "ok", Stats(topic="t", reader="group:t.g", rack="rack-b", partitions=[
        FetchStats(partition=0, leader=1, broker=1, hi_offset=3, lo_offset=0, ls_offset=3)]))
    assert follower_reads(c.history()).skipped


def _troubled() -> GroupCrafted:
    """A group run with a step back in its commits, a skipped record and reprocessing, and a fault."""
    c = clean_group_run(n=6, partitions=2)
    c.fault("f1").commit(A, {0: 1}).heal("f1")
    c.group_poll(B, [(1, 0, "v1")]).offset_reset(A, partition=0).group_poll(A, [(0, 0, "v0")])
    return c


def test_a_saved_group_history_checks_as_in_memory(tmp_path: Path):
    ops = _troubled().ops
    path = tmp_path / "history.jsonl"
    path.write_text("".join(op.to_json() + "\n" for op in ops))
    loaded, in_memory = History.load(path), History(list(read_ops(path)))  # (times rounded as saved)
    ra, rb = run_checks(loaded, list(GROUP_CHECK_NAMES)), run_checks(in_memory, list(GROUP_CHECK_NAMES))
    assert ra == rb and [r.found for r in ra.values()] == [r.found for r in rb.values()]
    assert ra["committed_offsets_backwards"].count == 1 and ra["group_reprocessed"].count == 2
    every = run_checks(loaded)
    assert build_model(loaded, every).to_json() == build_model(in_memory, run_checks(in_memory)).to_json()
