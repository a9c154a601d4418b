"""Samples leader, ISR, leader epoch and high watermark of every partition of a topic, into the history."""

from __future__ import annotations

import threading

from harness.history.schema import Sample, SampleFailed
from harness.history.writer import HistoryWriter
from harness.observe.state import agreed_states

PROCESS = "sampler"


class Sampler:
    """Records the partitions' state as most brokers report it (a cut-off broker's stale view is outvoted)."""

    def __init__(self, cluster, topic: str, history: HistoryWriter, interval_s: float = 1.0):
        self.cluster, self.topic, self.history, self.interval_s = cluster, topic, history, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def sample_once(self) -> None:
        try:
            states = agreed_states(self.cluster, self.topic, timeout_s=min(2.0, self.interval_s * 2))
        except Exception as exc:  # the cluster under a fault may not answer; that is worth recording too
            self.history.info(PROCESS, SampleFailed(topic=self.topic), error=f"{type(exc).__name__}: {exc}")
            return
        for s in states:
            self.history.ok(PROCESS, Sample(**s.to_dict()))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self.interval_s)
