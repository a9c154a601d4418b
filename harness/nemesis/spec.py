"""What a fault is, as written in a scenario file: its kind, its target (resolved when it starts) and its
parameters. Plain validated values: nothing here touches the cluster.

Which kinds exist, which parameters each takes and whether a random schedule may draw it is asked of
the registry (``harness.nemesis.faults.registry``); nothing here names a kind.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_serializer, model_validator

from harness.nemesis.faults.base import FaultKindDef, NoParams, Params
from harness.nemesis.faults.registry import FaultKind, check_params, fault_kind
from harness.nemesis.target import Role, Strict, TargetSpec

__all__ = ["FaultKind", "FaultSpec", "RandomFaults", "Role", "Strict", "TargetSpec"]


class FaultSpec(Strict):
    """One fault. A kind's own parameters (``probability = 0.3``) sit beside the common fields in the file;
    the kind's parameter model validates them, and they are kept as ``params``. Dumping writes them flat again."""

    kind: FaultKind
    target: TargetSpec = Field(default_factory=lambda: TargetSpec(role=Role.RANDOM))
    at_s: float = Field(ge=0)
    """Seconds after the workload starts (or after the fault named by ``after`` took effect)."""
    duration_s: float | None = Field(None, ge=0)
    """How long the fault stays; none = until the workload ends. It always heals."""
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    """What other faults' ``after`` and ``heal_after`` call this one."""
    after: str | None = None
    """The name of another fault: this one starts ``at_s`` seconds after that one was *seen to take effect*
    (a follower out of the ISR, a leader replaced), not after the workload starts. A chain of faults then
    sets up its situation on a slow machine as on a fast one. When the effect is not seen, this fault is
    not injected, and the history says why."""
    heal_after: str | None = None
    """The name of another fault: this one heals ``duration_s`` seconds after that one was *injected*
    (instead of after its own start), so it outlasts a chain whose timing the cluster decides."""
    _params: Params = PrivateAttr(default_factory=NoParams)

    @property
    def params(self) -> Params:
        """The kind's own parameters (its ``Params`` model)."""
        return self._params

    @property
    def definition(self) -> FaultKindDef:
        return fault_kind(self.kind)

    @field_validator("target", mode="before")
    @classmethod
    def _target_shorthand(cls, v):
        return {"role": v} if isinstance(v, str) else v

    @model_validator(mode="wrap")
    @classmethod
    def _kind_parameters(cls, data: Any, handler) -> FaultSpec:
        """Common fields first (the kind must be known), then the rest as the kind's parameters.

        A parameter given as None counts as not given, so code may pass ``probability=None`` to any kind.
        """
        if not isinstance(data, dict):
            return handler(data)
        spec = handler({k: v for k, v in data.items() if k in cls.model_fields})
        spec._params = check_params(spec.kind, {k: v for k, v in data.items()
                                                 if k not in cls.model_fields and v is not None})
        return spec

    @model_serializer(mode="wrap")
    def _flat(self, handler, info) -> dict[str, Any]:
        return {**handler(self), **self._params.model_dump(mode=info.mode)}

    def __repr_args__(self):
        yield from super().__repr_args__()
        yield from self._params.__repr_args__()


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
    def _drawable(self) -> RandomFaults:
        for kind in self.kinds:
            if (d := fault_kind(kind)).random_params is None:
                raise ValueError(f"{kind} cannot be drawn at random: {d.not_random_because}")
        return self
