"""A fault's expected effect decided from the controller's record (``harness.observe.fault_effects``), and the
structured expectation the nemesis records for it."""

from __future__ import annotations

import math

import pytest

from harness.history.ops import OpType
from harness.history.schema import Effect, RecordError, check_value
from harness.observe.controller import controller_timeline
from harness.observe.fault_effects import Expectation, Happened, Undecided, decide
from tests.crafted import Crafted, changed, created, metadata, with_run


def _timeline(*steps, leader: int = 1, isr=(1, 2, 3)):
    """The controller's record of t-0: created at 0 s with ``leader`` and ``isr``, then each step
    (history time, fields of a partition change; or (time, "controller", leader) for a controller election)."""
    c = with_run()
    created(c, 0.0, leader=leader, isr=isr)
    for t, *rest in steps:
        if rest[0] == "controller":
            metadata(c, t, "LEADER_CHANGE", {"leaderId": rest[1], "voters": []})
        else:
            changed(c, t, **rest[0])
    return controller_timeline(c.history())


def _expect(what: str, *nodes: int, partition: int | None = 0) -> Expectation:
    return Expectation(what, None if partition is None else "t", partition, nodes)


def test_a_leader_move_comes_with_the_records_epoch_and_isr():
    tl = _timeline((5.0, {"leader": 2, "isr": [2, 3]}))
    h = decide(tl, _expect("leader_moved", 1), since=3.0, until=40.0)
    assert isinstance(h, Happened) and (h.time, h.leader, h.epoch, h.isr) == (5.0, 2, 1, (2, 3))
    assert h.text == "leader of t-0 moved from 1 to 2, leader epoch 0 → 1, ISR [2, 3]"
    assert not h.offline and not h.already


def test_a_partition_left_with_no_leader_is_offline_until_it_has_one_again():
    tl = _timeline((5.0, {"leader": -1}), (9.0, {"leader": 2, "isr": [2]}))
    h = decide(tl, _expect("leader_moved", 1), since=3.0, until=40.0)
    assert isinstance(h, Happened) and h.offline and (h.time, h.leader, h.epoch) == (5.0, -1, 1)
    assert h.text == "t-0 offline: no leader (-1, was 1), leader epoch 0 → 1, ISR [1, 2, 3]"
    assert h.back == (9.0, 2, 2)


def test_nothing_in_the_window_is_none_not_undecided():
    tl = _timeline((50.0, {"leader": 2}))  # after the window
    assert decide(tl, _expect("leader_moved", 1), since=3.0, until=40.0) is None
    assert decide(tl, _expect("leader_moved", 1), since=3.0, until=math.inf).time == 50.0


def test_an_isr_that_shrank_and_grew_back_between_two_polls_is_in_the_record():
    tl = _timeline((5.0, {"isr": [1, 2]}), (5.4, {"isr": [1, 2, 3]}))
    h = decide(tl, _expect("isr_dropped", 3), since=3.0, until=40.0)
    assert isinstance(h, Happened) and (h.time, h.isr, h.leader, h.epoch) == (5.0, (1, 2), 1, 0)
    assert h.text == "ISR of t-0 shrank from [1, 2, 3] to [1, 2]; leader 1, leader epoch 0"


def test_a_full_isr_after_the_heal_and_one_that_never_left():
    tl = _timeline((5.0, {"isr": [1, 2]}), (12.0, {"isr": [1, 2, 3]}))
    h = decide(tl, _expect("isr_full"), since=10.0, until=70.0)
    assert isinstance(h, Happened) and h.time == 12.0 and h.text.startswith("ISR of t-0 full again: [1, 2, 3]")
    already = decide(tl, _expect("isr_full"), since=20.0, until=80.0)
    assert isinstance(already, Happened) and already.already and already.time == 20.0
    assert decide(tl, _expect("isr_full"), since=6.0, until=11.0) is None


