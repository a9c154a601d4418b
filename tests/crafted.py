"""Building crafted histories for the check tests, op by op, the way the workload records them (through the
record classes of ``harness.history.schema``, so a crafted history is one the loader would accept)."""

from __future__ import annotations

from harness.history.loader import History
from harness.history.ops import Op, OpType
from harness.history.schema import (
    Assignment,
    Broker,
    Commit,
    Effect,
    FaultStart,
    FaultStarted,
    FetchStats,
    GroupMember,
    GroupOffsets,
    GroupSample,
    Healed,
    HealStart,
    Healthy,
    MemberEvent,
    MetadataRecord,
    Phase,
    Poll,
    Read,
    Record,
    ReplicaLog,
    ReplicaLogUnread,
    Run,
    Sample,
    SendFailed,
    SendInvoke,
    SendOk,
    Stats,
    Sweep,
    Unhealthy,
)
from harness.history.schema import Cluster as ClusterRecord

DEFAULT_ERRORS = {"fail": "NOT_ENOUGH_REPLICAS", "info": "_MSG_TIMED_OUT"}


class Crafted:
    """A history built in memory, one helper per kind of op; ``record`` adds any other record."""

    def __init__(self, topic: str = "t"):
        self.topic = topic
        self.ops: list[Op] = []
        self.t = 0.0

    def record(self, process: str, type_: OpType | str, rec: Record, error: str | None = None) -> Crafted:
        """One op recording ``rec``, a millisecond after the last."""
        self.t += 0.001
        self.ops.append(Op.of(len(self.ops), self.t, process, OpType(type_), rec, error))
        return self

    def phase(self, phase: str, error: str | None = None) -> Crafted:
        return self.record("harness", OpType.INFO if error else OpType.OK, Phase(phase=phase), error)

    def healthy(self, after_s: float | None) -> Crafted:
        """The wait for a full ISR after healing: reached after ``after_s``, or (None) not in time."""
        if after_s is None:
            return self.record("harness", OpType.INFO, Unhealthy(topic=self.topic), "no full ISR within 60 s")
        return self.record("harness", OpType.OK, Healthy(topic=self.topic, after_s=after_s))

    def sweep(self, fixed=(), left=()) -> Crafted:
        return self.record("nemesis", OpType.INFO if left else OpType.OK, Sweep(fixed=list(fixed), left=list(left)),
                           "; ".join(left) or None)

    def effect(self, fid, phase="start", observed: str | None = "leader moved", after_s=1.0, kind="kill") -> Crafted:
        """What was seen after a fault started or healed; ``observed`` None: not seen in time."""
        rec = Effect(id=fid, kind=kind, phase=phase, after_s=after_s, observed=observed)
        return self.record("nemesis", OpType.OK if observed is not None else OpType.INFO, rec,
                           None if observed is not None else "not seen: the expected change")

    def effect_expecting(self, fid, expect: str, phase="start", observed: str | None = None, after_s=1.0,
                         kind="kill", partition: int | None = 0, nodes=None,
                         error: str = "not seen: the expected change") -> Crafted:
        """An effect that names what its watcher awaited (``expect``: leader_moved, isr_dropped, ...) about
        partition ``partition`` of this topic (None: no partition, as for a controller move)."""
        rec = Effect(id=fid, kind=kind, phase=phase, after_s=after_s, observed=observed, expect=expect,
                     topic=None if partition is None else self.topic, partition=partition,
                     nodes=list(nodes) if nodes else None)
        return self.record("nemesis", OpType.OK if observed is not None else OpType.INFO, rec,
                           None if observed is not None else error)

    def send(self, process, value, outcome="ok", partition=0, offset=None, error=None):
        """One send, invoked and then completed, each as a batch of one (as the recorder batches them)."""
        self.record(process, OpType.INVOKE, SendInvoke(topic=self.topic, values=[value], times=[self.t + 0.001],
                                                       keys=[None]))
        if outcome is None:
            return self
        t = [self.t + 0.001]
        done = SendOk(topic=self.topic, values=[value], times=t, partitions=[partition], offsets=[offset]) \
            if outcome == "ok" else \
            SendFailed(topic=self.topic, values=[value], times=t, errors=[error or DEFAULT_ERRORS[outcome]])
        return self.record(process, OpType(outcome), done)

    def read(self, records, partition=0, reader="leader", complete=True, f="read", process="final-reader"):
        rows = [[p, o, v] for p, o, v in records]
        rec = Read(topic=self.topic, partition=partition, reader=reader, records=rows) if f == "read" else \
            Poll(topic=self.topic, reader=reader, records=rows)
        return self.record(process, OpType.OK if complete else OpType.INFO, rec,
                         None if complete else "timed out before the end offset")

    def poll(self, process, records, reader="leader"):
        return self.read(records, reader=reader, f="poll", process=process)

    def cluster(self, racks=("rack-a", "rack-b", "rack-c")):
        return self.record("harness", OpType.OK,
                         ClusterRecord(brokers=[Broker(node=i + 1, rack=r, bootstrap="") for i, r in enumerate(racks)]))

    def stats(self, process, rack, partition, leader, broker, hi_offset):
        return self.record(process, OpType.OK, Stats(
            topic=self.topic, reader=f"rack:{rack}" if rack else "leader", rack=rack,
            partitions=[FetchStats(partition=partition, leader=leader, broker=broker, hi_offset=hi_offset,
                                   lo_offset=0, ls_offset=hi_offset)]))

    def sample(self, partition, leader, isr, epoch=0, hwm=0):
        return self.record("sampler", OpType.OK, Sample(topic=self.topic, partition=partition, leader=leader,
                                                      replicas=[1, 2, 3], isr=list(isr), epoch=epoch, hwm=hwm))

    def fault(self, fid, kind="kill", target="leader of t-0", nodes=(1,), detail=None):
        self.record("nemesis", OpType.INVOKE, FaultStart(id=fid, kind=kind, target=target))
        return self.record("nemesis", OpType.OK, FaultStarted(id=fid, kind=kind, target=target, nodes=list(nodes),
                                                              detail=detail))

    def heal(self, fid, kind="kill", target="leader of t-0", nodes=(1,)):
        self.record("nemesis", OpType.INVOKE, HealStart(id=fid, kind=kind, target=target))
        return self.record("nemesis", OpType.OK, Healed(id=fid, kind=kind, target=target, nodes=list(nodes)))

    def replica_log(self, node: int, partition: int, rows, epochs=((0, 0),)) -> Crafted:
        """One replica's log after the run (the log autopsy); ``rows`` of (offset, value, leader_epoch,
        producer_id, producer_epoch, sequence)."""
        cols = list(zip(*rows)) if rows else [()] * 6
        offsets, values, leader_epochs, producer_ids, producer_epochs, sequences = (list(c) for c in cols)
        return self.record("ground-truth", OpType.OK, ReplicaLog(
            node=node, topic=self.topic, partition=partition, offsets=offsets, values=values,
            leader_epochs=leader_epochs, producer_ids=producer_ids, producer_epochs=producer_epochs,
            sequences=sequences, epochs=[list(e) for e in epochs]))

    def replica_log_unread(self, node: int, partition: int | None = None,
                           error: str = "log dump failed") -> Crafted:
        """A replica log the autopsy could not read (``partition`` None: none of the broker's)."""
        return self.record("ground-truth", OpType.INFO,
                           ReplicaLogUnread(node=node, topic=self.topic, partition=partition), error)

    def wait(self, seconds):
        self.t += seconds
        return self

    def history(self) -> History:
        return History(self.ops)

    def served(self, process: str, rack: str | None, partition: int, broker: int, seconds: float,
               leader: int = 1, every: float = 1.0) -> Crafted:
        """A reader's statistics every ``every`` s for ``seconds`` s (a sample at the start of each step),
        each naming ``broker`` as serving ``partition``; the clock ends ``seconds`` later."""
        for _ in range(round(seconds / every)):
            self.stats(process, rack, partition, leader=leader, broker=broker, hi_offset=1).wait(every)
        return self

    def read_start(self, partition=0, reader="leader", process="final-leader") -> Crafted:
        """A final reader starts reading a partition (its ``read`` invoke; the read itself may never follow)."""
        from harness.history.schema import ReadStart

        return self.record(process, OpType.INVOKE, ReadStart(topic=self.topic, partition=partition, reader=reader))

    def final_read(self, records, partition=0, reader="leader", process="final-leader", end_offset=None,
                   complete=True, start=True) -> Crafted:
        """One final reader's read of a partition as the runner records it: its invoke (``start``), then one
        chunk with the end offset it read to (default: just past the last record read)."""
        if start:
            self.read_start(partition, reader, process)
        rows = [[p, o, v] for p, o, v in records]
        end = end_offset if end_offset is not None else (rows[-1][1] + 1 if rows else 0)
        return self.record(process, OpType.OK if complete else OpType.INFO,
                           Read(topic=self.topic, partition=partition, reader=reader, records=rows, end_offset=end),
                           None if complete else f"reached offset {rows[-1][1] + 1 if rows else 0} of {end}")

    def invoke(self, process, value):
        """A send invoked alone (``ack`` completes it later: sends in flight together)."""
        return self.record(process, OpType.INVOKE, SendInvoke(topic=self.topic, values=[value],
                                                              times=[self.t + 0.001], keys=[None]))

    def ack(self, process, value, offset, partition=0):
        """The acknowledgement of a send ``invoke`` made earlier."""
        return self.record(process, OpType.OK, SendOk(topic=self.topic, values=[value], times=[self.t + 0.001],
                                                      partitions=[partition], offsets=[offset]))

    def offset_reset(self, process, partition=0, position=None, to="earliest"):
        """A consumer's position was out of range and it restarted from ``to``."""
        from harness.history.schema import OffsetReset

        return self.record(process, OpType.OK, OffsetReset(topic=self.topic, partition=partition,
                                                           position=position, to=to))


