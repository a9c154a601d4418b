"""The controller's timeline replayed from metadata records, and leader changes taken from it."""

from harness.history import schema
from harness.history.loader import History
from harness.history.ops import Op, OpType
from harness.observe.controller import controller_timeline
from harness.observe.leadership import leader_changes, unclean_elections

TID = "5zoAlv-xEh9xRANKXt1Lbg"
WALL = 1764750000.0


def _history(*metadata: tuple[int, str, dict], samples: list[tuple[float, int, list[int]]] = ()) -> History:
    ops = [Op.of(0, 0.0, "harness", OpType.OK, schema.Run(run_id="r", scenario={}, image="i", started_at="x",
                                                            wall_start=WALL))]
    for t, leader, isr in samples:
        ops.append(Op.of(len(ops), t, "sampler", OpType.OK, schema.Sample(topic="chaos", partition=0, leader=leader,
                                                                          replicas=[1, 2, 3], isr=isr, epoch=None,
                                                                          hwm=None)))
    records = [(0.5, "TOPIC_RECORD", {"name": "chaos", "topicId": TID})] + list(metadata)
    for i, (t, kind, data) in enumerate(records):
        ops.append(Op.of(len(ops), 60.0, "ground-truth", OpType.OK, schema.MetadataRecord(
            offset=i, time_ms=int((WALL + t) * 1000), controller_epoch=1, type=kind, data=data)))
    return History(ops)


def _created(t=1.0, leader=1, isr=(1, 2, 3)):
    return (t, "PARTITION_RECORD", {"partitionId": 0, "topicId": TID, "replicas": [1, 2, 3], "isr": list(isr),
                                    "leader": leader, "leaderEpoch": 0, "partitionEpoch": 0})


def _change(t, **fields):
    return (t, "PARTITION_CHANGE_RECORD", {"partitionId": 0, "topicId": TID, **fields})


def test_a_clean_failover_bumps_the_leader_epoch_and_is_clean():
    h = _history(_created(), _change(5.0, isr=[1, 2]), _change(8.0, leader=2, isr=[2]))
    tl = controller_timeline(h)
    assert tl.read
    states = [(c.time, c.after.leader, c.after.isr, c.after.leader_epoch, c.after.partition_epoch) for c in tl.partitions]
    assert states == [(1.0, 1, (1, 2, 3), 0, 0), (5.0, 1, (1, 2), 0, 1), (8.0, 2, (2,), 1, 2)]
    changes = leader_changes(h)
    assert [(c["time"], c["from"], c["to"], c["epoch_from"], c["epoch_to"], c["unclean"], c["source"])
            for c in changes] == [(8.0, 1, 2, 0, 1, False, "controller")]


def test_an_unclean_election_is_the_controllers_recovering_mark():
    h = _history(_created(), _change(3.0, isr=[1]), _change(6.0, leader=-1), _change(9.0, leader=3, isr=[3],
                                                                                      leaderRecoveryState=1),
                 _change(12.0, isr=[3, 1], leaderRecoveryState=0))
    elections = unclean_elections(h)
    assert [(e["time"], e["to"], e["epoch_to"], e["isr_before"]) for e in elections] == [(9.0, 3, 2, [1])]
    assert [c["to"] for c in leader_changes(h)] == [-1, 3]  # a partition without a leader shows as -1


def test_a_leader_from_the_eligible_leader_replicas_is_clean():
    h = _history(_created(), _change(3.0, isr=[1], eligibleLeaderReplicas=[2]), _change(6.0, leader=2, isr=[2],
                                                                                        eligibleLeaderReplicas=[]))
    assert unclean_elections(h) == []
    assert leader_changes(h)[0]["elr_before"] == [2]


def test_the_same_leader_named_again_still_bumps_the_epoch():
    h = _history(_created(), _change(4.0, leader=1))
    assert [c.after.leader_epoch for c in controller_timeline(h).partitions] == [0, 1]
    assert leader_changes(h) == []  # the epoch moved but the leader did not


def test_the_controller_overrules_samples_that_missed_an_election():
    # The sampler saw leader 1 throughout (it polled between the changes); the controller knows better.
    h = _history(_created(), _change(3.0, leader=-1, isr=[1]), _change(3.5, leader=2, isr=[2], leaderRecoveryState=1),
                 samples=[(1.0, 1, [1, 2, 3]), (4.0, 1, [1, 2, 3])])
    assert [(c["to"], c["unclean"]) for c in leader_changes(h)] == [(-1, False), (2, True)]


def test_without_metadata_records_leader_changes_come_from_the_samples():
    h = History([Op.of(0, 1.0, "sampler", OpType.OK, schema.Sample(topic="chaos", partition=0, leader=1,
                                                                   replicas=[1, 2, 3], isr=[1, 2, 3], epoch=0, hwm=0)),
                 Op.of(1, 2.0, "sampler", OpType.OK, schema.Sample(topic="chaos", partition=0, leader=2,
                                                                   replicas=[1, 2, 3], isr=[2, 3], epoch=1, hwm=0))])
    assert not controller_timeline(h).read
    assert [(c["to"], c["source"]) for c in leader_changes(h)] == [(2, "samples")]


def test_broker_fencing_and_controller_moves_are_kept():
    h = _history(_created(), (2.0, "BROKER_REGISTRATION_CHANGE_RECORD", {"brokerId": 3, "brokerEpoch": 9, "fenced": 1}),
                 (4.0, "BROKER_REGISTRATION_CHANGE_RECORD", {"brokerId": 3, "brokerEpoch": 9, "fenced": -1}),
                 (5.0, "LEADER_CHANGE", {"version": 0, "leaderId": 2, "voters": []}))
    tl = controller_timeline(h)
    assert [(b.time, b.node, b.what) for b in tl.brokers] == [(2.0, 3, "fenced"), (4.0, 3, "unfenced")]
    assert [(c.time, c.leader) for c in tl.controllers] == [(5.0, 2)]


def test_the_last_known_eligible_leader_elected_with_isr_and_elr_empty_is_kafkas_own_unclean_election():
    """As Kafka 4.3 recorded it in a run with unclean election off: leader 3 alone fenced (ISR empty, ELR and
    last known ELR [3]), dropped from the ELR after its unclean shutdown, then elected RECOVERING."""
    from harness.checks.causes import UNCLEAN_ELECTION, grounds
    from tests.crafted import changed, created, with_run

    c = with_run(acks="all", min_isr=1, unclean=False)
    created(c, 0.0, leader=1, isr=(1, 2, 3))
    changed(c, 1.0, isr=[3], leader=3)
    changed(c, 2.0, isr=[], leader=-1, eligibleLeaderReplicas=[3], lastKnownElr=[3])
    changed(c, 3.0, eligibleLeaderReplicas=[])
    changed(c, 4.0, isr=[3], leader=3, leaderRecoveryState=1, lastKnownElr=[])
    h = c.history()
    (election,) = controller_timeline(h).unclean_elections()
    assert election.last_known_leader and election.after.leader == 3 and election.after.last_known_elr == ()
    assert not controller_timeline(h).partitions[1].last_known_leader  # an ordinary clean failover
    g = grounds(h)
    ref = next(i for i, ch in enumerate(g.changes) if ch.unclean)
    assert "the last known eligible leader" in g.describe(UNCLEAN_ELECTION, ref)
