"""The report model, built from a crafted history: what ran, the faults, healing, errors, in words."""

from __future__ import annotations

import pytest

from harness.checks.result import MAX_EXAMPLES
from harness.history.ops import OpType
from harness.history.schema import (
    Effect,
    FaultStart,
    FaultStarted,
    MetadataRecord,
    ProducerFatal,
    Run,
)
from harness.report.build import build_report
from tests.crafted import Crafted

DETAIL = "isolated node 1 from [2, 3] (clients still reach them)"


def isolate(c: Crafted, fid: str = "f1", nodes=(1,)) -> Crafted:
    """An isolate of ``nodes`` injected, with its detail (Crafted's ``fault`` records none)."""
    c.record("nemesis", OpType.INVOKE, FaultStart(id=fid, kind="isolate", target="leader of t-0"))
    return c.record("nemesis", OpType.OK, FaultStarted(id=fid, kind="isolate", target="leader of t-0",
                                                       nodes=list(nodes), cut_off=list(nodes), detail=DETAIL))


def live(c: Crafted, phase: str, observed: str | None, after_s: float, fid: str = "f1",
         error: str | None = None) -> Crafted:
    """What the nemesis saw live (``observed`` None: not seen in time, ``error`` says what was looked for)."""
    rec = Effect(id=fid, kind="isolate", phase=phase, after_s=after_s, observed=observed)
    return c.record("nemesis", OpType.OK if observed is not None else OpType.INFO, rec, error)


def eventful_run(lost: int = 0) -> Crafted:
    """A run whose workload starts at t = 10 s; one isolate of node 1 from 12 s to 15 s; ``lost`` of its
    20 acknowledged sends missing from the final read; a sweep that had to fix something and could not
    fix something else; a full ISR after healing; a schedule error, a client error and an unfinished read."""
    c = Crafted().cluster().sample(0, leader=1, isr=[1, 2, 3])
    c.wait(10)
    c.phase("workload")
    values = [f"p0-{i}" for i in range(20)]
    for i, v in enumerate(values[:10]):
        c.send("p0", v, offset=i)
    c.wait(2)
    isolate(c)
    for i, v in enumerate(values[10:], 10):
        c.send("p0", v, offset=i)
    c.sample(0, leader=2, isr=[2, 3], epoch=1)
    live(c, "start", "leader of t-0 moved from 1 to 2, leader epoch 0 -> 1, after 1.5 s", 1.5)
    c.wait(3)
    c.heal("f1", kind="isolate")
    live(c, "heal", None, 30.0, error="not seen: ISR of t-0 back to [1, 2, 3]")
    c.record("p0", OpType.INFO, ProducerFatal(topic="t"), "fatal _FENCED: fenced by a newer producer")
    c.phase("faults", error="nemesis: could not inject pause on node 3")
    c.sweep(fixed=["resumed 3"], left=["broker 2 keeps 1 rule(s)"])
    c.phase("heal")
    c.healthy(2.5)
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
    assert "1 expected effect of the faults was not seen live within the deadline." in text
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
    examples = next(t for t in lost.tables if t.title.startswith("examples"))
    assert "completed at (s)" in examples.columns and len(examples.rows) == MAX_EXAMPLES
    assert examples.title == "examples (the first 5 of 7)"
    windows = next(t for t in r.checks["availability"].tables if t.title == "fault windows")
    assert windows.rows[0][windows.columns.index("ok")] == "100.0%"
    assert windows.rows[0][windows.columns.index("start (s)")].startswith("2.0")  # from the workload start


def test_a_history_without_a_final_read_says_so():
    # (a history file with no op at all is refused by the loader: see test_render.py)
    r = build_report(Crafted().history())
    assert r.verdict == "unknown"
    assert "The history has no final read, so lost writes cannot be decided." in r.summary_text


# -- one time origin ---------------------------------------------------------------------------------------


