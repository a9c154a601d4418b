"""Schedules: timelines always heal; random ones are seeded, and each kind's parameters are drawn as its
definition says. (That every kind has an inject and a heal is tests/nemesis/test_registry.py's.)"""

from harness.nemesis.faults.loss import LossParams
from harness.nemesis.schedule import Schedule
from harness.nemesis.spec import FaultKind
from harness.run.scenario import parse_scenario


def _schedule(faults, end_s=30.0):
    s = parse_scenario({"name": "x", "workload": {"duration_s": end_s}, "faults": faults})
    return Schedule(nemesis=None, faults=list(s.faults), end_s=end_s)


def test_timeline_orders_injects_and_heals_and_caps_at_the_end():
    sched = _schedule([
        {"kind": "pause", "target": "follower", "at_s": 10, "duration_s": 5},
        {"kind": "kill", "target": "leader", "at_s": 2, "duration_s": 3},
        {"kind": "stop", "target": "controller", "at_s": 20},  # no duration: heals at the end
        {"kind": "kill", "target": "random", "at_s": 25, "duration_s": 100},  # capped at the end
    ])
    assert sched.timeline() == [
        (2, "inject", 0), (5, "heal", 0), (10, "inject", 1), (15, "heal", 1),
        (20, "inject", 2), (25, "inject", 3), (30.0, "heal", 2), (30.0, "heal", 3),
    ]


def test_zero_length_fault_heals_right_after_its_inject():
    sched = _schedule([{"kind": "kill", "target": "leader", "at_s": 4, "duration_s": 0}])
    assert sched.timeline() == [(4, "inject", 0), (4, "heal", 0)]


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
