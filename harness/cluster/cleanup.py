"""Removing what runs left behind: containers and networks carrying the harness's run label.

Three scopes: one run (``run_id``), the orphans (runs whose owning process is gone: killed outright or
crashed, so nothing unwound), or everything. Orphans are safe to remove at any time, from any process:
a run whose owner still runs is never touched.
"""

from __future__ import annotations

from docker.errors import APIError, NotFound

from harness.cluster.engine import OWNER_LABEL, RUN_LABEL, docker_client, owner_alive, owner_id


def leftovers(run_id: str | None = None) -> tuple[list, list]:
    label = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    client = docker_client()
    return (client.containers.list(all=True, filters={"label": label}),
            client.networks.list(filters={"label": label}))


def _remove(containers: list, networks: list) -> tuple[int, int]:
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


def clean(run_id: str | None = None) -> tuple[int, int]:
    """Remove the containers and networks of one run (or of every run); returns how many of each."""
    return _remove(*leftovers(run_id))


def _orphaned(obj) -> bool:
    """Only what certainly has no owner left: no label, another host or an unknown start time count as
    alive (``kafka-chaos clean --all`` or ``--run`` removes those)."""
    owner = (obj.attrs.get("Labels") or obj.attrs.get("Config", {}).get("Labels") or {}).get(OWNER_LABEL)
    return owner is not None and owner_alive(owner) is False


def clean_orphans() -> tuple[int, int]:
    """Remove what runs whose owner process is gone left behind; never touch a live run's."""
    containers, networks = leftovers()
    return _remove([c for c in containers if _orphaned(c)], [n for n in networks if _orphaned(n)])


def clean_owned(owner: str | None = None) -> tuple[int, int]:
    """Remove everything this process (or ``owner``) created: the last resort of an interrupted run."""
    client = docker_client()
    label = f"{OWNER_LABEL}={owner or owner_id()}"
    return _remove(client.containers.list(all=True, filters={"label": label}),
                   client.networks.list(filters={"label": label}))
