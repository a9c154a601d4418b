"""Scenario files: a declarative TOML description of one chaos run, validated before anything starts.

A scenario names the cluster, the topic, the workload, the faults and the expectations (which checks
must find nothing). Unknown fields are errors, so a typo never silently falls back to a default.
See README.md ("Scenario files") for the format.
"""

from __future__ import annotations

import enum
import tomllib
from pathlib import Path
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.checks import CHECKS, DEFAULT_MUST_BE_ZERO
from harness.cluster import DEFAULT_RACKS
from harness.errors import ScenarioError
from harness.image import DEFAULT_KAFKA_VERSION

Setting = Union[str, int, float, bool]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class WorkloadSpec(_Strict):
    duration_s: float = Field(30.0, gt=0, le=3600)
    rate: float = Field(100.0, gt=0, le=100_000)
    """Sends per second, per producer."""
    max_messages: int = Field(1_000_000, ge=1)
    """Upper bound on sends per producer, whatever the duration."""
    producers: list[ProducerSpec] = Field(default_factory=lambda: [ProducerSpec()], min_length=1)
    consumers: list[ConsumerSpec] = Field(default_factory=list)
    final_read_timeout_s: float = Field(60.0, gt=0, le=3600)
    heal_timeout_s: float = Field(120.0, gt=0, le=3600)
    """After the faults heal, how long to wait for a full ISR before the final read."""


class FaultKind(str, enum.Enum):
    """Each kind has an inject and a heal in harness.nemesis.actions; there is no silent default."""

    # process faults, per target broker
    KILL = "kill"  # SIGKILL; heal: start again with the same data
    STOP = "stop"  # SIGTERM (clean shutdown); heal: start again
    PAUSE = "pause"  # freeze every process (cgroup freezer); heal: resume
    BOUNCE = "bounce"  # stop + start, `times` times, `interval_s` apart (SIGKILL when `hard`)
    # network faults, by iptables inside the brokers
    ISOLATE = "isolate"  # cut the target(s) off from the other brokers; clients still reach them
    ISOLATE_ALL = "isolate-all"  # cut the target(s) off from everything, clients included
    SPLIT = "split"  # a minority side holding the target(s) against the majority
    BRIDGE = "bridge"  # two halves that cannot see each other; the target sees both
    RING = "ring"  # every broker sees a majority, no two the same one (4+ brokers)
    ONE_WAY = "one-way"  # packets from the target(s) to the other brokers are dropped, not the reverse
    LOSS = "loss"  # drop `probability` of packets between the target(s) and the other brokers
    LATENCY = "latency"  # `delay_ms` on the target's traffic; needs tc netem (reports unsupported without)


PROCESS_KINDS = frozenset({FaultKind.KILL, FaultKind.STOP, FaultKind.PAUSE, FaultKind.BOUNCE})


class Role(str, enum.Enum):
    LEADER = "leader"
    FOLLOWER = "follower"
    CONTROLLER = "controller"
    RANDOM = "random"
    NODE = "node"
    RACK = "rack"


class TargetSpec(_Strict):
    """Which broker(s) a fault hits, resolved when the fault starts (not when the file is written)."""

    role: Role
    topic: str | None = None
    """For leader/follower: the topic (default: the scenario's topic)."""
    partition: int = Field(0, ge=0)
    node: int | None = Field(None, ge=1)
    rack: str | None = None

    @model_validator(mode="after")
    def _needs(self) -> TargetSpec:
        if self.role is Role.NODE and self.node is None:
            raise ValueError("role \"node\" needs node = <id>")
        if self.role is Role.RACK and self.rack is None:
            raise ValueError("role \"rack\" needs rack = \"<name>\"")
        return self

    def describe(self) -> str:
        match self.role:
            case Role.LEADER | Role.FOLLOWER:
                return f"{self.role.value} of {self.topic or '<topic>'}-{self.partition}"
            case Role.NODE:
                return f"node {self.node}"
            case Role.RACK:
                return f"rack {self.rack}"
            case _:
                return self.role.value


