"""Leader changes and unclean elections: from the controller's own record when the history has it, from
the sampler's polling otherwise (histories recorded before the metadata log was read, or a run whose
metadata log could not be read).

The controller's record is the authority (see ``harness.observe.controller``): every change, however
brief, with its leader epoch, and an unclean election marked by the controller itself. The samples
are a 1 s poll: a change between two samples can be missed, and an unclean election is a guess (a new
leader not in the last ISR seen, alone in the ISR when first seen leading). Each change says which
source it came from.
"""

from __future__ import annotations

from typing import Any

from harness.history.loader import History
from harness.history.ops import OpType
from harness.observe.controller import NO_LEADER, controller_timeline


def leader_changes(history: History) -> list[dict[str, Any]]:
    """Every leader change per partition, with the leader epochs on either side, the ISR just before,
    ``unclean``, and ``source`` ("controller" or "samples"). A partition left without a leader shows as a
    change to -1."""
    timeline = controller_timeline(history)
    if timeline.read:
        return [{"time": c.time, "topic": c.topic, "partition": c.partition, "from": c.before.leader,
                 "to": c.after.leader, "epoch_from": c.before.leader_epoch, "epoch_to": c.after.leader_epoch,
                 "isr_before": list(c.before.isr), "elr_before": list(c.before.elr), "unclean": c.unclean,
                 "recovering": c.after.recovery == 1, "source": "controller"}
                for c in timeline.leader_changes() if c.time is not None]
    return _sampled_leader_changes(history)


def unclean_elections(history: History) -> list[dict[str, Any]]:
    return [c for c in leader_changes(history) if c["unclean"]]


def _sampled_leader_changes(history: History) -> list[dict[str, Any]]:
    """Leader changes seen by the sampler; ``unclean`` when the new leader was not in the last ISR seen
    before the change and is alone in the ISR it is first seen with.

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
        led = [s for s in samples if s[1] != NO_LEADER]
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
                            "elr_before": [], "recovering": False, "source": "samples",
                            "unclean": bool(isr_before) and leader not in isr_before and isr_now == [leader]})
    return sorted(changes, key=lambda c: c["time"])