def test_every_time_in_report_json_counts_from_the_workload_start():
    r = build_report(_complete(eventful_run(lost=7)).history())
    d = r.to_json()
    fault = d["faults"][0]
    (window,) = d["checks"]["availability"]["notes"]["fault_windows"]
    # one origin for both (the check rounds its times to the hundredth)
    assert (window["start"], window["end"]) == pytest.approx((fault["start"], fault["end"]), abs=0.006)
    completed = [e["complete_time"] for e in d["checks"]["lost_writes"]["examples"]]
    assert all(fault["start"] <= t <= fault["end"] for t in completed)  # sent during the fault (12-15 s run time)
    assert d["checks"]["availability"]["notes"]["fault_windows"][0]["first_ok_after_start_s"] < 1  # a duration
    # the check itself is untouched: its own result still speaks the history's clock
    assert r.checks["lost_writes"].result.examples[0]["complete_time"] > 10


def test_time_keys_are_decided_by_name_at_any_depth():
    from harness.report.model import is_time_key, shift_times

    assert [k for k in ("time", "start", "end", "invoke_time", "after_s", "p99_ms", "offset", "started")
            if is_time_key(k)] == ["time", "start", "end", "invoke_time"]
    at = lambda t: None if t is None else round(t - 10, 3)
    notes = {"windows": [{"start": 12.0, "end": 15.5, "after_s": 1.0}], "x": {"time": [11.0, 13.0], "n": 4},
             "complete_time": None, "flag": True}
    assert shift_times(notes, at) == {"windows": [{"start": 2.0, "end": 5.5, "after_s": 1.0}],
                                      "x": {"time": [1.0, 3.0], "n": 4}, "complete_time": None, "flag": True}


def test_report_json_refuses_a_value_that_is_not_json():
    from harness.report.render import render_json

    r = build_report(eventful_run().history())
    r.checks["lost_writes"].notes["when"] = {1, 2}  # a set: json would need default=str to write it
    with pytest.raises(TypeError, match=r"checks\.lost_writes\.notes\.when: set"):
        render_json(r)
    r.checks["lost_writes"].notes["when"] = float("nan")
    with pytest.raises(TypeError, match="not a JSON value"):
        render_json(r)


# -- the controller's record of a fault -------------------------------------------------------------------

WALL = 1764750000.0
TOPIC_ID = "5zoAlv-xEh9xRANKXt1Lbg"


def _metadata(c: Crafted, records: list[tuple[float, str, dict]]) -> None:
    """The controller's metadata log as the autopsy records it: (history time, type, fields), in log order."""
    for offset, (t, kind, data) in enumerate(sorted(records, key=lambda r: r[0])):
        c.record("ground-truth", OpType.OK, MetadataRecord(offset=offset, time_ms=round((WALL + t) * 1000),
                                                           controller_epoch=2 if kind == "LEADER_CHANGE" else 1,
                                                           type=kind, data=data))


def _partition(t: float, p: int, **fields) -> tuple[float, str, dict]:
    kind = "PARTITION_RECORD" if "replicas" in fields else "PARTITION_CHANGE_RECORD"
    return (t, kind, {"topicId": TOPIC_ID, "partitionId": p, **fields})


def _broker(t: float, node: int, fenced: int) -> tuple[float, str, dict]:
    return (t, "BROKER_REGISTRATION_CHANGE_RECORD", {"brokerId": node, "brokerEpoch": 7, "fenced": fenced})


