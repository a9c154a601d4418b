import pytest

from harness.checks.final_reads import (
    READ_CHUNK,
    final_read_coverage,
    final_reads_disagree,
)
from tests.crafted import Crafted

LEADER = {"process": "final-leader", "reader": "leader"}
RACK_B = {"process": "final-rack-b", "reader": "rack:rack-b"}
RACK_C = {"process": "final-rack-c", "reader": "rack:rack-c"}
LOG = [(0, 0, "a"), (0, 1, "b"), (0, 2, "c")]


def _healed(*sent: str) -> Crafted:
    c = Crafted()
    for i, v in enumerate(sent or ("a", "b", "c")):
        c.send("p0", v, offset=i)
    return c.healthy(2.0)


def test_readers_holding_the_same_log_agree():
    c = _healed().final_read(LOG, **LEADER).final_read(LOG, **RACK_B)
    r = final_reads_disagree(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, True, "pass")
    assert (r.notes["partitions_compared"], r.notes["offsets_compared"]) == (1, 3)


def test_a_reader_missing_a_record_or_holding_another_value_disagrees_at_each_offset():
    c = _healed().final_read(LOG, **LEADER)
    c.final_read([(0, 0, "a"), (0, 2, "c")], end_offset=3, **RACK_B)  # offset 1 missing
    c.final_read([(0, 0, "a"), (0, 1, "b"), (0, 2, "x")], **RACK_C)  # another value at offset 2
    r = final_reads_disagree(c.history())
    assert r.count == 2 and r.decided and r.verdict().value == "fail"
    assert r.found == [("t", 0, 1), ("t", 0, 2)]
    assert r.examples[0] == {"topic": "t", "partition": 0, "offset": 1, "readers": {
        "final-leader (leader)": "b", "final-rack-b (rack:rack-b)": None, "final-rack-c (rack:rack-c)": "b"}}
    assert r.examples[1]["readers"]["final-rack-c (rack:rack-c)"] == "x"


def test_records_past_the_smallest_end_offset_are_not_compared():
    c = _healed().final_read(LOG, **LEADER).final_read(LOG[:2], **RACK_B)  # rack-b read to end offset 2
    r = final_reads_disagree(c.history())
    assert (r.count, r.decided, r.notes["offsets_compared"]) == (0, True, 2)


def test_a_partition_fewer_than_two_readers_completed_is_undecided_but_the_others_are_judged():
    c = _healed()
    c.final_read(LOG, **LEADER).final_read(LOG[:2], end_offset=3, complete=False, **RACK_B)
    c.final_read([(1, 0, "d")], partition=1, **LEADER).final_read([(1, 0, "e")], partition=1, **RACK_B)
    r = final_reads_disagree(c.history())
    assert r.count == 1 and r.found == [("t", 1, 0)] and not r.decided
    assert r.notes["undecided_partitions"] == ["t-0"]
    c = _healed().final_read(LOG, **LEADER).final_read(LOG, **RACK_B, start=False)
    c.read_start(0, **RACK_C)  # the history ends during rack-c's read: leader and rack-b still compared
    assert final_reads_disagree(c.history()).decided


def test_a_history_cut_off_during_the_first_final_read_is_undecided():
    from tests.crafted import with_run

    c = with_run()
    c.ops[0].value["scenario"]["cluster"] = {"racks": ["rack-a", "rack-b"]}
    c.send("p0", "a", offset=0).healthy(1.0).read_start(0, **LEADER)
    r = final_reads_disagree(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, False, "unknown")
    assert r.notes["undecided_partitions"] == ["t-0"]


def test_without_a_full_isr_before_the_final_read_differences_are_only_a_note():
    c = Crafted().send("p0", "a", offset=0).healthy(None)
    c.final_read([(0, 0, "a")], **LEADER).final_read([(0, 0, "x")], **RACK_B)
    r = final_reads_disagree(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, False, "unknown")
    assert r.notes["differing_offsets_without_full_isr"] == 1 and "not full" in r.notes["reason"]
    c = Crafted().send("p0", "a", offset=0)  # no wait for the ISR recorded at all
    c.final_read([(0, 0, "a")], **LEADER).final_read([(0, 0, "a")], **RACK_B)
    r = final_reads_disagree(c.history())
    assert not r.decided and r.notes["reason"] == "the history shows no full ISR before the final read"


def test_a_single_final_reader_is_skipped_and_no_final_read_is_undecided():
    assert final_reads_disagree(_healed().final_read(LOG, **LEADER).history()).verdict().value == "skipped"
    r = final_reads_disagree(_healed().history())
    assert (r.decided, r.notes["reason"]) == (False, "the history has no final read")


# -- how far the final read got ----------------------------------------------------------------------------


def test_coverage_counts_only_reads_that_ended_ok_and_reached_their_end():
    c = Crafted().read_start(0, **LEADER).read_start(1, **LEADER).read_start(2, **LEADER)
    c.final_read(LOG, start=False, **LEADER)
    c.final_read([(1, 0, "x")], partition=1, end_offset=5, complete=False, start=False, **LEADER)
    cov = final_read_coverage(c.history())  # partition 2: invoked, never read
    assert cov.complete == {("t", 0)} and cov.incomplete == {("t", 1), ("t", 2)}


def test_a_full_last_chunk_short_of_the_end_offset_is_not_a_complete_read(monkeypatch):
    monkeypatch.setattr("harness.checks.final_reads.READ_CHUNK", 2)
    c = Crafted().final_read(LOG[:2], end_offset=3, **LEADER)
    assert final_read_coverage(c.history()).complete == set()
    c.final_read(LOG[2:], end_offset=3, start=False, **LEADER)
    assert final_read_coverage(c.history()).complete == {("t", 0)}
    full = Crafted().final_read(LOG[:2], end_offset=2, **LEADER)  # a full chunk that reached the end
    assert final_read_coverage(full.history()).complete == {("t", 0)}


def test_the_chunk_size_is_the_readers():
    reader = pytest.importorskip("harness.workload.reader")
    assert READ_CHUNK == reader.CHUNK
