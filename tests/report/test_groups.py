"""The report's consumer-group and transaction sections, and their plots, from crafted histories."""

from __future__ import annotations

import html
import json

from harness.checks.result import CheckResult
from harness.history.ops import OpType
from harness.history.schema import (
    Assignment,
    Commit,
    FaultStart,
    FaultStarted,
    FetchStats,
    GroupMember,
    GroupOffsets,
    GroupSample,
    Healed,
    HealStart,
    MemberEvent,
    Poll,
    Run,
    StableOffsets,
    Stats,
    Txn,
)
from harness.report.build import build_report, write_report
from harness.report.model import build_model
from harness.report.plots import draw_all, groups, transactions
from tests.crafted import Crafted, clean_run

G = "t.app"
"""The group's id: the scenario's topic and group name."""


def _run(c: Crafted, workload: dict) -> Crafted:
    scenario = {"name": "crafted-groups", "topic": {"name": "t", "partitions": 3},
                "workload": {"duration_s": 30, **workload}}
    c.record("harness", OpType.OK, Run(run_id="r", scenario=scenario, image="i", started_at="x"))
    return c.phase("workload")


def _member(c: Crafted, process: str, member: int, event: str, group: str = G, pid: int = 100) -> Crafted:
    return c.record(process, OpType.OK, MemberEvent(group=group, topic="t", member=member, event=event, pid=pid))


def _assign(c: Crafted, process: str, event: str, partitions, protocol: str = "classic", group: str = G) -> Crafted:
    return c.record(process, OpType.OK, Assignment(group=group, topic="t", event=event, partitions=list(partitions),
                                                   protocol=protocol))


def _sample(c: Crafted, coordinator: int | None, members=(), error: str | None = None) -> Crafted:
    if error:
        return c.record("group-sampler", OpType.INFO, GroupSample(group=G, topic="t"), error)
    return c.record("group-sampler", OpType.OK, GroupSample(
        group=G, topic="t", state="stable", coordinator=coordinator, type="classic",
        members=[GroupMember(member_id=f"m-{p}", client_id=p, partitions=list(ps)) for p, ps in members]))


def _commit(c: Crafted, process: str, type_: str, offsets, error: str | None = None, auto: bool = False) -> Crafted:
    return c.record(process, type_, Commit(group=G, topic="t", offsets=[list(o) for o in offsets], auto=auto), error)


def _member_fault(c: Crafted, fid: str, process: str, member: int, kind: str = "member-kill",
                  event: str = "killed") -> Crafted:
    target = f"member {member} of group app"
    c.record("nemesis", OpType.INVOKE, FaultStart(id=fid, kind=kind, target=target))
    _member(c, process, member, event)
    signal = "SIGKILL" if event == "killed" else "SIGSTOP"
    return c.record("nemesis", OpType.OK, FaultStarted(id=fid, kind=kind, target=target, nodes=[], cut_off=[],
                                                       detail=f"{signal} member {member} of group {G} ({process}, "
                                                              "pid 100)"))


def _member_heal(c: Crafted, fid: str, member: int, kind: str = "member-kill") -> Crafted:
    target = f"member {member} of group app"
    c.record("nemesis", OpType.INVOKE, HealStart(id=fid, kind=kind, target=target))
    return c.record("nemesis", OpType.OK, Healed(id=fid, kind=kind, target=target, nodes=[]))