# -- consumer groups ----------------------------------------------------------------------------------------


def _offsets(offsets) -> list[list[int]]:
    """``{partition: offset}`` (or ``[(partition, offset[, epoch])]``) as a record's ``[partition, offset,
    epoch]`` list (epoch -1: unknown)."""
    items = offsets.items() if isinstance(offsets, dict) else offsets
    return [[int(e[0]), int(e[1]), int(e[2]) if len(e) > 2 else -1] for e in (tuple(x) for x in items)]


class GroupCrafted(Crafted):
    """A crafted history with consumer-group records: each helper names the group by id (default
    ``<topic>.g``, as ``GroupSpec.group_id`` names it)."""

    @property
    def gid(self) -> str:
        return f"{self.topic}.g"

    def member(self, member: int, event: str, group: str | None = None, process: str = "harness",
               error: str | None = None, pid: int | None = None) -> GroupCrafted:
        """A member's life event as the harness saw it (``error``: an ``info`` op, e.g. exited with an error)."""
        rec = MemberEvent(group=group or self.gid, topic=self.topic, member=member, event=event, pid=pid)
        return self.record(process, OpType.INFO if error else OpType.OK, rec, error)

    def assignment(self, process: str, partitions, event: str = "assigned", group: str | None = None,
                   protocol: str = "classic") -> GroupCrafted:
        """A member's rebalance callback (recorded under the member's own process)."""
        return self.record(process, OpType.OK, Assignment(group=group or self.gid, topic=self.topic, event=event,
                                                          partitions=list(partitions), protocol=protocol))

    def commit_invoke(self, process: str, offsets, group: str | None = None) -> GroupCrafted:
        """A manual commit begins (``commit_done`` completes it)."""
        return self.record(process, OpType.INVOKE, Commit(group=group or self.gid, topic=self.topic,
                                                          offsets=_offsets(offsets), auto=False))

    def commit_done(self, process: str, offsets, outcome: str = "ok", group: str | None = None, auto: bool = False,
                    error: str | None = None) -> GroupCrafted:
        """A commit's outcome: ``ok``, ``fail`` or ``info`` (an auto commit has no invoke before it)."""
        rec = Commit(group=group or self.gid, topic=self.topic, offsets=_offsets(offsets), auto=auto)
        if outcome != "ok" and error is None:
            error = "ILLEGAL_GENERATION" if outcome == "fail" else "_TIMED_OUT"
        return self.record(process, OpType(outcome), rec, error)

    def commit(self, process: str, offsets, outcome: str = "ok", group: str | None = None,
               auto: bool = False) -> GroupCrafted:
        """A commit as a member records it: a manual one invoked then completed, an auto one completed only."""
        if not auto:
            self.commit_invoke(process, offsets, group)
        return self.commit_done(process, offsets, outcome, group, auto)

    def group_sample(self, state: str = "Stable", members=(), group: str | None = None, coordinator: int = 1,
                     error: str | None = None) -> GroupCrafted:
        """The group as its coordinator described it; ``members``: (member id, client id, partitions)."""
        if error:
            return self.record("sampler", OpType.INFO, GroupSample(group=group or self.gid, topic=self.topic), error)
        return self.record("sampler", OpType.OK, GroupSample(
            group=group or self.gid, topic=self.topic, state=state, coordinator=coordinator, type="classic",
            members=[GroupMember(member_id=m, client_id=c, partitions=list(p)) for m, c, p in members]))

    def group_offsets(self, offsets, group: str | None = None, error: str | None = None) -> GroupCrafted:
        """The coordinator's committed offsets after the run (``offsets`` None, or ``error``: not read)."""
        if offsets is None or error:
            return self.record("harness", OpType.INFO, GroupOffsets(group=group or self.gid, topic=self.topic),
                               error or "group coordinator not available")
        return self.record("harness", OpType.OK, GroupOffsets(group=group or self.gid, topic=self.topic,
                                                              offsets=_offsets(offsets)))

    def group_poll(self, process: str, records, group: str | None = None) -> GroupCrafted:
        """A member's poll: the records it received and processed (reader ``group:<group id>``)."""
        return self.poll(process, records, reader=f"group:{group or self.gid}")


