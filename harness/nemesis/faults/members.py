"""Faults of a consumer group's members (client processes, not brokers): kill and pause. Their target is
``role = "member"``; they cut no broker off, and their effect is the group's reaction: the member gone from
the coordinator's description of the group, then (after the heal) back, or replaced."""

from __future__ import annotations

import time

from harness.errors import FaultError
from harness.nemesis.faults.base import Effect, Expect, FaultContext, FaultKindDef, Targets
from harness.nemesis.target import Role

POLL_S = 0.5


def _member(ctx: FaultContext) -> tuple[object, int]:
    if ctx.spec.target.role is not Role.MEMBER or ctx.member is None:
        raise FaultError(f"kind {ctx.spec.kind} needs target role \"member\"")
    return ctx.group(), ctx.member


def _kill(ctx: FaultContext) -> str:
    group, i = _member(ctx)
    m = group.kill(i)
    return f"SIGKILL member {i} of group {group.group_id} ({m.process}, pid {m.pid})"


def _replace(ctx: FaultContext) -> None:
    group, i = _member(ctx)
    group.replace(i)


def _pause(ctx: FaultContext) -> str:
    group, i = _member(ctx)
    m = group.pause(i)
    return f"SIGSTOP member {i} of group {group.group_id} ({m.process}, pid {m.pid})"


def _resume(ctx: FaultContext) -> None:
    group, i = _member(ctx)
    group.resume(i)


def _clients(ctx: FaultContext) -> set[str] | None:
    """The client ids in the group's description now (None: it could not be described)."""
    from harness.observe.groups import describe_now

    group = ctx.group()
    sample = describe_now(ctx.cluster.bootstrap_servers, group.group_id, group.topic)
    return None if sample is None else {m.client_id for m in sample.members}


def _left(ctx: FaultContext, before, timeout_s: float) -> Effect:
    """The member is no longer in the coordinator's description of the group (its session expired, or the
    group rebalanced without it)."""
    from harness.observe.state import wait_for

    group, i = _member(ctx)
    process = group.member(i).process
    gone, _ = wait_for(lambda: True if (c := _clients(ctx)) is not None and process not in c else None,
                       timeout_s, POLL_S)
    after = time.monotonic() - ctx.started
    return Effect(f"{process} left group {group.group_id} after {after:.1f} s" if gone else None, after,
                  f"{process} to leave group {group.group_id}", Expect("member_left"))


def _joined(ctx: FaultContext, before, timeout_s: float, healed_at: float) -> Effect:
    """The member (a killed one's replacement) is in the group's description again."""
    from harness.observe.state import wait_for

    group, i = _member(ctx)
    if group.stopped or time.monotonic() >= group.end - 1.0:
        return Effect(None, 0.0, "a member back in the group (none is started once the group has stopped)")
    process = group.member(i).process
    back, _ = wait_for(lambda: True if (c := _clients(ctx)) is not None and process in c else None,
                       timeout_s, POLL_S)
    after = time.monotonic() - healed_at
    return Effect(f"{process} in group {group.group_id} {after:.1f} s after heal" if back else None, after,
                  f"{process} in group {group.group_id}", Expect("member_joined"))


NOT_RANDOM = "it needs a member target (role \"member\" and a group), which a random schedule does not draw"

KINDS = (
    FaultKindDef(name="member-kill", summary="SIGKILL a consumer-group member's process (no clean leave, no last "
                                             "commit); heal: a new member starts in its place",
                 targets=Targets.DEGRADE, inject_with=_kill, heal_with=_replace, start_effect=_left,
                 heal_effect=_joined, random_params=None, not_random_because=NOT_RANDOM),
    FaultKindDef(name="member-pause", summary="SIGSTOP a consumer-group member's process (heartbeats stop; it "
                                              "wakes as a zombie); heal: SIGCONT",
                 targets=Targets.DEGRADE, inject_with=_pause, heal_with=_resume, start_effect=_left,
                 heal_effect=_joined, random_params=None, not_random_because=NOT_RANDOM),
)
