import json

import pytest

from harness.history import History, HistoryWriter, OpType, read_ops


def test_written_history_loads_back_with_its_tables(tmp_path):
    path = tmp_path / "h.jsonl"
    with HistoryWriter(path) as h:
        h.invoke("p0", "send", {"topic": "t", "value": "a", "key": "k"})
        h.invoke("p0", "send", {"topic": "t", "value": "b", "key": "k"})
        h.ok("p0", "send", {"topic": "t", "value": "a", "partition": 1, "offset": 7})
        h.info("p0", "send", {"topic": "t", "value": "b"}, error="_MSG_TIMED_OUT")
        h.ok("r", "read", {"topic": "t", "partition": 1, "reader": "leader", "records": [[1, 7, "a"]]})
    ops = list(read_ops(path))
    assert [op.index for op in ops] == [0, 1, 2, 3, 4]
    assert ops[3].type is OpType.INFO and ops[3].error == "_MSG_TIMED_OUT"
    assert all(b.time >= a.time for a, b in zip(ops, ops[1:]))

    sends = History.load(path).sends()
    assert list(sends["value"]) == ["a", "b"]
    assert list(sends["outcome"]) == ["ok", "info"]
    assert sends.loc[0, "offset"] == 7 and sends.loc[1, "offset"] is not None
    reads = History.load(path).reads()
    assert list(zip(reads["partition"], reads["offset"], reads["value"])) == [(1, 7, "a")]


def test_lines_reach_the_file_within_the_flush_interval_without_close(tmp_path):
    import time

    from harness.history import FLUSH_INTERVAL_S

    path = tmp_path / "h.jsonl"
    h = HistoryWriter(path)
    h.ok("x", "phase", {"phase": "workload"})
    time.sleep(FLUSH_INTERVAL_S * 1.5)
    h.ok("x", "phase", {"phase": "heal"})
    lines = path.read_text().splitlines()  # not closed, not flushed by hand: a crash now keeps these
    assert [json.loads(line)["value"]["phase"] for line in lines] == ["workload", "heal"]
    h.close()


def test_a_corrupt_line_is_reported_with_its_place(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"index":0,"time":0,"process":"x","type":"ok","f":"phase","value":null}\n{"torn": \n')
    with pytest.raises(ValueError, match=r"h.jsonl:2: not a history op"):
        list(read_ops(path))