def classic_group_run() -> Crafted:
    """A classic group of two members (manual commit) on partitions 0-2 of t. Member 0 holds 0 and 1, member 1
    holds 2; member 0 is killed at 4 s in the middle of a commit (never answered), and at 14 s member 1 takes
    everything (a rebalance: revoked, then assigned the whole set); a replacement of member 0 starts at
    16 s and a third rebalance gives it 0 and 1 back. Member 1's commit after the kill is refused once
    (UNKNOWN_MEMBER_ID). The coordinator is 1, the sampler cannot describe the group for a while, then sees 2.
    The final read ends at offsets 10, 10, 10; the group committed 10, 8 and 10."""
    c = _run(Crafted(), {"groups": [{"name": "app", "members": 2, "protocol": "classic", "commit": "manual",
                                     "settings": {}}]})
    _member(c, "group-app-0", 0, "started")
    _member(c, "group-app-1", 1, "started")
    c.wait(1)
    _assign(c, "group-app-0", "assigned", [0, 1])
    _assign(c, "group-app-1", "assigned", [2])
    _sample(c, 1, [("group-app-0", [0, 1]), ("group-app-1", [2])])
    c.poll("group-app-0", [(0, i, f"v0-{i}") for i in range(5)], reader=f"group:{G}")
    _commit(c, "group-app-0", "invoke", [(0, 5, 0)])
    _commit(c, "group-app-0", "ok", [(0, 5, 0)])
    c.poll("group-app-1", [(2, i, f"v2-{i}") for i in range(10)], reader=f"group:{G}")
    _commit(c, "group-app-1", "invoke", [(2, 10, 0)])
    _commit(c, "group-app-1", "ok", [(2, 10, 0)])
    c.wait(1)
    _sample(c, 1, [("group-app-0", [0, 1]), ("group-app-1", [2])])
    c.wait(2)
    c.poll("group-app-0", [(0, i, f"v0-{i}") for i in range(5, 8)], reader=f"group:{G}")
    _commit(c, "group-app-0", "invoke", [(0, 8, 0)])  # never answered: the member is killed
    _member_fault(c, "f1", "group-app-0", 0)
    c.wait(1)
    _sample(c, None, error="Local: Timed out")
    c.wait(1)
    _sample(c, None, error="Local: Timed out")
    c.wait(8)
    _sample(c, 2, [("group-app-1", [2])])
    _assign(c, "group-app-1", "revoked", [2])
    _assign(c, "group-app-1", "assigned", [0, 1, 2])
    c.poll("group-app-1", [(0, i, f"v0-{i}") for i in range(5, 10)], reader=f"group:{G}")
    _commit(c, "group-app-1", "invoke", [(0, 10, 0)])
    _commit(c, "group-app-1", "fail", [(0, 10, 0)], error="UNKNOWN_MEMBER_ID")
    _commit(c, "group-app-1", "invoke", [(0, 10, 0)])
    _commit(c, "group-app-1", "ok", [(0, 10, 0)])
    c.wait(2)
    _member_heal(c, "f1", 0)
    _member(c, "group-app-0-r1", 0, "started")
    c.wait(1)
    _assign(c, "group-app-1", "revoked", [0, 1, 2])
    _assign(c, "group-app-1", "assigned", [2])
    _assign(c, "group-app-0-r1", "assigned", [0, 1])
    c.poll("group-app-0-r1", [(1, i, f"v1-{i}") for i in range(8)], reader=f"group:{G}")
    _commit(c, "group-app-0-r1", "invoke", [(1, 8, 0)])
    _commit(c, "group-app-0-r1", "ok", [(1, 8, 0)])
    c.wait(5)
    _sample(c, 2, [("group-app-1", [2]), ("group-app-0-r1", [0, 1])])
    _assign(c, "group-app-0-r1", "revoked", [0, 1])  # leaving at the end: not a rebalance
    _member(c, "group-app-0-r1", 0, "closed")
    _assign(c, "group-app-1", "revoked", [2])
    _member(c, "group-app-1", 1, "closed")
    c.phase("heal")
    for p in range(3):
        c.final_read([(p, i, f"v{p}-{i}") for i in range(10)], partition=p)
    return c.record("group-sampler", OpType.OK, GroupOffsets(group=G, topic="t", offsets=[[0, 10, 0], [1, 8, 0],
                                                                                            [2, 10, 0]]))


