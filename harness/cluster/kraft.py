"""The system under test: a multi-broker KRaft cluster in Docker, started with Testcontainers.

Every broker is a combined broker+controller with a static quorum, a rack (``broker.rack``) and the
rack-aware replica selector (KIP-392). Brokers talk to each other on an internal listener by network
alias; clients on the host use an external listener bound to 127.0.0.1 on a port chosen before start.
Containers and the network carry the run's label and are removed on every exit path.
"""

from __future__ import annotations

import datetime as _dt
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from functools import cached_property

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from docker.errors import APIError, NotFound
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_delay, wait_fixed
from testcontainers.core.container import DockerContainer
from testcontainers.core.exceptions import ContainerStartException
from testcontainers.core.network import Network

from harness.cluster.cleanup import clean_orphans
from harness.cluster.config import ClusterConfig
from harness.cluster.engine import docker_client, run_labels
from harness.errors import ClusterError

INTERNAL_PORT = 9092
CONTROLLER_PORT = 9093
EXTERNAL_PORT = 9094
DATA_DIR = "/var/lib/kafka-chaos/data"
PROBE_TOPIC = "chaos-probe"
READY_POLL_S = 0.25
"""How often readiness is looked at while a cluster starts (each look is a few cheap requests on one
long-lived admin client): a coarser step only adds to the time to ready."""
RACK_AWARE_SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"


DEFAULT_KAFKA_JVM_OPTS = ("-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 "
                          "-XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true")
"""Kafka's own KAFKA_JVM_PERFORMANCE_OPTS (kafka-run-class.sh), set explicitly when no other is asked for."""


def new_run_id() -> str:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(2)}"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BrokerContainer(DockerContainer):
    """A broker's container, Testcontainers style. Its client listener is published on 127.0.0.1 only
    (``with_bind_ports`` can name a host port but not a host address, and would publish on every
    interface)."""

    def __init__(self, image: str, host_port: int):
        super().__init__(image)
        self.host_port = host_port

    def _configure(self) -> None:
        # docker-py takes (address, port) for a host binding; Testcontainers calls this before create.
        self.ports[f"{EXTERNAL_PORT}/tcp"] = ("127.0.0.1", self.host_port)  # type: ignore[assignment]


@dataclass
class Broker:
    """One broker container and what a client or a fault needs to know about it."""

    node_id: int
    rack: str
    alias: str
    host_port: int
    container: BrokerContainer

    @property
    def internal_address(self) -> str:
        return f"{self.alias}:{INTERNAL_PORT}"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.host_port}"

    @property
    def name(self) -> str:
        return self._docker().name

    def _docker(self):
        """The docker-py container behind the Testcontainers one (its public accessor)."""
        return self.container.get_wrapped_container()

    def status(self) -> str:
        c = self._docker()
        c.reload()
        return c.status

    def started_at(self) -> str:
        """When the broker's container last started (Docker's timestamp): changes on every restart."""
        c = self._docker()
        c.reload()
        return c.attrs["State"]["StartedAt"]

    def remove(self) -> None:
        """Remove the container and its volumes, whatever its state."""
        self._docker().remove(force=True, v=True)

    def ip(self) -> str:
        """The broker's address on the cluster network (it may change across a restart)."""
        c = self._docker()
        c.reload()
        nets = c.attrs["NetworkSettings"]["Networks"]
        return next(iter(nets.values()))["IPAddress"]

    def logs(self, tail: int = 40) -> str:
        return self._docker().logs(tail=tail).decode(errors="replace")

    def exec(self, cmd: list[str] | str) -> tuple[int, str]:
        code, out = self._docker().exec_run(cmd)
        return code, out.decode(errors="replace")

    def kill(self, signal: str = "SIGKILL") -> None:
        self._docker().kill(signal=signal)

    def stop(self, timeout_s: int = 30) -> None:
        """Clean shutdown: SIGTERM, then SIGKILL after the timeout."""
        self._docker().stop(timeout=timeout_s)

    def start(self) -> None:
        """Start a stopped broker again; its data (and KRaft storage) is kept."""
        self._docker().start()

    def pause(self) -> None:
        self._docker().pause()

    def unpause(self) -> None:
        self._docker().unpause()


