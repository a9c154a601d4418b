"""A cause for every lost write and divergent offset, from the controller's record and the scenario's settings.

Crafted histories: a ``run`` op carrying the scenario (acks, min.insync.replicas, unclean election) and the
wall-clock start, sends at known history times, and the controller's metadata records at known times.
"""

from __future__ import annotations

from types import SimpleNamespace

from harness.checks.causes import (
    ACKS_BELOW_ALL,
    LONE_LEADER_MIN_ISR_1,
    UNCLEAN_ELECTION,
    UNDECIDED,
    UNEXPLAINED,
    grounds,
    run_settings,
    unexplained_anomalies,
)
from harness.checks.inconsistent_offsets import inconsistent_offsets
from harness.checks.lost_writes import lost_writes
from harness.history.ops import OpType
from harness.history.schema import MetadataUnread
from tests.crafted import (  # noqa: F401
    TOPIC_ID,
    WALL,
    Crafted,
    changed,
    created,
    lost_after_a_leader_change,
    metadata,
    sent_at,
    with_run,
)


def unclean_run(acks="all", min_isr=1) -> Crafted:
    """The issue's case: the ISR shrinks to leader 1 alone (1 s), a and b acknowledged (2 s), leader 1 dies
    (3 s), broker 3 from outside the ISR is elected uncleanly (4 s); c is acknowledged by the new leader (5 s),
    and the final read holds only what broker 3 has."""
    c = with_run(acks=acks, min_isr=min_isr, unclean=True)
    sent_at(c, 2.0, "a", 0)
    sent_at(c, 2.1, "b", 1)
    sent_at(c, 5.0, "c", 0)
    c.read([(0, 0, "c")])
    created(c)
    changed(c, 1.0, isr=[1])
    changed(c, 3.0, leader=-1)
    changed(c, 4.0, leader=3, isr=[3], leaderRecoveryState=1)
    return changed(c, 9.0, isr=[3, 1, 2], leaderRecoveryState=0)


def causes_of(result) -> dict[str, str]:
    return {e["value"]: e["cause"] for e in result.examples}


# -- lost writes ----------------------------------------------------------------------------------------------


def test_a_write_lost_to_an_unclean_election_names_the_election():
    r = lost_writes(unclean_run().history())
    assert r.count == 2 and r.decided
    assert causes_of(r) == {"a": UNCLEAN_ELECTION, "b": UNCLEAN_ELECTION}
    detail = r.examples[0]["cause_detail"]
    assert "unclean election of t-0 at 4.00 s" in detail and "leader epoch 2 given to broker 3" in detail
    assert "outside the ISR [1]" in detail and "RECOVERING" in detail
    assert r.examples[0]["cause_time"] == 4.0
    assert r.notes[UNCLEAN_ELECTION] == 2 and r.notes[UNEXPLAINED] == 0 and r.notes[UNDECIDED] == 0
    assert r.notes["explained_by"][0].startswith("2: unclean election of t-0")
    assert sorted(r.found.with_causes()) == [("t", "a", UNCLEAN_ELECTION), ("t", "b", UNCLEAN_ELECTION)]
    assert sorted(r.found) == [("t", "a"), ("t", "b")]  # as plots match them


def test_a_write_acknowledged_after_the_election_is_not_lost_to_it():
    c = unclean_run()
    c.ops = [op for op in c.ops if op.f != "read"]
    c.read([])  # c, acknowledged by the new leader at 5 s, is gone too: nothing the controller recorded explains it
    r = lost_writes(c.history())
    assert causes_of(r) == {"a": UNCLEAN_ELECTION, "b": UNCLEAN_ELECTION, "c": UNEXPLAINED}
    assert r.examples[0]["value"] == "c"  # the unexplained come first
    assert r.notes[UNEXPLAINED] == 1


def test_acks_1_write_lost_at_a_clean_leader_change_is_acks_below_all():
    c = with_run(acks="1", min_isr=2)
    sent_at(c, 2.0, "a", 0)
    sent_at(c, 2.5, "b", 1)
    c.read([(0, 0, "a")])
    created(c)
    changed(c, 3.0, leader=2, isr=[2, 3])
    r = lost_writes(c.history())
    assert causes_of(r) == {"b": ACKS_BELOW_ALL}
    assert "leader of t-0 moved from 1 to 2 (epoch 1) at 3.00 s" in r.examples[0]["cause_detail"]
    assert r.notes[ACKS_BELOW_ALL] == 1


