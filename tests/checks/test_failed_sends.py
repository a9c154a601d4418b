from harness.checks.failed_sends import failed_sends_landed
from tests.crafted import Crafted, clean_run


def _failed() -> Crafted:
    c = Crafted().send("p0", "a", offset=0).send("p0", "f1", outcome="fail", error="MSG_SIZE_TOO_LARGE")
    return c.send("p0", "f2", outcome="fail", error="NOT_ENOUGH_REPLICAS")


def test_failed_sends_that_did_not_land_stay_silent():
    r = failed_sends_landed(_failed().final_read([(0, 0, "a")]).history())
    assert (r.count, r.decided, r.verdict().value) == (0, True, "pass")
    assert r.notes["failed"] == 2


def test_a_failed_send_found_in_a_read_is_counted_with_its_error():
    c = _failed().poll("c1", [(0, 0, "a"), (0, 1, "f2")])
    c.final_read([(0, 0, "a"), (0, 1, "f2")])
    r = failed_sends_landed(c.history())
    assert r.count == 1 and r.verdict().value == "fail"
    (example,) = r.examples
    assert (example["value"], example["error"], example["found_in"], example["partition"], example["offset"]) == \
        ("f2", "NOT_ENOUGH_REPLICAS", "poll", 0, 1)
    assert r.notes["by_error"] == {"NOT_ENOUGH_REPLICAS": 1} and r.found == [("t", "f2")]


def test_a_failed_send_only_a_replica_log_holds_is_counted():
    c = _failed().final_read([(0, 0, "a")])
    c.replica_log(2, 0, [(0, "a", 0, 7, 0, 0), (1, "f1", 0, 7, 0, 1)])
    r = failed_sends_landed(c.history())
    assert r.count == 1 and r.notes["found_in_replica_logs_only"] == 1
    assert (r.examples[0]["value"], r.examples[0]["found_in"], r.examples[0]["offset"]) == \
        ("f1", "replica_log of node 2", 1)


def test_indeterminate_sends_that_landed_are_not_counted():
    c = Crafted().send("p0", "f", outcome="fail").send("p0", "i", outcome="info").final_read([(0, 0, "i")])
    assert failed_sends_landed(c.history()).count == 0


def test_without_a_complete_view_of_the_log_finding_nothing_is_undecided():
    c = _failed().read_start(0)  # the history ends during the final read; no replica logs
    r = failed_sends_landed(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, False, "unknown")
    assert r.notes["partitions_not_read_to_the_end"] == ["t-0"]
    c.replica_log(1, 0, [(0, "a", 0, 7, 0, 0)])  # every replica's log stands in for the final read
    assert failed_sends_landed(c.history()).verdict().value == "pass"


def test_a_landed_failed_send_counts_even_when_the_view_is_incomplete():
    c = _failed().final_read([(0, 0, "f1")], end_offset=3, complete=False)
    r = failed_sends_landed(c.history())
    assert r.count == 1 and not r.decided and r.verdict().value == "fail"


def test_no_failed_send_is_skipped():
    assert failed_sends_landed(clean_run().history()).verdict().value == "skipped"
