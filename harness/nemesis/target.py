"""Which broker(s) a fault hits, as a scenario writes it; resolved when the fault starts, not when the file
is written. Plain validated values with no dependency on the fault kinds, so the kinds, their effect
watchers and the fault spec can all use them without a cycle.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """Unknown fields are errors, so a typo never silently falls back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(str, enum.Enum):
    LEADER = "leader"
    FOLLOWER = "follower"
    CONTROLLER = "controller"
    RANDOM = "random"
    NODE = "node"
    RACK = "rack"
    GROUP_COORDINATOR = "group_coordinator"
    """The broker coordinating a consumer group (the leader of its ``__consumer_offsets`` partition)."""
    TXN_COORDINATOR = "txn_coordinator"
    """The broker coordinating a transactional producer's transactions (the leader of its
    ``__transaction_state`` partition)."""
    MEMBER = "member"
    """A member of a consumer group: a client process, not a broker (kinds ``member-kill``, ``member-pause``)."""


class TargetSpec(Strict):
    """Which broker(s) a fault hits, resolved when the fault starts (not when the file is written)."""

    role: Role
    topic: str | None = None
    """For leader/follower: the topic (default: the scenario's topic)."""
    partition: int = Field(0, ge=0)
    node: int | None = Field(None, ge=1)
    rack: str | None = None
    group: str | None = None
    """For group_coordinator and member: the scenario's group (its ``name``)."""
    member: int | None = Field(None, ge=0)
    """For member: which one (its index, from 0); none: one drawn by the scenario's seed."""
    producer: int = Field(0, ge=0)
    """For txn_coordinator: which transactional producer (its index, from 0)."""
    not_controller: bool = False
    """For follower/random: never the active controller (when another choice exists). A fault meant for a
    follower that also hits the controller is two faults at once: the quorum moves, and the ISR cannot
    shrink until it has. Costs a look at the quorum (a few seconds) when the fault starts."""

    @model_validator(mode="after")
    def _needs(self) -> TargetSpec:
        if self.role is Role.NODE and self.node is None:
            raise ValueError("role \"node\" needs node = <id>")
        if self.role is Role.RACK and self.rack is None:
            raise ValueError("role \"rack\" needs rack = \"<name>\"")
        if self.role in (Role.GROUP_COORDINATOR, Role.MEMBER) and self.group is None:
            raise ValueError(f"role \"{self.role.value}\" needs group = \"<group name>\"")
        if self.member is not None and self.role is not Role.MEMBER:
            raise ValueError("member applies to role \"member\"")
        if self.not_controller and self.role not in (Role.FOLLOWER, Role.RANDOM):
            raise ValueError("not_controller applies to roles \"follower\" and \"random\"")
        return self

    def describe(self) -> str:
        match self.role:
            case Role.LEADER | Role.FOLLOWER:
                return f"{self.role.value} of {self.topic or '<topic>'}-{self.partition}"
            case Role.NODE:
                return f"node {self.node}"
            case Role.RACK:
                return f"rack {self.rack}"
            case Role.GROUP_COORDINATOR:
                return f"coordinator of group {self.group}"
            case Role.TXN_COORDINATOR:
                return f"transaction coordinator of txn-{self.producer}"
            case Role.MEMBER:
                return f"member {'?' if self.member is None else self.member} of group {self.group}"
            case _:
                return self.role.value
