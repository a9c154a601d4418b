"""Running a scenario: cluster up, workload and faults together, heal, final read, then check and report.

Data flows one way: this module only writes the history; the verdict comes from ``report.build_report``
reading the saved history back, exactly as ``kafka-chaos report`` would offline.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import NewTopic

from harness.cluster.config import ClusterConfig, ImageSpec
from harness.cluster.image import ensure_image
from harness.cluster.kraft import KafkaCluster, new_run_id
from harness.errors import ClusterError
from harness.history import schema as records
from harness.history.lanes import lanes_of, process_prefix, write_lane
from harness.history.loader import History
from harness.history.writer import HistoryWriter
from harness.nemesis.core import Nemesis
from harness.nemesis.schedule import Schedule
from harness.observe.ground_truth import record_metadata, record_replica_logs
from harness.observe.groups import GroupSampler, record_group_offsets
from harness.observe.sampler import Sampler
from harness.observe.stable import record_stable_offsets
from harness.observe.state import all_in_sync, wait_for
from harness.report.build import build_report, write_report
from harness.run.progress import Snapshot, WorkloadProgress
from harness.run.scenario import Scenario, Setting, TopicSpec
from harness.workload.consumer import RecordingConsumer
from harness.workload.group import STOP_WAIT_S, ConsumerGroup
from harness.workload.producer import RecordingProducer
from harness.workload.reader import final_read
from harness.workload.transactions import TransactionalProducer

PROCESS = "harness"
SCHEDULE_WAIT_S = 120.0
"""How long the end of a run waits for the fault schedule's thread (a fault being injected finishes first)."""
CLIENT_WAIT_S = 30.0
"""How long, per client, the end of a run waits for producers to drain and consumers to stop."""
INTERRUPTED_WAIT_S = 5.0
"""After an interrupt, how long anything is waited for before the cluster is removed."""


@dataclass
class RunResult:
    run_dir: Path
    report: dict

    @property
    def verdict(self) -> str:
        return self.report["verdict"]


def setting_text(value: Setting) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def cluster_config(scenario: Scenario, image: str) -> ClusterConfig:
    c = scenario.cluster
    return ClusterConfig(brokers=c.brokers, racks=tuple(c.racks), image=image,
                         broker_settings={k: setting_text(v) for k, v in c.broker_settings.items()})


def create_topic(cluster: KafkaCluster, topic: TopicSpec, timeout_s: float = 60.0,
                 assignment: list[list[int]] | None = None) -> None:
    """Create the topic and wait for a full ISR. With ``assignment`` (replicas per partition, preferred leader
    first), exactly that replica assignment."""
    config = {"min.insync.replicas": str(topic.min_insync_replicas),
              "unclean.leader.election.enable": setting_text(topic.unclean_leader_election),
              **{k: setting_text(v) for k, v in topic.settings.items()}}
    # the client wants the partition count beside an assignment (and no replication factor)
    new = NewTopic(topic.name, len(assignment), replica_assignment=assignment, config=config) if assignment else \
        NewTopic(topic.name, topic.partitions, topic.replication_factor, config=config)
    futures = cluster.admin.create_topics([new])
    try:
        futures[topic.name].result()
    except KafkaException as exc:
        raise ClusterError(f"could not create topic {topic.name}: {exc.args[0].str()}") from None
    states, _ = wait_for(lambda: all_in_sync(cluster.admin, topic.name), timeout_s)
    if states is None:
        raise ClusterError(f"topic {topic.name} has no full ISR after {timeout_s:.0f} s")


def replica_assignment(cluster: KafkaCluster, topic: str) -> list[list[int]]:
    """A topic's replicas per partition, preferred leader first, as the cluster's metadata gives them."""
    def read() -> list[list[int]] | None:  # a broker whose metadata cache lags may not know the topic yet
        partitions = cluster.admin.list_topics(topic, timeout=10).topics[topic].partitions
        return [list(partitions[p].replicas) for p in sorted(partitions)] or None

    assignment, _ = wait_for(read, 30.0, 0.5)
    if assignment is None:
        raise ClusterError(f"the cluster's metadata gave no partition of topic {topic} within 30 s")
    return assignment


