"""Interrupts: a run stopped by SIGINT or SIGTERM at any moment heals, removes its cluster and exits 130
within seconds; a run killed outright leaves orphans that the next clean-up removes, and a live run's
containers are never touched."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docker.errors import NotFound

from harness.cluster.cleanup import clean_orphans, leftovers
from harness.cluster.engine import OWNER_LABEL, RUN_LABEL, docker_client, owner_id

pytestmark = pytest.mark.cluster

UNWIND_S = 60
"""An interrupted run must be gone this soon (its watchdog fires 30 s after the signal at the latest)."""

FAULTS_IN_FORCE = """
name = "interrupted"
[cluster.broker_settings]
"broker.session.timeout.ms" = 6000
"broker.heartbeat.interval.ms" = 1000
[workload]
duration_s = 120
rate = 50
[[faults]]
kind = "isolate"
target = "leader"
at_s = 2
[[faults]]
kind = "pause"
target = "follower"
at_s = 3
"""

SHORT = """
name = "soak"
[cluster.broker_settings]
"broker.session.timeout.ms" = 6000
"broker.heartbeat.interval.ms" = 1000
[workload]
duration_s = 12
rate = 50
final_read_timeout_s = 20
[[workload.consumers]]
rack = "rack-b"
[[faults]]
kind = "kill"
target = "leader"
at_s = 3
duration_s = 4
"""


def _history(out: Path) -> list[dict]:
    paths = list(out.glob("*/history.jsonl"))
    if not paths:
        return []
    ops = []
    for line in paths[0].read_text().splitlines():
        try:
            ops.append(json.loads(line))
        except ValueError:  # the line being written right now
            pass
    return ops


def _launch(tmp_path: Path, scenario: str) -> tuple[subprocess.Popen, Path, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "s.toml"
    path.write_text(scenario)
    out = tmp_path / "out"
    # SIGINT at its default in the child even when this test runs as a background job (which ignores it).
    code = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
            f"sys.argv = ['kafka-chaos', 'run', {str(path)!r}, '--out', {str(out)!r}]; "
            "runpy.run_module('harness.run.cli', run_name='__main__')")
    # stderr to a file, not a pipe: a pipe nobody drains would block the run once full.
    with open(tmp_path / "stderr.txt", "w") as err:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=err)
    return proc, out, owner_id(proc.pid)


def _stderr(out: Path) -> str:
    return (out.parent / "stderr.txt").read_text()


def _owned(owner: str) -> tuple[list, list]:
    client = docker_client()
    label = f"{OWNER_LABEL}={owner}"
    return (client.containers.list(all=True, filters={"label": label}),
            client.networks.list(filters={"label": label}))


def _stop(proc: subprocess.Popen, out: Path, sig: int) -> tuple[float, str]:
    """Send ``sig``; return how long the process took to end, and its stderr."""
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=UNWIND_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"still running {UNWIND_S} s after {signal.Signals(sig).name}: {_stderr(out)[-2000:]}")
    return time.monotonic() - sent, _stderr(out)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_run_interrupted_with_faults_in_force_heals_and_leaves_nothing(tmp_path, broker_image, sig):
    proc, out, owner = _launch(tmp_path, FAULTS_IN_FORCE)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:  # wait until both faults are in force
            if len([op for op in _history(out) if op["f"] == "fault" and op["type"] == "ok"]) == 2:
                break
            assert proc.poll() is None, _stderr(out)
            time.sleep(0.5)
        else:
            pytest.fail("the faults never started")
        assert _owned(owner) != ([], [])
        took, err = _stop(proc, out, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert took < UNWIND_S
    assert _owned(owner) == ([], [])
    ops = _history(out)
    assert len([op for op in ops if op["f"] == "heal" and op["type"] == "ok"]) == 2  # healed before removal
    assert len([op for op in ops if op["f"] == "sweep"]) == 1  # one sweep, recorded once


MOMENTS = {
    "start-up": lambda ops: True,
    "workload": lambda ops: any(op["f"] == "phase" and op["value"]["phase"] == "workload" for op in ops),
    "fault in force": lambda ops: any(op["f"] == "fault" and op["type"] == "ok" for op in ops),
    "final read": lambda ops: any(op["f"] == "read" for op in ops),
}
"""Where the soak interrupts a run: once the history shows the moment has come, after a seeded delay."""


def test_interrupts_at_seeded_random_moments_never_hang_and_leave_nothing(tmp_path, broker_image):
    rng = random.Random(20261203)
    seen = []
    for i, (moment, reached) in enumerate(MOMENTS.items()):
        sig = rng.choice([signal.SIGINT, signal.SIGTERM])
        extra = rng.uniform(0.0, 8.0 if moment == "start-up" else 1.5)
        proc, out, owner = _launch(tmp_path / f"run{i}", SHORT)
        try:
            deadline = time.monotonic() + 180
            while not reached(_history(out)):
                assert proc.poll() is None, f"ended before {moment}: {_stderr(out)[-2000:]}"
                assert time.monotonic() < deadline, f"{moment} never came"
                time.sleep(0.2)
            time.sleep(extra)
            assert proc.poll() is None, f"ended before the interrupt at {moment}: {_stderr(out)[-2000:]}"
            took, err = _stop(proc, out, sig)
        finally:
            if proc.poll() is None:
                proc.kill()
        where = f"{signal.Signals(sig).name} {extra:.1f} s into {moment}"
        assert proc.returncode == 130, f"{where}: {err[-2000:]}"
        assert _owned(owner) == ([], []), f"left behind after {where}"
        seen.append(f"{where}: ended in {took:.1f} s")
    print("interrupted:", "; ".join(seen))


def test_a_run_killed_outright_leaves_orphans_that_clean_removes(tmp_path, broker_image):
    proc, out, owner = _launch(tmp_path, FAULTS_IN_FORCE)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not any(op["f"] == "cluster" for op in _history(out)):
            assert proc.poll() is None, _stderr(out)
            time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _owned(owner) != ([], [])  # nothing unwound: these are orphans now
    done = subprocess.run([sys.executable, "-m", "harness.run.cli", "clean"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert _owned(owner) == ([], [])


def test_orphan_clean_up_never_touches_a_live_process_s_containers(broker_image):
    """Two idle containers from the broker image: one owned by this (live) process, one by a dead one."""
    client = docker_client()
    dead = subprocess.Popen(["true"])
    dead_owner = owner_id(dead.pid)
    dead.wait()
    run_id = f"test-orphans-{os.getpid()}"
    made = [client.containers.create(broker_image, command=["sleep", "60"], name=f"kc-{run_id}-{who}",
                                     labels={RUN_LABEL: run_id, OWNER_LABEL: owner})
            for who, owner in (("live", owner_id()), ("dead", dead_owner))]
    try:
        clean_orphans()
        names = {c.name for c in leftovers(run_id)[0]}
        assert names == {f"kc-{run_id}-live"}
    finally:
        for c in made:
            try:
                c.remove(force=True)
            except NotFound:
                pass
