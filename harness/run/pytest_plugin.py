"""pytest plugin (entry point ``kafka_chaos``): scenario files as tests, and fixtures for your own.

- Scenario files (``*.toml`` under the directories of the ``kafka_chaos_scenario_dirs`` ini option,
  default ``scenarios``) that are scenarios (see ``is_scenario_file``) are collected as test items
  when pytest is pointed at them:
  ``pytest scenarios/``. An item passes when the run's verdict is pass; it fails with the checks
  that failed and the path of the report. JUnit XML works as for any test.
- Fixtures: ``kafka_image``, ``kafka_cluster_config`` (override it to change brokers or settings),
  ``kafka_cluster`` (shared by the whole session by default: ini ``kafka_chaos_cluster_scope``),
  ``chaos_topic`` (a fresh replication-factor-3 topic), ``chaos_history`` (a HistoryWriter) and
  ``nemesis`` (heals everything on teardown).
- Options: ``--kafka-version``, ``--kafka-image``, ``--chaos-out``; ini ``kafka_chaos_version``,
  ``kafka_chaos_image``.
- Marker ``cluster`` on everything that needs Docker, so ``-m "not cluster"`` is a quick run.

Assertions on a history live in ``harness.run.testing``.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from pathlib import Path

import pytest

from harness.errors import HarnessError

DEFAULT_SCENARIO_DIRS = "scenarios"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kafka-chaos", "Kafka chaos testing")
    group.addoption("--kafka-version", dest="kafka_version", default=None,
                    help="Kafka version of the broker image (default: the harness's pinned version)")
    group.addoption("--kafka-image", dest="kafka_image", default=None,
                    help="use this ready broker image instead of building one")
    group.addoption("--chaos-out", dest="chaos_out", default=None,
                    help="directory for scenario run outputs (default: reports)")
    parser.addini("kafka_chaos_version", "Kafka version of the broker image", default="")
    parser.addini("kafka_chaos_image", "a ready broker image to use", default="")
    parser.addini("kafka_chaos_scenario_dirs", "directories whose *.toml files are scenarios",
                  type="args", default=[DEFAULT_SCENARIO_DIRS])
    parser.addini("kafka_chaos_cluster_scope", "scope of the kafka_cluster fixture", default="session")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster: needs a real Kafka cluster in Docker (slow)")
    config.addinivalue_line("markers", "scenario: a collected kafka-chaos scenario file")


def _version(config: pytest.Config) -> str | None:
    return config.getoption("kafka_version") or config.getini("kafka_chaos_version") or None


def _image(config: pytest.Config) -> str | None:
    return config.getoption("kafka_image") or config.getini("kafka_chaos_image") or None


# -- scenario files as tests ----------------------------------------------------------------------


_NAME_LINE = re.compile(r"^\s*name\s*=", re.M)


def is_scenario_file(path: Path) -> bool:
    """A TOML file meant as a scenario: a top-level ``name`` and only a scenario's top-level keys. Other
    TOML files in a scenario folder (a deployment's ``[cluster]``, a load tool's ``[workload]``) are not
    collected; a scenario with a mistake inside a section is, so that it fails with its one-line reason.
    A file that is not TOML at all is collected only when it names itself like a scenario does."""
    from harness.run.scenario import Scenario

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return bool(_NAME_LINE.search(text)) and "[workload]" in text
    return "name" in data and set(data) <= set(Scenario.model_fields)


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.suffix != ".toml":
        return None
    dirs = parent.config.getini("kafka_chaos_scenario_dirs")
    root = Path(parent.config.rootpath)
    for d in dirs:
        base = (root / d).resolve()
        if base == file_path.parent.resolve() or base in file_path.resolve().parents:
            return ScenarioFile.from_parent(parent, path=file_path) if is_scenario_file(file_path) else None
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        item = ScenarioItem.from_parent(self, name=self.path.stem)
        item.add_marker(pytest.mark.cluster)
        item.add_marker(pytest.mark.scenario)
        yield item


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        from harness.run.runner import run_scenario
        from harness.run.scenario import load_scenario

        config = self.config
        scenario = load_scenario(self.path)
        cluster = scenario.cluster
        if _version(config):
            cluster = cluster.model_copy(update={"kafka_version": _version(config)})
        if _image(config):
            cluster = cluster.model_copy(update={"image": _image(config)})
        scenario = scenario.model_copy(update={"cluster": cluster})
        out = config.getoption("chaos_out") or str(Path(config.rootpath) / "reports")
        result = run_scenario(scenario, out_dir=out, log=lambda *_: None)
        self.user_properties.append(("report", str(result.run_dir / "report.html")))
        if result.verdict != "pass":
            failing = {n: c["count"] for n, c in result.report["checks"].items() if c["verdict"] in ("fail", "unknown")}
            raise ScenarioFailed(f"verdict {result.verdict}: {failing}; report {result.run_dir / 'report.md'}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (ScenarioFailed, HarnessError)):
            return f"{self.path.name}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.name}"


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kafka_image(request: pytest.FixtureRequest) -> str:
    """The broker image: --kafka-image as given, else the harness's own, built once if missing."""
    from harness.cluster.config import DEFAULT_KAFKA_VERSION, ImageSpec
    from harness.cluster.image import ensure_image

    return _image(request.config) or ensure_image(ImageSpec(_version(request.config) or DEFAULT_KAFKA_VERSION))


