"""Scenario files: a declarative TOML description of one chaos run, validated before anything starts.

A scenario names the cluster, the topic, the workload, the faults and the expectations (which checks
must find nothing). Unknown fields are errors, so a typo never silently falls back to a default.
See README.md ("Scenario files") for the format.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, Union

from pydantic import Field, ValidationError, field_validator, model_validator

from harness.checks import CHECK_GROUPS, CHECK_NAMES, DEFAULT_MUST_BE_ZERO, expand_checks
from harness.cluster.config import DEFAULT_KAFKA_VERSION, DEFAULT_RACKS
from harness.errors import ScenarioError
from harness.nemesis.spec import FaultSpec, RandomFaults, Role
from harness.nemesis.spec import Strict as _Strict

Setting = Union[str, int, float, bool]


class ClusterSpec(_Strict):
    brokers: int = Field(3, ge=1, le=9)
    racks: list[str] = Field(default_factory=lambda: list(DEFAULT_RACKS), min_length=1)
    kafka_version: str = DEFAULT_KAFKA_VERSION
    image: str | None = None
    """A ready image to use instead of the harness's own build (it must follow the image contract)."""
    broker_settings: dict[str, Setting] = Field(default_factory=dict)


class TopicSpec(_Strict):
    name: str = Field("chaos", pattern=r"^[A-Za-z0-9._-]{1,200}$")
    partitions: int = Field(3, ge=1, le=1000)
    replication_factor: int = Field(3, ge=1)
    min_insync_replicas: int = Field(2, ge=1)
    unclean_leader_election: bool = False
    settings: dict[str, Setting] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _isr_fits(self) -> TopicSpec:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(f"min_insync_replicas ({self.min_insync_replicas}) exceeds replication_factor "
                             f"({self.replication_factor})")
        return self


class ProducerSpec(_Strict):
    count: int = Field(1, ge=1, le=32)
    acks: Literal["0", "1", "all"] = "all"
    enable_idempotence: bool = True
    max_in_flight: int = Field(5, ge=1, le=1000)
    linger_ms: int = Field(5, ge=0)
    request_timeout_ms: int = Field(10_000, ge=100)
    delivery_timeout_ms: int = Field(60_000, ge=1000)
    retries: int | None = Field(None, ge=0)
    settings: dict[str, Setting] = Field(default_factory=dict)
    """Any other librdkafka producer settings, passed as they are."""

    @field_validator("acks", mode="before")
    @classmethod
    def _acks_as_text(cls, v):
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _idempotence_needs_acks_all(self) -> ProducerSpec:
        if self.enable_idempotence and self.acks != "all":
            raise ValueError("enable_idempotence = true needs acks = \"all\"")
        return self

    def client_config(self) -> dict[str, Setting]:
        cfg: dict[str, Setting] = {
            "acks": self.acks,
            "enable.idempotence": self.enable_idempotence,
            "max.in.flight.requests.per.connection": self.max_in_flight,
            "linger.ms": self.linger_ms,
            "request.timeout.ms": self.request_timeout_ms,
            "delivery.timeout.ms": self.delivery_timeout_ms,
        }
        if self.retries is not None:
            cfg["retries"] = self.retries
        cfg.update(self.settings)
        return cfg


class ConsumerSpec(_Strict):
    """A consumer that polls during the run. No rack: it reads from leaders. With ``rack``, it sets
    ``client.rack`` so the rack-aware selector may serve it from a same-rack follower (KIP-392)."""

    rack: str | None = None
    settings: dict[str, Setting] = Field(default_factory=dict)
    """Any other librdkafka consumer settings (e.g. isolation.level)."""