def test_a_classic_group_section_has_its_members_rebalances_coordinators_commits_and_offsets():
    r = build_report(classic_group_run().history())
    (g,) = r.groups
    assert (g.id, g.topic, g.protocol, g.commit, g.assignor) == (G, "t", "classic", "manual", "eager")
    assert [(m.member, m.process, m.ended_by) for m in g.members] == [
        (0, "group-app-0", "killed"), (0, "group-app-0-r1", "closed"), (1, "group-app-1", "closed")]
    assert g.replacements == 1
    assert [len(rb.moves) for rb in g.rebalances] == [3, 2, 2] and g.rebalances[0].first
    after_kill = g.rebalances[1]
    assert [(m.partition, m.before, m.after) for m in after_kill.moves] == [
        (0, ["group-app-0 (killed)"], ["group-app-1"]), (1, ["group-app-0 (killed)"], ["group-app-1"])]
    assert after_kill.callbacks == 2 and 13.9 < after_kill.start < 14.2
    assert [(m.partition, m.before, m.after) for m in g.rebalances[2].moves] == [
        (0, ["group-app-1"], ["group-app-0-r1"]), (1, ["group-app-1"], ["group-app-0-r1"])]
    first, moved = g.coordinator_changes
    assert (first.to_node, moved.from_node, moved.to_node) == (1, 1, 2)
    assert 13.9 < moved.time < 14.1 and 1.9 < moved.last_seen_time < 2.1  # between, the sampler failed
    assert g.describe_failures == {"Local: Timed out": 2}
    c = g.commits
    assert (c.ok, c.failed, c.unknown, c.unanswered, c.failed_errors) == (4, 1, 0, 1, {"UNKNOWN_MEMBER_ID": 1})
    assert [(o.partition, o.committed, o.log_end, o.behind) for o in g.offsets] == [(0, 10, 10, 0), (1, 8, 10, 2),
                                                                                   (2, 10, 10, 0)]
    assert (g.processed, g.distinct) == (31, 28)  # p0's 5 to 7 again after the kill: they were never committed
    # what the group checks say of it: p0's 5 to 7 again after the rebalance that followed the kill
    assert g.reprocessed == 3 and g.reprocessed_causes == {"rebalance": 3, "offset_reset": 0, "unexplained": 0}
    assert [(row["fault"], row["first_poll_after_heal_s"]) for row in g.availability] == [("f1", 1.01)]
    # who held what: member 0 held 0 and 1 until it was killed, then member 1 until the replacement came
    held = {(h.process, h.partition): (h.ended_by) for h in g.held}
    assert held[("group-app-0", 0)] == "killed" and held[("group-app-1", 0)] == "revoked"
    assert held[("group-app-0-r1", 1)] == "closed"
    sentence = next(s for s in r.summary if s.startswith("Group "))
    assert sentence == ("Group t.app (classic, manual commit): 3 rebalances, coordinator 1 → 2 between 2.0 and "
                        "14.0 s, 4 commits ok, 1 refused (UNKNOWN_MEMBER_ID), 1 unknown, 3 records processed more "
                        "than once, committed offsets behind the log end on p1 by 2.")


def test_a_member_fault_names_its_member_and_takes_no_controller_facts():
    r = build_report(classic_group_run().history())
    (f,) = r.faults
    assert f.member == "group-app-0" and f.nodes_text == "group-app-0" and f.recorded == []
    assert "member-kill member 0 of group app → group-app-0 at " in r.summary_text
    assert "no node" not in r.summary_text


