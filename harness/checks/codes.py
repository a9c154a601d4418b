"""Integer codes for the tables' object columns (topics, readers, outcomes), worked out once per history:
a few comparisons per row where ``pd.factorize`` would hash every one of millions of rows, and one
comparison of integers where a check would compare strings again.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from harness.history.loader import History

FEW = 8
"""Up to this many distinct values, an object column is coded by comparing every row with each value."""

_MEMO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def memo(history: History, key: str, build: Callable[[], Any]) -> Any:
    """``build()``, computed once per history and key (dropped with the history)."""
    cached = _MEMO.setdefault(history, {})
    if key not in cached:
        cached[key] = build()
    return cached[key]


def coded(values: np.ndarray, uniques: list) -> np.ndarray:
    """The position of each of ``values`` (an object column) in ``uniques``, -1 where it is none of them:
    what ``pd.Index(uniques).get_indexer(values)`` gives, by comparisons instead of hashing when the
    uniques are few (topics, readers)."""
    if len(uniques) > FEW or any(pd.isna(u) for u in uniques if not isinstance(u, str)):
        return pd.Index(uniques, dtype=object).get_indexer(values).astype(np.int64)
    out = np.full(len(values), -1, dtype=np.int64)
    for i, u in enumerate(uniques):
        out[values == u] = i
    return out


def factorized(values: np.ndarray) -> tuple[np.ndarray, list]:
    """What ``pd.factorize`` gives for an object column (codes in order of first appearance, and the
    uniques), by comparisons instead of hashing when the column holds a few distinct strings."""
    uniques: list = []
    out = np.full(len(values), -1, dtype=np.int64)
    left = np.arange(len(values))
    while len(left):
        u = values[left[0]]
        if len(uniques) == FEW or not isinstance(u, str):
            codes, more = pd.factorize(values)
            return codes.astype(np.int64), list(more)
        hit = (values == u) if len(left) == len(values) else (values[left] == u)
        out[left[hit]] = len(uniques)
        uniques.append(u)
        left = left[~hit]
    return out, uniques


def outcome_is(history: History, *outcomes: str | None) -> np.ndarray:
    """A mask of ``history.sends()``'s rows whose ``outcome`` is one of these (None: the send never
    completed): ``sends["outcome"].isin(...)``, with the column compared with each outcome once per history."""
    codes, uniques = memo(history, "outcomes", lambda: _outcomes(history.sends()["outcome"]))
    mask = np.zeros(len(codes), dtype=bool)
    for outcome in outcomes:
        if outcome is None:
            mask |= codes == -1
        elif outcome in uniques:
            mask |= codes == uniques.index(outcome)
    return mask


def _outcomes(column: pd.Series) -> tuple[np.ndarray, list]:
    values = column.to_numpy(dtype=object)
    missing = pd.isna(values)
    codes, uniques = factorized(np.where(missing, "", values))
    codes[missing] = -1
    return codes, uniques
