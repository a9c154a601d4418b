"""Admin requests to a group's coordinator, made in a process of their own.

librdkafka aborts the whole process when a coordinator-bound Admin request (DescribeConsumerGroups,
ListConsumerGroupOffsets) loses its connection at the wrong moment: ``rd_kafka_enq_once_del_source_return:
Assertion `eonce->refcnt > 0' failed`` (confluentinc/librdkafka issue 4605, still open with librdkafka
2.16; a fix is proposed in PR 5397). Killing a group's coordinator is exactly that moment, and it took a
whole run down here. So these requests never run in the harness's process: each comes from a child
(``python -m harness.observe.group_probe MODE ARGS``) that prints its answers as JSON lines, and a child
that aborts costs one answer, not the run.

Modes:
- ``sample CONFIG``: describe each group every ``interval_s`` until ``end`` (monotonic), one
  ``[time, type, "group", value, error]`` line each (the history's op form, as a group member writes it);
- ``offsets CONFIG``: each group's committed offsets, one ``group_offsets`` line each;
- ``describe CONFIG``: one ``group`` line for each group, once;
- ``delete CONFIG``: delete the groups ``group_ids``, then list what is left of them: one JSON object,
  ``{"errors": {group: error}, "left": [groups still listed]}``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

TIMEOUT_S = 5.0


def _name(x) -> str:
    """An enum's name in lower case (librdkafka's group state or type), else the value as text."""
    return getattr(x, "name", str(x)).lower()


def _error(exc: BaseException) -> str:
    """One line: librdkafka's error name and text (its text alone can be empty), else the exception."""
    if exc.args and hasattr(exc.args[0], "str"):
        err = exc.args[0]
        return f"{err.name()}: {err.str()}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"[:300]


def _epoch(tp) -> int:
    epoch = getattr(tp, "leader_epoch", None)
    return -1 if epoch is None or epoch < 0 else epoch


def _admin(bootstrap: str):
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000, "log_level": 0})


def describe(admin, group_id: str, topic: str) -> dict[str, Any]:
    """A ``group`` record's value: the group as its coordinator describes it."""
    desc = admin.describe_consumer_groups([group_id], request_timeout=TIMEOUT_S)[group_id].result(TIMEOUT_S + 1)
    members = [{"member_id": m.member_id, "client_id": m.client_id,
                "partitions": sorted(tp.partition for tp in (m.assignment.topic_partitions or []) if tp.topic == topic)}
               for m in desc.members or []]
    return {"group": group_id, "topic": topic, "state": _name(desc.state),
            "coordinator": desc.coordinator.id if desc.coordinator is not None else None,
            "type": _name(getattr(desc, "type", None)), "members": members}


def offsets(admin, group_id: str, topic: str) -> dict[str, Any]:
    """A ``group_offsets`` record's value: the group's committed offsets of the topic."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    result = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id)],
                                               request_timeout=3 * TIMEOUT_S)[group_id].result(3 * TIMEOUT_S + 1)
    return {"group": group_id, "topic": topic,
            "offsets": sorted([tp.partition, tp.offset, _epoch(tp)] for tp in result.topic_partitions or []
                              if tp.topic == topic)}


def _line(history_start: float, type_: str, f: str, value: dict, error: str | None = None) -> None:
    from harness.workload.group_member import write_all

    write_all((json.dumps([round(time.monotonic() - history_start, 6), type_, f, value, error]) + "\n").encode())


def delete(admin, group_ids: list[str]) -> dict[str, Any]:
    """Delete the groups and say which could not be, and which are still listed after."""
    errors: dict[str, str] = {}
    for group_id, future in admin.delete_consumer_groups(group_ids, request_timeout=3 * TIMEOUT_S).items():
        try:
            future.result(3 * TIMEOUT_S + 1)
        except Exception as exc:  # noqa: BLE001 - named in the answer
            if "GROUP_ID_NOT_FOUND" not in _error(exc):
                errors[group_id] = _error(exc)
    listed = admin.list_consumer_groups(request_timeout=3 * TIMEOUT_S).result(3 * TIMEOUT_S + 1)
    left = sorted({g.group_id for g in listed.valid} & set(group_ids))
    return {"errors": errors, "left": left}


def main(mode: str, config: dict[str, Any]) -> int:
    admin = _admin(config["bootstrap"])
    if mode == "delete":
        print(json.dumps(delete(admin, config["group_ids"])))
        return 0
    groups, start = config["groups"], config["history_start"]
    if mode == "offsets":
        for group_id, topic in groups:
            try:
                _line(start, "ok", "group_offsets", offsets(admin, group_id, topic))
            except Exception as exc:  # noqa: BLE001 - recorded: the checks say undecided
                _line(start, "info", "group_offsets", {"group": group_id, "topic": topic}, _error(exc))
        return 0
    if mode == "describe":
        _describe_all(admin, groups, start)
        return 0
    stopping = []  # a plain flag: a signal handler must not take a lock the main thread may hold
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    next_at = time.monotonic() + config["interval_s"]
    while not stopping and time.monotonic() < config["end"]:
        time.sleep(min(0.1, max(0.0, next_at - time.monotonic())))
        if time.monotonic() >= next_at and not stopping:
            _describe_all(admin, groups, start)
            next_at = time.monotonic() + config["interval_s"]
    return 0


def _describe_all(admin, groups: list[list[str]], start: float) -> None:
    from harness.observe.coordinators import coordinator_of

    for group_id, topic in groups:
        try:
            _line(start, "ok", "group", describe(admin, group_id, topic))
        except Exception as exc:  # noqa: BLE001 - recorded, the sampler goes on
            # Not described; which broker coordinates it still comes from metadata (a plain request).
            node = coordinator_of(admin, group_id)
            _line(start, "info", "group", {"group": group_id, "topic": topic,
                                           **({"coordinator": node} if node is not None else {})},
                  _error(exc) or type(exc).__name__)


# -- the parent's side -----------------------------------------------------------------------------------


def spawn(mode: str, config: dict[str, Any], stderr: Any = subprocess.PIPE) -> subprocess.Popen:
    """A probe child; a long-lived one must get a file for ``stderr`` (a pipe nobody reads fills and blocks it)."""
    return subprocess.Popen([sys.executable, "-m", "harness.observe.group_probe", mode, json.dumps(config)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True)


def ask(mode: str, config: dict[str, Any], timeout_s: float = 40.0) -> tuple[list[Any], str | None]:
    """Run a probe to its end: the JSON values it printed, and why it failed (None when it did not)."""
    p = spawn(mode, config)
    try:
        out, err = p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return _values(out), f"the probe did not answer within {timeout_s:.0f} s"
    values = _values(out)
    if p.returncode != 0:
        return values, died(p.returncode, err)
    return values, None


def died(rc: int, stderr: str | None) -> str:
    """Why a probe ended badly, in one line (the librdkafka abort named as such)."""
    last = [line for line in (stderr or "").splitlines() if line.strip()][-1:]
    if rc == -signal.SIGABRT:
        return ("librdkafka aborted the probe (" + (last[0].strip()[:200] if last else "SIGABRT") +
                "): its coordinator-request bug, confluentinc/librdkafka issue 4605")
    return f"the probe ended with exit code {rc}" + (f": {last[0].strip()[:200]}" if last else "")


def _values(out: str | None) -> list[Any]:
    values = []
    for line in (out or "").splitlines():
        try:
            values.append(json.loads(line))
        except ValueError:
            continue
    return values


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], json.loads(sys.argv[2])))