def test_acks_1_write_acknowledged_by_a_deposed_leader_is_acks_below_all():
    # Leader 1 was replaced at 1 s but, cut off from the controller, kept acknowledging acks=1 writes.
    r = lost_writes(lost_after_a_leader_change(acks="1").history())
    assert causes_of(r) == {"a": ACKS_BELOW_ALL}
    assert "leader of t-0 moved from 1 to 2" in r.examples[0]["cause_detail"]


def test_acks_1_write_lost_with_no_leader_change_at_all_is_unexplained():
    c = with_run(acks="1", min_isr=2)
    created(c)
    sent_at(c, 2.0, "a", 0)
    c.read([])
    assert causes_of(lost_writes(c.history())) == {"a": UNEXPLAINED}


def test_acks_all_write_after_a_leader_change_is_not_excused_by_it():
    assert causes_of(lost_writes(lost_after_a_leader_change(acks="all").history())) == {"a": UNEXPLAINED}


def test_a_lone_leader_under_min_isr_1_replaced_later_explains_its_loss():
    c = with_run(acks="all", min_isr=1)
    sent_at(c, 2.0, "a", 0)
    c.read([])
    created(c)
    changed(c, 1.0, isr=[1])  # the leader alone in the ISR when a is acknowledged
    changed(c, 2.5, isr=[1, 2])
    changed(c, 3.0, leader=2, isr=[2])  # a clean change, from the ISR
    r = lost_writes(c.history())
    assert causes_of(r) == {"a": LONE_LEADER_MIN_ISR_1}
    assert "leader 1 alone in the ISR (min.insync.replicas=1)" in r.examples[0]["cause_detail"]
    assert "moved from 1 to 2" in r.examples[0]["cause_detail"]


def test_the_same_history_under_min_isr_2_is_unexplained():
    c = with_run(acks="all", min_isr=2)
    sent_at(c, 2.0, "a", 0)
    c.read([])
    created(c)
    changed(c, 1.0, isr=[1])
    changed(c, 2.5, isr=[1, 2])
    changed(c, 3.0, leader=2, isr=[2])
    assert causes_of(lost_writes(c.history())) == {"a": UNEXPLAINED}


def test_an_unclean_election_of_a_lone_leader_is_told_as_the_election():
    r = lost_writes(unclean_run(acks="all", min_isr=1).history())  # both rules hold: the election names it
    assert set(causes_of(r).values()) == {UNCLEAN_ELECTION}


def unexplained_run() -> Crafted:
    """acks=all, min.insync.replicas=2, clean elections only, and two acknowledged writes lost."""
    c = with_run(acks="all", min_isr=2)
    for i in range(4):
        sent_at(c, 2.0 + i * 0.1, f"v{i}", i)
    c.read([(0, 0, "v0"), (0, 1, "v1")])
    created(c)
    changed(c, 1.0, isr=[1, 2])
    changed(c, 3.0, leader=2, isr=[2])  # clean: 2 was in the ISR
    return changed(c, 8.0, isr=[2, 1, 3])


def test_writes_lost_under_acks_all_min_isr_2_and_clean_elections_are_unexplained():
    r = lost_writes(unexplained_run().history())
    assert r.count == 2 and causes_of(r) == {"v2": UNEXPLAINED, "v3": UNEXPLAINED}
    assert r.notes[UNEXPLAINED] == 2 and r.notes[UNDECIDED] == 0
    assert r.notes["unexplained_context"] == "acks=all, min.insync.replicas=2, clean elections only"
    assert "no documented cause" in r.examples[0]["cause_detail"]
    assert unexplained_anomalies({"lost_writes": r}) == [
        "2 acknowledged writes lost with no recorded cause (acks=all, min.insync.replicas=2, clean elections only)."]


def test_without_metadata_records_the_cause_is_undecided():
    c = with_run(acks="1", min_isr=1)
    sent_at(c, 2.0, "a", 0)
    c.read([])
    r = lost_writes(c.history())
    assert r.count == 1 and causes_of(r) == {"a": UNDECIDED}
    assert r.notes[UNDECIDED] == 1 and r.notes[UNEXPLAINED] == 0
    assert "metadata log was not read" in r.notes["causes_undecided_because"]
    assert unexplained_anomalies({"lost_writes": r}) == []


