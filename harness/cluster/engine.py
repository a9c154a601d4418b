"""The Docker engine: one client for the whole run, and a clear error when none answers."""

from __future__ import annotations

import functools
import os
import socket

import docker
from docker.errors import DockerException

from harness.errors import EngineError

# Ryuk's image cannot be pulled without a registry; the harness removes what it starts itself.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

RUN_LABEL = "io.kafka-chaos.run"
"""Label on every container and network a run creates; its value is the run id."""

OWNER_LABEL = "io.kafka-chaos.owner"
"""Label naming the process that created a container or network: ``host/pid/start-ticks``. When that
process is gone (killed outright, crashed), what it left is an orphan that any later run may remove."""


def _start_ticks(pid: int) -> str | None:
    """When the process started, in clock ticks since boot (field 22 of /proc/PID/stat): with the pid it
    names one process, even after the pid is reused."""
    try:
        stat = open(f"/proc/{pid}/stat", "rb").read().decode(errors="replace")
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]


def owner_id(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{pid}/{_start_ticks(pid)}"


def owner_alive(owner: str) -> bool | None:
    """Whether the owning process still runs; None when this host cannot tell (the owner ran on another
    host, or there is no /proc to tell a reused pid from the original). Only False means gone."""
    host, _, rest = owner.partition("/")
    pid, _, ticks = rest.partition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    if ticks == "None" or _start_ticks(os.getpid()) is None:
        return None  # the pid exists; without start times, whether it is the same process is unknown
    return _start_ticks(int(pid)) == ticks


def run_labels(run_id: str) -> dict[str, str]:
    """The labels of everything a run creates."""
    return {RUN_LABEL: run_id, OWNER_LABEL: owner_id()}


@functools.cache
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except DockerException as exc:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise EngineError(
            f"no Docker engine answers at {host} ({type(exc).__name__}); run scripts/setup.sh to start one"
        ) from None
    return client