def controller_run(leaderless: bool = False) -> Crafted:
    """A run (workload from t = 10 s) with the controller's record: node 1, leader of t-0, isolated from 10 s
    to 22 s into the workload. The controller moves t-0's leader to 2 and fences node 1 6 s in, then moves
    itself from 1 to 2; t-1 (ISR [2, 3], no node 1) loses 3 from its ISR, which says nothing about this
    fault. After the heal, node 1 is unfenced and back in t-0's ISR; 40 s after it, a leader change outside
    the fault's window. With ``leaderless``, t-1 is left with no leader 8 s in and gets leader 2 back 1 s
    later. The nemesis saw live a leader move with a wrong epoch ("0 -> 0")."""
    c = Crafted()
    c.record("harness", OpType.OK, Run(run_id="r1", scenario={"name": "ctl", "topic": {"name": "t"},
                                                              "cluster": {"brokers": 3}},
                                       image="kafka:test", started_at="2025-12-03T08:20:00Z", wall_start=WALL))
    c.cluster()
    c.wait(10)
    c.phase("workload")
    origin = c.t
    for i in range(10):
        c.send("p0", f"p0-{i}", offset=i)
        c.sample(0, leader=1, isr=[1, 2, 3], epoch=0, hwm=i + 1).sample(1, leader=2, isr=[2, 3], epoch=0, hwm=0)
        c.wait(1)
    isolate(c)
    start = c.ops[-2].time
    live(c, "start", "leader of t-0 moved from 1 to 2, leader epoch 0 -> 0, after 6.5 s", 6.5)
    for i in range(10, 20):
        c.wait(1)
        c.send("p0", f"p0-{i}", offset=i)
        c.sample(0, leader=2 if i >= 17 else 1, isr=[2, 3], epoch=None, hwm=i + 1)
    c.wait(2)
    c.heal("f1", kind="isolate")
    end = c.ops[-1].time
    live(c, "heal", "ISR of t-0 back to [1, 2, 3] 3.0 s after heal", 3.0)
    c.wait(5)
    c.phase("heal")
    c.healthy(3.0)
    c.read([(0, i, f"p0-{i}") for i in range(20)])
    c.read([], partition=1)
    records = [(origin - 9, "TOPIC_RECORD", {"name": "t", "topicId": TOPIC_ID}),
               (origin - 9.5, "LEADER_CHANGE", {"leaderId": 1, "voters": []}),
               _partition(origin - 9, 0, replicas=[1, 2, 3], isr=[1, 2, 3], leader=1, leaderEpoch=0, partitionEpoch=0),
               _partition(origin - 9, 1, replicas=[2, 3], isr=[2, 3], leader=2, leaderEpoch=0, partitionEpoch=0),
               _partition(start + 6, 0, leader=2, isr=[2, 3]), _broker(start + 6, 1, fenced=1),
               _partition(start + 6.5, 1, isr=[2]),
               (start + 7, "LEADER_CHANGE", {"leaderId": 2, "voters": []}),
               _broker(end + 2, 1, fenced=-1), _partition(end + 3, 0, isr=[1, 2, 3]),
               _partition(end + 40, 0, leader=1)]
    if leaderless:
        records += [_partition(start + 8, 1, leader=-1), _partition(start + 9, 1, leader=2)]
    _metadata(c, records)
    return c


def test_a_fault_lists_what_the_controller_recorded_during_it_and_until_30_s_after_its_heal():
    r = build_report(controller_run().history())
    assert r.controller_record
    (f,) = r.faults
    assert (f.start, f.end) == pytest.approx((10.0, 22.0), abs=0.1)
    assert [(rec.kind, rec.phase, rec.text) for rec in f.recorded] == [
        ("leader", "start", ("leader of t-0 moved from 1 to 2, leader epoch 0 → 1; ISR of t-0 shrank from "
                             "[1, 2, 3] to [2, 3]")),
        ("broker", "start", "broker 1 fenced"),
        ("controller", "start", "active controller moved from 1 to 2 (epoch 2)"),
        ("broker", "heal", "broker 1 unfenced"),
        ("isr", "heal", "ISR of t-0 grew from [2, 3] to [1, 2, 3]")]
    first = f.recorded[0]
    assert first.time == pytest.approx(f.start + 6, abs=0.01) and first.after_s == pytest.approx(6, abs=0.01)
    assert first.data == {"topic": "t", "partition": 0, "leader_from": 1, "leader_to": 2, "epoch_from": 0,
                          "epoch_to": 1, "unclean": False, "isr_from": [1, 2, 3], "isr_to": [2, 3]}
    assert f.recorded[-1].after_s == pytest.approx(3, abs=0.01)
    # the leader change 40 s after the heal is the controller's too, but not this fault's
    assert [(c.from_leader, c.to_leader, c.source) for c in r.leader_changes] == [(1, 2, "controller"),
                                                                                 (2, 1, "controller")]
    assert r.to_json()["faults"][0]["recorded"][0]["data"]["epoch_to"] == 1


