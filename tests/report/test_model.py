"""The report model, built from a crafted history: what ran, the faults, healing, errors, in words."""

from __future__ import annotations

from harness.checks.result import MAX_EXAMPLES
from harness.history.ops import Op, OpType
from harness.history.schema import decode
from harness.report.build import build_report
from tests.crafted import Crafted

DETAIL = "isolated node 1 from [2, 3] (clients still reach them)"


def record(c: Crafted, process: str, type_: str, f: str, value, error: str | None = None) -> Crafted:
    """An op Crafted has no method for (phase, sweep, healthy, a fault with its detail), through its record
    class, so the history stays one the loader accepts."""
    c.wait(0.001)
    c.ops.append(Op.of(len(c.ops), c.t, process, OpType(type_), decode(f, OpType(type_), value), error))
    return c


def eventful_run(lost: int = 0) -> Crafted:
    """A run whose workload starts at t = 10 s; one isolate of node 1 from 12 s to 15 s; ``lost`` of its
    20 acknowledged sends missing from the final read; a sweep that had to fix something and could not
    fix something else; a full ISR after healing; a schedule error, a client error and an unfinished read."""
    c = Crafted().cluster().sample(0, leader=1, isr=[1, 2, 3])
    c.wait(10)
    record(c, "harness", "ok", "phase", {"phase": "workload"})
    values = [f"p0-{i}" for i in range(20)]
    for i, v in enumerate(values[:10]):
        c.send("p0", v, offset=i)
    c.wait(2)
    ident = {"id": "f1", "kind": "isolate", "target": "leader of t-0"}
    record(c, "nemesis", "invoke", "fault", ident)
    record(c, "nemesis", "ok", "fault", {**ident, "nodes": [1], "cut_off": [1], "detail": DETAIL})
    for i, v in enumerate(values[10:], 10):
        c.send("p0", v, offset=i)
    c.sample(0, leader=2, isr=[2, 3], epoch=1)
    record(c, "nemesis", "ok", "effect", {"id": "f1", "kind": "isolate", "phase": "start", "after_s": 1.5,
                                          "observed": "leader of t-0 moved from 1 to 2, leader epoch 0 -> 1"})
    c.wait(3)
    c.heal("f1", kind="isolate")
    record(c, "nemesis", "info", "effect",
           {"id": "f1", "kind": "isolate", "phase": "heal", "after_s": 30.0, "observed": None},
           error="not seen: ISR of t-0 back to [1, 2, 3]")
    record(c, "p0", "info", "producer", {"topic": "t"}, error="fatal _FENCED: fenced by a newer producer")
    record(c, "harness", "info", "phase", {"phase": "faults"}, error="nemesis: could not inject pause on node 3")
    record(c, "nemesis", "info", "sweep", {"fixed": ["resumed 3"], "left": ["broker 2 keeps 1 rule(s)"]},
           error="broker 2 keeps 1 rule(s)")
    record(c, "harness", "ok", "phase", {"phase": "heal"})
    record(c, "harness", "ok", "healthy", {"topic": "t", "after_s": 2.5})
    c.read([(0, i, v) for i, v in enumerate(values[: len(values) - lost])])
    c.read([], partition=1, complete=False)
    return c


def test_the_model_counts_from_the_workload_start_and_keeps_every_fact():
    r = build_report(eventful_run().history())
    assert r.workload_start is not None and 10.0 < r.workload_start < 10.1
    (f,) = r.faults
    assert (f.id, f.kind, f.target, f.nodes, f.detail) == ("f1", "isolate", "leader of t-0", [1], DETAIL)
    assert 1.9 < f.start < 2.2 and 4.9 < f.end < 5.2  # 12 s and 15 s on the run's clock
    assert [(e.phase, e.seen) for e in f.effects] == [("start", True), ("heal", False)]
    (sweep,) = r.sweeps
    assert sweep.fixed == ["resumed 3"] and sweep.left == ["broker 2 keeps 1 rule(s)"]
    assert r.healthy is not None and r.healthy.reached and r.healthy.after_s == 2.5
    assert r.schedule_errors == ["nemesis: could not inject pause on node 3"]
    assert [str(e) for e in r.client_errors] == ["p0: fatal _FENCED: fenced by a newer producer"]
    assert r.incomplete_reads == ["timed out before the end offset"]
    (change,) = r.leader_changes
    assert (change.from_leader, change.to_leader) == (1, 2) and change.time > 0
    assert (r.counts.sent, r.counts.acknowledged, r.counts.read) == (20, 20, 20)


def test_the_summary_says_in_words_what_happened():
    text = build_report(eventful_run().history()).summary_text
    assert "1 fault: isolate leader of t-0 → node 1 at 2.0 s" in text and DETAIL in text
    assert "20 writes sent, 20 acknowledged" in text
    assert "The heal-everything sweep had to fix: resumed 3." in text
    assert "It could not fix: broker 2 keeps 1 rule(s)." in text
    assert "every partition had a full ISR within 2.5 s" in text
    assert "1 expected effect of the faults did not show" in text
    assert "fault schedule reported 1 error" in text and "Clients reported 1 error" in text


def test_lost_writes_show_in_the_verdict_the_summary_and_the_full_list_of_lost_values():
    r = build_report(_complete(eventful_run(lost=7)).history())
    lost = r.checks["lost_writes"]
    assert r.verdict == "fail" and lost.count == 7 and len(lost.examples) == MAX_EXAMPLES
    assert sorted(lost.result.found) == sorted(("t", f"p0-{i}") for i in range(13, 20))
    assert "20 acknowledged, 7 lost" in r.summary_text and "Failed: lost_writes found 7" in r.summary_text


def _complete(c: Crafted) -> Crafted:
    c.read([], partition=1)  # partition 1 now read to its end
    return c


def test_notes_and_examples_become_tables_for_people():
    r = build_report(_complete(eventful_run(lost=7)).history())
    lost = r.checks["lost_writes"]
    assert ("acknowledged", "20") in lost.facts
    (examples,) = lost.tables
    assert "completed at (s)" in examples.columns and len(examples.rows) == MAX_EXAMPLES
    assert examples.title == "examples (the first 5 of 7)"
    windows = next(t for t in r.checks["availability"].tables if t.title == "fault windows")
    assert windows.rows[0][windows.columns.index("ok")] == "100.0%"
    assert windows.rows[0][windows.columns.index("start (s)")].startswith("2.0")  # from the workload start


def test_an_empty_history_says_so():
    r = build_report(Crafted().history())
    assert r.verdict == "unknown"
    assert "The history file holds no operations" in r.summary_text
