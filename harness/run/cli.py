"""The command line: ``kafka-chaos run | report | image | clean | scenarios``.

Exit codes: 0 the verdict is pass; 1 a check failed (or could not decide); 2 bad input or an environment
problem, with a one-line reason; 130 interrupted (after cleaning up).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cluster.engine import unwind_on_sigterm
from harness.errors import HarnessError

SCENARIO_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"
EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _cmd_run(args) -> int:
    from harness.run.runner import run_scenario
    from harness.run.scenario import load_scenario

    scenarios = [load_scenario(p) for p in args.scenario]  # validate every file before starting anything
    worst = EXIT_PASS
    for scenario in scenarios:
        result = run_scenario(scenario, out_dir=args.out, live=sys.stdout.isatty())
        _print_summary(result.report, result.run_dir)
        if result.verdict != "pass":
            worst = EXIT_FAIL
    return worst


def _print_summary(report: dict, run_dir: Path) -> None:
    c = report["counts"]
    print(f"verdict: {report['verdict']}  (sent {c['sent']}, acknowledged {c['acknowledged']}, "
          f"failed {c['failed']}, indeterminate {c['indeterminate']}, read {c['read']})")
    for name, ch in report["checks"].items():
        print(f"  {name:<20} {ch['verdict']:<8} {ch['count']}")
    print(f"report: {run_dir / 'report.md'}")


def _cmd_compare(args) -> int:
    from harness.run.compare import matrix, run_comparison
    from harness.run.scenario import load_scenario, parse_scenario

    scenario = load_scenario(args.scenario)
    if args.duration:
        data = scenario.model_dump(mode="json")
        data["workload"]["duration_s"] = args.duration
        scenario = parse_scenario(data, f"{args.scenario} with --duration {args.duration}")
    cells = matrix(acks=args.acks, min_isr=args.min_isr, unclean=[u == "true" for u in args.unclean],
                   idempotence=[i == "true" for i in args.idempotence])
    if not cells:
        raise HarnessError("the matrix is empty (idempotence=true needs acks=all)")
    command = "kafka-chaos compare " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "kafka-chaos compare"
    out = run_comparison(scenario, cells, args.repeats, args.out, command)
    print(f"comparison: {out / 'comparison.md'}")
    return EXIT_PASS


def _cmd_report(args) -> int:
    from harness.history.loader import History
    from harness.report.build import build_report, write_report

    run_dir = Path(args.run_dir)
    path = run_dir / "history.jsonl"
    if not path.is_file():
        raise HarnessError(f"{run_dir}: no history.jsonl there")
    try:
        history = History.load(path)
    except ValueError as exc:
        raise HarnessError(str(exc)) from None
    report = build_report(history)
    write_report(report, run_dir, history)
    _print_summary(report, run_dir)
    return EXIT_PASS if report["verdict"] == "pass" else EXIT_FAIL


def _cmd_image(args) -> int:
    from harness.cluster.config import ImageSpec, Recipe
    from harness.cluster.image import ensure_image

    spec = ImageSpec(kafka_version=args.kafka_version, recipe=Recipe(args.recipe))
    tag = ensure_image(spec, rebuild=args.rebuild)
    print(tag)
    return EXIT_PASS


def _cmd_clean(args) -> int:
    from harness.cluster.cleanup import clean

    containers, networks = clean(args.run)
    print(f"removed {containers} container(s) and {networks} network(s)")
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


def build_parser() -> argparse.ArgumentParser:
    from harness.cluster.config import DEFAULT_KAFKA_VERSION

    parser = argparse.ArgumentParser(prog="kafka-chaos", description="Chaos testing for Apache Kafka.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run scenario files and write durability reports")
    p.add_argument("scenario", nargs="+", help="scenario file(s) (TOML)")
    p.add_argument("--out", default="reports", help="directory for run outputs (default: reports)")
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
    p.add_argument("--out", default="reports")
    p.set_defaults(func=_cmd_compare)
    p = sub.add_parser("report", help="re-check and re-render a saved run from its history (no cluster)")
    p.add_argument("run_dir")
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser("image", help="build the broker image (only when missing, unless --rebuild)")
    p.add_argument("--kafka-version", default=DEFAULT_KAFKA_VERSION)
    p.add_argument("--recipe", choices=["offline", "official"], default="offline")
    p.add_argument("--rebuild", action="store_true")
    p.set_defaults(func=_cmd_image)
    p = sub.add_parser("clean", help="remove containers and networks left by runs")
    p.add_argument("--run", help="only this run id")
    p.set_defaults(func=_cmd_clean)
    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=_cmd_scenarios)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    unwind_on_sigterm()
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


if __name__ == "__main__":
    sys.exit(main())
