"""The interrupt handling itself, in a child process that will not unwind (no Docker needed)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

STUBBORN = """
import sys, time
from harness.run.interrupts import Interrupts
# A main thread that never unwinds: as if stuck in a C call, it never sees the KeyboardInterrupt.
Interrupts._raise = lambda self, signum, frame: None
Interrupts(grace_s={grace}).install()
print("ready", flush=True)
time.sleep(60)
sys.exit(0)
"""


def _start(grace: float) -> subprocess.Popen:
    code = ("import signal; signal.signal(signal.SIGINT, signal.SIG_DFL)\n" + STUBBORN.format(grace=grace))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _wait(proc: subprocess.Popen, within_s: float) -> tuple[float, str]:
    started = time.monotonic()
    try:
        _, err = proc.communicate(timeout=within_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the process outlived its watchdog")
    return time.monotonic() - started, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_run_that_does_not_unwind_is_ended_by_the_watchdog(sig):
    proc = _start(grace=2.0)
    proc.send_signal(sig)
    took, err = _wait(proc, 40)
    assert proc.returncode == 130
    assert "still unwinding 2 s after the interrupt" in err
    assert took >= 1.5


def test_a_second_signal_ends_the_process_at_once():
    proc = _start(grace=30.0)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    took, err = _wait(proc, 25)
    assert proc.returncode == 130
    assert "second SIGTERM" in err
    assert took < 20


def test_a_run_that_unwinds_in_time_is_not_touched():
    code = ("import signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
            "from harness.run.interrupts import Interrupts\n"
            "i = Interrupts(grace_s=1.0).install()\n"
            "try:\n    print('ready', flush=True)\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    i.finished()\n"
            "time.sleep(2)\nprint('unwound', flush=True)\nsys.exit(7)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 7 and "unwound" in out
