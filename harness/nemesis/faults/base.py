"""What a fault kind is (``FaultKindDef``), what its parameters look like (``Params``), what inject, heal and
the effect watchers are given (``FaultContext``) and what a watcher returns (``Effect``).

This module must stay light. The registry loads every kind to validate a scenario file, so neither it
nor a kind module may import docker, testcontainers, pandas or confluent_kafka when it loads. The
cluster's types appear here only for type checkers.
"""

from __future__ import annotations

import enum
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from harness.errors import FaultError
from harness.history.schema import Effect as EffectRecord

if TYPE_CHECKING:
    from harness.cluster.kraft import Broker, KafkaCluster
    from harness.nemesis.netfilter import Rule
    from harness.nemesis.target import TargetSpec
    from harness.observe.state import PartitionState


class FaultUnsupported(FaultError):
    """The fault cannot be made on this machine (e.g. latency without tc netem); it says why."""


class Params(BaseModel):
    """A kind's own parameters. A scenario writes them as flat fields of its ``[[faults]]`` entry
    (``probability = 0.3``). A field's docstring is its help, and it is quoted when the field is missing."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class NoParams(Params):
    """For kinds that take no parameters."""


class Targets(enum.Enum):
    """How a kind uses its resolved targets. The effect watcher needs to know which brokers the fault
    cut off: their leadership should move, and their own view of the cluster is stale."""

    CUT_OFF = "cuts the targets off from the rest of the cluster"
    """``FaultKindDef.inject`` marks every target as cut off before the kind's own inject runs."""
    SHAPE = "the targets anchor a partition shape; the shape says who is cut off"
    """The kind's inject marks what it cut off, if anything (a split marks its minority side)."""
    DEGRADE = "degrades the targets' traffic without cutting them off"


class FaultRequest(Protocol):
    """What a fault's context needs from its spec. ``harness.nemesis.spec.FaultSpec`` is one. It is a
    protocol because the spec validates through the registry, which loads the kinds that import this module."""

    @property
    def kind(self) -> str: ...

    @property
    def target(self) -> TargetSpec: ...

    @property
    def params(self) -> Params: ...


P = TypeVar("P", bound=Params)


@dataclass
class FaultContext:
    """One fault in force: what inject received, and what inject left there for the heal and the watchers."""

    cluster: KafkaCluster
    spec: FaultRequest
    fault_id: str
    nodes: list[int]
    rng: random.Random
    stopping: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    """When the fault was asked for: effect times count from here, not from when watching began."""
    rules: dict[int, list[Rule]] = field(default_factory=dict)
    cut_off: set[int] = field(default_factory=set)
    """Nodes the fault separates from the rest of the cluster (their leadership should move)."""
    groups: dict[str, Any] = field(default_factory=dict)
    """The workload's consumer groups by scenario name (``harness.workload.group.ConsumerGroup``)."""
    member: int | None = None
    """For a member target: which member of ``spec.target.group`` (resolved at injection)."""
    coordinator: int | None = None
    """For a coordinator target: the node that coordinated when the fault started."""
    coordinated: tuple[str, str] | None = None
    """For a coordinator target: what it coordinates (a group id or a transactional id) and the internal
    topic whose partition leader is that coordinator (``__consumer_offsets``, ``__transaction_state``)."""

    def group(self) -> Any:
        """The consumer group a group target names."""
        name = self.spec.target.group
        if name not in self.groups:
            raise FaultError(f"the workload has no consumer group {name!r}")
        return self.groups[name]

    def brokers(self) -> list[Broker]:
        return [self.cluster.broker(n) for n in self.nodes]

    def all_nodes(self) -> list[int]:
        return [b.node_id for b in self.cluster.brokers]

    def params(self, model: type[P]) -> P:
        """The spec's parameters as the kind's own model (a kind's inject asks for the model it declared)."""
        params = self.spec.params
        if not isinstance(params, model):
            raise FaultError(f"kind {self.spec.kind!r} got {type(params).__name__}, not {model.__name__}")
        return params


