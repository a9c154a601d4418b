"""The pure parts of the comparison: the matrix, what Kafka documents per cell, the summary."""

from harness.run.compare import Cell, documented, matrix, render_markdown, summarize, write_comparison


def test_default_matrix_covers_acks_min_isr_unclean_and_idempotence_where_it_applies():
    cells = matrix()
    assert len(cells) == 16  # acks 0 and 1: 4 cells each; acks=all: 4 x idempotence on/off
    assert all(c.acks == "all" for c in cells if c.idempotence)
    assert {(c.acks, c.min_insync_replicas, c.unclean) for c in cells} == {
        (a, m, u) for a in ("0", "1", "all") for m in (1, 2) for u in (False, True)}


def test_only_the_durable_cell_documents_no_loss():
    durable = [c for c in matrix() if documented(c)["lost_writes"] == "0"]
    assert durable == [Cell("all", 2, False, False), Cell("all", 2, False, True)]
    assert documented(Cell("1", 2, False, False))["duplicates"] == "may"


def _row(cell, lost, repeat=0, decided=True):
    return {"cell": cell.label, "repeat": repeat, "lost_writes": lost, "duplicates": 0, "nonmonotonic_send": 0, "realtime_order": 0,
            "uncommitted_reads": 0, "availability": 0.9, "p99_ms": 100.0, "decided": decided}


def test_summary_flags_a_cell_that_broke_its_documented_guarantee(tmp_path):
    safe, risky = Cell("all", 2, False, True), Cell("1", 1, True, False)
    rows = [_row(safe, 0), _row(safe, 3, repeat=1), _row(risky, 10), _row(risky, 20, repeat=1)]
    summary = summarize(rows, [safe, risky]).set_index("cell")
    assert summary.loc[safe.label, "matches"] == "no: lost_writes"
    assert summary.loc[risky.label, "matches"] == "yes"  # loss is allowed there
    assert summary.loc[risky.label, "lost_writes"] == 15 and summary.loc[risky.label, "lost_writes_max"] == 20
    md = render_markdown(summary.reset_index(), {"scenario": "s", "repeats": 2, "seeds": [1, 2],
                                                 "started_at": "now", "command": "kafka-chaos compare s"})
    assert "| acks=1 minISR=1 unclean=true idem=false | 15 (10–20) |" in md
    out = write_comparison(rows, [safe, risky], tmp_path, {"scenario": "s", "repeats": 2, "seeds": [1, 2],
                                                            "started_at": "now", "command": "c"})
    assert out.read_text().startswith("# Comparison: s")
    assert (tmp_path / "heatmap_lost_writes.png").stat().st_size > 5000


def test_undecided_runs_are_not_called_a_match():
    cell = Cell("all", 2, False, True)
    assert summarize([_row(cell, 0, decided=False)], [cell]).iloc[0]["matches"] == "undecided"


def test_duplicates_are_shown_with_the_causes_their_batch_headers_show():
    cell = Cell("all", 2, False, True)
    rows = [{**_row(cell, 0), "duplicate_causes": {"client_epoch_bump": 100}},
            {**_row(cell, 0, repeat=1), "duplicate_causes": {"client_epoch_bump": 49, "unexplained": 1}}]
    summary = summarize(rows, [cell])
    assert summary.iloc[0]["duplicate_causes"] == {"client_epoch_bump": 149, "unexplained": 1}
    md = render_markdown(summary, {"scenario": "s", "repeats": 2, "seeds": [1, 2], "started_at": "now",
                                   "command": "c"})
    assert "Duplicates read, by the cause their batch headers show: 149 client_epoch_bump (documented), " \
           "1 unexplained." in md


def test_a_cell_without_duplicates_says_nothing_about_their_causes():
    cell = Cell("all", 2, False, True)
    md = render_markdown(summarize([_row(cell, 0)], [cell]), {"scenario": "s", "repeats": 1, "seeds": [1],
                                                              "started_at": "now", "command": "c"})
    assert "batch headers" not in md
