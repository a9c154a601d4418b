from harness.checks.replica_divergence import replica_divergence
from tests.crafted import Crafted, clean_run

PID = 7


def rows(values, start=0, leader_epoch=0):
    """Idempotent records from producer PID, epoch 0, one sequence per record."""
    return [(start + i, v, leader_epoch, PID, 0, start + i) for i, v in enumerate(values)]


def replicated(c: Crafted, partition: int, values, nodes=(1, 2, 3)) -> Crafted:
    for node in nodes:
        c.replica_log(node, partition, rows(values))
    return c


def test_identical_replicas_pass():
    c = clean_run(partitions=2)
    replicated(c, 0, ["p0-0", "p0-2", "p0-4"])
    replicated(c, 1, ["p0-1", "p0-3"])
    r = replica_divergence(c.history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass"
    assert r.notes["partitions_compared"] == 2 and r.notes["offsets_compared"] == 5
    assert "lag" not in r.notes


def test_a_different_value_at_one_offset_is_divergence():
    c = replicated(Crafted(), 0, ["a", "b", "c"], nodes=(1, 2))
    c.replica_log(3, 0, [(0, "a", 0, PID, 0, 0), (1, "x", 1, PID, 1, 0), (2, "c", 0, PID, 0, 2)])
    r = replica_divergence(c.history())
    assert r.count == 1 and r.verdict().value == "fail"
    assert r.found == [("t", 0, 1)]
    assert r.examples == [{"topic": "t", "partition": 0, "offset": 1, "replicas": [
        {"node": 1, "value": "b", "leader_epoch": 0}, {"node": 2, "value": "b", "leader_epoch": 0},
        {"node": 3, "value": "x", "leader_epoch": 1}]}]


def test_an_offset_missing_from_one_replica_inside_the_common_range_is_divergence():
    c = replicated(Crafted(), 0, ["a", "b", "c"], nodes=(1, 2))
    c.replica_log(3, 0, [(0, "a", 0, PID, 0, 0), (2, "c", 0, PID, 0, 2)])
    r = replica_divergence(c.history())
    assert r.count == 1
    assert r.examples[0]["replicas"][2] == {"node": 3, "missing": True}


def test_an_offset_no_replica_holds_is_not_compared():
    c = Crafted()
    for node in (1, 2):
        c.replica_log(node, 0, [(0, "a", 0, PID, 0, 0), (2, "b", 0, PID, 0, 1)])  # 1: a transaction marker
    r = replica_divergence(c.history())
    assert r.count == 0 and r.notes["offsets_compared"] == 2


def test_logs_ending_at_different_offsets_are_lag_not_divergence():
    c = replicated(Crafted(), 0, ["a", "b", "c"], nodes=(1, 2))
    c.replica_log(3, 0, rows(["a", "b"]))
    r = replica_divergence(c.history())
    assert r.count == 0 and r.verdict().value == "pass"
    assert r.notes["lag"] == [{"topic": "t", "partition": 0, "last_offsets": {"1": 2, "2": 2, "3": 1}}]


def test_only_offsets_every_replica_holds_are_compared():
    c = Crafted()
    c.replica_log(1, 0, rows(["a", "b", "c", "d"]))
    c.replica_log(2, 0, rows(["c", "d", "e"], start=2))  # its log starts later (retention)
    r = replica_divergence(c.history())
    assert r.count == 0 and r.notes["offsets_compared"] == 2


def test_an_empty_replica_log_is_lag():
    c = replicated(Crafted(), 0, ["a"], nodes=(1, 2))
    c.replica_log(3, 0, [])
    r = replica_divergence(c.history())
    assert r.count == 0 and r.notes["offsets_compared"] == 0
    assert r.notes["lag"][0]["last_offsets"] == {"1": 0, "2": 0, "3": None}


def test_a_tombstone_against_a_value_is_divergence():
    c = replicated(Crafted(), 0, ["a"], nodes=(1,))
    c.replica_log(2, 0, [(0, None, 0, PID, 0, 0)])
    assert replica_divergence(c.history()).count == 1


def test_skipped_without_replica_logs():
    r = replica_divergence(clean_run().history())
    assert r.skipped and "replica logs" in r.skipped
    assert r.verdict().value == "skipped"


def test_undecided_when_a_replica_log_could_not_be_read():
    c = replicated(Crafted(), 0, ["a", "b"], nodes=(1, 2))
    c.replica_log_unread(3, error="docker exec failed")
    r = replica_divergence(c.history())
    assert r.count == 0 and not r.decided and r.verdict().value == "unknown"
    assert r.notes["unread"] == ["node 3: every partition of t (docker exec failed)"]

    c = replicated(Crafted(), 0, ["a", "b"], nodes=(1, 2)).replica_log_unread(3, 0)
    assert replica_divergence(c.history()).notes["unread"] == ["node 3: t-0 (log dump failed)"]


def test_divergence_still_counted_when_another_replica_is_unread():
    c = Crafted().replica_log(1, 0, rows(["a"])).replica_log(2, 0, rows(["b"])).replica_log_unread(3, 0)
    r = replica_divergence(c.history())
    assert r.count == 1 and not r.decided and r.verdict().value == "fail"
