"""Removing what runs left behind: every container and network carrying the harness's run label."""

from __future__ import annotations

from docker.errors import APIError, NotFound

from harness.cluster.engine import RUN_LABEL, docker_client


def leftovers(run_id: str | None = None) -> tuple[list, list]:
    label = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    client = docker_client()
    return (client.containers.list(all=True, filters={"label": label}),
            client.networks.list(filters={"label": label}))


def clean(run_id: str | None = None) -> tuple[int, int]:
    """Remove the containers and networks of one run (or of every run); returns how many of each."""
    containers, networks = leftovers(run_id)
    for c in containers:
        try:
            c.remove(force=True, v=True)
        except (NotFound, APIError):
            pass
    for n in networks:
        try:
            n.remove()
        except (NotFound, APIError):
            pass
    return len(containers), len(networks)
