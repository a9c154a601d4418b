"""The Docker engine: one client for the whole run, and a clear error when none answers."""

from __future__ import annotations

import functools
import os

from docker.errors import DockerException

import docker
from harness.errors import EngineError

# Ryuk's image cannot be pulled without a registry; the harness removes what it starts itself.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

RUN_LABEL = "io.kafka-chaos.run"
"""Label on every container and network a run creates; its value is the run id."""


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


def unwind_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so a terminated run unwinds through its context managers:
    faults heal and containers are removed, as on Ctrl-C. (Python's default SIGTERM skips all that.)"""
    import signal

    def _raise(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
