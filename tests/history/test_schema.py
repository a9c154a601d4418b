"""The history schema as code: every record kind round-trips, and every kind of corruption is refused with
its file and line."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import HarnessError, HistoryError
from harness.history import schema
from harness.history.loader import History, read_ops
from harness.history.ops import Op, OpType
from harness.history.schema import (
    SCHEMA_VERSION,
    Broker,
    Cluster,
    Effect,
    FaultFailed,
    FaultStart,
    FaultStarted,
    FetchStats,
    Healed,
    HealFailed,
    HealStart,
    Healthy,
    OffsetReset,
    Phase,
    Poll,
    ProducerFatal,
    Read,
    ReadStart,
    RecordError,
    Run,
    Sample,
    SampleFailed,
    Schedule,
    SendFailed,
    SendInvoke,
    SendOk,
    Stats,
    Sweep,
    Unhealthy,
)
from harness.history.writer import HistoryWriter
from harness.run.cli import main

OLD_RUN = Path(__file__).resolve().parents[1] / "data" / "example-run-2026-11-21.history.jsonl.gz"
"""A real history recorded before schema versions (and Kafka's own records) existed: it must still load."""
FAULT = {"id": "f1", "kind": "isolate", "target": "leader of t-0"}

EXAMPLES: dict[type[schema.Record], schema.Record] = {r.__class__: r for r in [
    Run(run_id="r1", scenario={"name": "s", "seed": 2}, image="kafka:4", started_at="2026-01-01T00:00:00"),
    Cluster(brokers=[Broker(node=1, rack="rack-a", bootstrap="127.0.0.1:9092"), Broker(node=2, rack=None,
                                                                                     bootstrap="b:9092")]),
    Schedule(faults=[{"kind": "isolate", "at_s": 5.0}]),
    schema.Lanes(lanes=[{"label": "acks=1", "scenario": {"name": "s", "topic": {"name": "t-1"}}}]),
    Phase(phase="workload"),
    Healthy(topic="t", after_s=2.5),
    Unhealthy(topic="t"),
    SendInvoke(topic="t", values=["a", "b"], times=[0.1, 0.2], keys=["k", None]),
    SendOk(topic="t", values=["a"], times=[0.3], partitions=[1], offsets=[7]),
    SendFailed(topic="t", values=["b"], times=[0.4], errors=["_MSG_TIMED_OUT"]),
    ProducerFatal(topic="t"),
    Poll(topic="t", reader="rack:rack-b", records=[[1, 7, "a"], [0, 3, "c"]], watermarks=[[0, 4], [1, 8]]),
    OffsetReset(topic="t", partition=1, position=12, to="earliest"),
    schema.MemberEvent(group="t.g", topic="t", member=0, event="started", pid=123),
    schema.Assignment(group="t.g", topic="t", event="assigned", partitions=[0, 2], protocol="classic"),
    schema.Commit(group="t.g", topic="t", offsets=[[0, 17, 1]], auto=False),
    schema.GroupSample(group="t.g", topic="t", state="Stable", coordinator=2, type="classic",
                       members=[schema.GroupMember(member_id="m-1", client_id="c", partitions=[0])]),
    schema.GroupOffsets(group="t.g", topic="t", offsets=[[0, 17, 1], [1, -1, -1]]),
    schema.Txn(transactional_id="t.txn-0", n=3, action="commit", topic="t", values=["t0-3-0", "t0-3-1"],
               partitions=[0, 2], offsets=[12, None], end_time=4.5),
    schema.StableOffsets(topic="t", partitions=[[0, 12, 12], [1, 7, 9]], waited_s=3.0),
    ReadStart(topic="t", partition=1, reader="leader"),
    Read(topic="t", partition=1, reader="leader", records=[[1, 7, "a"]], served_by=[2]),
    FaultStart(**FAULT),
    FaultStarted(**FAULT, nodes=[1], cut_off=[1], detail="isolated node 1 from [2, 3]"),
    FaultFailed(**FAULT, nodes=[], unsupported=True),
    HealStart(**FAULT),
    Healed(**FAULT, nodes=[1]),
    HealFailed(**FAULT),
    Effect(id="f1", kind="isolate", phase="start", after_s=6.46, observed="leader moved from 1 to 2"),
    Sweep(fixed=["resumed 3"], left=[]),
    Sample(topic="t", partition=0, leader=1, replicas=[1, 2, 3], isr=[1, 2], epoch=3, hwm=None),
    SampleFailed(topic="t"),
    Stats(topic="t", reader="leader", rack=None, partitions=[
        FetchStats(partition=0, leader=1, broker=1, hi_offset=22, lo_offset=0, ls_offset=22, fetch_state="active",
                   next_offset=22, leader_epoch=0),
        FetchStats(partition=1, leader=2, broker=2, hi_offset=5, lo_offset=0, ls_offset=5)]),
    schema.MetadataRecord(offset=40, time_ms=1764750000123, controller_epoch=2, type="PARTITION_CHANGE_RECORD",
                          data={"partitionId": 0, "topicId": "AAAAAAAAAAAAAAAAAAAAAA", "isr": [3], "leader": 3,
                                "leaderRecoveryState": 1}),
    schema.MetadataUnread(node=1),
    schema.ReplicaLog(node=2, topic="t", partition=0, offsets=[0, 1], values=["p-0", None], leader_epochs=[0, 1],
                      producer_ids=[1000, 1000], producer_epochs=[0, 0], sequences=[0, 1], epochs=[[0, 0], [1, 1]]),
    schema.ReplicaLogUnread(node=3, topic="t", partition=None),
]}


def _line(f: str, value, type_: str = "ok", index: int = 0, **extra) -> str:
    return json.dumps({"index": index, "time": 0.5, "process": "x", "type": type_, "f": f, "value": value, **extra})


def _write(path: Path, *lines: str, torn: str | None = None) -> Path:
    path.write_text("".join(line + "\n" for line in lines) + (torn or ""))
    return path


def _refused(path: Path, line: int, match: str) -> HistoryError:
    with pytest.raises(HistoryError) as info:
        list(read_ops(path))
    assert str(info.value).startswith(f"{path}:{line}: "), str(info.value)
    assert match in str(info.value), str(info.value)
    return info.value


def test_every_record_class_has_an_example_here():
    assert set(EXAMPLES) == set(schema.RECORDS.values())


def test_every_record_kind_round_trips_through_a_file(tmp_path):
    path = tmp_path / "h.jsonl"
    written = []
    with HistoryWriter(path) as h:
        for rec in EXAMPLES.values():
            for t in sorted(rec.types, key=list(OpType).index):
                h.record("x", t, rec, error=None if t in (OpType.INVOKE, OpType.OK) else "why")
                written.append((t, rec))
    ops = list(read_ops(path))
    assert [(op.type, op.record) for op in ops] == written
    assert {op.f for op in ops} == set(schema.kinds())


def test_optional_fields_are_left_out_and_may_be_absent():
    assert "cut_off" not in FaultStarted(**FAULT, nodes=[1]).to_value()
    assert "fetch_state" not in FetchStats(partition=0, leader=1, broker=1, hi_offset=1, lo_offset=0,
                                           ls_offset=1).to_value()
    assert Sample(topic="t", partition=0, leader=-1, replicas=[1], isr=[], epoch=None, hwm=None).to_value()["hwm"] \
        is None  # nullable but always written


def test_records_that_the_loader_would_refuse_cannot_be_built():
    with pytest.raises(RecordError, match="columns differ in length: values 2, times 1"):
        SendOk(topic="t", values=["a", "b"], times=[0.1], partitions=[0, 0], offsets=[1, 2])
    with pytest.raises(RecordError, match="records item 0: value is null, expected string"):
        Read(topic="t", partition=0, reader="leader", records=[[0, 1, None]])
    with pytest.raises(RecordError, match="item 1 has 2 field"):
        Poll(topic="t", reader="leader", records=[[0, 1, "a"], [0, 2]])
    with pytest.raises(RecordError, match="partitions item 0 is a string, expected integer"):
        SendOk(topic="t", values=["a"], times=[0.1], partitions=["0"], offsets=[1])


def test_the_writer_takes_only_records_of_an_allowed_type(tmp_path):
    with HistoryWriter(tmp_path / "h.jsonl") as h:
        with pytest.raises(RecordError, match="SendInvoke .* cannot be ok"):
            h.ok("p", EXAMPLES[SendInvoke])
        with pytest.raises(TypeError):
            h.ok("p", "phase", {"phase": "workload"})  # the untyped form of old
        with pytest.raises(TypeError, match="a record from harness.history.schema, not dict"):
            h.ok("p", {"phase": "workload"})  # type: ignore[arg-type]
    assert (tmp_path / "h.jsonl").read_text() == ""


def test_a_new_history_carries_the_schema_version(tmp_path):
    path = tmp_path / "h.jsonl"
    with HistoryWriter(path) as h:
        h.ok("harness", EXAMPLES[Run])
    (op,) = read_ops(path)
    assert op.value["schema_version"] == SCHEMA_VERSION


def test_a_history_from_before_versions_loads_as_version_1(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_bytes(gzip.decompress(OLD_RUN.read_bytes()))
    lines = path.read_text().splitlines()
    assert "schema_version" not in json.loads(lines[0])["value"]  # written before versions were recorded
    h = History.load(path)
    assert len(h.ops) == len(lines) and h.ops[0].f == "run"
    assert len(h.sends()) == 6000
    assert all(isinstance(op.record, schema.Record) for op in h.ops[:50])


@pytest.mark.parametrize("value, type_, match", [
    ({"topic": "t", "values": ["a"], "keys": ["k"]}, "invoke", "send invoke (SendInvoke): missing field 'times'"),
    ({"topic": "t", "values": ["a", "b"], "times": [0.1], "keys": ["k", "k"]}, "invoke",
     "columns differ in length: values 2, times 1, keys 2"),
    ({"topic": "t", "values": ["a"], "times": [None], "partitions": [0], "offsets": [1]}, "ok",
     "times item 0 is null, expected number"),
    ({"topic": "t", "values": ["a"], "times": [0.1], "errors": ["x"], "extra": 1}, "fail",
     "unexpected field(s) 'extra'"),
    (None, "ok", "is null, expected an object"),
])
def test_a_corrupt_send_is_refused_with_its_place(tmp_path, value, type_, match):
    path = _write(tmp_path / "h.jsonl", _line("phase", {"phase": "workload"}), _line("send", value, type_, 1))
    _refused(path, 2, match)


@pytest.mark.parametrize("records, match", [
    ([[0, 1, "a"], [0, 2]], "records item 1 has 2 field(s), expected 3: [partition, offset, value]"),
    ([[0, 1, None]], "records item 0: value is null, expected string"),
    ([[0, "1", "a"]], "records item 0: offset is a string, expected integer"),
    ([None], "records item 0 is null, expected [partition, offset, value]"),
    ("abc", "records is a string, expected a list of [partition, offset, value]"),
])
def test_a_corrupt_read_record_is_refused_with_its_place(tmp_path, records, match):
    value = {"topic": "t", "partition": 0, "reader": "leader", "records": records}
    path = _write(tmp_path / "h.jsonl", _line("read", {"topic": "t", "partition": 0, "reader": "leader"}, "invoke"),
                  _line("phase", {"phase": "heal"}, index=1), _line("read", value, index=2))
    _refused(path, 3, match)


@pytest.mark.parametrize("line, match", [
    (_line("nonsense", {}), "unknown record kind f='nonsense'"),
    (_line("run", {"run_id": "r"}, "invoke"), "a run record cannot be invoke (only ok)"),
    (_line("phase", {"phase": "x"}, "maybe"), "type 'maybe' is not one of invoke, ok, fail, info"),
    (json.dumps({"index": 0, "time": 0, "process": "x", "type": "ok", "value": {"phase": "x"}}), "missing f"),
    (_line("phase", {"phase": "x"}, error=5), "error a string or absent"),
    ("[1, 2, 3]", "not an op"),
    ('{"index": 0, "time": 0, "process": "x", "type": "ok", "f": "phase", "value": {"phase": ', "not JSON"),
])
def test_a_bad_line_in_the_middle_is_refused_with_its_place(tmp_path, line, match):
    path = _write(tmp_path / "h.jsonl", _line("phase", {"phase": "workload"}), line,
                  _line("phase", {"phase": "heal"}, index=2))
    _refused(path, 2, match)


def test_an_unknown_schema_version_is_refused(tmp_path):
    run = EXAMPLES[Run].to_value() | {"schema_version": 99}
    path = _write(tmp_path / "h.jsonl", _line("run", run))
    err = _refused(path, 1, "schema version 99")
    assert "reads version(s) 1" in str(err)


def test_an_empty_history_is_refused(tmp_path):
    path = _write(tmp_path / "h.jsonl")
    with pytest.raises(HistoryError, match=r"h.jsonl: the history file is empty"):
        History.load(path)
    path.write_text("\n\n")
    with pytest.raises(HistoryError, match=r"h.jsonl: the history is empty"):
        History.load(path)


def test_a_torn_last_line_is_dropped_but_a_torn_only_line_is_an_empty_history(tmp_path):
    cut = '{"index": 1, "time": 0.6, "process": "p", "type": "ok", "f": "send", "value": {"topic": "t", "val'
    path = _write(tmp_path / "h.jsonl", _line("phase", {"phase": "workload"}), torn=cut)
    assert [op.f for op in read_ops(path)] == ["phase"]
    # Valid JSON without its newline (cut right at the end) is a whole op, and is kept.
    _write(path, _line("phase", {"phase": "workload"}), torn=_line("phase", {"phase": "heal"}, index=1))
    assert [op.value["phase"] for op in read_ops(path)] == ["workload", "heal"]
    _write(path, torn='{"index": 0, "ti')
    with pytest.raises(HistoryError, match="empty"):
        list(read_ops(path))


def test_history_error_is_an_input_error():
    assert issubclass(HistoryError, HarnessError)


def test_report_of_a_corrupt_history_exits_2_with_file_and_line(tmp_path, capsys):
    _write(tmp_path / "history.jsonl", _line("phase", {"phase": "workload"}),
           _line("send", {"topic": "t", "values": ["a"], "keys": ["k"]}, "invoke", 1))
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"kafka-chaos: {tmp_path / 'history.jsonl'}:2: send invoke (SendInvoke): missing field 'times'"


def test_every_record_class_is_documented_and_in_the_schema_command(capsys):
    for cls in [*schema.RECORDS.values(), Broker, FetchStats]:
        assert cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("), cls.__name__
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == schema.render_markdown()
    for cls in schema.RECORDS.values():
        assert f"| {cls.__name__} |" in out
        for fs in schema.fields_of(cls):
            assert f"`{fs.name}`" in out
    assert f"schema version {SCHEMA_VERSION}" in out


def test_the_schema_module_stays_light():
    code = "import sys, harness.history.schema; print(sorted({'pandas', 'numpy', 'docker', 'confluent_kafka', " \
           "'pydantic'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == "[]"


def test_ops_are_built_only_from_records():
    with pytest.raises(TypeError):
        Op.of(0, 0.0, "x", OpType.OK, {"phase": "workload"})  # type: ignore[arg-type]
    op = Op.of(0, 0.0, "x", "ok", Phase(phase="workload"))
    assert (op.type, op.f, op.value) == (OpType.OK, "phase", {"phase": "workload"})


def test_leader_epochs_of_read_records_must_match_the_records():
    with pytest.raises(schema.RecordError, match="epochs has 1 entries for 2 records"):
        schema.Read(topic="t", partition=0, reader="leader", records=[[0, 0, "a"], [0, 1, "b"]], epochs=[0])
    ok = schema.Poll(topic="t", reader="leader", records=[[0, 0, "a"]], epochs=[None])
    assert schema.Poll.from_value(ok.to_value()).epochs == [None]
