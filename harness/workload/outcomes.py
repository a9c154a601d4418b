"""How a librdkafka delivery error maps to a history outcome.

``fail`` means the record was definitely not written; ``info`` means it may or may not have been (the
checks then treat it as neither an obligation nor an error if it appears). Only errors raised before the
final attempt could have appended anything are ``fail``; a timeout or a lost connection is ``info``,
because the broker may have appended the batch and only the answer was lost.
"""

from __future__ import annotations

from confluent_kafka import KafkaError

DEFINITE_FAILURES: frozenset[int] = frozenset({
    KafkaError.MSG_SIZE_TOO_LARGE,          # too large: rejected before append (client or broker)
    KafkaError.RECORD_LIST_TOO_LARGE,
    KafkaError.INVALID_RECORD,
    KafkaError.INVALID_REQUIRED_ACKS,
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError._UNKNOWN_PARTITION,
    KafkaError._PURGE_QUEUE,                # purged from the queue before it was sent
    KafkaError.NOT_ENOUGH_REPLICAS,         # ISR below min.insync.replicas: refused before append
})
"""Errors after which the record is certainly not in the log (for the final attempt; the failed_sends_landed
check counts any ``fail`` that landed anyway, e.g. from an earlier attempt that timed out)."""


def classify(err: KafkaError) -> str:
    """``"fail"`` for a definite failure, ``"info"`` for an indeterminate one."""
    return "fail" if err.code() in DEFINITE_FAILURES else "info"
