"""Benchmark: ``kafka-chaos report`` on large saved runs: load, checks, report and plots, end to end.

Writes a synthetic run directory per size whose ``history.jsonl`` is shaped like a real run's, at a
realistic pace, then runs ``kafka-chaos report <dir>`` on it in a child process and measures that
process alone: its wall time, CPU time and peak resident memory (``os.wait4``'s rusage of that one child, so
no other child's peak can leak in). A second child repeats the report in process with timers around its
steps (import / load / tables / checks / report model / plots and rendering), so the harness itself
carries no timing code.

The synthetic run, as the recorder writes it:
- ``run`` (the scenario as parsed from a scenario dict, the image, the wall-clock start), ``cluster``
  (3 brokers in racks rack-a, rack-b, rack-c), ``schedule``, ``phase: workload``;
- 4 idempotent producers (``producer-0-0`` .. ``producer-0-3``) at 2,500 msg/s each (10,000 msg/s in
  all) over 6 partitions, keyed by 64 keys; each producer writes one ``send`` invoke op and one ``send``
  ok op every 0.1 s (the recorder's batches), the acknowledgements about 5 ms after each send;
- one leader consumer (``consumer-0-leader``) polling everything in polls of at most 500 records every
  0.05 s, with the records' leader epochs and the poll's cached high ``watermarks``;
- the consumer's statistics (``stats``) every second, and the sampler's ``sample`` of every partition
  every second (leader, replicas, ISR, leader epoch, high watermark);
- one or two faults (``kill`` the leader of chaos-0 at 20 % of the workload, of chaos-1 at 60 % when
  the workload is long enough), each healed after 10 s: every partition stalls until the killed broker
  is fenced (6 s), sends pile up and are acknowledged in a burst, the leaders move under a new epoch,
  the ISR shrinks and fills up again 4 s after the heal; the nemesis's fault, effect and heal ops;
- ``phase: heal``, ``sweep``, ``healthy``; then the final read through the leaders and through a
  rack-aware reader in each rack (``final-leader``, ``final-rack-a`` ..), each partition in chunks of
  20,000 records with their epochs, end offset and serving broker.
The run is clean: every check must pass (the benchmark checks the verdict is pass). It has no log
autopsy (``replica_log``) and no controller record (``metadata``): a real run's autopsy would add three
copies of every record.

Usage:
  .venv/bin/python benchmarks/report_scale.py [--sizes 250000 1000000 10000000] [--repeats 3]
                                              [--out DIR] [--no-breakdown]
With ``--out`` the run directories are kept there (and reused by a later call with the same sizes);
without it they go to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KAFKA_CHAOS = [PYTHON, "-c", ("import sys; from harness.run.cli import entry; sys.argv[0] = 'kafka-chaos'; "
                              "sys.exit(entry())")]

PARTITIONS = 6
NODES = (1, 2, 3)
RACKS = {1: "rack-a", 2: "rack-b", 3: "rack-c"}
PRODUCERS = 4
RATE = 2_500.0
"""Sends per second, per producer."""
KEYS = 64
FLUSH_S = 0.1
"""The recorder writes each producer's invocations and completions every 0.1 s."""
ACK_S = 0.005
POLL_EVERY_S = 0.05
POLL_MAX = 500
POLL_S = 0.0004
"""How long one poll of a backlog takes (a consumer catching up polls back to back)."""
FENCED_AFTER_S = 6.0
"""broker.session.timeout.ms: a killed broker leaves the ISR (and its partitions get new leaders) after it."""
FAULT_S = 10.0
ISR_BACK_S = 4.0
CHUNK = 20_000
TOPIC = "chaos"
T0 = 12.5
"""When the workload starts, on the history's clock (the cluster takes a while to start)."""
GENERATOR = 2
"""Bumped whenever the synthetic history changes, so a kept directory of an older shape is rewritten."""

GOALS = {1_000_000: (10.0, 1 << 30), 10_000_000: (100.0, 6 << 30)}
"""Sends -> (seconds, bytes of peak RSS) for ``kafka-chaos report`` (load, checks, report, plots)."""
STEPS = ("import", "load", "tables", "checks", "model", "write")
"""The steps of ``kafka-chaos report`` that ``--time-steps`` times (tables: the checks' tables, built on
first use; write: the plots and the rendered reports)."""


