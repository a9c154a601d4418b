"""Schedules: timelines always heal; random ones are seeded, and each kind's parameters are drawn as its
definition says. (That every kind has an inject and a heal is tests/nemesis/test_registry.py's.)"""

import re
from types import SimpleNamespace

import pytest

from harness.errors import ScenarioError
from harness.nemesis.faults.base import Effect
from harness.nemesis.faults.loss import LossParams
from harness.nemesis.schedule import Schedule
from harness.nemesis.spec import FaultKind
from harness.run.scenario import parse_scenario


def _schedule(faults, end_s=30.0):
    s = parse_scenario({"name": "x", "workload": {"duration_s": end_s}, "faults": faults})
    return Schedule(nemesis=None, faults=list(s.faults), end_s=end_s)


def _simulate(sched: Schedule, effects: dict[str, float | None] | None = None) -> list[tuple]:
    """Drive ``due`` with a clock that jumps to the next time anything happens. A fault named in ``effects``
    is seen to take effect that many seconds after it is injected (None: its watcher gives up after 60 s);
    every other fault's effect is seen after 1 s. Returns (time, action, fault name or index, reason)."""
    effects = effects or {}
    settle: dict[int, tuple[float, bool]] = {}
    events, now = [], 0.0
    for _ in range(1000):
        for i, (t, seen) in list(settle.items()):
            if t <= now:
                fault = sched.slots[i].fault
                fault.start_effect = Effect("seen" if seen else None, 0.0, "" if seen else "the ISR to shrink")
                fault.start_effect_at = t
                del settle[i]
        actions, nxt = sched.due(now)
        for what, slot, reason in actions:
            i = sched.slots.index(slot)
            events.append((round(now, 2), what, slot.spec.name or i, reason))
            if what == "inject":
                slot.injected_at = now
                slot.fault = SimpleNamespace(start_effect=None, start_effect_at=None)
                delay = effects.get(slot.spec.name, 1.0)
                settle[i] = (now + (60.0 if delay is None else delay), delay is not None)
            else:
                slot.done = True
        if nxt is None:
            return events
        if not actions:
            now = min([nxt, *(t for t, _ in settle.values())])
    raise AssertionError("the schedule never ended")


def test_timeline_orders_injects_and_heals_and_caps_at_the_end():
    sched = _schedule([
        {"kind": "pause", "target": "follower", "at_s": 10, "duration_s": 5},
        {"kind": "kill", "target": "leader", "at_s": 2, "duration_s": 3},
        {"kind": "stop", "target": "controller", "at_s": 20},  # no duration: heals at the end
        {"kind": "kill", "target": "random", "at_s": 25, "duration_s": 100},  # capped at the end
    ])
    assert [e[:3] for e in _simulate(sched)] == [
        (2, "inject", 0), (5, "heal", 0), (10, "inject", 1), (15, "heal", 1),
        (20, "inject", 2), (25, "inject", 3), (30.0, "heal", 2), (30.0, "heal", 3),
    ]


def test_zero_length_fault_heals_right_after_its_inject():
    sched = _schedule([{"kind": "kill", "target": "leader", "at_s": 4, "duration_s": 0}])
    assert [e[:3] for e in _simulate(sched)] == [(4, "inject", 0), (4, "heal", 0)]


CHAIN = [  # the unclean-election set-up: cut a follower off, then kill two leaders in turn, each once the
    # previous step was seen to take effect; the cut heals 3 s after the second kill, however late that is
    {"name": "cut", "kind": "isolate", "target": "follower", "at_s": 3, "duration_s": 3, "heal_after": "kill2"},
    {"name": "kill1", "kind": "kill", "target": "leader", "at_s": 1, "after": "cut"},
    {"name": "kill2", "kind": "kill", "target": "leader", "at_s": 1, "after": "kill1"},
]