def test_with_the_controllers_record_live_effects_lose_their_epoch_and_the_summary_uses_the_record():
    r = build_report(controller_run().history())
    (f,) = r.faults
    assert [e.observed for e in f.effects] == ["leader of t-0 moved from 1 to 2, after 6.5 s",
                                               "ISR of t-0 back to [1, 2, 3] 3.0 s after heal"]
    text = r.summary_text
    assert ("isolate leader of t-0 → node 1 at 10.0 s for 12.0 s: " + DETAIL + " (the controller recorded t-0 "
            "leader 1 → 2 at epoch 1; 2 ISR changes; broker 1 fenced, broker 1 unfenced; 1 controller move)") in text
    assert "The controller recorded 2 leader changes." in text
    assert "0 -> 0" not in str(r.to_json())


def test_a_partition_left_without_a_leader_is_a_change_to_no_leader():
    r = build_report(controller_run(leaderless=True).history())
    gone = [c for c in r.leader_changes if c.partition == 1]
    assert [(c.from_leader, c.to_leader, c.epoch_from, c.epoch_to) for c in gone] == [(2, -1, 0, 1), (-1, 2, 1, 2)]
    texts = [rec.text for rec in r.faults[0].recorded if rec.data.get("partition") == 1]
    assert texts == ["t-1 left with no leader (was 2), leader epoch 0 → 1",
                     "t-1 has a leader again: 2, leader epoch 1 → 2"]
    assert "The controller recorded 4 leader changes, 1 leaving a partition with no leader." in r.summary_text
    assert "t-1 leader 2 → no leader at epoch 1" in r.summary_text


def test_without_the_controllers_record_a_fault_reads_as_before():
    r = build_report(eventful_run().history())
    assert not r.controller_record and r.faults[0].recorded == []
    assert r.faults[0].effects[0].observed == "leader of t-0 moved from 1 to 2, leader epoch 0 -> 1, after 1.5 s"
    assert "the controller recorded" not in r.summary_text and "The sampler saw 1 leader change." in r.summary_text


def test_an_unclean_election_during_a_fault_is_named_so():
    c = Crafted()
    c.record("harness", OpType.OK, Run(run_id="r2", scenario={"topic": {"name": "t"}}, image="i", started_at="x",
                                       wall_start=WALL))
    c.phase("workload")
    isolate(c, nodes=(2, 3))
    start = c.ops[-2].time
    c.wait(10).heal("f1", kind="isolate", nodes=(2, 3))
    _metadata(c, [(0.0, "TOPIC_RECORD", {"name": "t", "topicId": TOPIC_ID}),
                  _partition(0.0, 0, replicas=[1, 2, 3], isr=[1, 2, 3], leader=1, leaderEpoch=0, partitionEpoch=0),
                  _partition(start + 1, 0, isr=[1]), _partition(start + 2, 0, leader=-1),
                  _partition(start + 3, 0, leader=3, isr=[3], leaderRecoveryState=1)])
    r = build_report(c.history())
    texts = [rec.text for rec in r.faults[0].recorded]
    assert texts == ["ISR of t-0 shrank from [1, 2, 3] to [1]",
                     "t-0 left with no leader (was 1), leader epoch 0 → 1",
                     ("t-0 has a leader again: 3, leader epoch 1 → 2, UNCLEAN (3 was not in the ISR [1]); ISR of t-0 "
                      "changed from [1] to [3]")]
    assert "t-0 with leader 3 again at epoch 2 (unclean)" in r.summary_text
    assert "The controller recorded 2 leader changes, 1 unclean and 1 leaving a partition with no leader." \
        in r.summary_text