def run_scenario(scenario: Scenario, out_dir: Path | str = "reports", log=print,
                 cluster: KafkaCluster | None = None, run_name: str | None = None, live: bool = False) -> RunResult:
    """Run one scenario. With ``cluster``, run on that running cluster (its topic must be new there).
    ``live`` draws the workload's progress as a live block (for a terminal) instead of log lines."""
    return run_lanes(scenario, [], out_dir, log, cluster, run_name, live)[0]


def run_lanes(scenario: Scenario, lanes: list[tuple[str, Scenario]], out_dir: Path | str = "reports", log=print,
              cluster: KafkaCluster | None = None, run_name: str | None = None,
              live: bool = False) -> list[RunResult]:
    """Run ``scenario``'s cluster, workload length and faults once, with several topics side by side: each lane
    (label, scenario) brings its own topic, topic settings, producers and consumers. Every lane's topic gets
    the first one's replica assignment, so a fault aimed at "the leader of partition 0" hits every lane's
    leader at the same moment. The run writes one history; each lane's report comes from its cut
    (``harness.history.lanes``), in ``<run>/lanes/<n>``. No lanes: the scenario alone, reported in ``<run>``."""
    run_id = new_run_id()
    run_dir = Path(out_dir) / (run_name or f"{scenario.name}-{run_id}")
    image = cluster.config.image if cluster else \
        scenario.cluster.image or ensure_image(ImageSpec(scenario.cluster.kafka_version), log=log)
    log(f"run {run_id}: scenario {scenario.name}, output in {run_dir}")
    specs = [s for _, s in lanes] or [scenario]
    with HistoryWriter(run_dir / "history.jsonl") as history:
        history.ok(PROCESS, records.Run(run_id=run_id, scenario=scenario.model_dump(mode="json"), image=image,
                                        started_at=_dt.datetime.now().isoformat(timespec="seconds"),
                                        wall_start=round(history.wall_start, 3)))
        if lanes:
            history.ok(PROCESS, records.Lanes(lanes=[{"label": label, "scenario": s.model_dump(mode="json")}
                                                     for label, s in lanes]))
        with contextlib.ExitStack() as stack:
            if cluster is None:
                cluster = stack.enter_context(KafkaCluster(cluster_config(scenario, image), run_id=run_id, log=log))
            history.ok(PROCESS, records.Cluster(brokers=[records.Broker(node=b.node_id, rack=b.rack,
                                                                        bootstrap=b.bootstrap)
                                                         for b in cluster.brokers]))
            create_topic(cluster, specs[0].topic)
            if len(specs) > 1:
                assignment = replica_assignment(cluster, specs[0].topic.name)
                for spec in specs[1:]:
                    create_topic(cluster, spec.topic, assignment=assignment)
            _run_workload(scenario, specs, cluster, history, log, live, run_dir)
    if not lanes:
        history = History.load(run_dir / "history.jsonl")
        report = build_report(history)
        write_report(report, run_dir, history)
        return [RunResult(run_dir, report.to_json())]  # what report.json holds
    return [report_lane(run_dir, i) for i in range(len(lanes))]


def report_lane(run_dir: Path, n: int, plots: bool = False) -> RunResult:
    """Cut lane ``n`` out of a run's history and report it in ``<run>/lanes/<n>`` (plots only if asked: a
    comparison reports many lanes and reads their figures from report.json)."""
    path = run_dir / "history.jsonl"
    lanes = lanes_of(path)
    lane_dir = run_dir / "lanes" / f"{n:02d}"
    write_lane(path, lanes, n, lane_dir)
    history = History.load(lane_dir / "history.jsonl")
    report = build_report(history)
    write_report(report, lane_dir, history if plots else None)
    return RunResult(lane_dir, report.to_json())


