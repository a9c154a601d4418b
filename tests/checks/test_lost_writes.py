from harness.checks.lost_writes import lost_writes
from tests.crafted import Crafted, clean_run


def test_clean_history_loses_nothing():
    r = lost_writes(clean_run().history())
    assert (r.count, r.decided, r.verdict().value) == (0, True, "pass")
    assert r.notes["acknowledged"] == 10


def test_acknowledged_write_missing_from_final_read_is_lost():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1).send("p0", "c", offset=2)
    c.read([(0, 0, "a"), (0, 1, "c")])
    r = lost_writes(c.history())
    assert r.count == 1
    assert r.examples[0]["value"] == "b" and r.examples[0]["offset"] == 1
    assert r.verdict().value == "fail"
    assert r.verdict(must_be_zero=False).value == "finding"


def test_indeterminate_and_failed_sends_are_not_obligations_but_are_noted():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", outcome="info", error="timed out")
    c.send("p0", "c", outcome="fail", error="NOT_ENOUGH_REPLICAS").send("p0", "d", outcome="info")
    c.read([(0, 0, "a"), (0, 1, "b"), (0, 2, "c")])
    r = lost_writes(c.history())
    assert r.count == 0
    assert r.notes["indeterminate_landed"] == 1
    assert r.notes["indeterminate_missing"] == 1
    assert "failed_but_landed" not in r.notes  # failed_sends_landed counts them


def test_no_final_read_cannot_decide():
    r = lost_writes(Crafted().send("p0", "a", offset=0).history())
    assert r.count == 0 and not r.decided and r.verdict().value == "unknown"


def test_missing_write_in_a_partition_whose_read_timed_out_is_undecided_not_lost():
    c = Crafted().send("p0", "a", partition=1, offset=0)
    c.read([], partition=1, complete=False)
    r = lost_writes(c.history())
    assert r.count == 0 and not r.decided
    assert r.notes["unconfirmed_in_unreadable_partitions"] == 1


def test_a_partition_one_final_reader_completed_is_decided_even_if_another_timed_out():
    c = Crafted().send("p0", "a", partition=0, offset=0).send("p0", "b", partition=0, offset=1)
    c.read([(0, 0, "a")], partition=0, process="final-leader")
    c.read([(0, 0, "a")], partition=0, process="final-rack-b", complete=False)
    r = lost_writes(c.history())
    assert r.decided and r.count == 1 and r.examples[0]["value"] == "b"


def test_each_lost_write_carries_its_cause_and_the_notes_count_them():
    from tests.checks.test_causes import unclean_run

    c = unclean_run()
    c.ops = [op for op in c.ops if op.f != "read"]
    c.read([])  # c, acknowledged by the new leader after the election, is lost with no recorded cause
    r = lost_writes(c.history())
    assert r.count == 3  # every acknowledged write absent, whatever its cause
    assert [(e["value"], e["cause"]) for e in r.examples] == [("c", "unexplained"), ("a", "unclean_election"),
                                                               ("b", "unclean_election")]
    assert (r.notes["unexplained"], r.notes["undecided"], r.notes["unclean_election"]) == (1, 0, 2)
    assert sorted(r.found.with_causes()) == [("t", "a", "unclean_election"), ("t", "b", "unclean_election"),
                                             ("t", "c", "unexplained")]


def test_without_the_controllers_record_lost_writes_are_counted_with_causes_undecided():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.read([(0, 0, "a")])
    r = lost_writes(c.history())
    assert r.count == 1 and r.verdict().value == "fail"
    assert r.examples[0]["cause"] == "undecided" and r.notes["undecided"] == 1 and r.notes["unexplained"] == 0
    assert r.found == [("t", "b")] and r.found.causes == ["undecided"]


def test_a_clean_run_has_no_cause_notes():
    assert "unexplained" not in lost_writes(clean_run().history()).notes


# -- undecided, not guessed, when the final read is missing or unfinished ----------------------------------


def test_a_history_cut_off_during_the_first_final_read_is_undecided_not_every_write_lost():
    c = Crafted().send("p0", "a", partition=0, offset=0).send("p0", "b", partition=1, offset=0)
    c.read_start(0).read_start(1)  # the final reader started both partitions; the history ends there
    r = lost_writes(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, False, "unknown")
    assert r.notes["unconfirmed_in_unreadable_partitions"] == 2
    assert r.notes["undecided_partitions"] == ["t-0", "t-1"]
    assert "no final reader read any partition to the end" in r.notes["reason"]


def test_a_final_readers_invocation_alone_is_not_a_final_read():
    r = lost_writes(Crafted().read_start(0).history())  # nothing was sent, but nothing was read either
    assert (r.count, r.decided) == (0, False)


def test_no_final_read_at_all_names_the_partitions_it_could_not_judge():
    r = lost_writes(Crafted().send("p0", "a", partition=2, offset=0).history())
    assert (r.count, r.decided) == (0, False)
    assert r.notes["reason"] == "the history has no final read" and r.notes["undecided_partitions"] == ["t-2"]


def test_partitions_read_to_the_end_are_still_judged_when_the_history_ends_during_another():
    c = Crafted().send("p0", "a", partition=0, offset=0).send("p0", "c", partition=0, offset=1)
    c.send("p0", "b", partition=1, offset=0)
    c.read_start(0).read_start(1)
    c.final_read([(0, 0, "a")], partition=0, start=False, end_offset=2)  # c is gone from a partition read in full
    r = lost_writes(c.history())  # ... and the history ends before partition 1's read was recorded
    assert r.count == 1 and r.examples[0]["value"] == "c" and not r.decided
    assert r.verdict().value == "fail"
    assert r.notes["unconfirmed_in_unreadable_partitions"] == 1 and r.notes["undecided_partitions"] == ["t-1"]


def test_a_read_whose_last_full_chunk_stops_short_of_the_end_offset_is_not_complete(monkeypatch):
    monkeypatch.setattr("harness.checks.final_reads.READ_CHUNK", 2)
    c = Crafted()
    for i in range(4):
        c.send("p0", f"v{i}", offset=i)
    c.final_read([(0, 0, "v0"), (0, 1, "v1")], end_offset=4)  # a full chunk, then the history ends
    r = lost_writes(c.history())
    assert (r.count, r.decided, r.notes["unconfirmed_in_unreadable_partitions"]) == (0, False, 2)
    c.final_read([(0, 2, "v2")], end_offset=4, start=False)
    r = lost_writes(c.history())  # the last chunk came: v3 is lost
    assert (r.count, r.decided) == (1, True) and r.examples[0]["value"] == "v3"


def test_a_clean_history_with_invoked_and_completed_final_reads_passes():
    c = Crafted().send("p0", "a", offset=0)
    c.final_read([(0, 0, "a")])
    r = lost_writes(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, True, "pass")
