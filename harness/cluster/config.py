"""What a cluster is made of, as plain values: the broker image's name and the cluster's shape.

Nothing here talks to Docker, so scenario files can be parsed and validated without an engine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

DEFAULT_KAFKA_VERSION = "4.3.1"
"""Newest 4.x release whose runtime dependencies all resolve from Maven Central (4.4.0's do not)."""

IMAGE_REPOSITORY = "kafka-chaos-broker"


class Recipe(str, enum.Enum):
    OFFLINE = "offline"
    OFFICIAL = "official"


@dataclass(frozen=True)
class ImageSpec:
    kafka_version: str = DEFAULT_KAFKA_VERSION
    recipe: Recipe = Recipe.OFFLINE

    @property
    def tag(self) -> str:
        return f"{IMAGE_REPOSITORY}:{self.kafka_version}"


DEFAULT_RACKS = ("rack-a", "rack-b", "rack-c")

FAST_START_JVM_OPTS = ("-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xss512k "
                       "-Djava.awt.headless=true")
"""JVM settings for small brokers on few cores: the C1 compiler alone (no C2 compilations competing with
start-up for the CPU), one compiler thread, the serial collector (no G1 threads and regions for a heap of
hundreds of MB)."""


@dataclass(frozen=True)
class ClusterConfig:
    brokers: int = 3
    racks: tuple[str, ...] = DEFAULT_RACKS
    """Broker i (from 0) gets racks[i % len(racks)]; several brokers may share a rack."""
    image: str = ImageSpec().tag
    broker_settings: dict[str, str] = field(default_factory=dict)
    """Extra server.properties entries; they override the harness's defaults."""
    heap: str = "-Xmx512m -Xms256m"
    jvm_opts: str | None = None
    """The brokers' KAFKA_JVM_PERFORMANCE_OPTS (also the storage format's JVM); None: Kafka's own (G1, C2).
    ``FAST_START_JVM_OPTS`` trades peak throughput for start-up CPU (benchmarks/cluster_startup.py)."""
    ready_timeout_s: float = 180.0

    def rack_of(self, index: int) -> str:
        return self.racks[index % len(self.racks)]
