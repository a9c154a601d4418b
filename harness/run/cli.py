"""The command line: ``kafka-chaos run | report | image | clean | scenarios | schema``.

Exit codes: 0 the verdict is pass; 1 a check failed (or could not decide); 2 bad input or an environment
problem, with a one-line reason; 3 an internal error (a bug in the harness, not a verdict: one line
"kafka-chaos: internal error ...; please report it"; a report being built is not left behind, and the
run's containers are removed); 130 interrupted (after cleaning up).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness.errors import HarnessError
from harness.run.interrupts import EXIT_INTERRUPTED, Interrupts, clean_owned_within

SCENARIO_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"
EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def _cmd_run(args) -> int:
    from harness.run.runner import run_scenario
    from harness.run.scenario import load_scenario

    scenarios = [load_scenario(p) for p in args.scenario]  # validate every file before starting anything
    if args.seed:  # each scenario once per seed, named after it so the runs' directories tell them apart
        scenarios = [s.model_copy(update={"seed": seed, "name": f"{s.name}-seed{seed}"}) for s in scenarios
                     for seed in args.seed]
    worst = EXIT_PASS
    for scenario in scenarios:
        result = run_scenario(scenario, out_dir=args.out, live=sys.stdout.isatty())
        _print_summary(result.report, result.run_dir)
        if result.verdict != "pass":
            worst = EXIT_FAIL
    return worst


def _print_summary(report: dict, run_dir: Path) -> None:
    c = report["counts"]
    if report.get("summary"):
        print(report["summary"])
    print(f"verdict: {report['verdict']}  (sent {c['sent']}, acknowledged {c['acknowledged']}, "
          f"failed {c['failed']}, indeterminate {c['indeterminate']}, read {c['read']})")
    for name, ch in report["checks"].items():
        print(f"  {name:<20} {ch['verdict']:<8} {ch['count']}")
    print(f"report: {run_dir / 'report.md'}")


def _cmd_compare(args) -> int:
    from harness.run.compare import matrix, run_comparison
    from harness.run.scenario import load_scenario, parse_scenario

    scenario = load_scenario(args.scenario)
    if args.duration or args.rate:
        data = scenario.model_dump(mode="json")
        data["workload"]["duration_s"] = args.duration or data["workload"]["duration_s"]
        data["workload"]["rate"] = args.rate or data["workload"]["rate"]
        scenario = parse_scenario(data, f"{args.scenario} with --duration {args.duration} --rate {args.rate}")
    cells = matrix(acks=args.acks, min_isr=args.min_isr, unclean=[u == "true" for u in args.unclean],
                   idempotence=[i == "true" for i in args.idempotence], versions=args.kafka_versions or (),
                   isolation=args.isolation or ())
    if args.kafka_versions and len(args.kafka_versions) == 1:
        data = scenario.model_dump(mode="json")
        data["cluster"]["kafka_version"], data["cluster"]["image"] = args.kafka_versions[0], None
        scenario = parse_scenario(data, f"{args.scenario} with --kafka-versions {args.kafka_versions[0]}")
    if not cells:
        raise HarnessError("the matrix is empty (idempotence=true needs acks=all)")
    command = "kafka-chaos compare " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "kafka-chaos compare"
    out = run_comparison(scenario, cells, args.repeats, args.out, command)
    print(f"comparison: {out / 'comparison.md'}")
    return EXIT_PASS


EXIT_INTERNAL = 3


def _report_comparison(out_dir: Path) -> int:
    """Re-check every run of a saved comparison and rebuild its table."""
    import json

    from harness.run.compare import rebuild_comparison

    def report_run(run_dir: Path) -> dict:
        if _rereport(run_dir) is None:
            raise HarnessError(f"{run_dir}: its report could not be rebuilt")
        return json.loads((run_dir / "report.json").read_text())

    md = rebuild_comparison(out_dir, report_run)
    print(f"comparison: {md}")
    return EXIT_PASS


def _cmd_report(args) -> int:
    """Re-check a saved history and rewrite its reports. The old reports go first, so whatever fails
    (a corrupt history: exit 2; a bug while building the report: exit 3), no old verdict is left. A
    comparison's directory re-checks each of its runs and rebuilds the table."""
    run_dir = Path(args.run_dir)
    if (run_dir / "comparison.json").is_file():
        return _report_comparison(run_dir)
    if (run_dir / "history.jsonl").is_file():
        from harness.history.lanes import lanes_of, write_lane

        path = run_dir / "history.jsonl"
        if lanes := lanes_of(path):  # one run of several cells: each cell is cut again and reported on its own
            worst = EXIT_PASS
            for n in range(len(lanes)):
                lane_dir = run_dir / "lanes" / f"{n:02d}"
                write_lane(path, lanes, n, lane_dir)
                summary = _rereport(lane_dir)
                if summary is None:
                    return EXIT_INTERNAL
                print(f"{lanes[n].label}: {summary['verdict']}  ({lane_dir / 'report.md'})")
                worst = max(worst, EXIT_PASS if summary["verdict"] == "pass" else EXIT_FAIL)
            return worst
    summary = _rereport(run_dir)
    if summary is None:
        return EXIT_INTERNAL
    _print_summary(summary, run_dir)
    return EXIT_PASS if summary["verdict"] == "pass" else EXIT_FAIL