def _run_workload(scenario: Scenario, specs: list[Scenario], cluster: KafkaCluster, history: HistoryWriter, log,
                  live: bool, run_dir: Path) -> None:
    w = scenario.workload
    topics = [s.topic.name for s in specs]
    partitions = scenario.topic.partitions
    lane = process_prefix if len(specs) > 1 else (lambda i: "")
    producers = [
        RecordingProducer(name=f"{lane(k)}producer-{i}-{n}", bootstrap=cluster.bootstrap_servers,
                          topic=s.topic.name, history=history, config=spec.client_config(), rate=w.rate,
                          duration_s=w.duration_s, max_messages=w.max_messages)
        for k, s in enumerate(specs) for i, spec in enumerate(s.workload.producers) for n in range(spec.count)
    ]
    consumers = [
        RecordingConsumer(name=f"{lane(k)}consumer-{i}-{spec.rack or 'leader'}", bootstrap=cluster.bootstrap_servers,
                          topic=s.topic.name, partitions=partitions, history=history, client_rack=spec.rack,
                          duration_s=w.duration_s + 10, config=dict(spec.settings))
        for k, s in enumerate(specs) for i, spec in enumerate(s.workload.consumers)
    ]
    transactional = [
        TransactionalProducer(name=f"{lane(k)}txn-{i}", bootstrap=cluster.bootstrap_servers, topic=s.topic.name,
                              partitions=partitions, history=history,
                              transactional_id=t.transactional_id(s.topic.name, i),
                              size=t.size, abort_ratio=t.abort_ratio, rate=t.rate, duration_s=w.duration_s,
                              seed=scenario.seed, config={"transaction.timeout.ms": t.transaction_timeout_ms,
                                                          **t.settings})
        for k, s in enumerate(specs) if (t := s.workload.transactions) is not None for i in range(t.count)]
    groups = [ConsumerGroup(spec, s.topic.name, cluster.bootstrap_servers, history, end=0.0, prefix=lane(k))
              for k, s in enumerate(specs) for spec in s.workload.groups]
    group_ids = [(g.group_id, g.topic) for g in groups]
    topic = topics[0]  # the one the sampler and the nemesis watch
    stop, abort = threading.Event(), threading.Event()
    threads = [threading.Thread(target=p.run, args=(stop, abort), name=p.name, daemon=True)
               for p in [*producers, *transactional]]
    readers = [threading.Thread(target=c.run, args=(stop,), name=c.name, daemon=True) for c in consumers]
    targets = {g.spec.name: g for g in groups if g.topic == topic}  # the nemesis's group targets: the first lane's
    sampling_end = time.monotonic() + w.duration_s + 60  # the sampler stops with the workload, or by then
    with Sampler(cluster, topic, history), GroupSampler(cluster.bootstrap_servers, group_ids, history, sampling_end), \
            Nemesis(cluster, history, topic, seed=scenario.seed, groups=targets,
                    transactional_ids={i: p.transactional_id for i, p in enumerate(transactional)
                                       if p.topic == topic}) as nemesis:
        for g in groups:  # members read along as the consumers do, and end by themselves as they do; they
            g.end = time.monotonic() + w.duration_s + 10  # exist before any fault can aim at one
            g.start()
        faults = scenario.all_faults()
        history.ok(PROCESS, records.Schedule(faults=[f.model_dump(mode="json") for f in faults]))
        schedule = Schedule(nemesis, faults, end_s=w.duration_s, log=log).start()
        log(f"workload: {len(producers)} producer(s) at {w.rate:g}/s for {w.duration_s:g} s, "
            f"{len(faults)} fault(s) scheduled")
        history.ok(PROCESS, records.Phase(phase="workload"))
        started = history.now()
        for t in threads + readers:
            t.start()
        interrupted = True
        try:
            flush_s = max(float(p.config.get("delivery.timeout.ms", 60_000)) / 1000 for p in producers) + 20
            deadline = time.monotonic() + w.duration_s + flush_s
            with WorkloadProgress(log, live=live) as progress:
                while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
                    time.sleep(0.25)
                    progress.show(_snapshot(history.now() - started, w.duration_s, producers, nemesis))
            interrupted = False
        finally:
            # Interrupted: producers purge instead of draining, and nothing waits long; the nemesis's
            # exit heals and sweeps, then the cluster goes. Otherwise the clients end on their own.
            stop.set()
            if interrupted:
                abort.set()
            nemesis.stop()
            schedule.stop(INTERRUPTED_WAIT_S if interrupted else SCHEDULE_WAIT_S)
            _join(threads + readers, INTERRUPTED_WAIT_S if interrupted else CLIENT_WAIT_S * len(threads + readers))
            for g in groups:  # before the heal: a paused member is resumed, and every member leaves
                g.stop(INTERRUPTED_WAIT_S if interrupted else STOP_WAIT_S, clean=not interrupted)
        for error in schedule.errors:
            history.info(PROCESS, records.Phase(phase="faults"), error=f"nemesis: {error}")
        nemesis.heal_all()
        history.ok(PROCESS, records.Phase(phase="heal"))
        log("healed; waiting for a full ISR on every partition")
        healed_at = time.monotonic()
        for t in topics:  # one deadline for all
            states, waited = wait_for(lambda: all_in_sync(cluster.admin, t),
                                      max(0.0, w.heal_timeout_s - (time.monotonic() - healed_at)), 0.5)
            if states is None:
                history.info(PROCESS, records.Unhealthy(topic=t),
                             error=f"no full ISR within {w.heal_timeout_s:.0f} s")
            else:
                history.ok(PROCESS, records.Healthy(topic=t, after_s=round(time.monotonic() - healed_at, 2)))
        if transactional:  # consumers of committed data must not be left behind an open transaction
            within = max(t.transaction_timeout_ms for s in specs if (t := s.workload.transactions)) / 1000 + 15
            for t in topics:
                if not record_stable_offsets(cluster.bootstrap_servers, t, partitions, history, within):
                    log(f"  {t}: a last stable offset stayed below its high watermark for {within:.0f} s")
        # Once through the leaders, and once through a rack-aware reader in each rack (served by that
        # rack's replica where the selector allows), so a replica that diverged shows up.
        for rack in [None, *sorted(set(scenario.cluster.racks))]:
            via = f"rack {rack}" if rack else "the leaders"
            log(f"final read of {', '.join(topics) if len(topics) < 4 else f'{len(topics)} topics'} through {via}")
            complete = final_read(cluster.bootstrap_servers, topics, partitions, history,
                                  timeout_s=w.final_read_timeout_s, reader=f"rack:{rack}" if rack else "leader",
                                  client_rack=rack, process=f"final-{rack or 'leader'}")
            if not complete:
                log(f"  the final read through {via} did not reach every end offset in time")
        if groups:
            read = record_group_offsets(cluster.bootstrap_servers, group_ids, history)
            log(f"read the committed offsets of {read} of {len(groups)} consumer group(s)")
        # Kafka's own records, while the cluster still stands: the checks and the report rest on them.
        keep = run_dir / "ground-truth"
        kept = record_metadata(cluster, topics, history, keep)
        logs = record_replica_logs(cluster, topics, history, keep)
        log(f"recorded {kept} controller metadata record(s) and {logs} replica log(s)")
        nemesis.stop_watching()


def _join(threads: list[threading.Thread], within_s: float) -> None:
    """Join every thread, all within one deadline (the threads are daemons: one that is late is left)."""
    deadline = time.monotonic() + within_s
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))


def _snapshot(elapsed: float, duration: float, producers: list[RecordingProducer], nemesis: Nemesis) -> Snapshot:
    s = [p.stats for p in producers]
    return Snapshot(elapsed, duration, sum(x.invoked for x in s), sum(x.ok for x in s), sum(x.fail for x in s),
                    sum(x.info for x in s),
                    [f"{f.spec.kind.value} {f.target.describe()}" for f in nemesis.faults if not f.healed])
