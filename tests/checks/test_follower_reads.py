import json

import pytest

from harness.checks.follower_reads import OFF_RACK_GRACE_S, follower_reads
from tests.crafted import Crafted, changed, clean_run, created, with_run

READER = "c-rack-b"


def _reader(served_by: int, leader: int = 1, isr=(1, 2, 3), seconds: float = 30) -> Crafted:
    """A rack-b reader served by ``served_by`` for ``seconds`` s, the sampler showing ``isr`` throughout."""
    c = Crafted().cluster().sample(0, leader=leader, isr=list(isr))
    return c.served(READER, "rack-b", 0, broker=served_by, seconds=seconds, leader=leader) \
        .stats(READER, "rack-b", 0, leader=leader, broker=served_by, hi_offset=1)


def _blip(off_s: float) -> Crafted:
    """On rack-b's follower (2) for 10 s, then ``off_s`` s on the leader (1, rack-a), then back on 2."""
    c = Crafted().cluster().sample(0, leader=1, isr=[1, 2, 3])
    return c.served(READER, "rack-b", 0, broker=2, seconds=10).served(READER, "rack-b", 0, broker=1, seconds=off_s) \
        .served(READER, "rack-b", 0, broker=2, seconds=10)


def test_clean_history_is_served_by_the_same_rack_follower():
    r = follower_reads(clean_run().history())
    assert r.count == 0 and r.decided and r.notes["share_of_samples"]["c-rack-b"] == {"same-rack follower": 1.0}
    assert r.notes["per_reader"]["c-rack-b"]["off_rack_s"] == 0
    json.dumps(r.to_dict())


def test_thirty_seconds_off_rack_while_the_own_rack_replica_was_in_sync_is_one_violation():
    r = follower_reads(_blip(30).history())
    assert r.count == 1 and r.decided and r.notes["isr_source"] == "samples"
    (e,) = r.examples
    assert (e["reader"], e["rack"], e["topic"], e["partition"]) == (READER, "rack-b", "t", 0)
    assert e["seconds"] == pytest.approx(30, abs=0.1) and e["start"] == pytest.approx(10, abs=0.1)
    assert e["end"] == pytest.approx(40, abs=0.1)
    assert e["served_by"] == [1] and e["leader"] == [1] and e["own_rack_replica"] == [2]
    assert r.found == [(READER, "t", 0, e["start"], e["end"])]
    per = r.notes["per_reader"][READER]
    assert per["stretches_over_grace"] == 1 and per["longest_off_rack_s"] == pytest.approx(30, abs=0.1)
    assert r.notes["resolution_s"] == pytest.approx(1.0, abs=0.01)


def test_a_three_second_blip_is_within_the_grace():
    r = follower_reads(_blip(3).history())
    assert r.count == 0 and r.decided
    assert r.notes["per_reader"][READER]["off_rack_s"] == pytest.approx(3, abs=0.1)
    assert r.notes["grace_s"] == OFF_RACK_GRACE_S


def test_reader_that_never_left_the_leader_while_its_rack_replica_was_in_sync_is_one_long_stretch():
    # was: three samples over 4 s counted as "never read from its own rack"; now only a stretch over
    # the grace counts, so the reader stays on the leader for 30 s
    r = follower_reads(_reader(served_by=1).history())
    assert r.count == 1
    assert r.examples[0]["reader"] == READER and r.examples[0]["served_by"] == [1]
    assert r.examples[0]["seconds"] == pytest.approx(30, abs=0.1)


def test_reading_from_the_leader_is_allowed_while_the_rack_replica_is_out_of_the_isr():
    r = follower_reads(_reader(served_by=1, isr=(1, 3)).history())
    assert r.count == 0 and r.decided
    per = r.notes["per_reader"][READER]
    assert per["off_rack_s"] == 0 and per["off_rack_allowed_s"] == pytest.approx(30, abs=0.1)


