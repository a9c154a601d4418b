"""Parsing Kafka's log dump tool: the controller's metadata log and a replica's data log."""

from harness.observe.dump_log import parse_data_dump, parse_epoch_checkpoint, parse_metadata_dump

TOPIC_ID = "5zoAlv-xEh9xRANKXt1Lbg"

METADATA = f"""Dumping /var/lib/kafka-chaos/data/__cluster_metadata-0/00000000000000000000.log
Log starting offset: 0
baseOffset: 0 lastOffset: 0 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 1 isTransactional: false isControl: true deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1764750000000 size: 90 magic: 2 compresscodec: none crc: 1 isvalid: true
| offset: 0 CreateTime: 1764750000000 keySize: 4 valueSize: 19 sequence: -1 headerKeys: [] LeaderChange: {{"version":0,"leaderId":2,"voters":[{{"voterId":1}}],"grantingVoters":[{{"voterId":2}}]}}
baseOffset: 1 lastOffset: 4 count: 4 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 1 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 90 CreateTime: 1764750001000 size: 400 magic: 2 compresscodec: none crc: 2 isvalid: true
| offset: 1 CreateTime: 1764750001000 keySize: -1 valueSize: 40 sequence: -1 headerKeys: [] payload: {{"type":"REGISTER_BROKER_RECORD","version":3,"data":{{"brokerId":1,"brokerEpoch":5,"rack":"rack-a","fenced":true}}}}
| offset: 2 CreateTime: 1764750001000 keySize: -1 valueSize: 40 sequence: -1 headerKeys: [] payload: {{"type":"TOPIC_RECORD","version":0,"data":{{"name":"chaos","topicId":"{TOPIC_ID}"}}}}
| offset: 3 CreateTime: 1764750001000 keySize: -1 valueSize: 40 sequence: -1 headerKeys: [] payload: {{"type":"PARTITION_RECORD","version":2,"data":{{"partitionId":0,"topicId":"{TOPIC_ID}","replicas":[1,2,3],"isr":[1,2,3],"leader":1,"leaderEpoch":0,"partitionEpoch":0}}}}
| offset: 4 CreateTime: 1764750001000 keySize: -1 valueSize: 40 sequence: -1 headerKeys: [] payload: {{"type":"NO_OP_RECORD","version":0,"data":{{}}}}
Non-consecutive offsets in /var/lib/kafka-chaos/data/__cluster_metadata-0/00000000000000000000.log
baseOffset: 5 lastOffset: 5 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 2 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 490 CreateTime: 1764750009500 size: 100 magic: 2 compresscodec: none crc: 3 isvalid: true
| offset: 5 CreateTime: 1764750009500 keySize: -1 valueSize: 40 sequence: -1 headerKeys: [] payload: {{"type":"PARTITION_CHANGE_RECORD","version":2,"data":{{"partitionId":0,"topicId":"{TOPIC_ID}","isr":[3],"leader":3,"leaderRecoveryState":1}}}}
"""

DATA = """Dumping /var/lib/kafka-chaos/data/chaos-0/00000000000000000000.log
Log starting offset: 0
baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: 1000 producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1764750002000 size: 120 magic: 2 compresscodec: none crc: 4 isvalid: true
| offset: 0 CreateTime: 1764750002000 keySize: 2 valueSize: 12 sequence: 0 headerKeys: [] key: k0 payload: producer-0-0
| offset: 1 CreateTime: 1764750002000 keySize: 2 valueSize: 12 sequence: 1 headerKeys: [] key: k1 payload: producer-0-1
baseOffset: 2 lastOffset: 2 count: 1 baseSequence: 0 lastSequence: 0 producerId: 1000 producerEpoch: 1 partitionLeaderEpoch: 1 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 120 CreateTime: 1764750003000 size: 70 magic: 2 compresscodec: none crc: 5 isvalid: true
| offset: 2 CreateTime: 1764750003000 keySize: 2 valueSize: -1 sequence: 0 headerKeys: [] key: k2
Dumping /var/lib/kafka-chaos/data/chaos-1/00000000000000000000.log
Log starting offset: 0
baseOffset: 0 lastOffset: 0 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 3 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1764750004000 size: 70 magic: 2 compresscodec: none crc: 6 isvalid: true
| offset: 0 CreateTime: 1764750004000 keySize: -1 valueSize: 12 sequence: -1 headerKeys: [] payload: producer-1-7
"""


def test_metadata_records_keep_their_offset_time_controller_epoch_and_fields():
    entries = parse_metadata_dump(METADATA)
    assert [e.type for e in entries] == ["LEADER_CHANGE", "REGISTER_BROKER_RECORD", "TOPIC_RECORD", "PARTITION_RECORD",
                                         "PARTITION_CHANGE_RECORD"]  # the no-op record is not kept
    change = entries[-1]
    assert (change.offset, change.time_ms, change.controller_epoch) == (5, 1764750009500, 2)
    assert change.data == {"partitionId": 0, "topicId": TOPIC_ID, "isr": [3], "leader": 3, "leaderRecoveryState": 1}
    assert entries[0].data["leaderId"] == 2 and entries[0].controller_epoch == 1


def test_a_dump_without_records_gives_none():
    assert parse_metadata_dump("Dumping x\nLog starting offset: 0\n") == []


def test_data_records_carry_their_batch_headers_per_partition_directory():
    logs = parse_data_dump(DATA)
    assert set(logs) == {"chaos-0", "chaos-1"}
    p0 = logs["chaos-0"]
    assert p0.offsets == [0, 1, 2]
    assert p0.values == ["producer-0-0", "producer-0-1", None]  # a null value (tombstone) is None
    assert p0.leader_epochs == [0, 0, 1]
    assert p0.producer_ids == [1000, 1000, 1000] and p0.producer_epochs == [0, 0, 1]
    assert p0.sequences == [0, 1, 0]
    p1 = logs["chaos-1"]
    assert (p1.values, p1.producer_ids, p1.sequences, p1.leader_epochs) == (["producer-1-7"], [-1], [-1], [3])


def test_control_batches_are_skipped():
    control = DATA.replace("isControl: false", "isControl: true", 1)
    assert parse_data_dump(control)["chaos-0"].offsets == [2]


def test_leader_epoch_checkpoint():
    assert parse_epoch_checkpoint("0\n2\n0 0\n1 1500\n") == [[0, 0], [1, 1500]]
    assert parse_epoch_checkpoint("") == []


def test_only_the_topics_own_partition_directories_are_dumped():
    from harness.observe.ground_truth import partition_dirs

    paths = ["/d/chaos-0", "/d/chaos-1/", "/d/chaos-b-0", "/d/chaos-probe-2", "/d/chaos.x-0"]
    assert partition_dirs("chaos", paths) == ["/d/chaos-0", "/d/chaos-1/"]
    assert partition_dirs("chaos.x", paths) == ["/d/chaos.x-0"]
