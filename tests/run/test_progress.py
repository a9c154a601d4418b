import io

from rich.console import Console

from harness.run.progress import Snapshot, WorkloadProgress

SNAP = Snapshot(elapsed_s=12.3, duration_s=30, invoked=1200, ok=1100, fail=3, info=7,
                faults=["kill leader of t-0 (broker 2)"])


def test_off_a_terminal_it_logs_a_line_at_most_every_few_seconds():
    lines: list[str] = []
    with WorkloadProgress(lines.append, live=False) as progress:
        progress.show(SNAP)
        progress.show(SNAP)  # throttled
    assert lines == ["  t= 12.3s/30s sent=1200 ok=1100 fail=3 info=7 faults=kill leader of t-0 (broker 2)"]


def test_on_a_terminal_it_draws_the_phase_counts_and_faults():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with WorkloadProgress(lambda _: None, live=True, console=console) as progress:
        progress.show(SNAP)
    text = out.getvalue()
    assert "12.3s / 30s" in text and "1,200" in text and "1,100" in text
    assert "kill leader of t-0 (broker 2)" in text
