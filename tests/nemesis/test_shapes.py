import random

import pytest

from harness.nemesis import shapes

NODES = [1, 2, 3, 4, 5]


def test_isolate_cuts_both_ways_and_leaves_the_rest_connected():
    g = shapes.isolate([2], [1, 2, 3])
    assert g == {2: {1, 3}, 1: {2}, 3: {2}}
    assert shapes.components(g, [1, 2, 3]) == [{1, 3}, {2}, {1, 3}]


def test_isolate_needs_two_sides():
    with pytest.raises(ValueError):
        shapes.isolate([1, 2, 3], [1, 2, 3])


def test_minority_holds_the_target_and_is_a_strict_minority():
    rng = random.Random(1)
    side = shapes.minority([4], NODES, rng)
    assert 4 in side and len(side) == 2
    assert shapes.minority([4], NODES, random.Random(1)) == side  # seeded
    assert shapes.minority([1, 2, 3], NODES, rng) == [1, 2]  # truncated to a minority
    with pytest.raises(ValueError):
        shapes.minority([1], [1, 2], rng)


def test_bridge_node_sees_everyone_while_the_halves_do_not_see_each_other():
    g = shapes.bridge(3, NODES)
    comps = dict(zip(NODES, shapes.components(g, NODES)))
    assert comps[3] == set(NODES)
    assert comps[1] == {1, 2, 3} and comps[5] == {3, 4, 5}
    with pytest.raises(ValueError):
        shapes.bridge(1, [1, 2])


def test_majorities_ring_gives_every_node_a_different_majority():
    g = shapes.majorities_ring(NODES)
    comps = shapes.components(g, NODES)
    assert all(len(c) >= 3 for c in comps)  # each sees a majority
    assert len({frozenset(c) for c in comps}) == len(NODES)  # no two the same
    four = shapes.components(shapes.majorities_ring([1, 2, 3, 4]), [1, 2, 3, 4])
    assert all(len(c) == 3 for c in four) and len({frozenset(c) for c in four}) == 4
    with pytest.raises(ValueError, match="at least 4"):
        shapes.majorities_ring([1, 2, 3])
