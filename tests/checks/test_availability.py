from harness.checks.availability import availability
from tests.crafted import Crafted, clean_run


def test_clean_history_is_fully_available():
    r = availability(clean_run().history())
    assert r.count == 0 and r.notes["overall"]["ok"] == 1.0


def test_unacknowledged_sends_and_fault_windows_are_measured():
    c = Crafted().send("p0", "a", offset=0).wait(1).fault("f1")
    c.send("p0", "b", outcome="info", error="_MSG_TIMED_OUT").send("p0", "c", outcome="fail")
    c.wait(2).send("p0", "d", offset=1).wait(1).heal("f1").wait(0.5).send("p0", "e", offset=2)
    r = availability(c.history())
    assert r.count == 2
    (w,) = r.notes["fault_windows"]
    assert w["sends"] == 3 and w["info"] == round(1 / 3, 4) and w["fail"] == round(1 / 3, 4)
    assert 1.9 < w["first_ok_after_start_s"] < 2.2
    assert 0.4 < w["first_ok_after_heal_s"] < 0.7
    assert r.verdict(must_be_zero=False).value == "finding"
