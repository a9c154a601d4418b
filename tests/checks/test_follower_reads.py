from harness.checks.follower_reads import follower_reads
from tests.crafted import Crafted, clean_run


def _reader(served_by: int, leader: int = 1, isr=(1, 2, 3)) -> Crafted:
    c = Crafted().cluster().sample(0, leader=leader, isr=list(isr))
    for _ in range(3):
        c.stats("c-rack-b", "rack-b", 0, leader=leader, broker=served_by, hi_offset=1).wait(2)
    return c


def test_clean_history_is_served_by_the_same_rack_follower():
    r = follower_reads(clean_run().history())
    assert r.count == 0 and r.notes["share_of_samples"]["c-rack-b"] == {"same-rack follower": 1.0}


def test_reader_that_never_left_the_leader_while_its_rack_replica_was_in_sync_is_a_finding():
    r = follower_reads(_reader(served_by=1).history())
    assert r.count == 1
    assert r.examples[0]["reader"] == "c-rack-b" and r.examples[0]["served_by"] == ["leader"]


def test_reading_from_the_leader_is_fine_when_the_rack_replica_was_out_of_sync():
    assert follower_reads(_reader(served_by=1, isr=(1, 3)).history()).count == 0


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
