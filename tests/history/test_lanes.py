"""Cutting a run of several lanes (a comparison's cells side by side) into one history per lane."""

import json

from harness.history.lanes import Lane, lane_ops, lanes_of, process_prefix, write_lane

SCEN = {n: {"name": "s", "seed": 3, "topic": {"name": n, "min_insync_replicas": m}} for n, m in (("t-a", 1), ("t-b", 2))}
LANES = [Lane("cell a", SCEN["t-a"]), Lane("cell b", SCEN["t-b"])]


def _ops():
    ops = [
        ("run", {"run_id": "r", "scenario": {"name": "s", "seed": 3, "topic": {"name": "chaos"}}}),
        ("lanes", {"lanes": [{"label": x.label, "scenario": x.scenario} for x in LANES]}),
        ("cluster", {"brokers": []}),
        ("send", {"topic": "t-a", "values": ["a-1"], "times": [0.1]}, process_prefix(0) + "producer-0-0"),
        ("send", {"topic": "t-b", "values": ["b-1"], "times": [0.1]}, process_prefix(1) + "producer-0-0"),
        ("effect", {"id": "f1", "kind": "kill", "phase": "start", "expect": "leader_moved", "topic": "t-a",
                    "partition": 0}),
        ("metadata", {"type": "TOPIC_RECORD", "data": {"name": "t-a", "topicId": "A"}}),
        ("metadata", {"type": "TOPIC_RECORD", "data": {"name": "t-b", "topicId": "B"}}),
        ("metadata", {"type": "PARTITION_CHANGE_RECORD", "data": {"topicId": "A", "leader": 2}}),
        ("metadata", {"type": "PARTITION_CHANGE_RECORD", "data": {"topicId": "B", "leader": 2}}),
        ("metadata", {"type": "FENCE_BROKER_RECORD", "data": {"id": 1}}),
        ("healthy", {"topic": "t-a", "after_s": 1.0}),
        ("healthy", {"topic": "t-b", "after_s": 1.5}),
        ("replica_log", {"node": 1, "topic": "t-b", "partition": 0}),
        ("fault", {"id": "f1", "kind": "kill", "target": "leader of t-a-0"}),
    ]
    return [json.dumps({"index": i, "time": i / 10, "process": (rest or ["x"])[0], "type": "ok", "f": f,
                        "value": v}).encode() for i, (f, v, *rest) in enumerate(ops)]


def test_a_lane_keeps_its_own_records_and_everything_shared_and_reads_as_a_run_of_its_own():
    ops = list(lane_ops(_ops(), LANES, 1))
    assert [op["index"] for op in ops] == list(range(len(ops)))
    assert ops[0]["f"] == "run" and ops[0]["value"]["scenario"] == SCEN["t-b"]
    assert "lanes" not in [op["f"] for op in ops]
    assert [(op["process"], op["value"]["values"]) for op in ops if op["f"] == "send"] == \
        [("producer-0-0", ["b-1"])]  # named as in a run of its own
    meta = [op["value"] for op in ops if op["f"] == "metadata"]
    assert [m["data"].get("topicId") for m in meta] == ["B", "B", None]  # its topic's records, and the brokers'
    assert [op["value"]["topic"] for op in ops if op["f"] == "healthy"] == ["t-b"]
    assert [op["value"]["topic"] for op in ops if op["f"] == "replica_log"] == ["t-b"]
    # the awaited effect is decided in this lane's topic (same assignment, same leader)
    assert [op["value"]["topic"] for op in ops if op["f"] == "effect"] == ["t-b"]
    assert [op["f"] for op in ops].count("fault") == 1  # the faults are every lane's


def test_the_watched_lane_keeps_its_effects_as_they_were(tmp_path):
    src = tmp_path / "history.jsonl"
    src.write_bytes(b"\n".join(_ops()) + b"\n")
    assert lanes_of(src) == LANES
    path = write_lane(src, LANES, 0, tmp_path / "lanes" / "00")
    ops = [json.loads(line) for line in path.read_text().splitlines()]
    assert [op["value"]["values"] for op in ops if op["f"] == "send"] == [["a-1"]]
    assert [op["value"]["topic"] for op in ops if op["f"] == "effect"] == ["t-a"]
    assert not [op for op in ops if op["f"] == "replica_log"]


def test_a_run_of_one_topic_has_no_lanes(tmp_path):
    src = tmp_path / "history.jsonl"
    src.write_bytes(b"\n".join(_ops()[:1] + _ops()[2:]) + b"\n")
    assert lanes_of(src) == []
