"""Owner ids: which process made a container, and whether it is still there (no Docker needed)."""

import subprocess

from harness.cluster.engine import owner_alive, owner_id


def test_this_process_is_alive():
    assert owner_alive(owner_id()) is True


def test_a_process_that_ended_is_gone():
    child = subprocess.Popen(["sleep", "0"])
    owner = owner_id(child.pid)
    child.wait()
    assert owner_alive(owner) is False


def test_a_reused_pid_is_not_the_same_owner():
    host, pid, ticks = owner_id().split("/")
    assert owner_alive(f"{host}/{pid}/{int(ticks) + 1}") is False


def test_what_cannot_be_told_is_not_called_gone():
    _, pid, ticks = owner_id().split("/")
    assert owner_alive(f"another-host/{pid}/{ticks}") is None
    assert owner_alive("garbage") is None
    assert owner_alive(f"{owner_id().split('/')[0]}/{pid}/None") is None  # recorded without /proc
