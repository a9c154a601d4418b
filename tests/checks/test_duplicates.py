import pytest

from harness.checks.duplicates import (
    BROKER_DEDUP_FAILED,
    CLIENT_EPOCH_BUMP,
    DIFFERENT_PRODUCERS,
    RESENT_AFTER_TRUNCATION,
    RETRY_WITHOUT_IDEMPOTENCE,
    UNEXPLAINED,
    Copy,
    duplicate_cause,
    duplicates,
)
from tests.crafted import Crafted, clean_run


def test_clean_history_has_no_duplicates():
    r = duplicates(clean_run().history())
    assert r.count == 0 and r.verdict().value == "pass"


def test_clean_history_with_replica_logs_has_no_duplicates():
    c = clean_run(n=4, partitions=1)
    for node in (1, 2, 3):
        c.replica_log(node, 0, [(i, f"p0-{i}", 0, 7, 0, i) for i in range(4)])
    r = duplicates(c.history())
    assert r.count == 0 and r.decided and r.verdict().value == "pass"


def test_reading_the_same_offset_twice_is_not_a_duplicate():
    c = Crafted().send("p0", "a", offset=0)
    c.read([(0, 0, "a")], f="poll", process="c1").read([(0, 0, "a")], f="poll", process="c2").read([(0, 0, "a")])
    assert duplicates(c.history()).count == 0


# -- without replica logs (histories from before the log autopsy) ------------------------------------------


def test_value_at_two_offsets_is_a_duplicate_of_undecided_cause():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.read([(0, 0, "a"), (0, 1, "b"), (0, 2, "a")])
    r = duplicates(c.history())
    assert r.count == 1 and not r.decided and r.verdict().value == "fail"
    assert r.examples == [{"value": "a", "topic": "t", "at": [[0, 0], [0, 2]], "cause": "undecided", "copies": [
        {"partition": 0, "offset": 0, "producer_id": None, "producer_epoch": None, "sequence": None,
         "leader_epoch": None},
        {"partition": 0, "offset": 2, "producer_id": None, "producer_epoch": None, "sequence": None,
         "leader_epoch": None}]}]
    assert r.notes["causes"] == {"undecided": 1} and "log autopsy" in r.notes["undecided"]
    assert r.found == [("t", "a", "undecided")]


def test_duplicate_seen_only_by_a_poll_is_caught():
    c = Crafted().send("p0", "a", offset=0)
    c.read([(0, 0, "a"), (0, 1, "a")], f="poll", process="c1").read([(0, 0, "a")])
    assert duplicates(c.history()).count == 1


# -- causes from the batch headers ---------------------------------------------------------------------------


def written_twice(first, later, partitions=(0, 0)) -> Crafted:
    """Value "a" read at offset 0 and at offset 2 (or in two partitions), with "b" between; ``first`` and
    ``later`` are each copy's (producer id, producer epoch, sequence); every replica holds the same."""
    c = Crafted().send("p0", "a", partition=partitions[0], offset=0).send("p0", "b", offset=1)
    p0, p1 = partitions
    logs = {p: [] for p in set(partitions)}
    logs[p0].append((0, "a", 3, *first))
    logs[0].append((1, "b", 3, first[0], first[1], first[2] + 1 if first[2] >= 0 else -1))
    logs[p1].append((2, "a", 4, *later))
    for p, rows in logs.items():
        for node in (1, 2, 3):
            c.replica_log(node, p, sorted(rows))
        c.read([(p, o, v) for o, v, *_ in sorted(rows)], partition=p)
    return c


@pytest.mark.parametrize("first, later, cause, counted", [
    ((-1, -1, -1), (-1, -1, -1), RETRY_WITHOUT_IDEMPOTENCE, False),
    ((7, 0, 10), (7, 1, 0), CLIENT_EPOCH_BUMP, False),
    ((7, 0, 10), (7, 0, 10), BROKER_DEDUP_FAILED, True),
    ((7, 0, 10), (8, 0, 0), DIFFERENT_PRODUCERS, True),
    ((7, 0, 10), (7, 0, 12), UNEXPLAINED, True),
    ((7, 1, 10), (7, 0, 0), UNEXPLAINED, True),  # the epoch went down: no client does that
])
def test_each_cause_is_attributed_from_the_batch_headers(first, later, cause, counted):
    r = duplicates(written_twice(first, later).history())
    assert r.decided
    assert r.count == (1 if counted else 0)
    assert r.verdict().value == ("fail" if counted else "pass")
    assert r.notes["causes"] == {cause: 1} and r.notes["documented"] == (0 if counted else 1)
    assert r.found == [("t", "a", cause)]
    (example,) = r.examples
    assert example["cause"] == cause and example["at"] == [[0, 0], [0, 2]]
    assert example["copies"] == [
        {"partition": 0, "offset": 0, "producer_id": first[0], "producer_epoch": first[1], "sequence": first[2],
         "leader_epoch": 3},
        {"partition": 0, "offset": 2, "producer_id": later[0], "producer_epoch": later[1], "sequence": later[2],
         "leader_epoch": 4}]


def test_copies_of_one_producer_in_two_partitions_are_unexplained():
    r = duplicates(written_twice((7, 0, 10), (7, 1, 0), partitions=(0, 1)).history())
    assert r.count == 1 and r.found == [("t", "a", UNEXPLAINED)]