def test_a_chain_waits_for_each_effect_however_long_it_takes():
    fast = _simulate(_schedule(CHAIN, end_s=60), {"cut": 5, "kill1": 7})
    assert [e[:3] for e in fast] == [(3, "inject", "cut"), (9, "inject", "kill1"), (17, "inject", "kill2"),
                                     (20, "heal", "cut"), (60, "heal", "kill1"), (60, "heal", "kill2")]
    slow = _simulate(_schedule(CHAIN, end_s=60), {"cut": 18, "kill1": 12})
    assert [e[:3] for e in slow][:4] == [(3, "inject", "cut"), (22, "inject", "kill1"), (35, "inject", "kill2"),
                                         (38, "heal", "cut")]


def test_a_fault_whose_awaited_effect_is_not_seen_is_not_injected_and_says_why():
    events = _simulate(_schedule(CHAIN, end_s=90), {"cut": None})
    assert [e[:3] for e in events] == [(3, "inject", "cut"), (63, "skip", "kill1"), (63, "skip", "kill2"),
                                       (63, "heal", "cut")]
    assert "the effect of 'cut' (the ISR to shrink) was not seen" in events[1][3]
    assert "'kill1', which it waits for, was not injected" in events[2][3]


def test_a_chain_that_runs_past_the_end_is_cut_there_and_everything_heals():
    events = _simulate(_schedule(CHAIN, end_s=30), {"cut": 20, "kill1": 8})
    assert [e[:3] for e in events] == [(3, "inject", "cut"), (24, "inject", "kill1"), (30, "heal", "kill1"),
                                       (30, "skip", "kill2"), (30, "heal", "cut")]
    assert "the workload ended first" in events[3][3]


@pytest.mark.parametrize("faults, error", [
    ([{"kind": "kill", "at_s": 1, "after": "x"}], "faults[0].after 'x' names no other fault (no fault has a name)"),
    ([{"name": "a", "kind": "kill", "at_s": 1, "heal_after": "a"}], "faults[0].heal_after 'a' names no other fault"),
    ([{"name": "a", "kind": "kill", "at_s": 1}, {"name": "a", "kind": "pause", "at_s": 2}],
     "faults[1].name 'a' is also faults[0]'s"),
    ([{"name": "a", "kind": "kill", "at_s": 1, "after": "b"}, {"name": "b", "kind": "pause", "at_s": 2, "after": "a"}],
     "faults[0].after leads to a cycle of `after`"),
])
def test_fault_names_that_cannot_work_are_refused(faults, error):
    with pytest.raises(ScenarioError, match=re.escape(error)):
        parse_scenario({"name": "x", "faults": faults})


def test_an_anchored_fault_may_count_past_the_workload_length_from_its_anchor():
    s = parse_scenario({"name": "x", "workload": {"duration_s": 10}, "faults": [
        {"name": "a", "kind": "kill", "at_s": 1}, {"kind": "pause", "at_s": 12, "after": "a"}]})
    assert s.faults[1].after == "a"


def _random(seed, **kw):
    from harness.nemesis.schedule import random_schedule
    from harness.nemesis.spec import RandomFaults

    spec = RandomFaults(kinds=["kill", "pause", "isolate", "loss"], **kw)
    return random_schedule(spec, end_s=120.0, seed=seed)


def test_random_schedule_is_the_same_for_the_same_seed_and_differs_for_another():
    a, b, c = _random(7), _random(7), _random(8)
    assert a == b and a != c
    assert len(a) >= 3


def test_random_schedule_alternates_faults_and_quiet_periods_within_bounds():
    faults = _random(3, start_s=4, fault_s=(2, 4), quiet_s=(1, 3))
    assert faults[0].at_s == 4
    for f, nxt in zip(faults, faults[1:]):
        assert 2 <= f.duration_s <= 4
        assert 1 <= nxt.at_s - (f.at_s + f.duration_s) <= 3  # a quiet period between: no overlap
    assert all(f.at_s + f.duration_s <= 120 for f in faults)
    assert all(isinstance(f.params, LossParams) == (f.kind is FaultKind.LOSS) for f in faults)
    assert {f.params.probability for f in faults if f.kind is FaultKind.LOSS} == {0.3}  # the [random_faults] default


def test_random_schedule_respects_max_faults():
    assert len(_random(1, max_faults=2)) == 2