# -- the synthetic run --------------------------------------------------------------------------------------


class _Out:
    """Ops as the history writer writes them: one JSON object per line, indexed in order."""

    def __init__(self, path: Path):
        self.fh = open(path, "wb", buffering=1 << 22)  # noqa: SIM115 (closed by close(), after the last op)
        self.index = 0

    def op(self, time_: float, process: str, type_: str, f: str, value: dict, error: str | None = None) -> None:
        d = {"index": self.index, "time": round(time_, 6), "process": process, "type": type_, "f": f, "value": value}
        if error is not None:
            d["error"] = error
        self.fh.write(orjson.dumps(d))
        self.fh.write(b"\n")
        self.index += 1

    def close(self) -> None:
        self.fh.close()


def _scenario(n: int, faults: list[dict]) -> dict:
    from harness.run.scenario import parse_scenario

    duration = n / (RATE * PRODUCERS)
    data = {
        "name": "report-scale", "seed": 7,
        "description": f"Synthetic soak for benchmarks/report_scale.py: {n:,} sends.",
        "cluster": {"brokers": 3, "racks": list(RACKS.values()),
                    "broker_settings": {"replica.lag.time.max.ms": 10000, "broker.session.timeout.ms": 6000}},
        "topic": {"name": TOPIC, "partitions": PARTITIONS, "replication_factor": 3, "min_insync_replicas": 2},
        "workload": {"duration_s": duration, "rate": RATE, "max_messages": n,
                     "producers": [{"count": PRODUCERS}], "consumers": [{}]},
        "faults": faults,
    }
    return parse_scenario(data, "report_scale").model_dump(mode="json")


class _Cluster:
    """Leaders, ISRs and epochs of the topic's partitions as the faults move them."""

    def __init__(self) -> None:
        self.replicas = [[NODES[(p + i) % 3] for i in range(3)] for p in range(PARTITIONS)]
        self.leader = [r[0] for r in self.replicas]
        self.isr = [list(r) for r in self.replicas]
        self.epoch = [0] * PARTITIONS

    def fence(self, node: int) -> None:
        """The node leaves every ISR; its partitions get the next in-sync replica, under a new epoch."""
        for p in range(PARTITIONS):
            if node in self.isr[p]:
                self.isr[p].remove(node)
            if self.leader[p] == node:
                self.leader[p] = self.isr[p][0]
                self.epoch[p] += 1

    def rejoin(self, node: int) -> None:
        for p in range(PARTITIONS):
            if node not in self.isr[p]:
                self.isr[p].append(node)