def _rereport(run_dir: Path) -> dict | None:
    """Rebuild one run's reports from its history; its summary, or None after an internal error (said)."""
    from harness.history.loader import History
    from harness.report.build import build_report, remove_reports, write_report

    path = run_dir / "history.jsonl"
    if not path.is_file():
        raise HarnessError(f"{run_dir}: no history.jsonl there (nor a comparison.json)")
    remove_reports(run_dir)
    try:
        history = History.load(path)  # a corrupt or empty history: HistoryError (a HarnessError, exit 2)
        report = build_report(history)
        write_report(report, run_dir, history)
    except (HarnessError, KeyboardInterrupt):
        remove_reports(run_dir)
        raise
    except Exception as exc:  # a bug, not a verdict: one labelled line, never a traceback that reads as exit 1
        remove_reports(run_dir)
        print(f"kafka-chaos: internal error while building the report of {run_dir}: {type(exc).__name__}: {exc}; "
              "please report it", file=sys.stderr)
        return None
    return report.to_json()


def _cmd_image(args) -> int:
    from harness.cluster.config import ImageSpec, Recipe
    from harness.cluster.image import ensure_image

    spec = ImageSpec(kafka_version=args.kafka_version, recipe=Recipe(args.recipe))
    tag = ensure_image(spec, rebuild=args.rebuild)
    print(tag)
    return EXIT_PASS


def _cmd_clean(args) -> int:
    from harness.cluster.cleanup import clean, clean_orphans

    if args.run and args.all:
        raise HarnessError("give --run or --all, not both")
    containers, networks = clean(args.run) if args.run else clean() if args.all else clean_orphans()
    whose = f"run {args.run}" if args.run else "every run" if args.all else "runs whose process is gone"
    print(f"removed {containers} container(s) and {networks} network(s) of {whose}")
    return EXIT_PASS


def _cmd_scenarios(args) -> int:
    from harness.run.scenario import load_scenario

    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        try:
            s = load_scenario(path)
            first = s.description.strip().splitlines()[0] if s.description.strip() else ""
            print(f"{path.name:<32} {first}")
        except HarnessError as exc:
            print(f"{path.name:<32} INVALID: {exc}")
    return EXIT_PASS


def _cmd_schema(args) -> int:
    from harness.history.schema import render_markdown

    print(render_markdown(), end="")
    return EXIT_PASS


def build_parser() -> argparse.ArgumentParser:
    from harness.cluster.config import DEFAULT_KAFKA_VERSION

    parser = argparse.ArgumentParser(prog="kafka-chaos", description="Chaos testing for Apache Kafka.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run scenario files and write durability reports")
    p.add_argument("scenario", nargs="+", help="scenario file(s) (TOML)")
    p.add_argument("--out", default="reports", help="directory for run outputs (default: reports)")
    p.add_argument("--seed", nargs="+", type=int, metavar="N",
                   help="run each scenario once per seed, instead of with the seed its file names")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("compare", help="run one scenario across a matrix of settings and compare the outcomes")
    p.add_argument("scenario")
    p.add_argument("--acks", nargs="+", choices=["0", "1", "all"], default=["0", "1", "all"])
    p.add_argument("--min-isr", nargs="+", type=int, default=[1, 2])
    p.add_argument("--unclean", nargs="+", choices=["false", "true"], default=["false", "true"])
    p.add_argument("--idempotence", nargs="+", choices=["false", "true"], default=["false", "true"],
                   help="applies to acks=all cells only")
    p.add_argument("--repeats", type=int, default=1, help="runs per cell, with seeds seed, seed+1, ...")
    p.add_argument("--duration", type=float, help="override the scenario's workload duration (s)")
    p.add_argument("--rate", type=float, help="override the scenario's send rate, per producer of each cell (/s)")
    p.add_argument("--kafka-versions", nargs="+", metavar="V",
                   help="run the matrix on each of these Kafka versions (one cluster each, the same seeds)")
    p.add_argument("--isolation", nargs="+", choices=["read_committed", "read_uncommitted"],
                   help="run the matrix once per consumer isolation.level (every consumer and group member)")
    p.add_argument("--out", default="reports")
    p.set_defaults(func=_cmd_compare)
    p = sub.add_parser("report", help="re-check and re-render a saved run, or every run of a saved comparison, "
                                      "from the histories (no cluster)")
    p.add_argument("run_dir")
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser("image", help="build the broker image (only when missing, unless --rebuild)")
    p.add_argument("--kafka-version", default=DEFAULT_KAFKA_VERSION)
    p.add_argument("--recipe", choices=["offline", "official"], default="offline")
    p.add_argument("--rebuild", action="store_true")
    p.set_defaults(func=_cmd_image)
    p = sub.add_parser("clean", help="remove containers and networks left by runs whose process is gone "
                                     "(killed outright, crashed); runs still going are left alone")
    p.add_argument("--run", help="this run's, whether or not its process still runs")
    p.add_argument("--all", action="store_true", help="every run's, including runs still going")
    p.set_defaults(func=_cmd_clean)
    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=_cmd_scenarios)
    p = sub.add_parser("schema", help="print the history's record kinds and their fields (Markdown)")
    p.set_defaults(func=_cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command, without process-level signal handling (see ``entry``), so tests can call it."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HarnessError as exc:
        if exc.details:
            print(exc.details, file=sys.stderr)
        print(f"kafka-chaos: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("kafka-chaos: interrupted; faults healed and containers removed", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug in the harness: one line, never a traceback that reads as a verdict
        print(f"kafka-chaos: internal error ({type(exc).__name__}: {exc}); please report it", file=sys.stderr)
        return EXIT_INTERNAL


def entry() -> None:
    """The ``kafka-chaos`` program: ``main`` with interrupts that always end the process (see
    harness.run.interrupts). After an interrupted run has unwound, the process ends at once: a client
    library's threads must not hold it open at interpreter exit."""
    interrupts = Interrupts().install()
    code = main()
    interrupts.finished()
    if code in (EXIT_INTERRUPTED, EXIT_INTERNAL):
        # Whatever the unwinding missed (a signal between a container's creation and its cluster knowing
        # of it) goes too, within a bound.
        clean_owned_within()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
