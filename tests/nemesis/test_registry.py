"""The fault-kind registry: one definition per kind, each kind's parameters checked by its own model, broker
minimums and random drawing taken from the definitions, and a kind added by registering one module's worth."""

from __future__ import annotations

import importlib
import pkgutil
import random
import subprocess
import sys

import pytest
from pydantic import Field, ValidationError

import harness.nemesis.faults as faults_package
from harness.errors import ScenarioError
from harness.nemesis import effects
from harness.nemesis.faults.base import Effect, FaultContext, FaultKindDef, NoParams, Params, Targets
from harness.nemesis.faults.registry import FAULT_KINDS, fault_kind, register, unregister
from harness.nemesis.schedule import random_schedule
from harness.nemesis.spec import FaultKind, FaultSpec, RandomFaults
from harness.run.scenario import parse_scenario

BUILTIN = {"kill", "stop", "pause", "bounce", "isolate", "isolate-all", "split", "bridge", "ring", "one-way", "loss",
           "latency", "member-kill", "member-pause"}
"""The kinds README.md's table documents."""

EXAMPLE_PARAMS = {"loss": {"probability": 0.3}, "latency": {"delay_ms": 100}}
"""What a valid fault of a kind with required parameters needs."""


def _definitions_in_modules() -> list[FaultKindDef]:
    found = []
    for info in pkgutil.iter_modules(faults_package.__path__):
        module = importlib.import_module(f"{faults_package.__name__}.{info.name}")
        found.extend(getattr(module, "KINDS", ()))
    return found


def _error(data) -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, "s.toml")
    assert "\n" not in str(err.value)
    return str(err.value)


def _one_fault(kind: str, brokers: int = 3, **params) -> dict:
    """A scenario with one fault of ``kind``: on the leader, or on a member of a group for the member kinds."""
    member = kind.startswith("member-")
    target = {"role": "member", "group": "g"} if member else "leader"
    return {"name": "x", "cluster": {"brokers": brokers},
            "topic": {"replication_factor": min(3, brokers), "min_insync_replicas": 1},
            "workload": {"groups": [{"name": "g"}]} if member else {},
            "faults": [{"kind": kind, "target": target, "at_s": 1, **params}]}


# -- one definition per kind ---------------------------------------------------------------------------


def test_every_fault_kind_has_exactly_one_definition():
    names = [d.name for d in _definitions_in_modules()]
    assert sorted(names) == sorted(set(names)), "a kind is defined in more than one place"
    assert set(names) == BUILTIN == {k.value for k in FaultKind} == set(FAULT_KINDS)
    for kind in FaultKind:
        d = FAULT_KINDS[kind]
        assert d.name == kind.value and fault_kind(kind) is d and kind.definition is d
        assert callable(d.inject_with) and callable(d.heal_with)
        assert callable(d.start_effect) and callable(d.heal_effect)
        assert d.summary and "\n" not in d.summary


def test_fault_kind_behaves_like_an_enum_of_the_registered_names():
    assert FaultKind.ISOLATE_ALL == "isolate-all" and FaultKind.ISOLATE_ALL.value == "isolate-all"
    assert FaultSpec(kind="kill", at_s=0).kind is FaultKind.KILL
    assert "kill" in FaultKind and "explode" not in FaultKind
    with pytest.raises(AttributeError):
        _ = FaultKind.EXPLODE


