"""Leader changes as the sampler saw them, and which of them were unclean.

An unclean election shows in the samples as a new leader that was not in the partition's ISR just
before it took over, and is alone in the ISR when first seen leading: an out-of-date replica, elected
because no in-sync one was left. (A replica that caught up, joined the ISR and was elected between
two samples would otherwise look the same; it is seen with the others still in the ISR.) Whatever it
lacked is gone, committed or not, which is what unclean.leader.election.enable=true trades away.
"""

from __future__ import annotations

from typing import Any

from harness.history.loader import History
from harness.history.ops import OpType


def leader_changes(history: History) -> list[dict[str, Any]]:
    """Leader changes seen by the sampler, per partition, with the leader epochs on either side and
    ``unclean`` set when the new leader was not in the last ISR seen before the change and is alone in
    the ISR it is first seen with.

    A sample taken just as leadership moves may lack the epoch (the new leader had not answered yet);
    the epoch is then taken from the last sample before, and the first sample after, that knew it.
    """
    series: dict[tuple[str, int], list[tuple[float, int, int | None, list[int]]]] = {}
    for op in history.ops:
        if op.f == "sample" and op.type is OpType.OK:
            v = op.value
            series.setdefault((v["topic"], v["partition"]), []).append(
                (op.time, v["leader"], v.get("epoch"), v.get("isr") or []))
    changes = []
    for (topic, partition), samples in series.items():
        led = [s for s in samples if s[1] >= 0]
        for i in range(1, len(led)):
            (_, prev_leader, _, _), (t, leader, _, isr_now) = led[i - 1], led[i]
            if leader == prev_leader:
                continue
            before = next((e for _, ld, e, _ in reversed(led[:i]) if ld == prev_leader and e is not None), None)
            after = next((e for _, ld, e, _ in led[i:] if ld == leader and e is not None), None)
            # The last ISR seen before this sample, leaderless samples included (the ISR shrinks as the
            # in-sync replicas die, so the last one says who was still eligible).
            isr_before = next((isr for ts, _, _, isr in reversed(samples) if ts < t and isr), [])
            changes.append({"time": round(t, 2), "topic": topic, "partition": partition, "from": prev_leader,
                            "to": leader, "epoch_from": before, "epoch_to": after, "isr_before": isr_before,
                            "unclean": bool(isr_before) and leader not in isr_before and isr_now == [leader]})
    return sorted(changes, key=lambda c: c["time"])


def unclean_elections(history: History) -> list[dict[str, Any]]:
    return [c for c in leader_changes(history) if c["unclean"]]
