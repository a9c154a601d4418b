"""Building crafted histories for the check tests, op by op, the way the workload records them."""

from __future__ import annotations

from harness.history.loader import History
from harness.history.ops import Op, OpType


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
        """One send, invoked and then completed, each as a batch of one (as the recorder batches them)."""
        self._add(process, OpType.INVOKE, "send",
                  {"topic": self.topic, "values": [value], "times": [self.t + 0.001], "keys": [None]})
        if outcome is None:
            return self
        done = {"topic": self.topic, "values": [value], "times": [self.t + 0.001]}
        done.update({"partitions": [partition], "offsets": [offset]} if outcome == "ok" else {"errors": [error]})
        return self._add(process, OpType(outcome), "send", done)

    def read(self, records, partition=0, reader="leader", complete=True, f="read", process="final-reader"):
        value = {"topic": self.topic, "partition": partition, "reader": reader,
                 "records": [[p, o, v] for p, o, v in records]}
        return self._add(process, OpType.OK if complete else OpType.INFO, f, value,
                         None if complete else "timed out before the end offset")

    def poll(self, process, records, reader="leader"):
        return self.read(records, reader=reader, f="poll", process=process)

    def cluster(self, racks=("rack-a", "rack-b", "rack-c")):
        return self._add("harness", OpType.OK, "cluster",
                         {"brokers": [{"node": i + 1, "rack": r, "bootstrap": ""} for i, r in enumerate(racks)]})

    def stats(self, process, rack, partition, leader, broker, hi_offset):
        return self._add(process, OpType.OK, "stats", {
            "topic": self.topic, "reader": f"rack:{rack}" if rack else "leader", "rack": rack,
            "partitions": [{"partition": partition, "leader": leader, "broker": broker, "hi_offset": hi_offset,
                            "lo_offset": 0, "ls_offset": hi_offset}]})

    def sample(self, partition, leader, isr, epoch=0, hwm=0):
        return self._add("sampler", OpType.OK, "sample", {"topic": self.topic, "partition": partition,
                                                          "leader": leader, "replicas": [1, 2, 3], "isr": isr,
                                                          "epoch": epoch, "hwm": hwm})

    def fault(self, fid, kind="kill", target="leader of t-0", nodes=(1,)):
        self._add("nemesis", OpType.INVOKE, "fault", {"id": fid, "kind": kind, "target": target})
        return self._add("nemesis", OpType.OK, "fault", {"id": fid, "kind": kind, "target": target,
                                                         "nodes": list(nodes)})

    def heal(self, fid, kind="kill", target="leader of t-0"):
        self._add("nemesis", OpType.INVOKE, "heal", {"id": fid, "kind": kind, "target": target})
        return self._add("nemesis", OpType.OK, "heal", {"id": fid, "kind": kind, "target": target})

    def wait(self, seconds):
        self.t += seconds
        return self

    def history(self) -> History:
        return History(self.ops)


def clean_run(n: int = 10, partitions: int = 2, consumers: bool = True) -> Crafted:
    """n acknowledged sends spread over partitions, and a final read that holds each exactly once.

    With ``consumers``: racks for brokers 1-3, a sampler showing leader 1 with a full ISR, a leader reader
    and a rack-b follower reader (served by broker 2) that poll everything, with their statistics.
    """
    c = Crafted()
    if consumers:
        c.cluster()
        for p in range(partitions):
            c.sample(p, leader=1, isr=[1, 2, 3])
    offsets = [0] * partitions
    logs: dict[int, list] = {p: [] for p in range(partitions)}
    for i in range(n):
        p = i % partitions
        c.send("p0", f"p0-{i}", partition=p, offset=offsets[p])
        logs[p].append((p, offsets[p], f"p0-{i}"))
        offsets[p] += 1
    if consumers:
        c.wait(5)
        for p in range(partitions):
            c.poll("c-leader", logs[p])
            c.stats("c-leader", None, p, leader=1, broker=1, hi_offset=offsets[p])
            c.poll("c-rack-b", logs[p], reader="rack:rack-b")
            c.stats("c-rack-b", "rack-b", p, leader=1, broker=2, hi_offset=offsets[p])
        c.wait(5)  # past the follower readers' warm-up
        for p in range(partitions):
            c.stats("c-leader", None, p, leader=1, broker=1, hi_offset=offsets[p])
            c.stats("c-rack-b", "rack-b", p, leader=1, broker=2, hi_offset=offsets[p])
    for p in range(partitions):
        c.read(logs[p], partition=p)
    return c