class GroupSpec(_Strict):
    """A consumer group reading the topic: ``members`` processes that subscribe to it with ``group.id``
    ``<topic>.<name>`` (``group_id``). Each member is a process of its own, so a fault can kill or pause it.
    ``commit = "manual"`` commits synchronously after each poll's records are recorded (processed);
    ``"auto"`` leaves it to librdkafka's background auto-commit."""

    name: str = Field("group", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    members: int = Field(3, ge=1, le=16)
    protocol: Literal["classic", "consumer"] = "classic"
    """``classic`` (join/sync, the client assigns) or ``consumer`` (KIP-848: the coordinator assigns)."""
    commit: Literal["auto", "manual"] = "manual"
    auto_commit_interval_ms: int = Field(1000, ge=10)
    session_timeout_ms: int = Field(10_000, ge=1000)
    """Classic protocol only (the consumer protocol's session timeout is the broker's
    ``group.consumer.session.timeout.ms``)."""
    settings: dict[str, Setting] = Field(default_factory=dict)
    """Any other librdkafka consumer settings."""

    def group_id(self, topic: str) -> str:
        return f"{topic}.{self.name}"


class TransactionsSpec(_Strict):
    """Transactional producers (``count``), each with transactional.id ``<topic>.txn-<k>``: every transaction
    writes ``size`` values to consecutive partitions (from a seeded first one), then commits, or aborts with
    probability ``abort_ratio`` (seeded)."""

    count: int = Field(1, ge=1, le=8)
    size: int = Field(4, ge=1, le=100)
    abort_ratio: float = Field(0.2, ge=0, le=1)
    rate: float = Field(10.0, gt=0, le=1000)
    """Transactions per second, per producer."""
    transaction_timeout_ms: int = Field(15_000, ge=1000)
    settings: dict[str, Setting] = Field(default_factory=dict)
    """Any other librdkafka producer settings."""

    def transactional_id(self, topic: str, k: int) -> str:
        return f"{topic}.txn-{k}"


class WorkloadSpec(_Strict):
    duration_s: float = Field(30.0, gt=0, le=3600)
    rate: float = Field(100.0, gt=0, le=100_000)
    """Sends per second, per producer."""
    max_messages: int = Field(1_000_000, ge=1)
    """Upper bound on sends per producer, whatever the duration."""
    producers: list[ProducerSpec] = Field(default_factory=lambda: [ProducerSpec()], min_length=1)
    consumers: list[ConsumerSpec] = Field(default_factory=list)
    groups: list[GroupSpec] = Field(default_factory=list)
    transactions: TransactionsSpec | None = None
    final_read_timeout_s: float = Field(60.0, gt=0, le=3600)
    heal_timeout_s: float = Field(120.0, gt=0, le=3600)
    """After the faults heal, how long to wait for a full ISR before the final read."""


class Expectations(_Strict):
    must_be_zero: list[str] = Field(default_factory=lambda: list(DEFAULT_MUST_BE_ZERO))
    """Checks whose count must be zero for a pass; any other non-zero check is reported as a finding."""

    @field_validator("must_be_zero")
    @classmethod
    def _known_checks(cls, v: list[str]) -> list[str]:
        unknown = [name for name in v if name not in CHECK_NAMES and name not in CHECK_GROUPS]
        if unknown:
            raise ValueError(f"unknown check(s) {unknown}; known: {sorted(CHECK_NAMES)}, or a group: "
                             f"{', '.join(f'{g} ({len(names)} checks)' for g, names in CHECK_GROUPS.items())}")
        return expand_checks(v)


class Scenario(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,100}$")
    description: str = ""
    seed: int = 0
    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    topic: TopicSpec = Field(default_factory=TopicSpec)
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    faults: list[FaultSpec] = Field(default_factory=list)
    random_faults: RandomFaults | None = None
    expect: Expectations = Field(default_factory=Expectations)

    def all_faults(self) -> list[FaultSpec]:
        """The explicit faults plus the seeded random schedule, in start order."""
        from harness.nemesis.schedule import random_schedule

        generated = random_schedule(self.random_faults, self.workload.duration_s, self.seed) \
            if self.random_faults else []
        return sorted([*self.faults, *generated], key=lambda f: f.at_s)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.topic.replication_factor > self.cluster.brokers:
            raise ValueError(f"topic.replication_factor ({self.topic.replication_factor}) exceeds cluster.brokers "
                             f"({self.cluster.brokers})")
        for i, consumer in enumerate(self.workload.consumers):
            if consumer.rack is not None and consumer.rack not in self.cluster.racks:
                raise ValueError(f"workload.consumers[{i}].rack {consumer.rack!r} is not one of {self.cluster.racks}")
        names = [g.name for g in self.workload.groups]
        if len(set(names)) != len(names):
            raise ValueError(f"workload.groups: each group needs its own name (got {names})")
        for i, fault in enumerate(self.faults):
            t = fault.target
            if t.role in (Role.LEADER, Role.FOLLOWER) and t.partition >= self.topic.partitions:
                raise ValueError(f"faults[{i}].target.partition {t.partition} does not exist "
                                 f"(topic has {self.topic.partitions})")
            if t.role is Role.NODE and t.node > self.cluster.brokers:
                raise ValueError(f"faults[{i}].target.node {t.node} does not exist ({self.cluster.brokers} brokers)")
            if t.role is Role.RACK and t.rack not in self.cluster.racks:
                raise ValueError(f"faults[{i}].target.rack {t.rack!r} is not one of {self.cluster.racks}")
            groups = {g.name: g for g in self.workload.groups}
            if t.group is not None and t.group not in groups:
                raise ValueError(f"faults[{i}].target.group {t.group!r} is not one of the workload's groups "
                                 f"({', '.join(groups) or 'none'})")
            if t.role is Role.TXN_COORDINATOR and (self.workload.transactions is None or
                                                   t.producer >= self.workload.transactions.count):
                raise ValueError(f"faults[{i}].target: role \"txn_coordinator\" needs [workload.transactions] with "
                                 f"transactional producer {t.producer}")
            if t.member is not None and t.member >= groups[t.group].members:
                raise ValueError(f"faults[{i}].target.member {t.member} does not exist (group {t.group!r} has "
                                 f"{groups[t.group].members} members)")
            if (t.role is Role.MEMBER) != fault.kind.value.startswith("member-"):
                raise ValueError(f"faults[{i}]: kinds member-kill and member-pause go with target role \"member\", "
                                 "and that role with them only")
            minimum = fault.definition.min_brokers
            if self.cluster.brokers < minimum:
                raise ValueError(f"faults[{i}].kind {fault.kind.value!r} needs at least {minimum} brokers")
            if fault.after is None and fault.at_s >= self.workload.duration_s:
                raise ValueError(f"faults[{i}].at_s ({fault.at_s}) is not within the workload's "
                                 f"{self.workload.duration_s} s")
        _check_fault_names(self.faults)
        for kind in self.random_faults.kinds if self.random_faults else []:
            if self.cluster.brokers < (minimum := kind.definition.min_brokers):
                raise ValueError(f"random_faults.kinds {kind.value!r} needs at least {minimum} brokers")
        return self


def _check_fault_names(faults: list[FaultSpec]) -> None:
    """Names are unique, ``after`` and ``heal_after`` name another fault, and no fault waits, through a
    chain of ``after``, for itself (it would never start)."""
    names: dict[str, int] = {}
    for i, fault in enumerate(faults):
        if fault.name is not None:
            if fault.name in names:
                raise ValueError(f"faults[{i}].name {fault.name!r} is also faults[{names[fault.name]}]'s")
            names[fault.name] = i
    for i, fault in enumerate(faults):
        for field in ("after", "heal_after"):
            ref = getattr(fault, field)
            if ref is not None and (ref not in names or names[ref] == i):
                raise ValueError(f"faults[{i}].{field} {ref!r} names no other fault"
                                 + (f" (names: {', '.join(names)})" if names else " (no fault has a name)"))
    for i, fault in enumerate(faults):
        seen, ref = {i}, fault.after
        while ref is not None:
            j = names[ref]
            if j in seen:
                raise ValueError(f"faults[{i}].after leads to a cycle of `after`: no fault in it would start")
            seen.add(j)
            ref = faults[j].after


def parse_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown field (check its spelling)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ScenarioError(f"{source}: {loc}: {msg}{more}") from None


def load_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    return parse_scenario(data, str(path))