def test_the_consumer_protocol_adds_and_removes_and_a_paused_member_still_holds_its_partition():
    c = _run(Crafted(), {"groups": [{"name": "app", "members": 2, "protocol": "consumer", "commit": "auto",
                                     "settings": {}}]})
    _member(c, "group-app-0", 0, "started")
    _member(c, "group-app-1", 1, "started")
    c.wait(1)
    _assign(c, "group-app-0", "assigned", [0, 1], protocol="consumer")
    c.wait(1)
    _assign(c, "group-app-0", "revoked", [1], protocol="consumer")  # the second member joined: a new epoch
    _assign(c, "group-app-0", "assigned", [], protocol="consumer")
    _assign(c, "group-app-1", "assigned", [1], protocol="consumer")
    c.wait(10)
    _assign(c, "group-app-1", "assigned", [], protocol="consumer")  # nothing new: not a rebalance
    _member_fault(c, "f1", "group-app-0", 0, kind="member-pause", event="paused")
    c.wait(10)
    _assign(c, "group-app-1", "assigned", [0], protocol="consumer")  # the paused member's session expired
    _commit(c, "group-app-1", "ok", [(0, 3, 0)], auto=True)
    _commit(c, "group-app-0", "info", [(0, 2, 0)], error="REQUEST_TIMED_OUT", auto=True)
    c.wait(3)
    r = build_report(c.history())
    (g,) = r.groups
    assert (g.protocol, g.commit, g.assignor) == ("consumer", "auto", "incremental")
    assert len(g.rebalances) == 3
    assert [(m.partition, m.before, m.after) for m in g.rebalances[1].moves] == [(1, ["group-app-0"], ["group-app-1"])]
    assert [(m.partition, m.before, m.after) for m in g.rebalances[2].moves] == [
        (0, ["group-app-0 (paused)"], ["group-app-0 (paused)", "group-app-1"])]
    (m0,) = [m for m in g.members if m.member == 0]
    assert m0.paused[0]["end"] is None and m0.ended_by is None
    holders = sorted(h.process for h in g.held if h.partition == 0 and h.end is None)
    assert holders == ["group-app-0", "group-app-1"]  # both believe they hold p0 at the end
    assert (g.commits.ok, g.commits.unknown, g.commits.unknown_errors) == (1, 1, {"REQUEST_TIMED_OUT": 1})
    assert g.offsets is None
    assert g.coordinator_changes == [] and "coordinator" not in next(s for s in r.summary if s.startswith("Group"))


def test_the_group_checks_results_join_their_group(monkeypatch):
    h = classic_group_run().history()
    from harness.checks.suite import run_checks

    results = run_checks(h)
    results["group_reprocessed"] = CheckResult("group_reprocessed", 3, notes={
        "rebalance": 3, "per_group": {G: {"records_polled": 31, "extra_deliveries": 3, "rebalance": 3,
                                          "offset_reset": 0, "unexplained": 0}}})
    results["group_availability"] = CheckResult("group_availability", 0, notes={"grace_s": 1.0, "faults": [
        {"fault": "f1", "group": G, "start": 12.0, "end": 25.0, "first_poll_after_start_s": 0.5,
         "longest_stall_s": 9.2, "first_poll_after_heal_s": 0.1},
        {"fault": "f1", "group": "other", "start": 12.0, "end": 25.0, "first_poll_after_start_s": 0.1,
         "longest_stall_s": 0.1, "first_poll_after_heal_s": 0.1}]})
    r = build_model(h, results)
    (g,) = r.groups
    assert g.reprocessed == 3 and g.reprocessed_causes == {"rebalance": 3, "offset_reset": 0, "unexplained": 0}
    (row,) = g.availability
    assert row["longest_stall_s"] == 9.2 and "group" not in row
    assert row["start"] < 12.0  # counted from the workload start like every time of the report
    assert "3 records processed more than once" in next(s for s in r.summary if s.startswith("Group"))


