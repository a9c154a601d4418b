"""Benchmark: every check over histories of growing size; the cost must grow with the number of ops.

Builds a synthetic run in memory: N acknowledged sends from 4 producers over 6 partitions (offsets
starting at a large base, so cost cannot depend on offset values), one consumer polling everything in
batches of 500, and a final read in chunks, as the workload records them. Prints the time to build
the tables and run all checks on the history in memory, to load the same history from its JSON Lines
file, and to check the loaded history (what re-checking a saved run costs: load plus checks).

Usage: .venv/bin/python benchmarks/checks_scale.py [--sizes 250000 500000 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from harness.checks.suite import run_checks
from harness.history.loader import History
from harness.history.ops import Op, OpType
from harness.history.schema import Poll, Read, Record, SendInvoke, SendOk

PARTITIONS = 6
PRODUCERS = 4
OFFSET_BASE = 10**12
BATCH = 1_000


def synthetic_ops(n: int) -> list[Op]:
    """As the recorder writes them: each producer's invocations and completions in batches of 1,000
    (a 0.1 s batch interval at 10,000 msg/s per producer), a batch's completions after its invocations."""
    ops: list[Op] = []
    t = 0.0
    offsets = [OFFSET_BASE] * PARTITIONS
    log: list[list] = [[] for _ in range(PARTITIONS)]

    def add(process: str, type_: OpType, rec: Record) -> None:
        ops.append(Op.of(len(ops), t, process, type_, rec))

    for start in range(0, n, BATCH * PRODUCERS):
        for pr in range(PRODUCERS):
            producer = f"producer-{pr}"
            values, times, partitions, offs = [], [], [], []
            for i in range(start + pr, min(start + BATCH * PRODUCERS, n), PRODUCERS):
                t += 0.0001
                value, p = f"{producer}-{i}", i % PARTITIONS
                values.append(value)
                times.append(t)
                partitions.append(p)
                offs.append(offsets[p])
                log[p].append([p, offsets[p], value])
                offsets[p] += 1
            add(producer, OpType.INVOKE, SendInvoke(topic="t", values=values, times=times, keys=["k"] * len(values)))
            add(producer, OpType.OK, SendOk(topic="t", values=values, times=[x + 0.005 for x in times],
                                            partitions=partitions, offsets=offs))
    records = [r for part in log for r in part]
    for i in range(0, len(records), 500):
        t += 0.001
        add("consumer-0-leader", OpType.OK, Poll(topic="t", reader="leader", records=records[i:i + 500]))
    for p in range(PARTITIONS):
        for i in range(0, len(log[p]), 20_000):
            add("final-leader", OpType.OK, Read(topic="t", partition=p, reader="leader",
                                                records=log[p][i:i + 20_000]))
    return ops


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    args = parser.parse_args()
    print(f"{'sends':>10} {'ops':>8} {'checks (s)':>11} {'µs/send':>8} {'load (s)':>9} {'checks loaded (s)':>18}")
    for n in args.sizes:
        ops = synthetic_ops(n)
        n_ops = len(ops)
        t0 = time.perf_counter()
        results = run_checks(History(ops))
        checks_s = time.perf_counter() - t0
        _assert_clean(results)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "history.jsonl"
            with open(path, "w") as fh:
                for op in ops:
                    fh.write(op.to_json() + "\n")
            del ops, results
            t1 = time.perf_counter()
            loaded = History.load(path)
            load_s = time.perf_counter() - t1
            t2 = time.perf_counter()
            _assert_clean(run_checks(loaded))
            loaded_s = time.perf_counter() - t2
            del loaded
        print(f"{n:>10} {n_ops:>8} {checks_s:>11.2f} "
              f"{checks_s / n * 1e6:>8.2f} {load_s:>9.2f} {loaded_s:>18.2f}", flush=True)


def _assert_clean(results) -> None:
    bad = {name: r.count for name, r in results.items() if r.count or r.notes.get("error")}
    assert not bad, f"a clean synthetic history must pass: {bad}"


if __name__ == "__main__":
    main()
