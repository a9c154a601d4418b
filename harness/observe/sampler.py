"""Samples leader, ISR, leader epoch and high watermark of every partition of a topic, into the history.

The controller's metadata log, read after the run, is the authority on leaders, ISRs and epochs. The
sampler adds what only a live look gives: each partition's high watermark as its current leader reports
it, and a view of leader and ISR during the run (for progress, and for histories without the
controller's record). It must keep its interval while brokers are paused, killed or cut off:

- one long-lived admin client per broker, made once; a restarted broker keeps its port and librdkafka
  reconnects. Each Metadata answer names the broker that gave it, so a client whose own broker is down
  and that asked another does not vote twice for that other's view;
- every request has a deadline inside the interval, and a broker whose previous request is still
  outstanding is not asked again: a paused or cut-off broker costs one waiting thread, never the tick;
- the high watermark and leader epoch come from ListOffsets to the leader most brokers agree on,
  through that leader's own client;
- ticks are at fixed times (start + k * interval), so a slow tick does not push back the ones after it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from confluent_kafka.admin import AdminClient

from harness.history.schema import Sample, SampleFailed
from harness.history.writer import HistoryWriter
from harness.observe.state import PartitionState, agree, latest_offsets, metadata_view

PROCESS = "sampler"
VIEW_SHARE = 0.5
"""Share of the interval the brokers' Metadata answers are waited for; ListOffsets gets the rest."""
BUSY_SHARE = 0.9
"""No tick waits longer than this share of the interval."""


class Sampler:
    """Records the partitions' state as most brokers report it (a cut-off broker's stale view is outvoted)."""

    def __init__(self, cluster, topic: str, history: HistoryWriter, interval_s: float = 1.0):
        self.cluster, self.topic, self.history, self.interval_s = cluster, topic, history, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        nodes = [b.node_id for b in cluster.brokers]
        # Two requests per broker at most (its view, and ListOffsets when it leads); never more, whatever hangs.
        self._pool = ThreadPoolExecutor(max_workers=2 * max(len(nodes), 1), thread_name_prefix="sampler")
        self._clients: dict[int, AdminClient] = {}
        self._pending: dict[tuple[str, int], Future] = {}

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _client(self, node: int) -> AdminClient:
        if node not in self._clients:
            self._clients[node] = AdminClient({"bootstrap.servers": self.cluster.broker(node).bootstrap,
                                               "socket.timeout.ms": 5000, "log_level": 0})
        return self._clients[node]

    def _ask(self, what: str, node: int, call) -> Future | None:
        """``call`` on the pool unless this broker's previous request of this kind is still outstanding."""
        key = (what, node)
        previous = self._pending.get(key)
        if previous is not None and not previous.done():
            return None
        self._pending[key] = fut = self._pool.submit(call)
        return fut

    def sample_once(self) -> None:
        start = time.monotonic()
        view_deadline = start + self.interval_s * VIEW_SHARE
        busy_deadline = start + self.interval_s * BUSY_SHARE
        timeout = self.interval_s * BUSY_SHARE
        asked = {}
        for b in self.cluster.brokers:
            client = self._client(b.node_id)
            fut = self._ask("view", b.node_id, lambda c=client: metadata_view(c, self.topic, timeout))
            if fut is not None:
                asked[fut] = b.node_id
        done, _ = wait(asked, timeout=max(view_deadline - time.monotonic(), 0.0))
        if not done and asked:  # nobody within the view share: take the first answer in the rest of the tick
            done, _ = wait(asked, timeout=max(busy_deadline - time.monotonic(), 0.0), return_when=FIRST_COMPLETED)
        views: dict[int, list[PartitionState]] = {}
        errors = []
        for fut in done:
            try:
                node, states = fut.result()
            except Exception as exc:  # a broker under a fault does not answer; the others may
                errors.append(f"{asked[fut]}: {type(exc).__name__}: {exc}")
                continue
            views.setdefault(node, states)
        if not views:
            silent = sorted(set(asked.values()) - {asked[f] for f in done})
            why = "; ".join(errors + ([f"no answer within the tick from {silent}"] if silent else []))
            self.history.info(PROCESS, SampleFailed(topic=self.topic), error=why or "every broker still busy")
            return
        agreed = agree(list(views.items()))
        offsets = self._offsets(agreed, busy_deadline)
        for s in agreed:
            epoch, hwm = offsets.get(s.partition, (None, None))
            self.history.ok(PROCESS, Sample(**PartitionState(s.topic, s.partition, s.leader, s.replicas, s.isr,
                                                             epoch, hwm).to_dict()))

    def _offsets(self, agreed: list[PartitionState], deadline: float) -> dict[int, tuple[int | None, int | None]]:
        """Leader epoch and high watermark per partition, from the agreed leaders, whatever came by ``deadline``."""
        by_leader: dict[int, list[int]] = {}
        for s in agreed:
            if s.leader >= 0:
                by_leader.setdefault(s.leader, []).append(s.partition)
        timeout = max(deadline - time.monotonic(), 0.1)
        asked = []
        for leader, partitions in by_leader.items():
            try:
                client = self._client(leader)
            except KeyError:  # a leader the cluster does not know (a stale view): nothing to ask
                continue
            fut = self._ask("offsets", leader, lambda c=client, ps=partitions: latest_offsets(c, self.topic, ps,
                                                                                                   timeout, timeout))
            if fut is not None:
                asked.append(fut)
        done, _ = wait(asked, timeout=max(deadline - time.monotonic(), 0.0))
        out: dict[int, tuple[int | None, int | None]] = {}
        for fut in done:
            try:
                out.update(fut.result())
            except Exception:  # a leader that did not answer: this sample has no epoch or hwm for its partitions
                continue
        return out

    def _run(self) -> None:
        start = time.monotonic()
        tick = 0
        while not self._stop.is_set():
            self.sample_once()
            # The next tick on the fixed grid; ticks already missed are skipped, not run back to back.
            tick = max(tick + 1, int((time.monotonic() - start) / self.interval_s) + 1)
            self._stop.wait(max(start + tick * self.interval_s - time.monotonic(), 0.0))
