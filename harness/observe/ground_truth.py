"""Ground truth from Kafka's own records, read once the run has healed, before the cluster goes.

- The controller's metadata log (``__cluster_metadata``): every leader, ISR, eligible-leader and
  leader-recovery change of the run's topic, every broker registration and fencing, every change of
  active controller, with the controller's timestamps. It is the authoritative timeline of leadership:
  an unclean election is the controller's own record of one.
- The log autopsy: each replica's log of each partition of the run's topic, with the batch headers
  (leader epoch, producer id and epoch, sequence), and its leader-epoch checkpoint.

Both are dumped inside the brokers with Kafka's own dump tool and written into the history, so a saved
run is re-checked offline. The raw dumps are kept, compressed, in the run directory for a human to read.
"""

from __future__ import annotations

import gzip
import re
import shlex
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from harness.cluster.kraft import DATA_DIR, Broker, KafkaCluster
from harness.history import schema as records
from harness.history.writer import HistoryWriter
from harness.observe.dump_log import parse_data_dump, parse_epoch_checkpoint, parse_metadata_dump

PROCESS = "ground-truth"
METADATA_DIR = f"{DATA_DIR}/__cluster_metadata-0"
DUMP_CLASSES = ("org.apache.kafka.tools.DumpLogSegments", "kafka.tools.DumpLogSegments")
"""Kafka 4.3 moved the dump tool to the tools module; earlier releases have it in core."""
TOOL_ENV = ("KAFKA_HEAP_OPTS=-Xmx256m KAFKA_LOG4J_CONFIG=/opt/kafka/config/tools-log4j2.properties "
            "KAFKA_LOG4J_OPTS=")


class DumpFailed(Exception):
    pass


def _ls(broker: Broker, pattern: str) -> list[str]:
    code, out = broker.exec(["sh", "-c", f"ls -1d {pattern} 2>/dev/null"])
    return [line.strip() for line in out.splitlines() if line.strip()] if code == 0 else []


def dump_log(broker: Broker, files: list[str], *options: str) -> str:
    """Run the dump tool inside ``broker`` over ``files``; its text output (stderr noise included)."""
    args = " ".join(shlex.quote(a) for a in [*options, "--files", ",".join(files)])
    for cls in DUMP_CLASSES:
        code, out = broker.exec(["sh", "-c", f"{TOOL_ENV} /opt/kafka/bin/kafka-run-class.sh {cls} {args}"])
        if "Could not find or load main class" in out or "ClassNotFoundException" in out:
            continue
        if code != 0:
            raise DumpFailed(f"the dump tool exited {code} on broker {broker.node_id}: {out.strip()[-300:]}")
        return out
    raise DumpFailed(f"no log dump tool in broker {broker.node_id}'s image")


def partition_dirs(topic: str, paths: list[str]) -> list[str]:
    """The log directories of ``topic``'s partitions among ``paths``: exactly ``<topic>-<partition>`` (a glob
    for ``<topic>-*`` also matches another topic's, such as ``<topic>-b-0``)."""
    pattern = re.compile(re.escape(topic) + r"-\d+")
    return [p for p in paths if pattern.fullmatch(p.rstrip("/").rsplit("/", 1)[-1])]


def _running(cluster: KafkaCluster) -> list[Broker]:
    return [b for b in cluster.brokers if b.status() == "running"]


def _keep(path: Path | None, name: str, text: str) -> None:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        with gzip.open(path / f"{name}.txt.gz", "wt", encoding="utf-8") as fh:
            fh.write(text)