def test_loading_every_kind_loads_no_engine_client_and_no_pandas():
    code = ("import sys, harness.nemesis.faults.registry as r; assert len(r.FAULT_KINDS) >= 12; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'docker', 'testcontainers', 'pandas', 'confluent_kafka'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- parameters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_each_kind_validates_with_its_own_parameters_only(kind):
    spec = FaultSpec(kind=kind, at_s=0, **EXAMPLE_PARAMS.get(kind, {}))
    assert isinstance(spec.params, fault_kind(kind).params)
    own = set(fault_kind(kind).params.model_fields)
    foreign = {p for d in FAULT_KINDS.values() for p in d.params.model_fields} - own
    for name in foreign:
        with pytest.raises(ValidationError, match=f"{name} applies to kind"):
            FaultSpec(kind=kind, at_s=0, **EXAMPLE_PARAMS.get(kind, {}), **{name: 1})


def test_parameters_are_checked_by_the_kinds_model():
    assert FaultSpec(kind="loss", at_s=0, probability=0.25).params.probability == 0.25
    assert FaultSpec(kind="latency", at_s=0, delay_ms=50).params.delay_ms == 50
    bounce = FaultSpec(kind="bounce", at_s=0, times=2, hard=True).params
    assert (bounce.times, bounce.interval_s, bounce.hard) == (2, 5.0, True)
    assert isinstance(FaultSpec(kind="kill", at_s=0).params, NoParams)

    assert "needs probability (the share of packets dropped" in _error(_one_fault("loss"))
    assert "needs delay_ms" in _error(_one_fault("latency"))
    assert "faults.0.delay_ms" in _error(_one_fault("latency", delay_ms=0))
    assert "faults.0.times" in _error(_one_fault("bounce", times=0))
    assert "faults.0.interval_s" in _error(_one_fault("bounce", interval_s=-1))
    assert _error(_one_fault("bounce", probability=0.5)) == \
        's.toml: faults.0: probability applies to kind "loss", not "bounce"'
    assert _error(_one_fault("kill", tiems=2)) == "s.toml: faults.0.tiems: unknown field (check its spelling)"


def test_a_parameter_given_as_none_counts_as_not_given():
    assert FaultSpec(kind="kill", at_s=0, probability=None) == FaultSpec(kind="kill", at_s=0)


def test_a_spec_dumps_its_parameters_flat_as_the_file_writes_them_and_reads_back():
    data = _one_fault("bounce", times=2, hard=True)
    scenario = parse_scenario(data)
    dumped = scenario.model_dump(mode="json")["faults"][0]
    assert {k: dumped[k] for k in ("kind", "times", "interval_s", "hard")} == \
        {"kind": "bounce", "times": 2, "interval_s": 5.0, "hard": True}
    assert "probability" not in dumped
    assert parse_scenario(scenario.model_dump(mode="json")) == scenario


# -- broker minimums and random drawing -------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_min_brokers_come_from_the_registry(kind):
    minimum = fault_kind(kind).min_brokers
    parse_scenario(_one_fault(kind, brokers=minimum, **EXAMPLE_PARAMS.get(kind, {})))
    if minimum > 1:
        message = _error(_one_fault(kind, brokers=minimum - 1, **EXAMPLE_PARAMS.get(kind, {})))
        assert f"needs at least {minimum} brokers" in message
    assert {k: fault_kind(k).min_brokers for k in ("ring", "bridge", "split")} == {"ring": 4, "bridge": 3, "split": 3}


def test_random_faults_take_only_kinds_that_can_be_drawn_and_that_fit_the_cluster():
    not_drawn = [d.name for d in FAULT_KINDS.values() if d.random_params is None]
    assert not_drawn == ["latency", "member-kill", "member-pause"]
    assert "latency cannot be drawn at random: it needs delay_ms" in \
        _error({"name": "x", "random_faults": {"kinds": ["kill", "latency"]}})
    assert "random_faults.kinds 'ring' needs at least 4 brokers" in \
        _error({"name": "x", "random_faults": {"kinds": ["ring"]}})


# -- targets --------------------------------------------------------------------------------------------


def _context(nodes: list[int]) -> FaultContext:
    return FaultContext(cluster=None, spec=FaultSpec(kind="kill", at_s=0), fault_id="f1", nodes=nodes,
                        rng=random.Random(0))


def test_a_kind_that_cuts_its_targets_off_marks_them_for_the_effect_watcher():
    assert {d.name for d in FAULT_KINDS.values() if d.targets is Targets.CUT_OFF} == \
        {"kill", "stop", "pause", "bounce", "isolate", "isolate-all", "one-way"}
    cut = FaultKindDef(name="cut", summary="s", targets=Targets.CUT_OFF, inject_with=lambda ctx: "did it",
                       heal_with=lambda ctx: None, start_effect=effects.cluster_reaction,
                       heal_effect=effects.full_isr_again)
    ctx = _context([2, 3])
    assert cut.inject(ctx) == "did it" and ctx.cut_off == {2, 3}
    degrade = FaultKindDef(name="slow", summary="s", targets=Targets.DEGRADE, inject_with=lambda ctx: "",
                           heal_with=lambda ctx: None, start_effect=effects.cluster_reaction,
                           heal_effect=effects.full_isr_again)
    ctx = _context([2])
    degrade.inject(ctx)
    assert ctx.cut_off == set()


# -- adding a kind touches one module: here, the kind is defined in this test alone -----------------------


class FloodParams(Params):
    rate: int = Field(ge=1)
    """packets per second"""
    burst: bool = False
    """send them all at once"""


def _flood(ctx: FaultContext) -> str:
    return f"flooding {ctx.nodes} at {ctx.params(FloodParams).rate}/s"


def _no_effect(ctx, before, timeout_s) -> Effect:
    return Effect("nothing", 0.0, "")


FLOOD = FaultKindDef(name="flood", summary="flood the targets with packets", targets=Targets.DEGRADE,
                     params=FloodParams, inject_with=_flood, heal_with=lambda ctx: None, start_effect=_no_effect,
                     heal_effect=effects.full_isr_again, min_brokers=2,
                     random_params=lambda settings, rng: {"rate": rng.randint(10, 20)})


@pytest.fixture
def flood():
    register(FLOOD)
    try:
        yield FLOOD
    finally:
        unregister("flood")


def test_a_registered_kind_validates_in_a_scenario_with_its_parameters_checked(flood):
    scenario = parse_scenario(_one_fault("flood", rate=100, burst=True))
    spec = scenario.faults[0]
    assert spec.kind is FaultKind.FLOOD and spec.definition is flood
    assert spec.params == FloodParams(rate=100, burst=True)
    ctx = FaultContext(cluster=None, spec=spec, fault_id="f1", nodes=[1], rng=random.Random(0))
    assert flood.inject(ctx) == "flooding [1] at 100/s"  # the inject reads its own model

    assert 'kind "flood" needs rate (packets per second)' in _error(_one_fault("flood"))
    assert "faults.0.rate" in _error(_one_fault("flood", rate=0))
    assert 'rate applies to kind "flood", not "kill"' in _error(_one_fault("kill", rate=5))
    assert 'probability applies to kind "loss", not "flood"' in _error(_one_fault("flood", rate=5, probability=0.1))
    assert "needs at least 2 brokers" in _error(_one_fault("flood", brokers=1, rate=5))


def test_a_registered_kind_is_drawn_by_a_random_schedule_as_its_definition_says(flood):
    drawn = random_schedule(RandomFaults(kinds=["flood"]), end_s=60.0, seed=1)
    assert drawn and all(f.kind is FaultKind.FLOOD and 10 <= f.params.rate <= 20 for f in drawn)


def test_an_unregistered_kind_is_unknown_again(flood):
    unregister("flood")
    try:
        assert "flood" not in FaultKind
        assert "faults.0.kind: unknown fault kind 'flood'" in _error(_one_fault("flood", rate=1))
    finally:
        register(FLOOD)  # the fixture unregisters it


def test_register_refuses_a_taken_name_and_a_malformed_definition():
    with pytest.raises(ValueError, match="already registered"):
        register(fault_kind("kill"))
    common = dict(summary="s", targets=Targets.DEGRADE, inject_with=lambda ctx: "", heal_with=lambda ctx: None,
                  start_effect=_no_effect, heal_effect=effects.full_isr_again)
    with pytest.raises(ValueError, match="lower-case words"):
        FaultKindDef(name="Bad_Name", **common)
    with pytest.raises(ValueError, match="never drawn at random"):
        FaultKindDef(name="quiet", random_params=None, **common)
    with pytest.raises(ValueError, match="min_brokers"):
        FaultKindDef(name="none", min_brokers=0, **common)
