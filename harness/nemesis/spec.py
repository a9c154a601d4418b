"""What a fault is, as written in a scenario file: its kind, its target (resolved when it starts) and its
parameters. Plain validated values: nothing here touches the cluster."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    """Unknown fields are errors, so a typo never silently falls back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


class TargetSpec(Strict):
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


class FaultSpec(Strict):
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


class RandomFaults(Strict):
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
