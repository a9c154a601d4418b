from harness.history.loader import History
from harness.history.tables import REPLICA_LOG_COLUMNS
from harness.history.writer import HistoryWriter
from tests.crafted import Crafted


def test_replica_logs_are_one_row_per_node_partition_and_offset():
    c = Crafted()
    c.replica_log(1, 0, [(0, "a", 0, 7, 0, 0), (1, "b", 0, 7, 0, 1)])
    c.replica_log(2, 0, [(0, "a", 0, 7, 0, 0)])
    c.replica_log(1, 1, [(5, None, 2, -1, -1, -1)])
    logs = c.history().replica_logs()
    assert list(logs.columns) == REPLICA_LOG_COLUMNS
    assert [tuple(r) for r in logs.itertuples(index=False)] == [
        (1, "t", 0, 0, "a", 0, 7, 0, 0), (1, "t", 0, 1, "b", 0, 7, 0, 1), (2, "t", 0, 0, "a", 0, 7, 0, 0),
        (1, "t", 1, 5, None, 2, -1, -1, -1)]
    assert all(str(logs[col].dtype) == "int64" for col in REPLICA_LOG_COLUMNS if col not in ("topic", "value"))


def test_replica_logs_are_cached_and_empty_without_the_autopsy():
    h = Crafted().send("p0", "a", offset=0).replica_log(1, 0, []).history()
    assert h.replica_logs() is h.replica_logs()
    assert h.replica_logs().empty and list(h.replica_logs().columns) == REPLICA_LOG_COLUMNS
    assert Crafted().send("p0", "a", offset=0).history().replica_logs().empty


def test_unread_replica_logs_are_listed_with_their_error():
    h = Crafted().replica_log_unread(2).replica_log_unread(3, 1, error="no such file").history()
    assert h.replica_logs_unread() == [(2, "t", None, "log dump failed"), (3, "t", 1, "no such file")]
    assert h.replica_logs().empty


def test_replica_logs_load_back_from_a_saved_history(tmp_path):
    path = tmp_path / "h.jsonl"
    ops = Crafted().replica_log(3, 2, [(10, "x", 4, 9, 1, 12)]).replica_log_unread(1).ops
    with HistoryWriter(path) as w:
        for op in ops:
            w.record(op.process, op.type, op.record, op.error)
    h = History.load(path)
    assert [tuple(r) for r in h.replica_logs().itertuples(index=False)] == [(3, "t", 2, 10, "x", 4, 9, 1, 12)]
    assert h.replica_logs_unread() == [(1, "t", None, "log dump failed")]
