"""The sampler keeps its interval while a broker hangs (paused: its requests are never answered, the
worst case for a poller), and still gets each high watermark from the leaders that answer."""

from __future__ import annotations

import time

import pytest

from harness.history.loader import History
from harness.history.ops import OpType
from harness.history.writer import HistoryWriter
from harness.observe.sampler import Sampler
from harness.observe.state import agreed_states, all_in_sync, wait_for

pytestmark = pytest.mark.cluster

INTERVAL_S = 1.0
PAUSE_S = 9.0


def test_a_paused_broker_does_not_stretch_the_interval(cluster, chaos_topic, tmp_path):
    hung = agreed_states(cluster, chaos_topic)[0].leader
    writer = HistoryWriter(tmp_path / "history.jsonl")
    try:
        with Sampler(cluster, chaos_topic, writer, interval_s=INTERVAL_S):
            time.sleep(2)
            paused_at = writer.now()
            cluster.broker(hung).pause()
            try:
                time.sleep(PAUSE_S)
            finally:
                cluster.broker(hung).unpause()
            resumed_at = writer.now()
            time.sleep(2)
    finally:
        writer.close()
    assert wait_for(lambda: all_in_sync(cluster.admin, chaos_topic), 60)[0], "no full ISR after the pause"

    ops = [op for op in History.load(tmp_path / "history.jsonl").ops if op.process == "sampler"]
    ticks = sorted({round(op.time, 2) for op in ops})
    during = [t for t in ticks if paused_at <= t <= resumed_at]
    # One tick per interval, give or take a busy machine's scheduling: never a hole of three intervals.
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) < 3 * INTERVAL_S, f"largest gap between samples {max(gaps):.2f} s"
    assert len(during) >= PAUSE_S / INTERVAL_S * 0.6, f"{len(during)} samples in {PAUSE_S} s of pause"

    # While the broker hung, the others still answered: samples, with the high watermark of every partition
    # whose agreed leader was not the hung broker.
    ok = [op for op in ops if op.type is OpType.OK and paused_at <= op.time <= resumed_at]
    assert ok, "no sample while one of three brokers was paused"
    live_led = [op.value for op in ok if op.value["leader"] not in (hung, -1)]
    assert live_led and any(v["hwm"] is not None for v in live_led)
    assert sum(v["hwm"] is not None for v in live_led) >= 0.5 * len(live_led), \
        "most samples of partitions led by a live broker lack their high watermark"
