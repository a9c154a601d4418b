"""kafka-chaos: a chaos-testing harness for Apache Kafka.

The pieces, as in Jepsen: the cluster (system under test), the nemesis (faults), the workload
(clients that record), the history (one append-only record), the checks (pure functions over the
history) and the report. Running writes the history; checking reads only the history.
"""

__version__ = "0.1.0"
