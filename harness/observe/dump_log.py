"""Reading the text of Kafka's log dump tool (``DumpLogSegments``, ``kafka-dump-log.sh``). Pure parsing.

Two uses: the controller's metadata log with ``--cluster-metadata-decoder`` (each record's payload is
JSON: ``{"type": "PARTITION_CHANGE_RECORD", "version": 2, "data": {...}}``), and a replica's data log
with ``--print-data-log`` (per batch: base offset, producer id and epoch, base sequence, the leader epoch
that wrote it; per record: offset, sequence and the payload as text). The tool has no JSON output, so
lines are matched field by field; a line that matches nothing (``Dumping <file>``, stderr noise) is
skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_BATCH = re.compile(
    r"^baseOffset: (?P<base>-?\d+) lastOffset: (?P<last>-?\d+) count: \d+ baseSequence: (?P<seq>-?\d+) "
    r"lastSequence: -?\d+ producerId: (?P<pid>-?\d+) producerEpoch: (?P<pepoch>-?\d+) "
    r"partitionLeaderEpoch: (?P<epoch>-?\d+) isTransactional: \w+ isControl: (?P<control>\w+) .*?"
    r"(?:CreateTime|LogAppendTime|NoTimestampType): (?P<time>-?\d+)")
_RECORD = re.compile(r"^\| offset: (?P<offset>\d+) (?:CreateTime|LogAppendTime|NoTimestampType): (?P<time>-?\d+)"
                     r" keySize: -?\d+ valueSize: (?P<vsize>-?\d+)(?: sequence: (?P<seq>-?\d+))?")
_PAYLOAD = re.compile(r" payload: (?P<payload>.*)$")
_LEADER_CHANGE = re.compile(r" LeaderChange: (?P<json>\{.*\})$")

METADATA_TYPES = frozenset({"TOPIC_RECORD", "PARTITION_RECORD", "PARTITION_CHANGE_RECORD", "REMOVE_TOPIC_RECORD",
                            "REGISTER_BROKER_RECORD", "BROKER_REGISTRATION_CHANGE_RECORD",
                            "UNREGISTER_BROKER_RECORD", "FENCE_BROKER_RECORD", "UNFENCE_BROKER_RECORD"})
"""The metadata record types the harness keeps: topics, partitions, brokers (plus the quorum's own
LeaderChange control records, kept as type ``LEADER_CHANGE``)."""


@dataclass(frozen=True)
class MetadataEntry:
    offset: int
    time_ms: int
    controller_epoch: int
    """The KRaft epoch of the batch: which controller term wrote it."""
    type: str
    data: dict


def parse_metadata_dump(text: str, types: frozenset[str] = METADATA_TYPES) -> list[MetadataEntry]:
    """The metadata records of ``types`` (and LeaderChange control records) in a metadata-log dump."""
    entries: list[MetadataEntry] = []
    epoch = -1
    for line in text.splitlines():
        if m := _BATCH.match(line):
            epoch = int(m["epoch"])
            continue
        m = _RECORD.match(line)
        if not m:
            continue
        offset, time_ms = int(m["offset"]), int(m["time"])
        if lc := _LEADER_CHANGE.search(line):
            data = json.loads(lc["json"])
            entries.append(MetadataEntry(offset, time_ms, epoch, "LEADER_CHANGE", data))
            continue
        p = _PAYLOAD.search(line)
        if not p or not p["payload"].startswith("{"):
            continue
        try:
            payload = json.loads(p["payload"])
        except ValueError:
            continue
        if payload.get("type") in types:
            entries.append(MetadataEntry(offset, time_ms, epoch, payload["type"], payload.get("data") or {}))
    return entries


@dataclass
class ReplicaRecords:
    """One replica's log of one partition, as columns (see ``harness.history.schema.ReplicaLog``)."""

    offsets: list[int] = field(default_factory=list)
    values: list[str | None] = field(default_factory=list)
    leader_epochs: list[int] = field(default_factory=list)
    producer_ids: list[int] = field(default_factory=list)
    producer_epochs: list[int] = field(default_factory=list)
    sequences: list[int] = field(default_factory=list)


def parse_data_dump(text: str) -> dict[str, ReplicaRecords]:
    """Each dumped segment file's data records, keyed by the file's directory name (``<topic>-<partition>``).

    Control records (transaction markers) carry no payload and are skipped. A record whose value is null
    (a tombstone) has value None. The tool prints payloads as raw text, so a value with a line break in it
    would be cut there: the workload's values never have one.
    """
    logs: dict[str, ReplicaRecords] = {}
    current: ReplicaRecords | None = None
    batch: re.Match | None = None
    for line in text.splitlines():
        if line.startswith("Dumping "):
            path = line[len("Dumping "):].strip()
            directory = path.rstrip("/").rsplit("/", 2)[-2] if "/" in path else path
            current = logs.setdefault(directory, ReplicaRecords())
            batch = None
            continue
        if m := _BATCH.match(line):
            batch = m
            continue
        if current is None or batch is None or batch["control"] == "true":
            continue
        m = _RECORD.match(line)
        if not m:
            continue
        p = _PAYLOAD.search(line)
        current.offsets.append(int(m["offset"]))
        current.values.append(p["payload"] if p and int(m["vsize"]) >= 0 else None)
        current.leader_epochs.append(int(batch["epoch"]))
        current.producer_ids.append(int(batch["pid"]))
        current.producer_epochs.append(int(batch["pepoch"]))
        current.sequences.append(int(m["seq"]) if m["seq"] is not None else -1)
    return logs


def parse_epoch_checkpoint(text: str) -> list[list[int]]:
    """A ``leader-epoch-checkpoint`` file: a version line, a count line, then ``epoch start-offset`` lines."""
    lines = [line.split() for line in text.strip().splitlines()]
    if len(lines) < 2:
        return []
    return [[int(e), int(o)] for e, o in (line for line in lines[2:] if len(line) == 2)]
