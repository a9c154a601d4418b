"""Pure parts of the nemesis: every fault kind has an inject and a heal; the timeline always heals."""

from harness.nemesis import ACTIONS, Schedule
from harness.scenario import FaultKind, parse_scenario


def test_every_fault_kind_has_an_inject_and_a_heal():
    assert set(ACTIONS) == set(FaultKind)


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
