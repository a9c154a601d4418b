"""The order checks as a family: their registry, and the transitional ``reordering`` that adds them up."""

from harness.checks.reordering import order_checks
from harness.checks.result import CheckResult
from tests.crafted import Crafted, clean_run


def test_order_checks_lists_the_six_in_order():
    assert list(order_checks) == ["nonmonotonic_send", "realtime_order", "nonmonotonic_poll",
                                  "int_nonmonotonic_poll", "poll_skip", "int_poll_skip"]


def test_each_check_is_named_after_its_key_and_silent_on_a_clean_run():
    h = clean_run(20, partitions=3).history()
    for name, check in order_checks.items():
        r = check(h)
        assert isinstance(r, CheckResult) and r.name == name
        assert r.count == 0 and r.decided and r.verdict().value == "pass", (name, r)


def test_poll_checks_are_skipped_without_consumers_and_send_checks_are_not():
    h = clean_run(6, consumers=False).history()
    assert {n for n, check in order_checks.items() if check(h).skipped} == {
        "nonmonotonic_poll", "int_nonmonotonic_poll", "poll_skip", "int_poll_skip"}


def test_one_history_with_four_order_anomalies_counts_each_in_its_own_check():
    c = Crafted().send("p0", "a", offset=5).send("p0", "b", offset=3)
    c.poll("c1", [(0, 3, "b"), (0, 5, "a")]).poll("c1", [(0, 3, "b")])
    c.read([(0, 3, "b"), (0, 4, "x"), (0, 5, "a")])
    h = c.history()
    counts = {name: check(h).count for name, check in order_checks.items()}
    assert counts == {"nonmonotonic_send": 1, "realtime_order": 1, "nonmonotonic_poll": 1,
                      "int_nonmonotonic_poll": 0, "poll_skip": 0, "int_poll_skip": 1}
    assert all(check(h).decided for check in order_checks.values())


def test_each_check_says_what_it_finds_in_its_own_first_line():
    import inspect

    for name, check in order_checks.items():
        assert inspect.getdoc(check).startswith(f"{name}: "), name