def txn_run(stuck: bool = False) -> Crafted:
    """One transactional producer: a transaction committed, one aborted as planned, one failed, one unknown,
    and one begun and never completed; a read-committed consumer's statistics show the LSO behind the high
    watermark while the unknown one was open; the LSO caught up after the heal, or (``stuck``) not."""
    c = _run(Crafted(), {"transactions": {"count": 1, "size": 2}})

    def txn(n: int, action: str, type_: str | None, error: str | None = None, seconds: float = 0.2) -> None:
        rec = dict(transactional_id="t.txn-0", n=n, action=action, topic="t", values=[f"x{n}a", f"x{n}b"],
                   partitions=[0, 1])
        c.record("txn-0", OpType.INVOKE, Txn(**rec))
        begun = c.t
        c.wait(seconds)
        if type_ is not None:
            c.record("txn-0", type_, Txn(**rec, offsets=[n, n], end_time=begun + 0.001), error)

    def stats(lso: int, hwm: int) -> None:
        c.record("consumer-0-leader", OpType.OK, Stats(topic="t", reader="leader", rack=None, partitions=[
            FetchStats(partition=p, leader=1, broker=1, hi_offset=hwm, lo_offset=0, ls_offset=lso) for p in (0, 1)]))

    stats(0, 0)
    txn(0, "commit", "ok")
    txn(1, "abort", "ok")
    txn(2, "commit", "fail", "INVALID_TXN_STATE")
    stats(4, 4)
    txn(3, "commit", "info", "_TIMED_OUT", seconds=3)
    stats(4, 6)
    c.record("consumer-1-leader", OpType.OK, Poll(topic="t", reader="leader", records=[[0, 0, "x0a"]],
                                                  isolation="read_uncommitted"))
    stats(4, 6)
    txn(4, "commit", None)
    c.phase("heal")
    c.wait(1.5)
    if stuck:
        c.record("harness", OpType.INFO, StableOffsets(topic="t", partitions=[[0, 4, 6], [1, 6, 6]], waited_s=25.0),
                 "after 25 s: t-0 LSO 4 < high watermark 6")
    else:
        c.record("harness", OpType.OK, StableOffsets(topic="t", partitions=[[0, 6, 6], [1, 6, 6]], waited_s=0.5))
    return c


def test_the_transactions_section_counts_each_outcome_and_the_stable_offsets():
    r = build_report(txn_run().history())
    t = r.transactions
    (p,) = t.producers
    assert (p.transactional_id, p.processes) == ("t.txn-0", ["txn-0"])
    assert (p.begun, p.planned_commit, p.planned_abort) == (5, 4, 1)
    assert (p.committed, p.aborted, p.failed, p.unknown, p.unanswered) == (1, 1, 1, 1, 1)
    assert p.errors == {"INVALID_TXN_STATE": 1, "_TIMED_OUT": 1}
    (s,) = t.stable
    assert s.caught_up and s.stuck == [] and 1.4 < s.after_heal_s < 1.6
    assert ("Transactions: 5 begun, 1 committed, 1 aborted as planned, 1 failed, 2 unknown (INVALID_TXN_STATE, "
            "_TIMED_OUT); every LSO caught up 1.5 s after the heal.") in r.summary
    assert r.groups == []


def test_a_stuck_last_stable_offset_is_named_with_its_partition():
    r = build_report(txn_run(stuck=True).history())
    (s,) = r.transactions.stable
    assert not s.caught_up and s.stuck == [[0, 4, 6]]
    sentence = next(x for x in r.summary if x.startswith("Transactions:"))
    assert sentence.endswith("; t: stuck after waiting 25 s (1.5 s after the heal): t-0 LSO 4 < high watermark 6.")


def test_every_rendering_shows_the_group_and_transaction_sections(tmp_path):
    c = classic_group_run()
    h = c.history()
    report = build_report(h)
    write_report(report, tmp_path, h)
    data = json.loads((tmp_path / "report.json").read_text())
    (g,) = data["groups"]
    assert g["id"] == G and g["replacements"] == 1 and len(g["rebalances"]) == 3
    assert g["commits"]["failed_errors"] == {"UNKNOWN_MEMBER_ID": 1}
    assert "transactions" not in data
    assert data["faults"][0]["member"] == "group-app-0"
    md = (tmp_path / "report.md").read_text()
    page = html.unescape((tmp_path / "report.html").read_text())
    for text in (md, page):
        assert "Consumer groups" in text and "t.app (classic protocol, manual commit)" in text
        assert "commits: 4 ok, 1 refused (UNKNOWN_MEMBER_ID), 1 unknown (1 never answered)" in text
        assert "coordinator moved from 1 to 2: first seen at 14.0" in text
        assert "p0 group-app-0 (killed) → group-app-1" in text
        assert "the group sampler could not describe the group 2 time(s): Local: Timed out ×2" in text
        assert "f1 member-kill** member 0 of group app → group-app-0" in text.replace("<b>", "**").replace("</b>",
                                                                                                       "**")
        assert data["summary"] in text
    assert md.index("## Consumer groups") < md.index("## Faults")
    assert "| 1 | 8 | 10 | 2 |" in md  # committed 8 on p1, the log ends at 10

    tx = tmp_path / "tx"
    h = txn_run(stuck=True).history()
    write_report(build_report(h), tx, h)
    data = json.loads((tx / "report.json").read_text())
    assert data["transactions"]["stable"][0]["stuck"] == [[0, 4, 6]] and "groups" not in data
    md = (tx / "report.md").read_text()
    page = html.unescape((tx / "report.html").read_text())
    for text in (md, page):
        assert "Transactions" in text and "t: stuck after waiting 25 s" in text
    assert "| t.txn-0 | txn-0 | 5 | 4 | 1 | 1 | 1 | 1 | 1 | 1 | INVALID_TXN_STATE, _TIMED_OUT |" in md
    assert "![transactions](plots/transactions.png)" in md