def test_any_change_compares_with_the_state_at_the_start():
    tl = _timeline((5.0, {"isr": [1, 3]}))
    h = decide(tl, _expect("any_change"), since=3.0, until=40.0)
    assert isinstance(h, Happened) and h.text == "t-0 changed: ISR [1, 2, 3] → [1, 3]; leader 1, leader epoch 0"
    assert decide(tl, _expect("any_change"), since=6.0, until=40.0) is None


def test_a_controller_move_is_the_first_election_away_from_the_node():
    tl = _timeline((-1.0, "controller", 1), (6.0, "controller", -1), (7.0, "controller", 2))
    h = decide(tl, _expect("controller_moved", 1, partition=None), since=3.0, until=40.0)
    assert isinstance(h, Happened) and (h.time, h.controller, h.epoch) == (7.0, 2, 1)
    assert h.text == "active controller moved from 1 to 2 (controller epoch 1)"
    assert decide(tl, _expect("controller_moved", 2, partition=None), since=8.0, until=40.0) is None


@pytest.mark.parametrize("expect, why", [
    (None, "does not say what was awaited"),
    (_expect("packets_dropped", 1, partition=None), "does not record packets dropped"),
    (Expectation("leader_moved", "t", 7, (1,)), "no partition t-7"),
])
def test_what_the_record_cannot_decide_is_undecided(expect, why):
    tl = _timeline((5.0, {"leader": 2}))
    verdict = decide(tl, expect, since=3.0, until=40.0)
    assert isinstance(verdict, Undecided) and why in verdict.reason


def test_without_a_controller_record_everything_is_undecided():
    tl = controller_timeline(Crafted().history())
    verdict = decide(tl, _expect("leader_moved", 1), since=3.0, until=40.0)
    assert isinstance(verdict, Undecided) and verdict.reason == "the history has no controller record"


def test_an_expectation_is_read_back_from_the_effect_op_and_old_ops_have_none():
    c = Crafted()
    c.effect("f1")  # as written before expectations were recorded
    c.effect_expecting("f1", "isr_dropped", nodes=[3])
    old, new = (e for f in c.history().faults() for e in f["effects"])
    assert Expectation.of(old) is None
    assert Expectation.of(new) == Expectation("isr_dropped", "t", 0, (3,))
    assert Expectation.of(new).describe() == "the ISR of t-0 to drop [3]"


# -- what the nemesis records --------------------------------------------------------------------------------


def test_the_effect_record_takes_an_expectation_and_refuses_an_unknown_one():
    old = {"id": "f1", "kind": "kill", "phase": "start", "after_s": 1.0, "observed": "leader moved"}
    check_value("effect", OpType.OK, old)  # an old history still loads
    check_value("effect", OpType.OK, {**old, "expect": "leader_moved", "topic": "t", "partition": 0, "nodes": [1]})
    with pytest.raises(RecordError, match="expect 'leader_left' is not one of"):
        check_value("effect", OpType.OK, {**old, "expect": "leader_left"})
    assert Effect(id="f1", kind="kill", phase="start", after_s=1.0, observed=None).to_value() == {
        **old, "observed": None}  # no expectation: none of its fields written


def test_the_nemesis_writes_an_expectation_as_the_records_fields():
    from harness.nemesis.core import _expect_fields
    from harness.nemesis.faults.base import Expect

    assert _expect_fields(None) == {}
    assert _expect_fields(Expect("leader_moved", "t", 0, (1,))) == {"expect": "leader_moved", "topic": "t",
                                                                     "partition": 0, "nodes": [1]}
    assert Effect(id="f1", kind="kill", phase="start", after_s=1.0, observed=None,
                  **_expect_fields(Expect("isr_full", "t", 0))).to_value()["expect"] == "isr_full"
    with pytest.raises(ValueError, match="unknown expectation"):
        Expect("leader_left")


def test_every_expectation_the_record_holds_is_one_it_can_decide():
    from harness.observe.fault_effects import DECIDABLE, LIVE_ONLY

    assert DECIDABLE | LIVE_ONLY == Effect.EXPECTS and not DECIDABLE & LIVE_ONLY
