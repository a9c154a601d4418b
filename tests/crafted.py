"""Building crafted histories for the check tests, op by op, the way the workload records them."""

from __future__ import annotations

from harness.history import History, Op, OpType


class Crafted:
    def __init__(self, topic: str = "t"):
        self.topic = topic
        self.ops: list[Op] = []
        self.t = 0.0

    def _add(self, process, type_, f, value, error=None):
        self.t += 0.001
        self.ops.append(Op(len(self.ops), self.t, process, type_, f, value, error))
        return self

    def send(self, process, value, outcome="ok", partition=0, offset=None, error=None):
        self._add(process, OpType.INVOKE, "send", {"topic": self.topic, "value": value, "key": None})
        done = {"topic": self.topic, "value": value}
        if outcome == "ok":
            done.update(partition=partition, offset=offset)
        elif outcome is None:
            return self
        return self._add(process, OpType(outcome), "send", done, error)

    def read(self, records, partition=0, reader="leader", complete=True, f="read", process="final-reader"):
        value = {"topic": self.topic, "partition": partition, "reader": reader,
                 "records": [[p, o, v] for p, o, v in records]}
        return self._add(process, OpType.OK if complete else OpType.INFO, f, value,
                         None if complete else "timed out before the end offset")

    def history(self) -> History:
        return History(self.ops)


def clean_run(n: int = 10, partitions: int = 2) -> Crafted:
    """n acknowledged sends spread over partitions, and a final read that holds each exactly once."""
    c = Crafted()
    offsets = [0] * partitions
    logs: dict[int, list] = {p: [] for p in range(partitions)}
    for i in range(n):
        p = i % partitions
        c.send("p0", f"p0-{i}", partition=p, offset=offsets[p])
        logs[p].append((p, offsets[p], f"p0-{i}"))
        offsets[p] += 1
    for p in range(partitions):
        c.read(logs[p], partition=p)
    return c
