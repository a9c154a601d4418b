"""A run interrupted mid-fault heals, removes its cluster and exits 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from harness.cluster.cleanup import leftovers

pytestmark = pytest.mark.cluster

SCENARIO = """
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


def _history(out):
    paths = list(out.glob("*/history.jsonl"))
    if not paths:
        return []
    return [json.loads(line) for line in paths[0].read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_nothing_behind(tmp_path, broker_image, sig):
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "harness.run.cli", "run", str(scenario), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until both faults are in force
            faults = [op for op in _history(out) if op["f"] == "fault" and op["type"] == "ok"]
            if len(faults) == 2:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.5)
        else:
            pytest.fail("the faults never started")
        run_id = _history(out)[0]["value"]["run_id"]
        assert leftovers(run_id) != ([], [])
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert leftovers(run_id) == ([], [])
    heals = [op for op in _history(out) if op["f"] == "heal" and op["type"] == "ok"]
    assert len(heals) == 2  # both faults were healed before the containers went