def test_an_anomaly_with_no_recorded_cause_leads_the_summary():
    from harness.report.model import build_model
    from tests.crafted import lost_after_a_leader_change

    report = build_model(lost_after_a_leader_change(acks="all").history())
    (line,) = report.unexplained
    assert line.startswith("1 acknowledged write lost with no recorded cause (acks=all")
    assert report.summary[0].startswith("UNEXPLAINED: 1 acknowledged write lost")
    assert report.to_json()["unexplained"] == report.unexplained


def test_documented_client_duplicates_are_said_in_the_summary_not_counted():
    from harness.report.model import build_model
    from tests.crafted import Crafted

    c = Crafted()
    c.send("p", "a", offset=0).read([(0, 0, "a"), (0, 1, "a")])
    c.replica_log(1, 0, [(0, "a", 0, 7, 0, 0), (1, "a", 0, 7, 1, 0)])  # same producer, epoch 0 -> 1
    report = build_model(c.history())
    assert report.checks["duplicates"].count == 0
    assert any(line.startswith("1 value written twice by documented client behaviour (client epoch bump 1)")
               for line in report.summary)


# -- expected effects: decided from the controller's record, live only without it ---------------------------


def expecting_run(expect: str, nodes=(1,), live_start: str | None = None, steps=(), record: bool = True,
                  isr=(1, 2, 3), kind: str = "kill",
                  live_heal: str | None = "ISR of t-0 back to [1, 2, 3] 2.0 s after heal") -> Crafted:
    """A run (workload from t = 0) with one fault of ``kind`` on ``nodes`` from 10 s to 22 s whose watchers
    name what they awaited: ``expect`` after the start (seen live as ``live_start``; None: not seen) and
    a full ISR of t-0 after the heal (``live_heal``). With ``record``, the controller's record of t-0:
    created at 0 s with leader 1 and ``isr``, then ``steps``, each (seconds after the fault's start, the
    fields of a partition change)."""
    from harness.observe.fault_effects import Expectation
    from tests.crafted import changed, created, with_run

    c = with_run()
    c.phase("workload")
    c.wait(10)
    c.fault("f1", kind=kind, nodes=nodes)
    start = c.ops[-2].time
    awaited = Expectation(expect, "t", 0, tuple(nodes)).describe()
    c.effect_expecting("f1", expect, observed=live_start, after_s=6.5, kind=kind, nodes=nodes,
                       error=f"not seen: {awaited}")
    c.wait(12)
    c.heal("f1", kind=kind, nodes=nodes)
    c.effect_expecting("f1", "isr_full", phase="heal", observed=live_heal, after_s=2.0, kind=kind,
                       error="not seen: a full ISR of t-0")
    c.read([])
    if record:
        created(c, 0.0, isr=isr)
        for after, fields in steps:
            changed(c, start + after, **fields)
    return c


def test_an_isr_shrink_the_live_watcher_missed_is_seen_from_the_record():
    from harness.report.render import fault_lines

    r = build_report(expecting_run("isr_dropped", nodes=(3,), kind="isolate",
                                   steps=[(6.0, {"isr": [1, 2]}), (6.4, {"isr": [1, 2, 3]})]).history())
    start, heal = r.faults[0].effects
    assert (start.source, start.seen, start.live_seen, start.leader, start.epoch, start.isr) == \
        ("controller", True, False, 1, 0, [1, 2])
    assert start.time == pytest.approx(16.0, abs=0.01) and start.after_s == pytest.approx(6.0, abs=0.01)
    assert start.observed == "ISR of t-0 shrank from [1, 2, 3] to [1, 2]; leader 1, leader epoch 0, at 16.00 s " \
                             "(6.0 s after start)"
    assert start.disagreement == ("the live watcher did not see this within its deadline (it awaited the ISR of "
                                  "t-0 to drop [3])")
    assert heal.seen and heal.disagreement is None and heal.observed.startswith(
        "ISR of t-0 already full when healed: [1, 2, 3]; leader 1, leader epoch 0, at 22.00 s (0.0 s after heal)")
    lines = fault_lines(r.faults[0])
    assert f"start, from the controller's record: {start.observed}" in lines
    assert ("start, the live watcher did not see this within its deadline (it awaited the ISR of t-0 to drop [3]); "
            "the controller's record wins") in lines
    assert not any("seen live" in line for line in lines)
    text = r.summary_text
    assert "expected effect" not in text
    assert "The live watcher disagreed with the controller's record on 1 effect; the record's verdict stands" in text