class KafkaCluster:
    """A cluster of brokers; use as a context manager so it is always removed."""

    def __init__(self, config: ClusterConfig | None = None, run_id: str | None = None, log=print):
        self.config = config or ClusterConfig()
        if self.config.brokers < 1:
            raise ClusterError("a cluster needs at least one broker")
        if not self.config.racks:
            raise ClusterError("a cluster needs at least one rack")
        self.run_id = run_id or new_run_id()
        self.cluster_id = _kraft_cluster_id()
        self.brokers: list[Broker] = []
        self.network: Network | None = None
        self._network_created = False
        self._log = log

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> KafkaCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> KafkaCluster:
        try:
            self._create()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Remove every container and the network. Idempotent; safe on a half-started cluster."""
        for name in ("admin",):
            self.__dict__.pop(name, None)
        for broker in self.brokers:
            try:
                broker.remove()
            except (NotFound, APIError, ContainerStartException):
                pass  # gone already, or never created
        self.brokers = []
        if self.network is not None and self._network_created:
            try:
                self.network.remove()
            except (NotFound, APIError):
                pass
        self.network = None
        self._network_created = False

    def _create(self) -> None:
        client = docker_client()
        try:
            client.images.get(self.config.image)
        except NotFound:
            raise ClusterError(
                f"broker image {self.config.image} is missing; build it with `kafka-chaos image`"
            ) from None
        removed = clean_orphans()
        if any(removed):
            self._log(f"removed {removed[0]} container(s) and {removed[1]} network(s) left by runs whose process is gone")
        labels = run_labels(self.run_id)
        self.network = Network(docker_network_kw={"labels": labels})
        self.network.name = f"kafka-chaos-{self.run_id}"
        self.network.create()
        self._network_created = True
        n = self.config.brokers
        voters = ",".join(f"{i}@kafka-{i}:{CONTROLLER_PORT}" for i in range(1, n + 1))
        for index in range(n):
            node_id = index + 1
            alias = f"kafka-{node_id}"
            rack = self.config.rack_of(index)
            port = free_port()
            props = self._server_properties(node_id, alias, rack, port, voters)
            container = (
                BrokerContainer(self.config.image, port)
                .with_name(f"kc-{self.run_id}-{alias}")
                .with_network(self.network)
                .with_network_aliases(alias)
                .with_env("CHAOS_SERVER_PROPERTIES", props)
                .with_env("CHAOS_CLUSTER_ID", self.cluster_id)
                .with_env("KAFKA_HEAP_OPTS", self.config.heap)
                .with_env("KAFKA_JVM_PERFORMANCE_OPTS", self.config.jvm_opts or DEFAULT_KAFKA_JVM_OPTS)
                .with_env("CHAOS_CDS", "on" if self.config.cds else "off")
                .with_kwargs(labels=labels, cap_add=["NET_ADMIN"], hostname=alias)
            )
            broker = Broker(node_id=node_id, rack=rack, alias=alias, host_port=port, container=container)
            self.brokers.append(broker)
            try:
                container.start()
            except APIError as exc:
                raise ClusterError(f"could not start broker {node_id}: {_one_line(exc.explanation or exc)}") from None
        self._log(f"started {n} brokers ({', '.join(f'{b.node_id}:{b.rack}' for b in self.brokers)}), run {self.run_id}")

    def _server_properties(self, node_id: int, alias: str, rack: str, port: int, voters: str) -> str:
        n = self.config.brokers
        props = {
            "process.roles": "broker,controller",
            "node.id": str(node_id),
            "controller.quorum.voters": voters,
            "listeners": f"INTERNAL://0.0.0.0:{INTERNAL_PORT},CONTROLLER://0.0.0.0:{CONTROLLER_PORT},"
            f"EXTERNAL://0.0.0.0:{EXTERNAL_PORT}",
            "advertised.listeners": f"INTERNAL://{alias}:{INTERNAL_PORT},EXTERNAL://127.0.0.1:{port}",
            "listener.security.protocol.map": "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL",
            "controller.listener.names": "CONTROLLER",
            "log.dirs": DATA_DIR,
            "broker.rack": rack,
            "replica.selector.class": RACK_AWARE_SELECTOR,
            # Durable internal topics: never the factor-1 settings of the usual compose examples.
            "offsets.topic.replication.factor": str(min(3, n)),
            "transaction.state.log.replication.factor": str(min(3, n)),
            "transaction.state.log.min.isr": str(min(2, n)),
            "default.replication.factor": str(min(3, n)),
            "min.insync.replicas": str(min(2, n)),
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": "0",
            # Internal topics small enough to create in a moment on 2 cores (Kafka's default is 50
            # partitions each), and consumer-protocol (KIP-848) groups that notice a dead member within
            # seconds, as the classic groups do with the harness's session.timeout.ms.
            "offsets.topic.num.partitions": "6",
            "transaction.state.log.num.partitions": "6",
            "group.consumer.min.session.timeout.ms": "6000",
            "group.consumer.session.timeout.ms": "10000",
            "group.consumer.min.heartbeat.interval.ms": "500",
            "group.consumer.heartbeat.interval.ms": "1000",
            # A transaction whose producer is gone is aborted soon after its timeout (default: checked
            # every 10 s), so a consumer of committed data is not held behind it longer than that.
            "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
            **self.config.broker_settings,
        }
        return "\n".join(f"{k}={v}" for k, v in props.items())

    # -- clients ---------------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers)

    @cached_property
    def admin(self) -> AdminClient:
        return AdminClient({"bootstrap.servers": self.bootstrap_servers, "socket.timeout.ms": 10000, "log_level": 0})

    def admin_via(self, node_id: int) -> AdminClient:
        """A new admin client that knows only this broker: its first request can go nowhere else.

        Not cached: librdkafka sends Metadata over any connection a client holds, and a long-lived
        client gathers connections to other brokers (one of which may be the one a fault cut off).
        """
        return AdminClient({"bootstrap.servers": self.broker(node_id).bootstrap, "socket.timeout.ms": 5000,
                            "log_level": 0})

    def broker(self, node_id: int) -> Broker:
        for b in self.brokers:
            if b.node_id == node_id:
                return b
        raise KeyError(f"no broker {node_id}")

    # -- readiness -------------------------------------------------------------------------------

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Every broker registered, and a probe topic with a full ISR. Names the laggard on timeout."""
        timeout_s = timeout_s or self.config.ready_timeout_s
        started = time.monotonic()
        try:
            for attempt in Retrying(
                stop=stop_after_delay(timeout_s), wait=wait_fixed(READY_POLL_S),
                retry=retry_if_exception_type(_NotReady)
            ):
                with attempt:
                    self._check_ready()
        except RetryError as err:
            cause = err.last_attempt.exception()
            broker = getattr(cause, "broker", None)
            detail = ""
            if broker is not None:
                detail = f"\n--- last lines of broker {broker.node_id}'s log ---\n{broker.logs(tail=25)}"
            raise ClusterError(f"cluster not ready after {timeout_s:.0f} s: {cause}", details=detail) from None
        self._log(f"cluster ready in {time.monotonic() - started:.1f} s")

    def _check_ready(self) -> None:
        for b in self.brokers:
            if b.status() != "running":
                raise _NotReady(f"broker {b.node_id} is {b.status()}", b)
        try:
            nodes = self.admin.describe_cluster(request_timeout=5).result().nodes
        except KafkaException as exc:
            raise _NotReady(f"cluster metadata unavailable ({exc.args[0].str()})", self.brokers[0]) from None
        registered = {n.id for n in nodes}
        for b in self.brokers:
            if b.node_id not in registered:
                raise _NotReady(f"broker {b.node_id} is not registered", b)
        rf = min(3, len(self.brokers))
        topics = self.admin.list_topics(timeout=5).topics
        if PROBE_TOPIC not in topics:
            fs = self.admin.create_topics([NewTopic(PROBE_TOPIC, num_partitions=len(self.brokers), replication_factor=rf)])
            try:
                fs[PROBE_TOPIC].result()
            except KafkaException as exc:
                raise _NotReady(f"probe topic not created ({exc.args[0].str()})", self.brokers[0]) from None
        for p in self.admin.list_topics(PROBE_TOPIC, timeout=5).topics[PROBE_TOPIC].partitions.values():
            missing = set(p.replicas) - set(p.isrs)
            if missing or p.leader < 0:
                laggard = self.broker(min(missing)) if missing else self.brokers[0]
                raise _NotReady(f"probe partition {p.id} ISR {sorted(p.isrs)} lacks {sorted(missing)}", laggard)


class _NotReady(Exception):
    def __init__(self, message: str, broker: Broker):
        super().__init__(message)
        self.broker = broker


def _kraft_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding (what kafka-storage random-uuid gives).

    Never one starting with "-": ``kafka-storage format -t -Ab...`` reads it as an option and the broker
    exits (about 1 id in 64; seen in CI).
    """
    import base64

    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:300]