def with_groups(groups=({"name": "g", "members": 2, "protocol": "classic", "commit": "manual"},), **kwargs
                ) -> GroupCrafted:
    """A crafted history opening with a run op whose scenario has these ``workload.groups`` (``with_run``'s
    other arguments as there)."""
    c = with_run(**kwargs)
    g = GroupCrafted(c.topic)
    g.ops, g.t = c.ops, c.t
    g.ops[0].value["scenario"]["workload"]["groups"] = [dict(x) for x in groups]
    return g


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


# -- the run op and the controller's metadata records (ground truth) ---------------------------------------

WALL = 1_764_750_000.0
TOPIC_ID = "tOpIcIdOfT000000000000"


def with_run(acks="all", min_isr=2, unclean=False, producers=None, topic_settings=None,
             wall_start: float | None = WALL) -> Crafted:
    """A crafted history opening with the run op: one producer with ``acks`` (or ``producers``: a list of
    producer specs), the topic's min.insync.replicas and unclean election."""
    c = Crafted()
    scenario = {"name": "crafted",
                "workload": {"producers": producers or [{"count": 1, "acks": acks,
                                                          "enable_idempotence": acks == "all", "settings": {}}]},
                "topic": {"name": "t", "min_insync_replicas": min_isr, "unclean_leader_election": unclean,
                          "settings": topic_settings or {}}}
    return c.record("harness", OpType.OK, Run(run_id="r", scenario=scenario, image="i", started_at="x",
                                              wall_start=wall_start))