def test_a_copy_no_replica_log_holds_is_unexplained():
    c = written_twice((7, 0, 10), (7, 1, 0))
    c.read([(0, 3, "a")], f="poll", process="c1")  # read at offset 3, which the logs do not hold
    r = duplicates(c.history())
    assert r.count == 1 and r.decided
    assert r.examples[0]["pair_causes"] == [CLIENT_EPOCH_BUMP, UNEXPLAINED]
    assert r.examples[0]["copies"][2]["producer_id"] is None


def test_a_copy_the_logs_lost_is_a_retry_when_its_producer_was_not_idempotent():
    """A copy read and then truncated (say by an unclean election) has no headers left. A producer without
    idempotence writes a value twice only by retrying: documented, whatever the lost copy's headers were."""
    from harness.history.ops import OpType
    from tests.crafted import with_run

    def history(idempotent: bool, a_outcome: str = "ok"):
        c = with_run(acks="all", min_isr=2)
        c.ops[0].value["scenario"]["workload"]["producers"][0]["enable_idempotence"] = idempotent
        c.send("producer-0-0", "a", outcome=a_outcome, offset=0 if a_outcome == "ok" else None)
        c.send("producer-0-0", "b", offset=1)
        for node in (1, 2, 3):
            c.replica_log(node, 0, [(0, "a", 3, -1, -1, -1), (1, "b", 3, -1, -1, -1)])
        c.read([(0, 0, "a"), (0, 1, "b")])
        c.read([(0, 2, "a")], f="poll", process="c1")  # read at offset 2, which no log holds any more
        assert c.ops[0].type is OpType.OK
        return c.history()

    r = duplicates(history(idempotent=False))
    assert (r.count, r.found) == (0, [("t", "a", RETRY_WITHOUT_IDEMPOTENCE)])
    r = duplicates(history(idempotent=True))  # acknowledged, so never re-sent: the lost copy is unexplained
    assert (r.count, r.found) == (1, [("t", "a", UNEXPLAINED)])
    # never acknowledged: the idempotent producer re-sent it once the log had lost the first copy
    r = duplicates(history(idempotent=True, a_outcome="info"))
    assert (r.count, r.found) == (0, [("t", "a", RESENT_AFTER_TRUNCATION)])


def test_a_copy_whose_offset_holds_another_value_is_unexplained():
    c = written_twice((7, 0, 10), (7, 0, 10))
    c.read([(0, 1, "a")], f="poll", process="c1")  # offset 1 holds "b": "a" was read there, yet is not there
    r = duplicates(c.history())
    assert r.found == [("t", "a", BROKER_DEDUP_FAILED)]  # the most severe of its pairs
    assert r.examples[0]["pair_causes"] == [BROKER_DEDUP_FAILED, UNEXPLAINED]


def test_a_copy_in_a_partition_without_replica_logs_is_undecided():
    c = written_twice((7, 0, 10), (7, 1, 0))
    c.read([(5, 0, "a")], f="poll", process="c1")  # partition 5: no replica log of it
    r = duplicates(c.history())
    assert r.count == 1 and not r.decided
    assert r.found == [("t", "a", "undecided")]
    assert "do not cover" in r.notes["undecided"]


def test_counted_causes_come_first_among_the_examples():
    c = written_twice((7, 0, 10), (7, 1, 0))  # "a": an epoch bump (documented)
    c.send("p0", "z", partition=1, offset=0)
    for node in (1, 2):
        c.replica_log(node, 1, [(0, "z", 0, 9, 0, 5), (1, "z", 0, 9, 0, 5)])
    c.read([(1, 0, "z"), (1, 1, "z")], partition=1)
    r = duplicates(c.history())
    assert r.count == 1 and r.notes["causes"] == {BROKER_DEDUP_FAILED: 1, CLIENT_EPOCH_BUMP: 1}
    assert [e["cause"] for e in r.examples] == [BROKER_DEDUP_FAILED, CLIENT_EPOCH_BUMP]


def test_duplicate_cause_rules():
    a = Copy(0, 0, 7, 0, 3, 1)
    assert duplicate_cause(a, Copy(0, 9, 7, 2, 0, 2)) == CLIENT_EPOCH_BUMP
    assert duplicate_cause(a, Copy(0, 9, 7, 0, 3, 2)) == BROKER_DEDUP_FAILED
    assert duplicate_cause(a, Copy(0, 9, 8, 0, 3, 2)) == DIFFERENT_PRODUCERS
    assert duplicate_cause(a, Copy(1, 9, 8, 0, 3, 2)) == DIFFERENT_PRODUCERS
    assert duplicate_cause(a, Copy(0, 9, 7, 0, 4, 2)) == UNEXPLAINED
    assert duplicate_cause(a, Copy(0, 9)) == UNEXPLAINED
    assert duplicate_cause(Copy(0, 0, -1, -1, -1, 0), Copy(0, 4, -1, -1, -1, 0)) == RETRY_WITHOUT_IDEMPOTENCE
    assert duplicate_cause(Copy(0, 0, -1, -1, -1, 0), Copy(0, 4, 7, 0, 0, 0)) == DIFFERENT_PRODUCERS