def write_history(run_dir: Path, n: int) -> dict:
    """The synthetic run of ``n`` sends into ``run_dir/history.jsonl``; returns a summary of it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    duration = n / (RATE * PRODUCERS)
    fault_at = [0.2 * duration]
    if 0.6 * duration >= fault_at[0] + FAULT_S + 15:
        fault_at.append(0.6 * duration)
    fault_specs = [{"kind": "kill", "target": {"role": "leader", "partition": i}, "at_s": round(at, 3),
                    "duration_s": FAULT_S} for i, at in enumerate(fault_at)]
    out = _Out(run_dir / "history.jsonl")
    cl = _Cluster()
    scenario = _scenario(n, fault_specs)
    out.op(0.000171, "harness", "ok", "run", {"run_id": f"synthetic-{n}", "scenario": scenario,
                                              "image": "kafka-chaos-broker:4.3.1", "started_at": "2026-12-03T09:00:00",
                                              "schema_version": 1, "wall_start": 1796288400.0})
    out.op(11.61, "harness", "ok", "cluster", {"brokers": [{"node": b, "rack": RACKS[b],
                                                            "bootstrap": f"127.0.0.1:{40000 + b}"} for b in NODES]})
    out.op(T0 - 0.001, "harness", "ok", "schedule", {"faults": scenario["faults"]})
    out.op(T0, "harness", "ok", "phase", {"phase": "workload"})

    # Per partition: each record's sender (seq * PRODUCERS + producer), its acknowledgement time and epoch.
    log_code = [array("q") for _ in range(PARTITIONS)]
    log_ack = [array("d") for _ in range(PARTITIONS)]
    log_epoch = [array("b") for _ in range(PARTITIONS)]
    hw = [0] * PARTITIONS          # records acknowledged (committed) so far
    pos = [0] * PARTITIONS         # the consumer's position
    last_ack = [0.0] * PARTITIONS
    pending: list[list[tuple[float, str, int, int]]] = [[] for _ in range(PRODUCERS)]
    names = [f"producer-0-{pr}" for pr in range(PRODUCERS)]
    keys = [f"k{i}" for i in range(KEYS)]
    stall_until = -1.0
    faults = [{"id": f"f{i + 1}", "at": T0 + at, "node": None, "p": i, "stage": 0} for i, at in enumerate(fault_at)]
    per_slice = int(RATE * FLUSH_S)
    sent = 0
    seq = 0
    next_second = float(int(T0) + 1)
    t = T0

    def value(code: int) -> str:
        return f"{names[code % PRODUCERS]}-{code // PRODUCERS}"

    def advance_hw(now: float) -> None:
        for p in range(PARTITIONS):
            acks, h = log_ack[p], hw[p]
            while h < len(acks) and acks[h] <= now:
                h += 1
            hw[p] = h

    def poll(now: float) -> float:
        """Every record committed by ``now`` that the consumer has not had yet, in polls of POLL_MAX."""
        advance_hw(now)
        while any(pos[p] < hw[p] for p in range(PARTITIONS)):
            records, epochs, wm = [], [], []
            room = POLL_MAX
            for p in range(PARTITIONS):
                take = min(room, hw[p] - pos[p])
                if take <= 0:
                    continue
                lo = pos[p]
                codes, ep = log_code[p][lo:lo + take], log_epoch[p][lo:lo + take]
                records += [[p, lo + i, value(c)] for i, c in enumerate(codes)]
                epochs += ep.tolist()
                wm.append([p, hw[p]])
                pos[p] += take
                room -= take
                if not room:
                    break
            out.op(now, "consumer-0-leader", "ok", "poll", {"topic": TOPIC, "reader": "leader", "records": records,
                                                             "epochs": epochs, "watermarks": wm})
            now += POLL_S
        return now

    def every_second(now: float) -> None:
        advance_hw(now)
        for p in range(PARTITIONS):
            out.op(now, "sampler", "ok", "sample", {"topic": TOPIC, "partition": p, "leader": cl.leader[p],
                                                    "replicas": cl.replicas[p], "isr": list(cl.isr[p]),
                                                    "epoch": cl.epoch[p], "hwm": hw[p]})
        advance_hw(now + 0.0015)  # the statistics' watermarks as of their own time (a poll may follow at once)
        out.op(now + 0.0015, "consumer-0-leader", "ok", "stats", {
            "topic": TOPIC, "reader": "leader", "rack": None, "partitions": [
                {"partition": p, "leader": cl.leader[p], "broker": cl.leader[p], "hi_offset": hw[p], "lo_offset": 0,
                 "ls_offset": hw[p], "fetch_state": "active", "next_offset": pos[p], "leader_epoch": cl.epoch[p]}
                for p in range(PARTITIONS)]})

    def nemesis(now: float) -> None:
        nonlocal stall_until
        for f in faults:
            ref = {"id": f["id"], "kind": "kill", "target": f"leader of {TOPIC}-{f['p']}"}
            if f["stage"] == 0 and now >= f["at"]:
                f["node"] = cl.leader[f["p"]]
                f["before"] = (cl.leader[f["p"]], cl.epoch[f["p"]])
                out.op(now, "nemesis", "invoke", "fault", ref)
                out.op(now + 0.0001, "nemesis", "ok", "fault", {**ref, "nodes": [f["node"]], "cut_off": [f["node"]],
                                                                "detail": f"SIGKILL node {f['node']}"})
                stall_until = f["at"] + FENCED_AFTER_S
                f["stage"] = 1
            elif f["stage"] == 1 and now >= f["at"] + FENCED_AFTER_S:
                cl.fence(f["node"])
                after = round(now - f["at"], 2)
                old, epoch = f["before"]
                out.op(now + 0.0001, "nemesis", "ok", "effect", {
                    "id": f["id"], "kind": "kill", "phase": "start", "after_s": after,
                    "observed": f"leader of {TOPIC}-{f['p']} moved from {old} to {cl.leader[f['p']]}, leader epoch "
                                f"{epoch} -> {cl.epoch[f['p']]}, after {after:.1f} s",
                    "expect": "leader_moved", "topic": TOPIC, "partition": f["p"], "nodes": [f["node"]]})
                f["stage"] = 2
            elif f["stage"] == 2 and now >= f["at"] + FAULT_S:
                out.op(now, "nemesis", "invoke", "heal", ref)
                out.op(now + 0.0001, "nemesis", "ok", "heal", {**ref, "nodes": [f["node"]]})
                f["healed"] = now
                f["stage"] = 3
            elif f["stage"] == 3 and now >= f["healed"] + ISR_BACK_S:
                cl.rejoin(f["node"])
                after = round(now - f["healed"], 2)
                out.op(now + 0.0001, "nemesis", "ok", "effect", {
                    "id": f["id"], "kind": "kill", "phase": "heal", "after_s": after,
                    "observed": f"ISR of {TOPIC}-{f['p']} back to {sorted(cl.isr[f['p']])} {after:.1f} s after heal",
                    "expect": "isr_full", "topic": TOPIC, "partition": f["p"], "nodes": [f["node"]]})
                f["stage"] = 4

    def flush(now: float) -> None:
        """Each producer's completions that have arrived, as the recorder batches them."""
        for pr in range(PRODUCERS):
            ready = [x for x in pending[pr] if x[0] <= now]
            if ready:
                pending[pr] = [x for x in pending[pr] if x[0] > now]
                ready.sort(key=lambda x: x[0])
                out.op(now + 0.0002 * pr + 0.0001, names[pr], "ok", "send", {
                    "topic": TOPIC, "values": [x[1] for x in ready], "times": [round(x[0], 6) for x in ready],
                    "partitions": [x[2] for x in ready], "offsets": [x[3] for x in ready]})

    while sent < n or any(pending) or any(pos[p] < len(log_code[p]) for p in range(PARTITIONS)):
        nemesis(t)
        killed = {f["node"] for f in faults if f["stage"] == 1}
        # The sends invoked in [t, t + FLUSH_S): round robin over the producers, offsets in invoke order.
        m = min(per_slice * PRODUCERS, n - sent)
        invoked: list[tuple[list, list, list]] = [([], [], []) for _ in range(PRODUCERS)]
        for i in range(m):
            pr = i % PRODUCERS
            s = seq + i // PRODUCERS
            at = t + (i + 0.5) * FLUSH_S / max(m, 1)
            k = s % KEYS
            p = k % PARTITIONS
            v = f"{names[pr]}-{s}"
            ack = max(at + ACK_S, last_ack[p], stall_until + 0.02 if at < stall_until else 0.0)
            last_ack[p] = ack
            off = len(log_code[p])
            log_code[p].append(s * PRODUCERS + pr)
            log_ack[p].append(ack)
            # written under the next epoch when its leader was killed and it waits for the new one
            log_epoch[p].append(cl.epoch[p] + 1 if at < stall_until and cl.leader[p] in killed else cl.epoch[p])
            vs, ts, ks = invoked[pr]
            vs.append(v)
            ts.append(round(at, 6))
            ks.append(keys[k])
            pending[pr].append((ack, v, p, off))
        sent += m
        seq += (m + PRODUCERS - 1) // PRODUCERS
        # The slice's events in time order: a poll half-way, the flush, the next second's samples, a poll.
        poll(t + POLL_EVERY_S)
        end = t + FLUSH_S
        for pr in range(PRODUCERS):
            vs, ts, ks = invoked[pr]
            if vs:
                out.op(end + 0.0002 * pr, names[pr], "invoke", "send", {"topic": TOPIC, "values": vs, "times": ts,
                                                                       "keys": ks})
        flush(end)
        if end >= next_second:
            every_second(end + 0.001)
            next_second += 1.0
        t = max(poll(end + 0.003), end)
    workload_end = t
    while any(f["stage"] < 4 for f in faults):  # the heals come after the workload if it ended first
        nemesis(t)
        t += FLUSH_S
    t += 1.0
    out.op(t, "nemesis", "ok", "sweep", {"fixed": [], "left": []})
    out.op(t + 0.001, "harness", "ok", "phase", {"phase": "heal"})
    out.op(t + 0.003, "harness", "ok", "healthy", {"topic": TOPIC, "after_s": 0.0})
    t += 0.01
    chunks = 0
    for rack in [None, *RACKS.values()]:
        process, reader = f"final-{rack or 'leader'}", f"rack:{rack}" if rack else "leader"
        for p in range(PARTITIONS):
            out.op(t, process, "invoke", "read", {"topic": TOPIC, "partition": p, "reader": reader})
            t += 0.002
        for p in range(PARTITIONS):
            served = [cl.leader[p]] if rack is None else [next(b for b, r in RACKS.items() if r == rack)]
            end_offset = len(log_code[p])
            for lo in range(0, max(end_offset, 1), CHUNK):
                codes = log_code[p][lo:lo + CHUNK]
                t += 0.0005 * len(codes) / 1000 + 0.001
                out.op(t, process, "ok", "read", {
                    "topic": TOPIC, "partition": p, "reader": reader,
                    "records": [[p, lo + i, value(c)] for i, c in enumerate(codes)],
                    "epochs": log_epoch[p][lo:lo + CHUNK].tolist(), "end_offset": end_offset, "served_by": served})
                chunks += 1
    ops = out.index
    out.close()
    summary = {"generator": GENERATOR, "sends": n, "ops": ops, "duration_s": round(duration, 1),
               "workload_end": round(workload_end - T0, 1), "faults": len(faults), "final_read_chunks": chunks,
               "bytes": (run_dir / "history.jsonl").stat().st_size}
    (run_dir / "synthetic.json").write_text(json.dumps(summary))
    return summary