def test_a_leader_move_seen_live_shows_the_records_epoch():
    r = build_report(expecting_run("leader_moved", live_start="leader of t-0 moved from 1 to 2, leader epoch 0 -> 0, "
                                                              "after 6.5 s",
                                   steps=[(6.0, {"leader": 2, "isr": [2, 3]}), (14.0, {"isr": [1, 2, 3]})]).history())
    start, heal = r.faults[0].effects
    assert (start.source, start.seen, start.leader, start.epoch, start.disagreement) == ("controller", True, 2, 1, None)
    assert start.observed == "leader of t-0 moved from 1 to 2, leader epoch 0 → 1, ISR [2, 3], at 16.00 s " \
                             "(6.0 s after start)"
    assert heal.observed == "ISR of t-0 full again: [1, 2, 3]; leader 2, leader epoch 1, at 24.00 s (2.0 s after heal)"
    assert "0 -> 0" not in str(r.to_json()) and "disagreed" not in r.summary_text
    assert r.to_json()["faults"][0]["effects"][0]["epoch"] == 1


def test_a_kill_that_left_a_partition_without_a_leader_shows_it_offline_with_its_time():
    from harness.report.render import fault_lines

    r = build_report(expecting_run("leader_moved", isr=(1,), live_heal=None,
                                   steps=[(0.5, {"leader": -1}), (13.0, {"leader": 1})]).history())
    start, heal = r.faults[0].effects
    assert (start.seen, start.offline, start.leader, start.epoch) == (True, True, -1, 1)
    assert start.time == pytest.approx(10.5, abs=0.01)
    assert start.observed == ("t-0 offline: no leader (-1, was 1), leader epoch 0 → 1, ISR [1], from 10.50 s "
                              "(0.5 s after start); a leader again at 23.00 s: 1, leader epoch 2")
    assert start.disagreement.startswith("the live watcher did not see this")
    assert (heal.source, heal.seen, heal.disagreement) == ("controller", False, None)
    lines = fault_lines(r.faults[0])
    assert "heal, not in the controller's record: a full ISR of t-0, from 22.00 s to 82.00 s" in lines
    assert "1 expected effect of the faults did not happen, per the controller's record." in r.summary_text


def test_an_old_history_without_expectations_reads_as_before():
    from harness.report.render import fault_lines

    for run in (controller_run(), eventful_run()):
        (f,) = build_report(run.history()).faults
        assert all(e.source == "live" and e.expect is None and e.disagreement is None for e in f.effects)
    lines = fault_lines(build_report(controller_run().history()).faults[0])
    assert "start, seen live: leader of t-0 moved from 1 to 2, after 6.5 s" in lines
    assert "heal, seen live: ISR of t-0 back to [1, 2, 3] 3.0 s after heal" in lines


def test_without_the_controllers_record_the_live_verdicts_stand():
    from harness.report.render import fault_lines

    r = build_report(expecting_run("isr_dropped", nodes=(3,), kind="isolate", record=False).history())
    assert not r.controller_record
    start, heal = r.faults[0].effects
    assert (start.source, start.seen, start.expect, heal.source, heal.seen) == ("live", False, "isr_dropped",
                                                                                "live", True)
    lines = fault_lines(r.faults[0])
    assert "start, not seen live within the deadline (not seen: the ISR of t-0 to drop [3])" in lines
    assert "heal, seen live: ISR of t-0 back to [1, 2, 3] 2.0 s after heal" in lines
    assert "1 expected effect of the faults was not seen live within the deadline." in r.summary_text