@pytest.fixture(scope="session")
def kafka_cluster_config(kafka_image: str):
    """Override this fixture to change brokers, racks or broker settings."""
    from harness.cluster.config import ClusterConfig

    return ClusterConfig(image=kafka_image)


def _cluster_scope(fixture_name: str, config: pytest.Config) -> str:
    return config.getini("kafka_chaos_cluster_scope") or "session"


@pytest.fixture(scope=_cluster_scope)
def kafka_cluster(kafka_cluster_config):
    """A running cluster, removed at the end of its scope whatever happens."""
    from harness.cluster.kraft import KafkaCluster

    with KafkaCluster(kafka_cluster_config, log=lambda *_: None) as cluster:
        yield cluster


@pytest.fixture
def chaos_topic(kafka_cluster) -> str:
    """A new topic (3 partitions, replication factor 3, min.insync.replicas 2) with a full ISR."""
    from harness.observe.state import all_in_sync, wait_for
    from harness.run.runner import create_topic
    from harness.run.scenario import TopicSpec

    name = f"t-{uuid.uuid4().hex[:8]}"
    rf = min(3, len(kafka_cluster.brokers))
    create_topic(kafka_cluster, TopicSpec(name=name, replication_factor=rf, min_insync_replicas=min(2, rf)))
    wait_for(lambda: all_in_sync(kafka_cluster.admin, name), 60)
    return name


@pytest.fixture
def chaos_history(tmp_path):
    from harness.history.writer import HistoryWriter

    with HistoryWriter(tmp_path / "history.jsonl") as history:
        yield history


@pytest.fixture
def nemesis(kafka_cluster, chaos_topic, chaos_history):
    """A fault injector on ``chaos_topic`` that heals everything when the test ends."""
    from harness.nemesis.core import Nemesis

    with Nemesis(kafka_cluster, chaos_history, chaos_topic) as n:
        yield n
    n.stop_watching()


@pytest.fixture
def consumer_group(kafka_cluster, chaos_topic, chaos_history):
    """Start consumer groups on ``chaos_topic``: ``consumer_group(name="g", members=3, protocol="classic",
    commit="manual", duration_s=60)`` returns a running ``harness.workload.group.ConsumerGroup`` (its members
    are processes; they record into ``chaos_history``). Every group is stopped when the test ends."""
    import time

    from harness.run.scenario import GroupSpec
    from harness.workload.group import ConsumerGroup

    started: list[ConsumerGroup] = []

    def start(duration_s: float = 60.0, **spec) -> ConsumerGroup:
        group = ConsumerGroup(GroupSpec(**spec), chaos_topic, kafka_cluster.bootstrap_servers, chaos_history,
                              end=time.monotonic() + duration_s)
        started.append(group.start())
        return group

    yield start
    for group in started:
        group.stop()


@pytest.fixture
def transactional_producer(kafka_cluster, chaos_topic, chaos_history):
    """Make a transactional producer on ``chaos_topic``: ``transactional_producer(k=0, duration_s=20, **kw)``
    returns a ``harness.workload.transactions.TransactionalProducer`` (transactional.id ``<topic>.txn-<k>``);
    call its ``run()``, in a thread if faults go with it."""
    from harness.workload.transactions import TransactionalProducer

    def partitions() -> int | None:  # the shared client's metadata may lag the topic's creation a moment
        topic = kafka_cluster.admin.list_topics(chaos_topic, timeout=10).topics.get(chaos_topic)
        return len(topic.partitions) if topic is not None and topic.partitions else None

    def make(k: int = 0, duration_s: float = 20.0, **kw) -> TransactionalProducer:
        from harness.observe.state import wait_for

        count, _ = wait_for(partitions, 30, 0.5)
        if count is None:
            raise RuntimeError(f"the cluster's metadata gave no partition of {chaos_topic} within 30 s")
        return TransactionalProducer(name=f"txn-{k}", bootstrap=kafka_cluster.bootstrap_servers, topic=chaos_topic,
                                     partitions=count, history=chaos_history,
                                     transactional_id=f"{chaos_topic}.txn-{k}", duration_s=duration_s, **kw)

    return make