def ensure_history(run_dir: Path, n: int) -> dict:
    """The synthetic run of ``n`` sends in ``run_dir``, written unless one of this shape is there already."""
    marker = run_dir / "synthetic.json"
    if marker.is_file() and (run_dir / "history.jsonl").is_file():
        summary = json.loads(marker.read_text())
        if summary.get("generator") == GENERATOR and summary.get("sends") == n:
            return summary
    return write_history(run_dir, n)


# -- measuring ------------------------------------------------------------------------------------------------


def run_child(cmd: list[str]) -> tuple[int, float, int, float, str, str]:
    """Run ``cmd``; its exit code, wall seconds, peak RSS in bytes and CPU seconds (user + system) of that
    child alone, stdout, stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, out.read().decode(),
                err.read().decode())


def report_once(run_dir: Path) -> tuple[float, int, float]:
    """``kafka-chaos report <run_dir>`` in a child: its wall time, peak RSS and CPU time; the run must pass."""
    code, wall, rss, cpu, stdout, stderr = run_child([*KAFKA_CHAOS, "report", str(run_dir)])
    if code != 0 or "verdict: pass" not in stdout:
        raise SystemExit(f"kafka-chaos report {run_dir} exited {code} (a clean synthetic run must pass):\n"
                         f"{stdout}\n{stderr}")
    return wall, rss, cpu


def breakdown(run_dir: Path) -> dict:
    """The report's steps, timed in a child (``--time-steps``)."""
    code, wall, rss, _, stdout, stderr = run_child([PYTHON, str(Path(__file__).resolve()), "--time-steps",
                                                 str(run_dir)])
    if code != 0:
        raise SystemExit(f"timing the steps of {run_dir} failed ({code}):\n{stderr}")
    steps = json.loads(stdout.strip().splitlines()[-1])
    steps["wall"], steps["rss"] = wall, rss
    return steps


