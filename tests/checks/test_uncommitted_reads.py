import pytest

from harness.checks.uncommitted_reads import uncommitted_reads
from harness.observe.leadership import _sampled_leader_changes
from tests.crafted import Crafted, clean_run


def test_clean_history_shows_only_committed_data():
    r = uncommitted_reads(clean_run().history())
    assert r.count == 0 and r.verdict().value == "pass"


def test_polled_record_that_was_later_truncated_is_an_uncommitted_read():
    c = Crafted().send("p0", "a", offset=0).send("p0", "x", offset=1)
    c.poll("c1", [(0, 0, "a"), (0, 1, "x")])
    c.read([(0, 0, "a")])  # the final log ends at offset 1: x was truncated after c1 saw it
    r = uncommitted_reads(c.history())
    assert r.count == 1 and r.notes["not_in_final_log"] == 1
    assert r.examples[0]["offset"] == 1 and r.examples[0]["value"] == "x"


def test_polled_offset_at_the_served_high_watermark_is_caught():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.stats("c1", None, 0, leader=1, broker=1, hi_offset=1)
    c.poll("c1", [(0, 0, "a"), (0, 1, "b")])
    c.stats("c1", None, 0, leader=1, broker=1, hi_offset=1)  # the broker said only offset 0 was committed
    c.read([(0, 0, "a"), (0, 1, "b")])
    r = uncommitted_reads(c.history())
    assert r.count == 1 and r.notes["above_high_watermark"] == 1
    assert r.examples[0]["offset"] == 1 and r.examples[0]["hi_offset"] == 1


def test_without_consumers_it_is_skipped():
    assert uncommitted_reads(clean_run(consumers=False).history()).verdict().value == "skipped"


def _truncated_by(new_leader: int) -> Crafted:
    """c1 polls x at offset 1; the ISR shrinks to broker 2; then `new_leader` takes over and x is gone."""
    c = Crafted().sample(0, leader=1, isr=[1, 2, 3]).send("p0", "a", offset=0).send("p0", "x", offset=1)
    c.poll("c1", [(0, 0, "a"), (0, 1, "x")])
    c.sample(0, leader=1, isr=[1, 2]).sample(0, leader=-1, isr=[2]).sample(0, leader=new_leader, isr=[new_leader])
    return c.read([(0, 0, "a")])


def test_a_read_lost_to_an_unclean_election_is_loss_not_an_uncommitted_read():
    r = uncommitted_reads(_truncated_by(3).history())  # broker 3 was out of the ISR: an unclean election
    assert r.count == 0 and r.verdict().value == "pass"
    assert r.notes["lost_to_unclean_election"] == 1


def test_after_a_clean_election_the_same_truncation_is_still_caught():
    r = uncommitted_reads(_truncated_by(2).history())  # broker 2 was in the ISR: clean, so x was never committed
    assert r.count == 1 and r.notes["lost_to_unclean_election"] == 0


def test_across_a_leader_change_the_new_leaders_lagging_high_watermark_proves_nothing():
    # Read from leader 3 up to its high watermark 2; the next sample speaks for new leader 2, whose high
    # watermark is still 1 (a new leader's lags for a moment). Which broker served the poll is unclear.
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.stats("c1", None, 0, leader=3, broker=3, hi_offset=2)
    c.poll("c1", [(0, 0, "a"), (0, 1, "b")])
    c.stats("c1", None, 0, leader=2, broker=2, hi_offset=1)
    c.read([(0, 0, "a"), (0, 1, "b")])
    r = uncommitted_reads(c.history())
    assert r.count == 0 and r.notes["records_not_attributed_to_one_broker"] == 2


def _polled_then_truncated(samples_leader_after: int) -> Crafted:
    """c1 polls x at offset 1 (about 2.5 s) and the final log no longer holds it; the sampler saw leader 1
    with a full ISR, then ``samples_leader_after``, each new leader with a full ISR (so it saw nothing unclean)."""
    from tests.crafted import sent_at, with_run

    c = with_run(acks="all", min_isr=1, unclean=True).sample(0, leader=1, isr=[1, 2, 3])
    sent_at(c, 2.0, "a", 0)
    sent_at(c, 2.1, "x", 1)
    c.wait(0.4).poll("c1", [(0, 0, "a"), (0, 1, "x")])
    c.wait(3.0).sample(0, leader=samples_leader_after, isr=[1, 2, 3])
    return c.read([(0, 0, "a")])


