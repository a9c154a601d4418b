import json

import pandas as pd
import pytest

from harness.errors import HistoryError
from harness.history.loader import History, read_ops
from harness.history.ops import Op, OpType
from harness.history.schema import Phase, Poll, Read, SendFailed, SendInvoke, SendOk
from harness.history.writer import HistoryWriter


def test_written_history_loads_back_with_its_tables(tmp_path):
    path = tmp_path / "h.jsonl"
    with HistoryWriter(path) as h:
        h.invoke("p0", SendInvoke(topic="t", values=["a", "b"], times=[0.1, 0.2], keys=["k", "k"]))
        h.ok("p0", SendOk(topic="t", values=["a"], times=[0.3], partitions=[1], offsets=[7]))
        h.info("p0", SendFailed(topic="t", values=["b"], times=[0.4], errors=["_MSG_TIMED_OUT"]))
        h.ok("r", Read(topic="t", partition=1, reader="leader", records=[[1, 7, "a"]]))
    ops = list(read_ops(path))
    assert [op.index for op in ops] == [0, 1, 2, 3]
    assert ops[2].type is OpType.INFO and ops[2].value["errors"] == ["_MSG_TIMED_OUT"]
    assert all(b.time >= a.time for a, b in zip(ops, ops[1:]))

    sends = History.load(path).sends()
    assert list(sends["value"]) == ["a", "b"]
    assert list(sends["outcome"]) == ["ok", "info"]
    assert sends.loc[0, "offset"] == 7 and sends.loc[1, "offset"] is pd.NA
    assert list(sends["error"]) == [None, "_MSG_TIMED_OUT"]
    assert list(sends["invoke_time"]) == [0.1, 0.2] and list(sends["complete_time"]) == [0.3, 0.4]
    reads = History.load(path).reads()
    assert list(zip(reads["partition"], reads["offset"], reads["value"])) == [(1, 7, "a")]


def test_lines_reach_the_file_within_the_flush_interval_without_close(tmp_path):
    import time

    from harness.history.writer import FLUSH_INTERVAL_S

    path = tmp_path / "h.jsonl"
    h = HistoryWriter(path)
    h.ok("x", Phase(phase="workload"))
    time.sleep(FLUSH_INTERVAL_S * 1.5)
    h.ok("x", Phase(phase="heal"))
    lines = path.read_text().splitlines()  # not closed, not flushed by hand: a crash now keeps these
    assert [json.loads(line)["value"]["phase"] for line in lines] == ["workload", "heal"]
    h.close()


def test_a_record_offered_after_close_is_dropped_and_counted(tmp_path):
    path = tmp_path / "h.jsonl"
    h = HistoryWriter(path)
    h.ok("x", Phase(phase="workload"))
    h.close()
    h.ok("late-watcher", Phase(phase="heal"))  # an effect watcher outliving an interrupted run
    h.flush()
    assert h.dropped == 1
    assert [op.value["phase"] for op in read_ops(path)] == ["workload"]


def test_a_corrupt_line_is_reported_with_its_place(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"index":0,"time":0,"process":"x","type":"ok","f":"phase","value":{"phase":"a"}}\n{"torn": \n')
    with pytest.raises(HistoryError, match=r"h.jsonl:2: not JSON"):
        list(read_ops(path))


def test_a_last_line_cut_short_by_a_crash_is_dropped(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"index":0,"time":0,"process":"x","type":"ok","f":"phase","value":{"phase":"a"}}\n{"index":1,"ti')
    assert [op.index for op in read_ops(path)] == [0]


def _send(index, type_, topic, *rows):
    """A batched send op from rows: (value, time) for an invocation, (value, time, partition, offset)
    for ok, (value, time, error) for fail and info."""
    cls, columns = {OpType.INVOKE: (SendInvoke, ["values", "times"]),
                    OpType.OK: (SendOk, ["values", "times", "partitions", "offsets"])}.get(
        type_, (SendFailed, ["values", "times", "errors"]))
    cols = {name: [r[i] for r in rows] for i, name in enumerate(columns)}
    if type_ is OpType.INVOKE:
        cols["keys"] = [None] * len(rows)
    return Op.of(index, rows[0][1], "p", type_, cls(topic=topic, **cols))


def test_tables_share_one_id_per_topic_and_value():
    ops = [_send(0, OpType.INVOKE, "a", ("v", 0.0)),
           _send(1, OpType.INVOKE, "b", ("v", 0.1)),
           _send(2, OpType.OK, "a", ("v", 0.2, 0, 7)),
           Op.of(3, 0.3, "c", OpType.OK, Poll(topic="b", reader="leader", records=[[0, 3, "v"]])),
           Op.of(4, 0.4, "r", OpType.OK, Read(topic="a", partition=0, reader="leader", records=[[0, 7, "v"]]))]
    h = History(ops)
    sends, polls, final = h.sends(), h.reads("poll"), h.reads("read")
    assert list(sends["topic"]) == ["a", "b"]
    assert list(sends["offset"].astype(object)) == [7, pd.NA]
    assert polls["vid"].iloc[0] == sends["vid"].iloc[1] != sends["vid"].iloc[0] == final["vid"].iloc[0]


def test_a_completion_pairs_with_the_latest_invocation_of_its_value():
    ops = [_send(0, OpType.OK, "t", ("v", 0.0, 0, 1)),
           _send(1, OpType.INVOKE, "t", ("v", 0.1), ("w", 0.15)),
           _send(2, OpType.INVOKE, "t", ("v", 0.2)),
           _send(3, OpType.INFO, "t", ("v", 0.3, "_MSG_TIMED_OUT")),
           _send(4, OpType.OK, "t", ("w", 0.35, 0, 3), ("v", 0.4, 0, 2))]
    sends = History(ops).sends()
    # The orphan completion opens its own row; the first invocation of v never completed; the last wins.
    assert list(sends["value"]) == ["v", "v", "w", "v"]
    assert list(sends["invoke_time"].fillna(-1)) == [-1, 0.1, 0.15, 0.2]
    assert list(sends["outcome"]) == ["ok", None, "ok", "ok"]
    assert list(sends["offset"].astype(object)) == [1, pd.NA, 3, 2]
    assert list(sends["complete_time"].fillna(-1)) == [0.0, -1, 0.35, 0.4]
    assert list(sends["error"]) == [None, None, None, None]