def record_metadata(cluster: KafkaCluster, topic: str | Sequence[str], history: HistoryWriter,
                    keep: Path | None = None) -> int:
    """Dump the controller's metadata log and record what concerns ``topic`` (or each of several topics), the
    brokers and the quorum; returns how many records were written (0 with a ``metadata`` info op when it failed)."""
    topics = {topic} if isinstance(topic, str) else set(topic)
    node = None
    try:
        brokers = _running(cluster)
        if not brokers:
            raise DumpFailed("no broker is running")
        broker = brokers[0]
        node = broker.node_id
        files = _ls(broker, f"{METADATA_DIR}/*.log")
        if not files:
            raise DumpFailed(f"no metadata log segment in {METADATA_DIR} on broker {node}")
        text = dump_log(broker, files, "--cluster-metadata-decoder")
        _keep(keep, f"metadata-log-node{node}", text)
        entries = parse_metadata_dump(text)
        if not entries:
            raise DumpFailed(f"the metadata log dump of broker {node} held no record")
    except Exception as exc:  # recorded: the checks that need it say undecided
        history.info(PROCESS, records.MetadataUnread(node=node), error=f"{type(exc).__name__}: {exc}")
        return 0
    topic_ids = {e.data.get("topicId") for e in entries if e.type == "TOPIC_RECORD" and e.data.get("name") in topics}
    kept = 0
    for e in entries:
        if "topicId" in e.data and e.data["topicId"] not in topic_ids:
            continue  # another topic's partitions (internal topics, the probe topic)
        if e.type == "REMOVE_TOPIC_RECORD" and e.data.get("topicId") not in topic_ids:
            continue
        history.ok(PROCESS, records.MetadataRecord(offset=e.offset, time_ms=e.time_ms,
                                                  controller_epoch=e.controller_epoch, type=e.type, data=e.data))
        kept += 1
    return kept


def record_replica_logs(cluster: KafkaCluster, topic: str | Sequence[str], history: HistoryWriter,
                        keep: Path | None = None) -> int:
    """The log autopsy: every running broker's replica logs of ``topic`` (or of each of several topics, in one
    run of the dump tool per broker), with their batch headers and leader-epoch checkpoints; returns how many
    replica logs were recorded."""
    topics = [topic] if isinstance(topic, str) else list(topic)
    label = topics[0] if len(topics) == 1 else f"{len(topics)}-topics"

    def autopsy(broker: Broker) -> list[Callable[[], None]]:
        dirs = [d for t in topics for d in partition_dirs(t, _ls(broker, f"{DATA_DIR}/{t}-*"))]
        writes: list[Callable[[], None]] = []
        if not dirs:
            return writes
        segments = [f for d in dirs for f in _ls(broker, f"{d}/*.log")]
        text = dump_log(broker, segments, "--print-data-log") if segments else ""
        _keep(keep, f"{label}-node{broker.node_id}", text)
        logs = parse_data_dump(text)
        for d in dirs:
            name = d.rstrip("/").rsplit("/", 1)[-1]
            topic_name, partition = name.rsplit("-", 1)[0], int(name.rsplit("-", 1)[1])
            code, checkpoint = broker.exec(["cat", f"{d}/leader-epoch-checkpoint"])
            cols = logs.get(name)
            rec = records.ReplicaLog(
                node=broker.node_id, topic=topic_name, partition=partition,
                offsets=cols.offsets if cols else [], values=cols.values if cols else [],
                leader_epochs=cols.leader_epochs if cols else [], producer_ids=cols.producer_ids if cols else [],
                producer_epochs=cols.producer_epochs if cols else [], sequences=cols.sequences if cols else [],
                epochs=parse_epoch_checkpoint(checkpoint) if code == 0 else [])
            writes.append(lambda rec=rec: history.ok(PROCESS, rec))
        return writes

    brokers = cluster.brokers
    written = 0
    with ThreadPoolExecutor(max_workers=len(brokers) or 1) as pool:
        futures = {b.node_id: pool.submit(_safe(autopsy), b) for b in brokers}
    for node, future in sorted(futures.items()):
        writes, error = future.result()
        if error is not None:
            for t in topics:
                history.info(PROCESS, records.ReplicaLogUnread(node=node, topic=t, partition=None), error=error)
            continue
        for write in writes:  # written from this thread, in node order, so the history reads in order
            write()
            written += 1
    return written


def _safe(fn):
    def run(broker: Broker):
        try:
            if broker.status() != "running":
                return [], f"broker {broker.node_id} is {broker.status()}"
            return fn(broker), None
        except Exception as exc:
            return [], f"{type(exc).__name__}: {exc}"
    return run
