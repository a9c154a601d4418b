"""Places in the log as small integers (harness.checks.places) against a plain pandas reference."""

import numpy as np
import pandas as pd
import pytest

from harness.checks.places import Places


def _rows(offsets_far_apart: bool, seed: int = 3):
    rng = np.random.default_rng(seed)
    n = 400
    topics = rng.integers(0, 2, n)
    partitions = rng.integers(0, 3, n)
    offsets = rng.integers(0, 60, n) * (10**9 if offsets_far_apart else 1) + 10**12
    values = rng.integers(0, 5, n)
    return topics, partitions, offsets, values


@pytest.mark.parametrize("far", [False, True])
def test_rows_at_the_same_place_share_one_code_and_only_they_do(far):
    topics, partitions, offsets, _ = _rows(far)
    places = Places(topics, partitions, offsets)
    reference, _ = pd.factorize(pd.MultiIndex.from_arrays([topics, partitions, offsets]))
    pairs = set(zip(places.code.tolist(), reference.tolist()))
    assert len(pairs) == len(set(reference.tolist())) == len(set(places.code.tolist()))
    assert places.held().sum() == len(set(reference.tolist()))
    assert places.code.max() < places.size


@pytest.mark.parametrize("far", [False, True])
def test_looking_places_up_finds_the_rows_places_and_nothing_else(far):
    topics, partitions, offsets, _ = _rows(far)
    places = Places(topics, partitions, offsets)
    assert (places.of(topics, partitions, offsets) == places.code).all()
    step = 10**9 if far else 1
    absent = places.of(np.array([0, 5, -1, 0]), np.array([0, 0, 0, 7]),
                       np.array([10**12 + 61 * step, 10**12, 10**12, 10**12]))
    assert (absent == -1).all()


def test_a_place_is_mixed_when_its_rows_hold_different_values():
    topics, partitions, offsets, values = _rows(False)
    places = Places(topics, partitions, offsets)
    mixed = places.mixed(values)
    frame = pd.DataFrame({"code": places.code, "value": values})
    expected = frame.groupby("code")["value"].nunique() > 1
    assert mixed[expected.index.to_numpy()].tolist() == expected.tolist()
    assert not mixed[~places.held()].any()
