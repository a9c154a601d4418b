"""Process faults, per target broker: kill, stop, pause and bounce. Each cuts its targets off; each heal
makes sure the broker runs again with the same data."""

from __future__ import annotations

from pydantic import Field

from harness.nemesis import effects
from harness.nemesis.faults.base import FaultContext, FaultKindDef, Params, Targets


def _start(ctx: FaultContext) -> None:
    for b in ctx.brokers():
        if b.status() != "running":
            b.start()


def _kill(ctx: FaultContext) -> str:
    for b in ctx.brokers():
        b.kill("SIGKILL")
    return f"SIGKILL {effects.node_list(ctx.nodes)}"


def _stop(ctx: FaultContext) -> str:
    for b in ctx.brokers():
        b.stop(timeout_s=30)
    return f"SIGTERM (clean stop) {effects.node_list(ctx.nodes)}"


def _pause(ctx: FaultContext) -> str:
    for b in ctx.brokers():
        b.pause()
    return f"paused {effects.node_list(ctx.nodes)}"


def _unpause(ctx: FaultContext) -> None:
    for b in ctx.brokers():
        if b.status() == "paused":
            b.unpause()


class BounceParams(Params):
    times: int = Field(3, ge=1, le=100)
    """how many stop/start cycles"""
    interval_s: float = Field(5.0, ge=0)
    """the pause after each stop and after each start"""
    hard: bool = False
    """SIGKILL instead of a clean SIGTERM shutdown"""


def _bounce(ctx: FaultContext) -> str:
    p = ctx.params(BounceParams)
    done = 0
    for _ in range(p.times):
        if ctx.stopping.is_set():
            break
        for b in ctx.brokers():
            b.kill("SIGKILL") if p.hard else b.stop(timeout_s=30)
        ctx.stopping.wait(p.interval_s)
        _start(ctx)
        done += 1
        ctx.stopping.wait(p.interval_s)
    return f"bounced {effects.node_list(ctx.nodes)} {done} time(s) ({'SIGKILL' if p.hard else 'SIGTERM'}, " \
           f"{p.interval_s:g} s apart)"


def _process_kind(name: str, summary: str, inject, heal, **kw) -> FaultKindDef:
    return FaultKindDef(name=name, summary=summary, targets=Targets.CUT_OFF, inject_with=inject, heal_with=heal,
                        start_effect=effects.cluster_reaction, heal_effect=effects.full_isr_again, **kw)


KINDS = (
    _process_kind("kill", "SIGKILL the target broker(s); heal: start again, same data", _kill, _start),
    _process_kind("stop", "clean shutdown (SIGTERM); heal: start again", _stop, _start),
    _process_kind("pause", "freeze every process (cgroup freezer); heal: resume", _pause, _unpause),
    _process_kind("bounce", "stop + start, `times` times, `interval_s` apart (SIGKILL if `hard`); "
                            "heal: make sure it runs", _bounce, _start, params=BounceParams),
)