@dataclass(frozen=True)
class Expect:
    """What a watcher waits for, in a form the report can look up in the controller's record after the run
    (the live verdict then only feeds progress lines). ``what`` is one of the history's ``Effect.EXPECTS``:
    ``leader_moved`` (the leader of ``topic``-``partition`` away from ``nodes``), ``isr_dropped`` (``nodes``
    out of its ISR), ``controller_moved`` (away from ``nodes``), ``isr_full``, ``any_change`` or
    ``packets_dropped`` (which the controller does not record)."""

    what: str
    topic: str | None = None
    partition: int | None = None
    nodes: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.what not in EffectRecord.EXPECTS:  # caught here, not in the watcher's thread when recording
            raise ValueError(f"unknown expectation {self.what!r}; known: {', '.join(sorted(EffectRecord.EXPECTS))}")


@dataclass(frozen=True)
class Effect:
    observed: str | None
    after_s: float
    expected: str
    """What was being waited for (said when it was not seen)."""
    expect: Expect | None = None
    """The same, structured (None: nothing the record could decide, such as a failed observation)."""


Inject = Callable[[FaultContext], str]
"""Makes the fault and returns one line saying what it did. It records what the heal needs in the context."""
Heal = Callable[[FaultContext], None]
StartWatch = Callable[[FaultContext, "PartitionState | None", float], Effect]
"""(context, partition state read before the fault, timeout_s) -> what the fault was seen to do."""
HealWatch = Callable[[FaultContext, "PartitionState | None", float, float], Effect]
"""(context, partition state read before the fault, timeout_s, monotonic time of the heal) -> what was seen."""
RandomParams = Callable[[Any, random.Random], dict[str, Any]]
"""(the scenario's [random_faults] settings, the schedule's rng) -> the parameters of a drawn fault."""


def no_random_params(settings: Any, rng: random.Random) -> dict[str, Any]:
    """A kind without parameters is drawn as it is."""
    return {}


_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class FaultKindDef:
    """Everything about one fault kind, in one place. ``harness.nemesis.faults.registry`` holds them."""

    name: str
    """As a scenario writes it: lower case, words joined by ``-`` (``isolate-all``)."""
    summary: str
    """One line: what it does, and what its heal does."""
    targets: Targets
    inject_with: Inject
    heal_with: Heal
    start_effect: StartWatch
    """Watches for what the fault does to the cluster after it is injected."""
    heal_effect: HealWatch
    """Watches for the cluster to recover after the heal."""
    params: type[Params] = NoParams
    min_brokers: int = 1
    """A scenario with fewer brokers cannot use this kind."""
    random_params: RandomParams | None = no_random_params
    """How a random schedule draws this kind's parameters; None: the kind is never drawn at random."""
    not_random_because: str = ""
    """Why it is never drawn at random (required when ``random_params`` is None)."""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"fault kind name {self.name!r} must be lower-case words joined by '-'")
        if not (isinstance(self.params, type) and issubclass(self.params, Params)):
            raise ValueError(f"fault kind {self.name!r}: params must be a Params model")
        if self.min_brokers < 1:
            raise ValueError(f"fault kind {self.name!r}: min_brokers must be at least 1")
        if self.random_params is None and not self.not_random_because:
            raise ValueError(f"fault kind {self.name!r}: say why it is never drawn at random")

    @property
    def member(self) -> str:
        """The enum-style attribute name: ``isolate-all`` -> ``ISOLATE_ALL``."""
        return self.name.upper().replace("-", "_")

    def inject(self, ctx: FaultContext) -> str:
        if self.targets is Targets.CUT_OFF:
            ctx.cut_off = set(ctx.nodes)
        return self.inject_with(ctx)

    def heal(self, ctx: FaultContext) -> None:
        self.heal_with(ctx)