def metadata(c: Crafted, t: float, kind: str, data: dict) -> Crafted:
    """One metadata log record, written by the controller at history time ``t``."""
    offset = sum(1 for op in c.ops if op.f == "metadata")
    return c.record("ground-truth", OpType.OK, MetadataRecord(offset=offset, time_ms=int(round((WALL + t) * 1000)),
                                                              controller_epoch=1, type=kind, data=data))


def created(c: Crafted, t: float = 0.0, partition: int = 0, leader: int = 1, isr=(1, 2, 3)) -> Crafted:
    if not any(op.f == "metadata" and op.value["type"] == "TOPIC_RECORD" for op in c.ops):
        metadata(c, t, "TOPIC_RECORD", {"name": c.topic, "topicId": TOPIC_ID})
    return metadata(c, t, "PARTITION_RECORD", {"partitionId": partition, "topicId": TOPIC_ID, "replicas": [1, 2, 3],
                                               "isr": list(isr), "leader": leader, "leaderEpoch": 0,
                                               "partitionEpoch": 0})


def changed(c: Crafted, t: float, partition: int = 0, **fields) -> Crafted:
    return metadata(c, t, "PARTITION_CHANGE_RECORD", {"partitionId": partition, "topicId": TOPIC_ID, **fields})


def sent_at(c: Crafted, t: float, value: str, offset: int, partition: int = 0, process: str = "producer-0-0"):
    """A send acknowledged at about history time ``t`` (``t`` must not be in the past)."""
    c.wait(t - c.t - 0.002)
    return c.send(process, value, partition=partition, offset=offset)


def lost_after_a_leader_change(acks: str) -> Crafted:
    """Leader 1 replaced by 2 at 1 s; "a" acknowledged at 2 s, then missing from the final read."""
    c = with_run(acks=acks, min_isr=2)
    created(c)
    changed(c, 1.0, leader=2, isr=[2, 3])
    sent_at(c, 2.0, "a", 0)
    return c.read([])


def clean_group_run(n: int = 6, partitions: int = 2, members: int = 2, controller: bool = True) -> GroupCrafted:
    """A run with one consumer group, ``t.g``, of ``members`` members (processes ``group-g-<i>``), all clean:
    n acknowledged sends spread over the partitions; member i is assigned the partitions p with p % members
    == i, polls each one's records and commits after each poll; the members close; a final read of every
    partition to its end, and the group's committed offsets, each partition's end. With ``controller``: the
    controller's record of the topic (no leader change)."""
    c = with_groups(groups=[{"name": "g", "members": members, "protocol": "classic", "commit": "manual"}])
    if controller:
        for p in range(partitions):
            created(c, partition=p)
    c.phase("workload")
    for i in range(members):
        c.member(i, "started")
        c.assignment(f"group-g-{i}", [p for p in range(partitions) if p % members == i])
    logs: dict[int, list] = {p: [] for p in range(partitions)}
    for i in range(n):
        p = i % partitions
        c.send("producer-0-0", f"v{i}", partition=p, offset=len(logs[p]))
        logs[p].append((p, len(logs[p]), f"v{i}"))
    c.wait(1)
    for p in range(partitions):
        process = f"group-g-{p % members}"
        c.group_poll(process, logs[p]).commit(process, {p: len(logs[p])})
    c.wait(1).phase("heal")
    for i in range(members):
        c.member(i, "closed")
    for p in range(partitions):
        c.final_read(logs[p], partition=p)
    return c.group_offsets({p: len(logs[p]) for p in range(partitions)})
