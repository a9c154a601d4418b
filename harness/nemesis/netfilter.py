"""iptables inside the broker containers (they run with NET_ADMIN): the network faults' only tool.

All rules live in two chains of the harness's own, hooked first into INPUT and OUTPUT, and carry the
fault's id as a comment. Healing one fault deletes exactly its rules; ``flush`` empties the chains.
A container that stops loses its network namespace, rules included, so a removed cluster leaves none.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from harness.errors import FaultError

if TYPE_CHECKING:  # the fault kinds load this module to validate scenarios, which must not load docker
    from harness.cluster.kraft import Broker

CHAIN_IN = "KAFKA-CHAOS-IN"
CHAIN_OUT = "KAFKA-CHAOS-OUT"

Rule = list[str]
"""The arguments after ``iptables -A`` / ``-D``: chain first."""

_ENSURE = " ; ".join(
    f"iptables -N {chain} 2>/dev/null ; iptables -C {hook} -j {chain} 2>/dev/null || iptables -I {hook} 1 -j {chain}"
    for chain, hook in ((CHAIN_IN, "INPUT"), (CHAIN_OUT, "OUTPUT"))
)


def _sh(broker: Broker, script: str, what: str) -> str:
    code, out = broker.exec(["sh", "-c", script])
    if code != 0:
        raise FaultError(f"iptables on broker {broker.node_id} failed to {what}: {' '.join(out.split())[:200]}")
    return out


def drop_from(fault_id: str, sources: list[str], probability: float | None = None) -> list[Rule]:
    """Rules that drop packets arriving from ``sources`` (all of them, or at random with ``probability``)."""
    return [[CHAIN_IN, "-s", ip, *_match(fault_id, probability), "-j", "DROP"] for ip in sources]


def drop_to(fault_id: str, destinations: list[str], probability: float | None = None) -> list[Rule]:
    return [[CHAIN_OUT, "-d", ip, *_match(fault_id, probability), "-j", "DROP"] for ip in destinations]


def drop_all_but_loopback(fault_id: str) -> list[Rule]:
    """Cut a broker off from everything, clients included."""
    return [[chain, "!", iface, "lo", *_match(fault_id, None), "-j", "DROP"]
            for chain, iface in ((CHAIN_IN, "-i"), (CHAIN_OUT, "-o"))]


def _match(fault_id: str, probability: float | None) -> list[str]:
    m = ["-m", "comment", "--comment", f"kafka-chaos-{fault_id}"]
    if probability is not None:
        m += ["-m", "statistic", "--mode", "random", "--probability", f"{probability:.4f}"]
    return m


def apply(broker: Broker, rules: list[Rule]) -> None:
    script = " && ".join([f"({_ENSURE})"] + [f"iptables -A {shlex.join(r)}" for r in rules])
    _sh(broker, script, "add rules")


def remove(broker: Broker, rules: list[Rule]) -> None:
    """Delete exactly these rules; ones already gone (a restarted container) are not an error."""
    if rules:
        _sh(broker, " ; ".join(f"iptables -D {shlex.join(r)} 2>/dev/null" for r in rules) + " ; true",
            "delete rules")


def flush(broker: Broker) -> None:
    _sh(broker, f"iptables -F {CHAIN_IN} 2>/dev/null ; iptables -F {CHAIN_OUT} 2>/dev/null ; true", "flush")


def rules(broker: Broker) -> list[str]:
    """The harness's rules now in force on this broker (``-A ...`` lines)."""
    out = _sh(broker, f"iptables -S {CHAIN_IN} 2>/dev/null ; iptables -S {CHAIN_OUT} 2>/dev/null ; true", "list")
    return [line for line in out.splitlines() if line.startswith("-A ")]


def dropped_packets(broker: Broker) -> int:
    """Packets the harness's rules on this broker have dropped so far."""
    out = _sh(broker, f"iptables -L {CHAIN_IN} -v -x -n 2>/dev/null ; iptables -L {CHAIN_OUT} -v -x -n 2>/dev/null"
                      " ; true", "count")
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[0].isdigit() and parts[2] == "DROP":
            total += int(parts[0])
    return total


def netem_supported(broker: Broker) -> tuple[bool, str]:
    """Whether ``tc netem`` works in this kernel (the only honest way to add latency)."""
    code, out = broker.exec(["sh", "-c", "tc qdisc add dev eth0 root netem delay 1ms && tc qdisc del dev eth0 root"])
    return code == 0, " ".join(out.split())[:200]