def test_the_controllers_unclean_election_excuses_a_read_the_samples_missed():
    from tests.crafted import changed, created

    c = _polled_then_truncated(samples_leader_after=3)
    created(c)
    changed(c, 1.0, isr=[1])
    changed(c, 3.0, leader=-1)
    changed(c, 3.2, leader=3, isr=[3], leaderRecoveryState=1)  # between two samples: the sampler missed it
    changed(c, 3.4, isr=[3, 1, 2], leaderRecoveryState=0)
    h = c.history()
    assert not any(e["unclean"] for e in _sampled_leader_changes(h))  # the samples alone see a clean change
    r = uncommitted_reads(h)
    assert r.count == 0 and r.notes["lost_to_unclean_election"] == 1
    (election,) = r.notes["unclean_elections"]
    assert (election["time"], election["to"], election["epoch_to"], election["source"]) == (3.2, 3, 2, "controller")


@pytest.mark.parametrize("unclean", [False, True])
def test_the_controller_overrules_the_samples_guess(unclean):
    from tests.crafted import changed, created, with_run

    c = _truncated_by(3)  # the samples guess an unclean election of broker 3
    c.ops.insert(0, with_run().ops[0])
    polled = next(op.time for op in c.ops if op.f == "poll")
    created(c)
    changed(c, polled + 0.01, isr=[1] if unclean else [1, 3])
    changed(c, polled + 0.02, leader=3, isr=[3], **({"leaderRecoveryState": 1} if unclean else {}))
    r = uncommitted_reads(c.history())
    # Clean (3 was in the ISR): x was never committed, its read is a finding; unclean: lost to the election.
    assert (r.count, r.notes["lost_to_unclean_election"]) == ((0, 1) if unclean else (1, 0))


def test_without_a_final_read_a_polled_record_is_not_judged_against_the_final_log():
    c = Crafted().send("p0", "a", offset=0).poll("c1", [(0, 0, "a")])
    r = uncommitted_reads(c.history())
    assert (r.count, r.decided, r.verdict().value) == (0, False, "unknown")
    assert r.notes["polled_records_not_judged_against_the_final_log"] == 1
    assert r.notes["undecided_partitions"] == ["t-0"]


def test_a_history_cut_off_during_the_final_read_does_not_make_every_poll_uncommitted():
    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.poll("c1", [(0, 0, "a"), (0, 1, "b")])
    c.read_start(0)
    r = uncommitted_reads(c.history())
    assert (r.count, r.decided, r.notes["not_in_final_log"]) == (0, False, 0)
    assert r.notes["polled_records_not_judged_against_the_final_log"] == 2


def test_partitions_read_to_the_end_are_judged_when_another_timed_out():
    c = Crafted().send("p0", "a", partition=0, offset=0).send("p0", "x", partition=0, offset=1)
    c.send("p0", "b", partition=1, offset=0)
    c.poll("c1", [(0, 0, "a"), (0, 1, "x")]).poll("c1", [(1, 0, "b")])
    c.final_read([(0, 0, "a")], partition=0, end_offset=1)  # x was truncated after c1 saw it
    c.final_read([], partition=1, end_offset=1, complete=False)
    r = uncommitted_reads(c.history())
    assert r.count == 1 and r.examples[0]["value"] == "x" and not r.decided
    assert r.notes["undecided_partitions"] == ["t-1"]


def test_a_polled_record_any_complete_final_reader_holds_is_in_the_final_log():
    c = Crafted().send("p0", "a", offset=0)
    c.poll("c1", [(0, 0, "a")])
    c.final_read([(0, 0, "a")], process="final-leader")
    c.final_read([(0, 0, "a")], process="final-rack-b", reader="rack:rack-b")
    r = uncommitted_reads(c.history())
    assert (r.count, r.decided) == (0, True)


def _polled_with_watermark(watermark: int, after_hi: int, broker_after: int = 1) -> Crafted:
    """c1 polls a, b (offsets 0, 1) recording ``watermark`` as the high watermark of partition 0; the next
    statistics sample reports ``after_hi`` from ``broker_after``."""
    from harness.history.ops import OpType
    from harness.history.schema import Poll

    c = Crafted().send("p0", "a", offset=0).send("p0", "b", offset=1)
    c.stats("c1", None, 0, leader=1, broker=1, hi_offset=1)
    c.record("c1", OpType.OK, Poll(topic="t", reader="leader", records=[[0, 0, "a"], [0, 1, "b"]],
                                   watermarks=[[0, watermark]]))
    c.stats("c1", None, 0, leader=broker_after, broker=broker_after, hi_offset=after_hi)
    return c.read([(0, 0, "a"), (0, 1, "b")])


def test_the_polls_own_cached_high_watermark_is_not_evidence():
    """On a real cluster librdkafka returned records at offsets 0 to 2 while its cached high watermark still
    said 0 (an unclean-election run in CI): the cache can be older than the records, so it decides nothing."""
    r = uncommitted_reads(_polled_with_watermark(watermark=0, after_hi=5).history())
    assert r.count == 0 and r.notes["above_high_watermark"] == 0
