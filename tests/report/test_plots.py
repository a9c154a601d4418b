"""Plots and the HTML report come from the history alone (no cluster)."""

from harness.report.build import build_report, write_report
from harness.report.plots import draw_all
from tests.crafted import clean_run


def test_every_plot_is_drawn_when_the_history_has_its_data(tmp_path):
    h = clean_run(40, partitions=2).fault("f1").wait(3).heal("f1").history()
    drawn = draw_all(h, tmp_path)
    assert set(drawn) == {"timeline", "partitions", "follower_reads"}
    for path in drawn.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_plots_without_data_are_left_out(tmp_path):
    assert set(draw_all(clean_run(5, consumers=False).history(), tmp_path)) == {"timeline"}


def test_html_report_embeds_the_plots_and_names_every_check(tmp_path):
    h = clean_run(20).history()
    report = build_report(h)
    write_report(report, tmp_path, h)
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    for name in report.checks:
        assert f"<td>{name}</td>" in html
    md = (tmp_path / "report.md").read_text()
    assert "![timeline](plots/timeline.png)" in md


def test_with_the_controllers_record_the_partitions_plot_draws_it_as_steps(tmp_path):
    from harness.report.plots import _controller_states, partitions
    from tests.report.test_model import controller_run

    h = controller_run(leaderless=True).history()
    report = build_report(h)
    states = _controller_states(h, report)
    t1 = states[states["partition"] == 1]
    # every change the controller made, from the workload start (the state then first) to the end
    assert list(t1["leader"]) == [2, 2, -1, 2, 2] and list(t1["epoch"]) == [0, 0, 1, 2, 2]
    assert list(t1["isr_size"]) == [2, 1, 1, 1, 1] and t1["time"].iloc[0] == 0.0
    assert list(states[states["partition"] == 0]["leader"])[:3] == [1, 2, 2]
    path = partitions(h, report, tmp_path / "partitions.png")
    assert path is not None and path.stat().st_size > 10_000


def test_without_the_controllers_record_the_partitions_plot_uses_the_samples(tmp_path):
    from harness.report.plots import _controller_states, partitions

    h = clean_run(10, partitions=2).history()
    report = build_report(h)
    assert _controller_states(h, report).empty
    assert partitions(h, report, tmp_path / "partitions.png") is not None