def test_a_plain_run_has_no_group_or_transaction_section(tmp_path):
    h = clean_run(20).fault("f1").wait(2).heal("f1").history()
    report = build_report(h)
    assert report.groups == [] and report.transactions is None
    assert report.faults[0].member is None and report.faults[0].nodes_text == "node 1"
    write_report(report, tmp_path, h)
    data = json.loads((tmp_path / "report.json").read_text())
    assert "groups" not in data and "transactions" not in data and "member" not in data["faults"][0]
    md = (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    for text in (md, page):
        assert "Consumer groups" not in text and "Transactions" not in text
    assert set(data["plots"]) == {"timeline", "partitions", "follower_reads"}


def test_the_group_and_transaction_plots_come_only_with_their_data(tmp_path):
    h = classic_group_run().history()
    drawn = draw_all(h, tmp_path / "g")
    assert "groups" in drawn and "transactions" not in drawn
    assert drawn["groups"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and drawn["groups"].stat().st_size > 10_000
    h = txn_run().history()
    drawn = draw_all(h, tmp_path / "t")
    assert "transactions" in drawn and "groups" not in drawn
    assert drawn["transactions"].stat().st_size > 10_000
    plain = clean_run(10).history()
    report = build_report(plain)
    assert groups(plain, report, tmp_path / "none.png") is None
    assert transactions(plain, report, tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()


def test_the_transactions_plot_reads_the_lso_of_a_consumer_of_committed_data_only():
    from harness.report.plots import _committed_reader_stats, _txn_spans

    h = txn_run().history()
    report = build_report(h)
    reader, stats = _committed_reader_stats(h, report)
    assert reader == "consumer-0-leader"  # consumer-1 polls read_uncommitted
    assert list(stats[stats["partition"] == 0]["ls_offset"]) == [0, 4, 4, 4]
    spans = _txn_spans(h, report)["txn-0"]
    assert [outcome for *_, outcome in spans] == ["committed", "aborted as planned", "failed", "unknown",
                                                  "never completed"]
    assert spans[3][2] - spans[3][0] > 2.9  # the unknown one was open for 3 s


def test_the_old_example_run_has_neither_section(tmp_path):
    import gzip

    from harness.history.loader import History
    from tests.report.test_render import OLD_RUN

    (tmp_path / "history.jsonl").write_bytes(gzip.decompress(OLD_RUN.read_bytes()))
    r = build_report(History.load(tmp_path / "history.jsonl"))
    assert r.groups == [] and r.transactions is None and all(f.member is None for f in r.faults)
    assert list(r.to_json()) == ["run_id", "scenario", "description", "started_at", "duration_s", "image", "verdict",
                                 "summary", "unexplained", "time_origin", "controller_record", "checks", "findings",
                                 "counts", "faults", "leader_changes", "sweeps", "healthy", "schedule_errors",
                                 "settings", "incomplete_reads", "client_errors", "notices", "plots"]
    assert "member" not in r.to_json()["faults"][0]
