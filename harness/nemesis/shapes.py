"""Pure planning of network partitions (as in Jepsen's nemesis): who stops hearing whom.

A *grudge* maps each node to the set of nodes whose packets it drops. Planning returns data; applying
it (iptables inside the containers) is ``netfilter``'s job, so every shape is unit-tested without Docker.
"""

from __future__ import annotations

import random

Grudge = dict[int, set[int]]


def isolate(side: list[int], nodes: list[int]) -> Grudge:
    """Cut ``side`` off from every other node, both ways (each side drops the other's packets)."""
    a, b = set(side), set(nodes) - set(side)
    if not a or not b:
        raise ValueError(f"cannot split {sorted(nodes)} into {sorted(a)} and the rest")
    grudge: Grudge = {n: set(b) for n in a}
    grudge.update({n: set(a) for n in b})
    return grudge


def minority(seed_nodes: list[int], nodes: list[int], rng: random.Random) -> list[int]:
    """A minority side (at most (n-1)//2 nodes) that contains ``seed_nodes``, padded at random."""
    size = (len(nodes) - 1) // 2
    if size < 1:
        raise ValueError(f"{len(nodes)} node(s) have no minority to split off")
    side = list(dict.fromkeys(seed_nodes))[:size]
    rest = sorted(set(nodes) - set(side))
    rng.shuffle(rest)
    return sorted(side + rest[: size - len(side)])


def bridge(bridge_node: int, nodes: list[int]) -> Grudge:
    """Two halves that cannot see each other, and one node that sees both (Jepsen's bridge)."""
    others = sorted(set(nodes) - {bridge_node})
    if len(others) < 2:
        raise ValueError(f"a bridge needs at least 3 nodes, got {len(nodes)}")
    half = len(others) // 2
    left, right = set(others[:half]), set(others[half:])
    grudge: Grudge = {n: set(right) for n in left}
    grudge.update({n: set(left) for n in right})
    grudge[bridge_node] = set()
    return grudge


def majorities_ring(nodes: list[int], start: int | None = None) -> Grudge:
    """Every node sees a majority (itself and its nearest ring neighbours), but no two see the same one."""
    n = len(nodes)
    if n < 4:
        raise ValueError(f"a majorities ring needs at least 4 nodes (with {n} every node sees every other)")
    ring = sorted(nodes)
    if start is not None:
        i = ring.index(start)
        ring = ring[i:] + ring[:i]
    majority = n // 2 + 1
    reach = majority // 2  # neighbours on each side; 2 * reach + 1 >= majority
    if 2 * reach + 1 < majority:
        reach += 1
    grudge: Grudge = {}
    for i, node in enumerate(ring):
        seen = {ring[(i + d) % n] for d in range(-reach, reach + 1)}
        grudge[node] = set(ring) - seen
    return grudge


def components(grudge: Grudge, nodes: list[int]) -> list[set[int]]:
    """What each node can still reach both ways, as sets (for reports and tests)."""
    return [{m for m in nodes if m not in grudge.get(n, set()) and n not in grudge.get(m, set())} for n in nodes]