def time_steps(run_dir: Path) -> None:
    """In this process: what ``kafka-chaos report`` does (harness.run.cli._rereport), step by step: each step's
    wall time (``<step>``), CPU time (``cpu_<step>``) and the peak RSS so far after it (``rss_<step>``).
    Prints one JSON line."""
    import resource

    out: dict[str, float | str] = {}
    last = [time.perf_counter(), 0.0]

    def done(step: str) -> None:
        r = resource.getrusage(resource.RUSAGE_SELF)
        now, cpu = time.perf_counter(), r.ru_utime + r.ru_stime
        out[step], out[f"cpu_{step}"], out[f"rss_{step}"] = now - last[0], cpu - last[1], r.ru_maxrss * 1024
        last[:] = [time.perf_counter(), cpu]

    t0 = time.perf_counter()
    from harness.checks.suite import run_checks
    from harness.history.loader import History
    from harness.report import plots
    from harness.report.build import build_report, remove_reports, write_report
    last[0] = t0
    done("import")
    remove_reports(run_dir)
    history = History.load(run_dir / "history.jsonl")
    done("load")
    history.sends(), history.reads()
    done("tables")
    results = run_checks(history)
    done("checks")
    report = build_report(history, results)
    done("model")
    draw_all = plots.draw_all
    drawn: dict[str, float] = {}

    def timed_draw_all(*args, **kwargs):
        t = time.perf_counter()
        try:
            return draw_all(*args, **kwargs)
        finally:
            drawn["plots"] = time.perf_counter() - t
    plots.draw_all = timed_draw_all
    write_report(report, run_dir, history)
    done("write")
    out["plots"] = drawn["plots"]
    out["verdict"] = report.verdict
    print(json.dumps(out))