class FaultSpec(_Strict):
    kind: FaultKind
    target: TargetSpec = Field(default_factory=lambda: TargetSpec(role=Role.RANDOM))
    at_s: float = Field(ge=0)
    """Seconds after the workload starts."""
    duration_s: float | None = Field(None, ge=0)
    """How long the fault stays; none = until the workload ends. It always heals."""
    probability: float | None = Field(None, gt=0, le=1)
    """loss: the share of packets dropped."""
    delay_ms: int | None = Field(None, ge=1)
    """latency: the added delay."""
    times: int = Field(3, ge=1, le=100)
    """bounce: how many stop/start cycles."""
    interval_s: float = Field(5.0, ge=0)
    """bounce: the pause after each stop and after each start."""
    hard: bool = False
    """bounce: SIGKILL instead of a clean SIGTERM shutdown."""

    @field_validator("target", mode="before")
    @classmethod
    def _target_shorthand(cls, v):
        return {"role": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _parameters_fit_the_kind(self) -> FaultSpec:
        if self.kind is FaultKind.LOSS and self.probability is None:
            raise ValueError("kind \"loss\" needs probability (0 < p <= 1)")
        if self.kind is FaultKind.LATENCY and self.delay_ms is None:
            raise ValueError("kind \"latency\" needs delay_ms")
        if self.probability is not None and self.kind is not FaultKind.LOSS:
            raise ValueError(f"probability applies to kind \"loss\", not \"{self.kind.value}\"")
        if self.delay_ms is not None and self.kind is not FaultKind.LATENCY:
            raise ValueError(f"delay_ms applies to kind \"latency\", not \"{self.kind.value}\"")
        return self


class RandomFaults(_Strict):
    """A seeded random schedule alternating faults and quiet periods (Jepsen's flip-flop, staggered).

    The same scenario seed always gives the same schedule; it is recorded in the history.
    """

    kinds: list[FaultKind] = Field(min_length=1)
    targets: list[TargetSpec] = Field(default_factory=lambda: [TargetSpec(role=r) for r in
                                                              (Role.LEADER, Role.FOLLOWER, Role.RANDOM)])
    start_s: float = Field(5.0, ge=0)
    fault_s: tuple[float, float] = (5.0, 10.0)
    """Each fault lasts between these many seconds."""
    quiet_s: tuple[float, float] = (5.0, 10.0)
    """Between faults, a quiet period between these many seconds."""
    max_faults: int = Field(20, ge=1, le=1000)
    probability: float = Field(0.3, gt=0, le=1)
    """For loss faults."""

    @field_validator("targets", mode="before")
    @classmethod
    def _target_shorthand(cls, v):
        return [{"role": t} if isinstance(t, str) else t for t in v]

    @field_validator("fault_s", "quiet_s")
    @classmethod
    def _ordered(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= v[0] <= v[1]:
            raise ValueError(f"needs [min, max] with 0 <= min <= max, got {list(v)}")
        return v

    @model_validator(mode="after")
    def _no_latency(self) -> RandomFaults:
        if FaultKind.LATENCY in self.kinds:
            raise ValueError("latency cannot be drawn at random: it needs delay_ms and tc netem")
        return self


class Expectations(_Strict):
    must_be_zero: list[str] = Field(default_factory=lambda: list(DEFAULT_MUST_BE_ZERO))
    """Checks whose count must be zero for a pass; any other non-zero check is reported as a finding."""

    @field_validator("must_be_zero")
    @classmethod
    def _known_checks(cls, v: list[str]) -> list[str]:
        unknown = [name for name in v if name not in CHECKS]
        if unknown:
            raise ValueError(f"unknown check(s) {unknown}; known: {sorted(CHECKS)}")
        return v


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
        for i, fault in enumerate(self.faults):
            t = fault.target
            if t.role in (Role.LEADER, Role.FOLLOWER) and t.partition >= self.topic.partitions:
                raise ValueError(f"faults[{i}].target.partition {t.partition} does not exist "
                                 f"(topic has {self.topic.partitions})")
            if t.role is Role.NODE and t.node > self.cluster.brokers:
                raise ValueError(f"faults[{i}].target.node {t.node} does not exist ({self.cluster.brokers} brokers)")
            if t.role is Role.RACK and t.rack not in self.cluster.racks:
                raise ValueError(f"faults[{i}].target.rack {t.rack!r} is not one of {self.cluster.racks}")
            minimum = {FaultKind.RING: 4, FaultKind.BRIDGE: 3, FaultKind.SPLIT: 3}.get(fault.kind, 1)
            if self.cluster.brokers < minimum:
                raise ValueError(f"faults[{i}].kind {fault.kind.value!r} needs at least {minimum} brokers")
            if fault.at_s >= self.workload.duration_s:
                raise ValueError(f"faults[{i}].at_s ({fault.at_s}) is not within the workload's "
                                 f"{self.workload.duration_s} s")
        return self


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