def _controlled(back_at: float) -> Crafted:
    """The controller drops rack-b's broker 2 from the ISR at 5 s and takes it back at 25 s; the reader is
    on the leader (1, rack-a) from 5 s until ``back_at``, then on 2 again. The sampler saw a full ISR
    throughout (it missed both changes): the controller's record must win."""
    c = with_run()
    created(c, 0.0)
    changed(c, 5.0, isr=[1, 3])
    changed(c, 25.0, isr=[1, 2, 3])
    c.cluster().sample(0, leader=1, isr=[1, 2, 3])
    c.wait(1.0 - c.t)
    c.served(READER, "rack-b", 0, broker=2, seconds=4).served(READER, "rack-b", 0, broker=1, seconds=back_at - 5)
    return c.served(READER, "rack-b", 0, broker=2, seconds=5)


def test_controller_record_bounds_the_allowed_time_and_the_stretch_after_the_rejoin():
    r = follower_reads(_controlled(back_at=40).history())
    assert r.notes["isr_source"] == "controller" and r.decided
    assert r.count == 1
    (e,) = r.examples
    assert e["start"] == pytest.approx(25, abs=0.1) and e["seconds"] == pytest.approx(15, abs=0.1)
    assert e["own_rack_replica"] == [2]
    per = r.notes["per_reader"][READER]
    assert per["off_rack_allowed_s"] == pytest.approx(20, abs=0.1)
    assert per["off_rack_s"] == pytest.approx(15, abs=0.1)


def test_moving_back_soon_after_the_rejoin_is_no_violation():
    r = follower_reads(_controlled(back_at=27).history())
    assert r.notes["isr_source"] == "controller" and r.count == 0
    assert r.notes["per_reader"][READER]["off_rack_s"] == pytest.approx(2, abs=0.1)


def test_sample_isr_changes_cut_stretches_too():
    c = Crafted().cluster().sample(0, leader=1, isr=[1, 2, 3])
    c.served(READER, "rack-b", 0, broker=2, seconds=5)
    c.sample(0, leader=1, isr=[1, 3])
    c.served(READER, "rack-b", 0, broker=1, seconds=20)
    c.sample(0, leader=1, isr=[1, 2, 3])
    c.served(READER, "rack-b", 0, broker=1, seconds=12).served(READER, "rack-b", 0, broker=2, seconds=2)
    r = follower_reads(c.history())
    assert r.notes["isr_source"] == "samples"
    assert r.count == 1 and r.examples[0]["seconds"] == pytest.approx(12, abs=0.1)
    assert r.notes["per_reader"][READER]["off_rack_allowed_s"] == pytest.approx(20, abs=0.1)


def test_without_broker_racks_it_cannot_decide():
    c = Crafted().cluster(racks=(None, None, None)).sample(0, leader=1, isr=[1, 2, 3])
    c.served(READER, "rack-b", 0, broker=1, seconds=30)
    r = follower_reads(c.history())
    assert not r.decided and r.verdict().value == "unknown" and "racks" in r.notes["reason"]


def test_a_rack_reader_without_statistics_leaves_it_undecided():
    c = _blip(3)
    c.poll("c-rack-c", [(0, 0, "v")], reader="rack:rack-c")
    r = follower_reads(c.history())
    assert not r.decided and "c-rack-c" in r.notes["reason"]


def test_without_controller_record_or_samples_it_cannot_decide():
    c = Crafted().cluster().served(READER, "rack-b", 0, broker=1, seconds=30)
    r = follower_reads(c.history())
    assert not r.decided and "ISR" in r.notes["reason"] and r.notes["isr_source"] == "none"


def test_switch_time_after_a_leader_change_is_noted():
    c = Crafted().cluster().sample(0, leader=1, isr=[1, 2, 3])
    c.stats("c-rack-b", "rack-b", 0, leader=1, broker=2, hi_offset=1).wait(4)
    c.sample(0, leader=3, isr=[2, 3]).wait(1.5)
    c.stats("c-rack-b", "rack-b", 0, leader=3, broker=2, hi_offset=1)
    r = follower_reads(c.history())
    (switch,) = r.notes["switch_after_leader_change_s"]
    assert switch["leader_to"] == 3 and 1.4 <= switch["after_s"] <= 1.6


def test_without_follower_readers_it_is_skipped():
    assert follower_reads(clean_run(consumers=False).history()).verdict().value == "skipped"
