"""Transactions against a real cluster: what the transactional producer records, and its coordinator moving."""

from __future__ import annotations

import threading

import pytest

from harness.history.loader import History, read_ops
from harness.history.ops import OpType
from harness.nemesis.core import Nemesis
from harness.nemesis.spec import FaultSpec
from harness.observe.coordinators import TRANSACTION_TOPIC, coordinator_of
from harness.observe.stable import record_stable_offsets
from harness.workload.reader import final_read

pytestmark = pytest.mark.cluster


def _history(writer) -> History:
    writer.flush()
    return History(list(read_ops(writer.path)))


def test_committed_transactions_are_read_whole_and_aborted_ones_never(kafka_cluster, chaos_topic, chaos_history,
                                                                      transactional_producer):
    """No fault: the producer's record of each transaction against what a consumer of committed data reads."""
    producer = transactional_producer(duration_s=6, size=3, abort_ratio=0.3, rate=10, seed=4)
    stats = producer.run()
    assert stats.committed > 5 and stats.aborted > 0 and stats.unknown == 0
    assert record_stable_offsets(kafka_cluster.bootstrap_servers, chaos_topic, 3, chaos_history, within_s=30)
    assert final_read(kafka_cluster.bootstrap_servers, [chaos_topic], 3, chaos_history, timeout_s=30)
    history = _history(chaos_history)
    read = {r[2] for op in history.ops if op.f == "read" and op.type is OpType.OK for r in op.value["records"]}
    done = [op for op in history.ops if op.f == "txn" and op.type is not OpType.INVOKE]
    assert len(done) == stats.begun
    for op in done:
        values = set(op.value["values"])
        assert op.type is OpType.OK and op.value["end_time"] is not None
        if op.value["action"] == "commit":
            assert values <= read, f"committed transaction {op.value['n']} not read whole"
            assert all(o is not None for o in op.value["offsets"])  # every value's delivery report came
        else:
            assert not values & read, f"aborted transaction {op.value['n']} read"
    (stable,) = [op for op in history.ops if op.f == "stable"]
    assert stable.type is OpType.OK and all(lso == hw for _, lso, hw in stable.value["partitions"])


def test_killing_the_transaction_coordinator_moves_it_and_transactions_commit_again(kafka_cluster, chaos_topic,
                                                                                     chaos_history,
                                                                                     transactional_producer):
    """The coordinator is the leader of the producer's __transaction_state partition: kill it, and a follower
    takes over; transactions commit again, and none is left open after the heal."""
    producer = transactional_producer(duration_s=40, size=3, abort_ratio=0.2, rate=5)
    thread = threading.Thread(target=producer.run, daemon=True)
    thread.start()
    first = None
    for _ in range(40):
        if producer.stats.committed >= 3:
            first = coordinator_of(kafka_cluster.admin, producer.transactional_id, TRANSACTION_TOPIC)
            break
        thread.join(0.5)
    assert first is not None, "no transaction committed before the fault"
    spec = FaultSpec(kind="kill", target={"role": "txn_coordinator", "producer": 0}, at_s=0, duration_s=10)
    with Nemesis(kafka_cluster, chaos_history, chaos_topic, transactional_ids={0: producer.transactional_id}) as n:
        fault = n.inject(spec)
        assert fault.nodes == [first]
        killed_at = chaos_history.now()
        n.stop_watching(60)
        effect = fault.start_effect
        assert effect is not None and effect.observed and f"moved from {first} to" in effect.observed, effect
        n.heal(fault)
        n.stop_watching(60)
    thread.join(60)
    assert not thread.is_alive()
    history = _history(chaos_history)
    after = [op for op in history.ops if op.f == "txn" and op.type is OpType.OK and op.value["action"] == "commit"
             and op.time > killed_at + 1]
    assert after, "no transaction committed after the coordinator was killed"
    assert record_stable_offsets(kafka_cluster.bootstrap_servers, chaos_topic, 3, chaos_history, within_s=40)
