"""A saved history gives the same tables and the same check results whether it is loaded from its file
(``History.load``: the tables' columns fed while the file is read, the records left in the file) or built
from its ops in memory (``History(ops)``: the tables built from the ops when first asked for).

The runs come from the model of tests/checks/log_model.py, clean and with each kind of anomaly injected, so
every check has something to count on both paths."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from harness.checks.suite import run_checks
from harness.history.loader import History, StoredOp, read_ops
from harness.history.ops import Op
from harness.history.tables import READ_COLUMNS, SEND_COLUMNS
from harness.report.model import build_model
from tests.checks.log_model import topic_models
from tests.checks.test_model_based import INJECTORS, MAX_K

OLD_RUN = Path(__file__).resolve().parents[1] / "data" / "example-run-2026-11-21.history.jsonl.gz"


def _saved(ops: list[Op], path: Path) -> Path:
    path.write_text("".join(op.to_json() + "\n" for op in ops))
    return path


def _same_tables(a: History, b: History) -> None:
    pd.testing.assert_frame_equal(a.sends(), b.sends())
    assert list(a.sends().columns) == SEND_COLUMNS
    for f in (None, "poll", "read"):
        pd.testing.assert_frame_equal(a.reads(f), b.reads(f))
        assert list(a.reads(f).columns) == READ_COLUMNS
    pd.testing.assert_frame_equal(a.replica_logs(), b.replica_logs())


def _same_results(a: History, b: History) -> None:
    ra, rb = run_checks(a), run_checks(b)
    assert list(ra) == list(rb)
    for name in ra:
        assert ra[name] == rb[name], name
        assert ra[name].found == rb[name].found, name
    assert build_model(a, ra).to_json() == build_model(b, rb).to_json()


def _both_paths(ops: list[Op], tmp_path: Path) -> tuple[History, History]:
    loaded = History.load(_saved(ops, tmp_path / "history.jsonl"))
    return loaded, History(list(read_ops(tmp_path / "history.jsonl")))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.parametrize("anomaly", [None, *INJECTORS])
def test_a_saved_run_loads_to_the_same_tables_and_results_as_its_ops(anomaly, data, tmp_path):
    options = INJECTORS[anomaly][1] if anomaly else {"idempotent": None, "replica_logs": None}
    model = data.draw(topic_models(**{"idempotent": True, "replica_logs": None, **options}), label="run")
    if anomaly:
        assume(INJECTORS[anomaly][0](model, data.draw(st.integers(1, MAX_K), label="k"), data.draw).n > 0)
    loaded, built = _both_paths(model.crafted().ops, tmp_path)
    assert any(type(op) is StoredOp for op in loaded.ops)  # the records stayed in the file
    _same_tables(loaded, built)
    _same_results(loaded, built)


def test_the_old_example_run_loads_the_same_both_ways(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_bytes(gzip.decompress(OLD_RUN.read_bytes()))
    loaded, built = History.load(path), History(list(read_ops(path)))
    _same_tables(loaded, built)
    _same_results(loaded, built)


def test_a_stored_op_reads_its_records_back_from_the_file(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_bytes(gzip.decompress(OLD_RUN.read_bytes()))
    ops = list(read_ops(path))
    loaded = History.load(path)
    stored = [i for i, op in enumerate(loaded.ops) if type(op) is StoredOp]
    assert stored
    for i in stored:
        assert loaded.ops[i].value == ops[i].value
        assert loaded.fields(loaded.ops[i]) == {k: v for k, v in ops[i].value.items()
                                                if k not in ("records", "epochs", "values", "times", "keys",
                                                             "partitions", "offsets", "errors")}


def test_the_read_tables_few_valued_columns_are_categorical_and_read_as_strings(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_bytes(gzip.decompress(OLD_RUN.read_bytes()))
    reads = History.load(path).reads()
    assert isinstance(reads["f"].dtype, pd.CategoricalDtype) and isinstance(reads["reader"].dtype,
                                                                             pd.CategoricalDtype)
    assert set(reads["f"].to_numpy(dtype=object).tolist()) == {"poll", "read"}
    assert all(type(r) is str for r in reads["reader"].to_numpy(dtype=object)[:10])