def test_a_metadata_log_that_could_not_be_read_leaves_causes_undecided():
    c = unexplained_run()
    c.ops = [op for op in c.ops if op.f != "metadata"]
    c.record("ground-truth", OpType.INFO, MetadataUnread(node=1), "dump failed")
    r = lost_writes(c.history())
    assert set(causes_of(r).values()) == {UNDECIDED}


def test_a_change_just_before_the_recorded_acknowledgement_still_counts():
    c = with_run(acks="1", min_isr=2)
    sent_at(c, 3.05, "a", 0)  # the delivery report arrived 50 ms after the leader changed
    c.read([])
    created(c)
    changed(c, 3.0, leader=2, isr=[2, 3])
    assert causes_of(lost_writes(c.history())) == {"a": ACKS_BELOW_ALL}


def test_the_earliest_change_after_the_write_names_it():
    c = with_run(acks="1", min_isr=1, unclean=True)
    sent_at(c, 2.0, "a", 0)
    c.read([])
    created(c)
    changed(c, 3.0, leader=2, isr=[2, 3])  # clean, but acks=1: a may not have reached 2
    changed(c, 4.0, isr=[2])
    changed(c, 6.0, leader=1, isr=[1], leaderRecoveryState=1)  # later, an unclean election
    r = lost_writes(c.history())
    assert causes_of(r) == {"a": ACKS_BELOW_ALL} and r.examples[0]["cause_time"] == 3.0


def test_a_leaderless_spell_is_not_a_change_of_leader():
    c = with_run(acks="1", min_isr=2)
    sent_at(c, 2.0, "a", 0)
    c.read([])
    created(c)
    changed(c, 3.0, leader=-1)
    changed(c, 4.0, leader=1)  # the same leader back: its log still held a
    assert causes_of(lost_writes(c.history())) == {"a": UNEXPLAINED}


def test_each_producer_is_judged_by_its_own_acks():
    producers = [{"count": 1, "acks": "all", "settings": {}}, {"count": 1, "acks": "1", "settings": {}}]
    c = with_run(producers=producers, min_isr=2)
    sent_at(c, 2.0, "strict", 0, process="producer-0-0")
    sent_at(c, 2.1, "loose", 1, process="producer-1-0")
    c.read([])
    created(c)
    changed(c, 3.0, leader=2, isr=[2, 3])
    assert causes_of(lost_writes(c.history())) == {"strict": UNEXPLAINED, "loose": ACKS_BELOW_ALL}


def test_settings_given_as_client_and_topic_settings_win():
    producers = [{"count": 1, "acks": "all", "settings": {"acks": -1}},
                 {"count": 1, "acks": "all", "settings": {"request.required.acks": 1}}]
    c = with_run(producers=producers, min_isr=2, topic_settings={"min.insync.replicas": "1",
                                                                 "unclean.leader.election.enable": "true"})
    s = run_settings(c.history())
    assert s.producer_acks == ("all", "1") and s.min_insync_replicas == 1 and s.unclean_leader_election
    assert s.acks_of("producer-1-3") == "1" and s.acks_of("someone") is None


def test_without_the_wall_clock_any_unclean_election_of_the_partition_explains_the_loss():
    c = with_run(acks="all", min_isr=1, unclean=True, wall_start=None)
    sent_at(c, 2.0, "a", 0)
    c.read([])
    created(c)
    changed(c, 1.0, isr=[1])
    changed(c, 4.0, leader=3, isr=[3], leaderRecoveryState=1)
    r = lost_writes(c.history())
    assert causes_of(r) == {"a": UNCLEAN_ELECTION} and "at an unknown time" in r.examples[0]["cause_detail"]
    assert "cause_time" not in r.examples[0]


def test_writes_in_another_partition_are_not_explained_by_this_ones_election():
    c = unclean_run()
    sent_at(c, 6.0, "other", 0, partition=1)
    c.read([], partition=1)
    created(c, partition=1)
    r = lost_writes(c.history())
    assert causes_of(r)["other"] == UNEXPLAINED


