"""Benchmark: a whole comparison (every cell side by side, N repeats); print the time of each phase.

Issue 12's goal: 16 cells x 5 repeats within 15 minutes on this machine. Prints the cluster start, each
repeat (the run with all cells, then cutting and checking every cell's report), and the total.

Usage: .venv/bin/python benchmarks/compare_speed.py [scenario.toml] [--repeats 5] [--rate 50] [--duration S]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from harness.run.cli import SCENARIO_DIR
from harness.run.compare import matrix, run_comparison
from harness.run.interrupts import Interrupts
from harness.run.scenario import load_scenario, parse_scenario


def main() -> None:
    Interrupts().install()  # an interrupted benchmark still removes its cluster
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default=str(SCENARIO_DIR / "unclean-election.toml"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="sends per second per cell")
    parser.add_argument("--duration", type=float, help="the workload's length (default: the scenario's)")
    parser.add_argument("--out", default="/tmp/compare-speed")
    args = parser.parse_args()
    data = load_scenario(args.scenario).model_dump(mode="json")
    data["workload"]["rate"] = args.rate
    data["workload"]["duration_s"] = args.duration or data["workload"]["duration_s"]
    scenario = parse_scenario(data, args.scenario)
    cells = matrix()
    marks: list[tuple[float, str]] = []
    t0 = time.monotonic()

    def log(line: str) -> None:
        marks.append((time.monotonic() - t0, line))
        if re.match(r"^\[\d+/\d+\]", line) or "ready in" in line:
            print(f"{marks[-1][0]:7.1f} s  {line}", flush=True)

    out = run_comparison(scenario, cells, args.repeats, Path(args.out), "benchmarks/compare_speed.py", log=log)
    total = time.monotonic() - t0
    starts = [t for t, line in marks if re.match(r"^\[\d+/\d+\]", line)]
    repeats = [b - a for a, b in zip(starts, [*starts[1:], total])]
    print(f"\n{len(cells)} cells x {args.repeats} repeats, {scenario.workload.duration_s:g} s of workload at "
          f"{args.rate:g}/s per cell, {scenario.cluster.brokers} brokers: total {total / 60:.1f} min")
    print(f"  before the first repeat (image, cluster start): {starts[0]:.1f} s" if starts else "")
    print(f"  per repeat: median {statistics.median(repeats):.1f} s (min {min(repeats):.1f}, max {max(repeats):.1f})"
          if repeats else "")
    print(f"  goal (16 cells x 5 repeats within 15 min): {'met' if total <= 900 else 'missed'}")
    print(f"  comparison: {out / 'comparison.md'}")


if __name__ == "__main__":
    main()
