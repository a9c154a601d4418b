"""One run, several topics side by side (a comparison's cells, each a *lane*): the run's one history, cut
into one history per lane that reads exactly as if that lane had run alone.

A lane's history keeps every op that is not about another lane's topic: its own sends, polls, final
reads, replica logs and controller records, and everything shared (the cluster, the faults, the heal). The
run op carries the lane's own scenario (its topic, topic settings and producers), so the checks and the
report need nothing new. A fault's awaited effect names the topic the nemesis watched (the first lane's);
every lane's topic has the same replica assignment and preferred leader, so in another lane it names that
lane's topic, and the report decides it from that lane's own controller record.

The cut is a pure function of the saved history: running wrote it once, and any lane is re-cut offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson


@dataclass(frozen=True)
class Lane:
    """A lane of a run: a label (a comparison's cell) and the scenario as that lane runs it, as a dict."""

    label: str
    scenario: dict[str, Any]

    @property
    def topic(self) -> str:
        return self.scenario["topic"]["name"]


def process_prefix(n: int) -> str:
    """What lane ``n``'s clients' process names start with in the run's history (``l3-producer-0-0``)."""
    return f"l{n}-"


def lane_ops(lines: Iterable[bytes], lanes: list[Lane], n: int) -> Iterator[dict[str, Any]]:
    """The ops of lane ``n``, from the run's history lines (JSON objects), renumbered from 0, its clients'
    process names without their lane prefix. The nemesis watched the first lane's topic."""
    lane, topics, watched = lanes[n], {x.topic for x in lanes}, lanes[0].topic
    mine, prefix = lane.topic, process_prefix(n)
    ids: dict[str, str] = {}  # the controller's topic ids of the lanes' topics, as their records come
    index = 0
    for line in lines:
        if not line.strip():
            continue
        op = orjson.loads(line)
        value = op.get("value")
        if isinstance(value, dict):
            f = op.get("f")
            if f == "run":
                value = {**value, "scenario": lane.scenario}
            elif f == "lanes":
                continue
            elif f == "effect":
                if value.get("topic") == watched:
                    value = {**value, "topic": mine}
            elif f == "metadata":
                data = value.get("data") or {}
                if value.get("type") == "TOPIC_RECORD" and data.get("name") in topics:
                    ids[data.get("topicId")] = data["name"]
                if ids.get(data.get("topicId"), mine) != mine:
                    continue
            elif value.get("topic") in topics and value.get("topic") != mine:
                continue
            op["value"] = value
        process = op.get("process")
        if isinstance(process, str) and process.startswith(prefix):
            op["process"] = process[len(prefix):]
        op["index"] = index
        index += 1
        yield op


def write_lane(history: Path, lanes: list[Lane], n: int, out: Path) -> Path:
    """Write lane ``n``'s history to ``out`` (a run directory) and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "history.jsonl"
    with open(history, "rb") as src, open(path, "wb") as dst:
        for op in lane_ops(src, lanes, n):
            dst.write(orjson.dumps(op) + b"\n")
    return path


def lanes_of(history: Path) -> list[Lane]:
    """The lanes a run recorded (its ``lanes`` op); [] for a run of one topic."""
    with open(history, "rb") as src:
        for _, line in zip(range(LANES_WITHIN), src):  # written right after the run op
            op = orjson.loads(line) if line.strip() else {}
            if op.get("f") == "lanes":
                return [Lane(x["label"], x["scenario"]) for x in op["value"]["lanes"]]
    return []


LANES_WITHIN = 5
"""The lanes op, when there is one, is among a history's first lines."""
