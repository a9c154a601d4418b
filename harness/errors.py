"""Typed errors. Anything derived from HarnessError is shown as one line and exits 2."""


class HarnessError(Exception):
    """A problem with the input or the environment, not a verdict about Kafka.

    ``str(err)`` is the one-line reason; ``details`` may hold more (a broker's log tail) for stderr.
    """

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class ScenarioError(HarnessError):
    """A scenario file that cannot be used as written."""


class EngineError(HarnessError):
    """No Docker engine answers, or it refused an operation."""


class ImageError(HarnessError):
    """The broker image is missing or could not be built."""


class ClusterError(HarnessError):
    """The cluster could not be started or did not become ready."""


class FaultError(HarnessError):
    """A fault could not be injected or healed."""


class HistoryError(HarnessError):
    """A history file that cannot be read as a history: empty, corrupt (``FILE:LINE: what is wrong``), or
    of a schema version this harness does not know."""