def _mib(b: float) -> str:
    return f"{b / (1 << 20):,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="reports per size (the median is shown)")
    parser.add_argument("--out", type=Path, help="keep the run directories here (and reuse them)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the timed in-process pass")
    parser.add_argument("--time-steps", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_steps:
        time_steps(args.time_steps)
        return

    base = args.out or Path(tempfile.mkdtemp(prefix="report-scale-"))
    rows, steps = [], []
    try:
        for n in args.sizes:
            run_dir = base / f"run-{n}"
            t = time.perf_counter()
            summary = ensure_history(run_dir, n)
            made = time.perf_counter() - t
            print(f"{n:,} sends: history {summary['bytes'] / (1 << 20):,.0f} MiB, {summary['ops']:,} ops, "
                  f"{summary['faults']} fault(s), workload {summary['duration_s']:g} s (ready in {made:.0f} s)",
                  flush=True)
            runs = []
            for i in range(args.repeats):
                wall, rss, cpu = report_once(run_dir)
                runs.append((wall, rss, cpu))
                print(f"  report {i + 1}: {wall:.2f} s (CPU {cpu:.2f} s), peak RSS {_mib(rss)} MiB", flush=True)
            rows.append((n, summary, runs))
            if not args.no_breakdown:
                s = breakdown(run_dir)
                steps.append((n, s))
                print("  steps (wall s / CPU s): " + ", ".join(
                    f"{k} {s[k]:.2f}/{s['cpu_' + k]:.2f}" for k in STEPS), flush=True)
    finally:
        if args.out is None:
            shutil.rmtree(base, ignore_errors=True)

    print()
    print(f"{'sends':>10} {'ops':>8} {'history':>11} {'runs':>4} {'wall (s)':>9} {'CPU (s)':>8} {'peak RSS':>10} "
          f"{'µs/send':>8} {'B/send':>7}  goal")
    for n, summary, runs in rows:
        wall = statistics.median(w for w, _, _ in runs)
        rss = statistics.median(r for _, r, _ in runs)
        cpu = statistics.median(c for _, _, c in runs)
        goal = GOALS.get(n)
        verdict = "–"
        if goal:
            verdict = (f"≤ {goal[0]:g} s {'met' if wall <= goal[0] else 'MISSED'}, ≤ {goal[1] >> 30} GiB "
                       f"{'met' if rss <= goal[1] else 'MISSED'}")
        print(f"{n:>10,} {summary['ops']:>8,} {summary['bytes'] / (1 << 20):>7,.0f} MiB {len(runs):>4} "
              f"{wall:>9.2f} {cpu:>8.2f} {_mib(rss):>6} MiB {wall / n * 1e6:>8.2f} {rss / n:>7,.0f}  {verdict}")
    if steps:
        print()
        print("Steps of one more report per size, in process: wall seconds (CPU seconds), peak RSS so far in MiB")
        print(f"{'sends':>10} " + " ".join(f"{k:>13}" for k in STEPS) + f" {'total':>13} | RSS after: "
              + " ".join(f"{k:>6}" for k in STEPS[1:]))
        for n, s in steps:
            total = sum(s[k] for k in STEPS)
            total_cpu = sum(s["cpu_" + k] for k in STEPS)
            print(f"{n:>10,} " + " ".join(f"{s[k]:>6.2f} ({s['cpu_' + k]:>4.1f})" for k in STEPS)
                  + f" {total:>6.2f} ({total_cpu:>4.1f}) |            "
                  + " ".join(f"{_mib(s['rss_' + k]):>6}" for k in STEPS[1:]))
        print("(write = plots + rendering; plots alone: "
              + ", ".join(f"{n:,}: {s['plots']:.2f} s" for n, s in steps) + ")")


if __name__ == "__main__":
    main()
