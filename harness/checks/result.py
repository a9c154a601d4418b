"""What a check returns: a count of violations, a few concrete examples, and whether it could decide."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MAX_EXAMPLES = 5


class Verdict(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    FINDING = "finding"
    """Violations were found, but the scenario's expectations allow them (e.g. acks=1 losing writes)."""
    SKIPPED = "skipped"
    """The run has nothing this check looks at (no consumers, no follower readers)."""

    @staticmethod
    def worst(verdicts) -> Verdict:
        order = [Verdict.FAIL, Verdict.UNKNOWN, Verdict.FINDING, Verdict.PASS, Verdict.SKIPPED]
        vs = set(verdicts)
        return next((v for v in order if v in vs), Verdict.PASS)


@dataclass
class CheckResult:
    name: str
    count: int
    examples: list[dict[str, Any]] = field(default_factory=list)
    decided: bool = True
    """False when the history cannot settle the question (e.g. the final read never finished)."""
    notes: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    """Why the check does not apply to this run (e.g. no consumers ran); it then neither passes nor fails."""
    found: list[Any] = field(default_factory=list, repr=False)
    """Every violation's key, uncut (``examples`` keeps a few), for plots and tools; not part of ``to_dict``.
    For lost_writes: each lost write's (topic, value)."""

    def verdict(self, must_be_zero: bool = True) -> Verdict:
        if self.skipped:
            return Verdict.SKIPPED
        if self.count == 0:
            return Verdict.PASS if self.decided else Verdict.UNKNOWN
        return Verdict.FAIL if must_be_zero else Verdict.FINDING

    def to_dict(self, must_be_zero: bool = True) -> dict[str, Any]:
        d = {"verdict": self.verdict(must_be_zero).value, "count": self.count, "must_be_zero": must_be_zero,
             "examples": self.examples[:MAX_EXAMPLES], "notes": self.notes}
        if self.skipped:
            d["skipped"] = self.skipped
        return d


def present_in(df: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """A mask of the rows of ``df`` whose (topic, value) also appears in ``other`` (by the history's ``vid``)."""
    if len(df) == 0 or len(other) == 0:
        return np.zeros(len(df), dtype=bool)
    mine, theirs = df["vid"].to_numpy(), other["vid"].to_numpy()
    if mine.dtype.kind == theirs.dtype.kind == "i":  # ids are small integers: a table, not a hash
        low, high = min(int(mine.min()), int(theirs.min())), max(int(mine.max()), int(theirs.max()))
        if low >= 0 and high <= 4 * (len(mine) + len(theirs)) + 1_000_000:
            seen = np.zeros(high + 1, dtype=bool)
            seen[theirs] = True
            return seen[mine]
    return pd.Index(theirs).unique().get_indexer(mine) >= 0


def records(df, columns: list[str], limit: int = MAX_EXAMPLES) -> list[dict[str, Any]]:
    """The first rows of ``df`` as plain JSON-able dicts, for examples."""
    out = []
    for row in df[columns].head(limit).itertuples(index=False):
        out.append({c: _plain(v) for c, v in zip(columns, row)})
    return out


def _plain(v):
    if v is None:
        return None
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        return v.item()
    return v