def test_grounds_index_the_controllers_changes():
    g = grounds(unclean_run().history())
    assert g.decided and g.settings.describe() == "acks=all, min.insync.replicas=1, unclean.leader.election.enable=true"
    assert g.elections_text() == "1 unclean election"
    assert not grounds(Crafted().history()).decided


# -- inconsistent offsets -----------------------------------------------------------------------------------


def diverged(acks="all", min_isr=1, unclean=True, election_at=4.0, clean=False) -> Crafted:
    """c1 polls x at offset 1 (2.5 s); later the final read finds y there (the new leader wrote it)."""
    c = with_run(acks=acks, min_isr=min_isr, unclean=unclean)
    sent_at(c, 2.0, "a", 0)
    sent_at(c, 2.1, "x", 1)
    c.wait(0.4).poll("c1", [(0, 0, "a"), (0, 1, "x")])
    sent_at(c, 6.0, "y", 1)
    c.wait(1.0).read([(0, 0, "a"), (0, 1, "y")])
    created(c)
    changed(c, 1.0, isr=[1, 2] if clean else [1])
    if clean:
        return changed(c, election_at, leader=2, isr=[2])
    changed(c, election_at - 0.5, leader=-1)
    return changed(c, election_at, leader=3, isr=[3], leaderRecoveryState=1)


def test_an_offset_rewritten_after_an_unclean_election_is_its_consequence():
    r = inconsistent_offsets(diverged().history())
    assert r.count == 1
    (example,) = r.examples
    assert example["cause"] == UNCLEAN_ELECTION and example["values"] == {"x": ["c1"], "y": ["final-reader"]}
    assert "epoch 2 given to broker 3" in example["cause_detail"]
    assert r.notes[UNCLEAN_ELECTION] == 1 and r.notes[UNEXPLAINED] == 0
    assert r.notes["consequence_of_unclean_election"].startswith("1 of the divergent offsets were rewritten after "
                                                                  "an unclean election (unclean election of t-0")
    assert r.found == [("t", 0, 1, UNCLEAN_ELECTION)]


def test_an_unclean_election_before_both_reads_does_not_explain_them():
    r = inconsistent_offsets(diverged(election_at=1.5).history())
    assert r.examples[0]["cause"] == UNEXPLAINED and r.notes[UNEXPLAINED] == 1


def test_a_divergent_offset_under_acks_1_and_a_leader_change_is_acks_below_all():
    r = inconsistent_offsets(diverged(acks="1", min_isr=2, unclean=False, clean=True).history())
    assert r.examples[0]["cause"] == ACKS_BELOW_ALL and r.notes[ACKS_BELOW_ALL] == 1


def test_a_divergent_offset_under_acks_all_and_clean_elections_is_unexplained():
    r = inconsistent_offsets(diverged(acks="all", min_isr=2, unclean=False, clean=True).history())
    assert r.examples[0]["cause"] == UNEXPLAINED
    assert unexplained_anomalies({"inconsistent_offsets": r}) == [
        ("1 offset read holding different values with no recorded cause (acks=all, min.insync.replicas=2, "
         "clean elections only).")]


def test_a_divergent_offset_without_metadata_is_undecided():
    c = diverged()
    c.ops = [op for op in c.ops if op.f != "metadata"]
    r = inconsistent_offsets(c.history())
    assert r.examples[0]["cause"] == UNDECIDED and r.notes[UNDECIDED] == 1


# -- the report's first line --------------------------------------------------------------------------------


def test_unexplained_anomalies_name_each_check_with_some():
    results = {
        "lost_writes": SimpleNamespace(notes={UNEXPLAINED: 1, "unexplained_context": "acks=all"}, skipped=None),
        "duplicates": SimpleNamespace(notes={"causes": {UNEXPLAINED: 3, "client_epoch_bump": 2}}, skipped=None),
        "inconsistent_offsets": SimpleNamespace(notes={UNEXPLAINED: 0}, skipped=None),
        "uncommitted_reads": SimpleNamespace(notes={"not_in_final_log": 2}, skipped=None),
    }
    assert unexplained_anomalies(results) == [
        "1 acknowledged write lost with no recorded cause (acks=all).",
        "3 values written twice with no recorded cause.",
        "2 polled records later missing from the final log with no unclean election to explain them.",
    ]
    assert unexplained_anomalies({}) == []
