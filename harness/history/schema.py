"""The history's record kinds as code: one class per kind of record, which is also its schema and its documentation.

Every line of a history is an op (see ``ENVELOPE``): who did what (``f``), with which outcome (``type``),
and a ``value`` whose shape depends on both. Each class below is one such shape: its ``f``, the op types
it may carry, and its fields. A field's type hint is its check; a field with a default is optional (left
out of the JSON when None, ``?`` in the documentation), a field that may be null but is always written has
none. The writer takes only these classes and the loader checks every line against them, so a history
either matches this module or is refused with its place and the reason.

Checks must stay cheap: a million sends are about two thousand batched ``send`` ops, so columns are
checked a column at a time at C speed (a join, a sum; the exact per-item check only to name what is
wrong), never an object per row.

The records a run's history holds, in the order they usually appear: ``run`` (with the schema version),
``cluster``, ``schedule``, ``phase``, ``sample``, ``send``, ``poll``, ``stats``, ``fault``, ``effect``,
``heal``, ``sweep``, ``healthy``, ``read``; ``producer`` only when a producer failed for good; with consumer
groups, ``member``, ``assignment``, ``commit``, ``group`` and, after the final read, ``group_offsets``; with
transactions, ``txn`` and, after the heal, ``stable``.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, TypeVar

SCHEMA_VERSION = 1
"""The version the writer records in the ``run`` op; bump it when a record's shape changes."""
KNOWN_VERSIONS = frozenset({1})
"""The versions the loader reads."""
UNVERSIONED = 1
"""The version of a history whose ``run`` op names none (written before versions were recorded)."""


class OpType(str, enum.Enum):
    """How an op ended: ``invoke`` opens it; ``ok`` it happened; ``fail`` it definitely did not;
    ``info`` the outcome is unknown (or, for observations, incomplete)."""

    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


OP_TYPES = {t.value: t for t in OpType}

ENVELOPE: dict[str, str] = {
    "index": "integer: the op's place in the history, from 0",
    "time": "number: seconds since the run started (monotonic clock)",
    "process": "string: who recorded it (a producer, a consumer, `nemesis`, `sampler`, `harness`, ...)",
    "type": "string: `invoke`, `ok`, `fail` or `info`",
    "f": "string: the kind of record; with `type`, it selects the record class below",
    "value": "object: the record's fields",
    "error": "string, optional: why a `fail` or `info` op did not succeed",
}
"""The keys of every line of a history, and what they hold."""
ENVELOPE_REQUIRED = frozenset(ENVELOPE) - {"error"}


class RecordError(ValueError):
    """A record that does not match its class (the loader adds the file and line)."""


ReadRecord = tuple[int, int, str]
"""One record read from Kafka, as ``[partition, offset, value]``."""
_TUPLE_NAMES: dict[Any, tuple[str, ...]] = {ReadRecord: ("partition", "offset", "value")}

# -- checks derived from type hints -----------------------------------------------------------------------

_Check = Callable[[Any], "str | None"]
"""Returns what is wrong with a value, or None when it fits."""

_SCALARS: dict[Any, frozenset[type]] = {
    str: frozenset({str}), int: frozenset({int}), float: frozenset({float, int}), bool: frozenset({bool}),
    type(None): frozenset({type(None)}),
}
_SCALAR_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_SEQUENCES = frozenset({list, tuple})


def _json_type(x: Any) -> str:
    """What a value is, in JSON's words (for messages)."""
    return {type(None): "null", bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", tuple: "a list", dict: "an object"}.get(type(x), type(x).__name__)


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return None


def _scalar_set(tp: Any) -> frozenset[type] | None:
    """The Python types a scalar hint (or a union of scalars) admits; None when it is not one."""
    if tp in _SCALARS:
        return _SCALARS[tp]
    args = _union_args(tp)
    if args and all(a in _SCALARS for a in args):
        return frozenset().union(*(_SCALARS[a] for a in args))
    return None


def describe(tp: Any) -> str:
    """A type hint in words, for the documentation and for messages."""
    if tp is Any:
        return "any"
    if tp in _SCALAR_NAMES:
        return _SCALAR_NAMES[tp]
    if tp in _TUPLE_NAMES:
        return "[" + ", ".join(_TUPLE_NAMES[tp]) + "]"
    args = _union_args(tp)
    if args:
        return " or ".join(describe(a) for a in args)
    origin = typing.get_origin(tp)
    if origin is list:
        return f"list of {describe(typing.get_args(tp)[0])}"
    if origin is dict or tp is dict:
        return "object"
    if isinstance(tp, type) and issubclass(tp, Part):
        return tp.__name__
    return str(tp)


def _first_bad(items, ok: Callable[[Any], bool]) -> int:
    return next(i for i, x in enumerate(items) if not ok(x))


def _checker(tp: Any) -> _Check:
    """The check for one type hint. Lists of scalars and of fixed tuples are checked a column at a time."""
    if tp is Any:
        return lambda v: None
    scalars = _scalar_set(tp)
    if scalars is not None:
        want = describe(tp)
        return lambda v: None if type(v) in scalars else f"is {_json_type(v)}, expected {want}"
    args = _union_args(tp)
    if args:  # e.g. a nested part or None
        checks = [_checker(a) for a in args]

        def union(v: Any) -> str | None:
            problems = [c(v) for c in checks]
            return None if None in problems else problems[-1]
        return union
    origin = typing.get_origin(tp)
    if origin is dict or tp is dict:
        return lambda v: None if type(v) is dict else f"is {_json_type(v)}, expected an object"
    if isinstance(tp, type) and issubclass(tp, Part):
        return lambda v: tp.problem(v)
    if origin is list:
        return _list_checker(typing.get_args(tp)[0])
    raise TypeError(f"no check for type hint {tp!r}")


def _quick(scalars: frozenset[type]) -> Callable[[Any], bool]:
    """A test, at C speed, that a column holds only these scalars: True when it surely does, False when the
    exact check must decide. A string column must join, an integer column must sum to an integer, a number
    column must sum; a boolean passes for an integer (JSON true adds like 1), the price of a fast load."""
    base = scalars - {type(None)}
    if base == {str}:
        def ok(v: Any) -> bool:
            try:
                "".join(v)
                return True
            except TypeError:
                return False
    elif base == {int}:
        def ok(v: Any) -> bool:
            try:
                return type(sum(v)) is int
            except TypeError:
                return False
    elif base == {int, float}:
        def ok(v: Any) -> bool:
            try:
                sum(v)
                return True
            except TypeError:
                return False
    else:
        def ok(v: Any) -> bool:
            return False
    return ok


def _list_checker(item: Any) -> _Check:
    scalars = _scalar_set(item)
    if scalars is not None:
        want = describe(item)
        quick = _quick(scalars)

        def column(v: Any) -> str | None:
            if type(v) not in _SEQUENCES:
                return f"is {_json_type(v)}, expected a list of {want}"
            if quick(v) or set(map(type, v)) <= scalars:
                return None
            i = _first_bad(v, lambda x: type(x) in scalars)
            return f"item {i} is {_json_type(v[i])}, expected {want}"
        return column
    if typing.get_origin(item) is tuple:
        return _tuples_checker(item)
    each = _checker(item)

    def items(v: Any) -> str | None:
        if type(v) not in _SEQUENCES:
            return f"is {_json_type(v)}, expected a list"
        for i, x in enumerate(v):
            if problem := each(x):
                return f"item {i} {problem}"
        return None
    return items


def _tuples_checker(item: Any) -> _Check:
    """A list of fixed-length tuples of scalars (JSON lists), checked per column after one transpose."""
    parts = typing.get_args(item)
    sets = [_scalar_set(p) for p in parts]
    if any(s is None for s in sets):
        raise TypeError(f"tuple items must be scalars: {item!r}")
    quicks = [_quick(s) for s in sets]  # type: ignore[arg-type]
    names = _TUPLE_NAMES.get(item) or tuple(f"field {k}" for k in range(len(parts)))
    shape = "[" + ", ".join(names) + "]"

    def tuples(v: Any) -> str | None:
        if type(v) not in _SEQUENCES:
            return f"is {_json_type(v)}, expected a list of {shape}"
        if not v:
            return None
        try:  # strict: every item as long as the first; from JSON, a non-list item fails a column's quick test
            cols = tuple(zip(*v, strict=True))
        except (TypeError, ValueError):
            cols = ()
        if len(cols) == len(parts) and all(q(c) for q, c in zip(quicks, cols)):
            return None
        if not set(map(type, v)) <= _SEQUENCES:
            i = _first_bad(v, lambda x: type(x) in _SEQUENCES)
            return f"item {i} is {_json_type(v[i])}, expected {shape}"
        if set(map(len, v)) != {len(parts)}:
            i = _first_bad(v, lambda x: len(x) == len(parts))
            return f"item {i} has {len(v[i])} field(s), expected {len(parts)}: {shape}"
        for k, col in enumerate(zip(*v)):
            allowed = sets[k]
            if not set(map(type, col)) <= allowed:
                i = _first_bad(col, lambda x, allowed=allowed: type(x) in allowed)
                return f"item {i}: {names[k]} is {_json_type(col[i])}, expected {describe(parts[k])}"
        return None
    return tuples


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record class, as the loader checks it and the documentation shows it."""

    name: str
    hint: Any
    required: bool
    check: _Check
    part: type[Part] | None
    """The nested class when the field holds one (or a list of them), converted on the way in and out."""


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def fields_of(cls: type[Part]) -> tuple[FieldSpec, ...]:
    """The checked fields of a record or part class (worked out once per class from its type hints)."""
    spec = _SPECS.get(cls)
    if spec is None:
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint
            part = inner if isinstance(inner, type) and issubclass(inner, Part) else None
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            out.append(FieldSpec(f.name, hint, required, _checker(hint), part))
        spec = _SPECS[cls] = tuple(out)
    return spec


# -- the base classes ---------------------------------------------------------------------------------------

P = TypeVar("P", bound="Part")


@dataclass(slots=True)
class Part:
    """A checked group of fields: a record, or an object nested in one. Built objects are checked at once,
    so a writer cannot record what the loader would refuse."""

    def __post_init__(self) -> None:
        problem = type(self).problem(self.to_value())
        if problem:
            raise RecordError(f"{type(self).__name__}: {problem}")

    def to_value(self) -> dict[str, Any]:
        """The JSON object this is written as (lists are shared, not copied)."""
        out = {}
        for fs in fields_of(type(self)):
            v = getattr(self, fs.name)
            if v is None and not fs.required:
                continue  # an optional field is left out rather than written as null
            if fs.part is not None and v is not None:
                v = [x.to_value() if isinstance(x, Part) else x for x in v] if isinstance(v, list) else \
                    v.to_value() if isinstance(v, Part) else v
            out[fs.name] = v
        return out

    @classmethod
    def problem(cls, value: Any) -> str | None:
        """What is wrong with ``value`` as this class's JSON object, or None."""
        if type(value) is not dict:
            return f"is {_json_type(value)}, expected an object"
        spec = fields_of(cls)
        present = 0
        for fs in spec:
            if fs.name in value:
                present += 1
                problem = fs.check(value[fs.name])
                if problem:
                    return f"{fs.name} {problem}"
            elif fs.required:
                return f"missing field {fs.name!r}"
        if present != len(value):
            extra = sorted(set(value) - {fs.name for fs in spec})
            return f"unexpected field(s) {', '.join(map(repr, extra))}"
        return cls._cross_check(value)

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        """Rules across fields (a subclass's hook); the fields themselves are already checked."""
        return None

    @classmethod
    def from_value(cls: type[P], value: Any) -> P:
        """The object a checked JSON value describes; raises RecordError when it does not fit."""
        problem = cls.problem(value)
        if problem:
            raise RecordError(f"{cls.__name__}: {problem}")
        kwargs = dict(value)
        for fs in fields_of(cls):
            v = kwargs.get(fs.name)
            if fs.part is not None and v is not None:
                kwargs[fs.name] = [fs.part.from_value(x) for x in v] if isinstance(v, list) else \
                    fs.part.from_value(v)
        return cls(**kwargs)


@dataclass(slots=True)
class Record(Part):
    """A record kind: the ``value`` of ops with this ``f`` and one of these op ``types``."""

    f: ClassVar[str]
    types: ClassVar[frozenset[OpType]]


RECORDS: dict[tuple[str, OpType], type[Record]] = {}
"""(f, op type) -> the record class of that op's value."""


def _register(cls: type[Record]) -> type[Record]:
    if not cls.__doc__ or cls.__doc__.startswith(f"{cls.__name__}("):
        raise TypeError(f"{cls.__name__} needs a docstring: it is the schema's documentation")
    fields_of(cls)  # fail at import on a type hint that has no check
    for t in cls.types:
        if (cls.f, t) in RECORDS:
            raise TypeError(f"{cls.__name__}: {cls.f} {t.value} is already {RECORDS[(cls.f, t)].__name__}")
        RECORDS[(cls.f, t)] = cls
    return cls


def record_class(f: str, type_: OpType) -> type[Record]:
    """The class of an op's value; RecordError when no record of that ``f`` has that type."""
    type_ = OpType(type_)
    cls = RECORDS.get((f, type_))
    if cls is None:
        kinds = sorted({k for k, _ in RECORDS})
        if f not in kinds:
            raise RecordError(f"unknown record kind f={f!r} (known: {', '.join(kinds)})")
        allowed = [t.value for t in OpType if (f, t) in RECORDS]
        raise RecordError(f"a {f} record cannot be {type_.value} (only {', '.join(allowed)})")
    return cls


def check_value(f: str, type_: OpType, value: Any) -> None:
    """Check one op's value against its record class; RecordError says what is wrong."""
    cls = record_class(f, type_)
    problem = cls.problem(value)
    if problem:
        raise RecordError(f"{f} {OpType(type_).value} ({cls.__name__}): {problem}")


def decode(f: str, type_: OpType, value: Any) -> Record:
    """An op's value as its typed record."""
    return record_class(f, type_).from_value(value)


def kinds() -> dict[str, list[type[Record]]]:
    """Each ``f`` and its record classes, in the order they are defined."""
    out: dict[str, list[type[Record]]] = {}
    for (f, _), cls in RECORDS.items():
        if cls not in out.setdefault(f, []):
            out[f].append(cls)
    return out


def _types(*ts: OpType) -> frozenset[OpType]:
    return frozenset(ts)


INVOKE, OK, FAIL, INFO = OpType.INVOKE, OpType.OK, OpType.FAIL, OpType.INFO

# -- the run ------------------------------------------------------------------------------------------------


@_register
@dataclass(slots=True)
class Run(Record):
    """The first op of a run's history: which run, the scenario as run, the broker image, the wall-clock
    start, and the version of this schema the history follows (absent in histories older than versions)."""

    f: ClassVar[str] = "run"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    run_id: str
    scenario: dict[str, Any]
    image: str
    started_at: str
    schema_version: int = SCHEMA_VERSION
    wall_start: float | None = None
    """The wall clock (Unix seconds) at history time 0: turns Kafka's own timestamps into history times."""


@dataclass(slots=True)
class Broker(Part):
    """One broker of the cluster: its node id, its rack, the address clients bootstrap from."""

    node: int
    rack: str | None
    bootstrap: str


@_register
@dataclass(slots=True)
class Cluster(Record):
    """The brokers of the cluster under test, once they are up."""

    f: ClassVar[str] = "cluster"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    brokers: list[Broker]


@_register
@dataclass(slots=True)
class Lanes(Record):
    """Several topics written side by side in this run (a comparison's cells): each lane's label and its
    scenario (JSON form). ``harness.history.lanes`` cuts the history into one per lane."""

    f: ClassVar[str] = "lanes"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    lanes: list[dict[str, Any]]


@_register
@dataclass(slots=True)
class Schedule(Record):
    """The faults the run will inject, as the scenario's fault specs (their JSON form)."""

    f: ClassVar[str] = "schedule"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    faults: list[dict[str, Any]]


@_register
@dataclass(slots=True)
class Phase(Record):
    """The run entered a phase (``workload``, ``heal``); ``info`` with an error reports a problem in a
    phase (e.g. ``faults``: a scheduled fault could not be injected)."""

    f: ClassVar[str] = "phase"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    phase: str


@_register
@dataclass(slots=True)
class Healthy(Record):
    """After healing, every partition of the topic had a full ISR again, after ``after_s`` seconds."""

    f: ClassVar[str] = "healthy"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    topic: str
    after_s: float


@_register
@dataclass(slots=True)
class Unhealthy(Record):
    """After healing, the topic did not get a full ISR back in time (the error says how long was waited)."""

    f: ClassVar[str] = "healthy"
    types: ClassVar[frozenset[OpType]] = _types(INFO)
    topic: str


# -- the workload -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _SendBatch(Record):
    """Columns of one producer's sends with one outcome; every column has one entry per send."""

    f: ClassVar[str] = "send"
    columns: ClassVar[tuple[str, ...]] = ()
    topic: str
    values: list[str]
    times: list[float]
    """When each send was invoked (invoke) or its delivery report arrived (the others), history clock."""

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        n = len(value["values"])
        if any(len(value[c]) != n for c in cls.columns):
            return "columns differ in length: " + ", ".join(f"{c} {len(value[c])}" for c in cls.columns)
        return None


@_register
@dataclass(slots=True)
class SendInvoke(_SendBatch):
    """A batch of sends as invoked: each value, when it was sent, and its key."""

    types: ClassVar[frozenset[OpType]] = _types(INVOKE)
    columns: ClassVar[tuple[str, ...]] = ("values", "times", "keys")
    keys: list[str | None]


@_register
@dataclass(slots=True)
class SendOk(_SendBatch):
    """A batch of acknowledged sends: each value, when it was acknowledged, and where it was written."""

    types: ClassVar[frozenset[OpType]] = _types(OK)
    columns: ClassVar[tuple[str, ...]] = ("values", "times", "partitions", "offsets")
    partitions: list[int]
    offsets: list[int | None]


@_register
@dataclass(slots=True)
class SendFailed(_SendBatch):
    """A batch of sends that did not succeed: ``fail`` definitely not written, ``info`` indeterminate
    (may or may not have been written); ``errors`` holds each one's librdkafka error name."""

    types: ClassVar[frozenset[OpType]] = _types(FAIL, INFO)
    columns: ClassVar[tuple[str, ...]] = ("values", "times", "errors")
    errors: list[str]


@_register
@dataclass(slots=True)
class ProducerFatal(Record):
    """A producer hit a fatal error and gave up (the error says which); its unsent values end as fail/info sends."""

    f: ClassVar[str] = "producer"
    types: ClassVar[frozenset[OpType]] = _types(INFO)
    topic: str


def _epochs_fit(value: dict[str, Any]) -> str | None:
    epochs = value.get("epochs")
    if epochs is not None and len(epochs) != len(value["records"]):
        return f"epochs has {len(epochs)} entries for {len(value['records'])} records"
    return None


@_register
@dataclass(slots=True)
class Poll(Record):
    """Records a consumer received during the run (``reader``: ``leader``, ``rack:<rack>`` or, for a group
    member, ``group:<group id>``); ``info`` with an error and no records reports a consume error.
    ``isolation`` is ``read_uncommitted`` for a consumer that reads past the last stable offset (records of
    open and aborted transactions); absent, it read committed data only (librdkafka's default)."""

    f: ClassVar[str] = "poll"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    topic: str
    reader: str
    records: list[ReadRecord]
    epochs: list[int | None] | None = None
    """The leader epoch of each record's batch, as the client reports it (null: unknown); absent in
    histories recorded before it was."""
    isolation: str | None = None
    watermarks: list[list[int]] | None = None
    """``[partition, high watermark]`` for each partition in this poll: librdkafka's cached high watermark
    from its latest fetch response, read as the poll returned. Approximate, and not used by the checks: on
    a real cluster the cache was seen older than the records it came with (0 while records 0 to 2 were
    returned)."""

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        return _epochs_fit(value)


@_register
@dataclass(slots=True)
class OffsetReset(Record):
    """A consumer's fetch position in a partition was out of range at its broker (e.g. past the end of a
    log an unclean election truncated), and the consumer restarted from ``to`` (``earliest`` or
    ``latest``), at offset ``position`` or later. The polls after it may legitimately go back."""

    f: ClassVar[str] = "reset"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    topic: str
    partition: int
    position: int | None
    to: str


# -- consumer groups ----------------------------------------------------------------------------------------
# A group member is a process of its own (``harness.workload.group_member``), so that a fault can SIGKILL or
# SIGSTOP it as a crash or a stall of a real application would. Its polls are ``poll`` ops whose reader is
# ``group:<group id>``; its process is ``group-<name>-<n>`` (``-r<k>`` for the k-th replacement after a kill).


@_register
@dataclass(slots=True)
class MemberEvent(Record):
    """A group member's life, as the harness saw it: ``started`` (its process is up), ``closed`` (it left the
    group cleanly at the end), ``killed`` (SIGKILL), ``paused`` (SIGSTOP), ``resumed`` (SIGCONT), ``exited``
    (it ended on its own; ``info``: with an error). ``member`` is its index in the group, ``pid`` its process.
    ``topic`` is the one the group reads."""

    f: ClassVar[str] = "member"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    EVENTS: ClassVar[frozenset[str]] = frozenset({"started", "closed", "killed", "paused", "resumed", "exited"})
    group: str
    topic: str
    member: int
    event: str
    pid: int | None = None

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        return None if value["event"] in cls.EVENTS else f"event {value['event']!r} is not one of {sorted(cls.EVENTS)}"


@_register
@dataclass(slots=True)
class Assignment(Record):
    """A group member's rebalance callback: ``event`` ``assigned`` (partitions given to it), ``revoked``
    (taken back; it committed first when its commit mode allows) or ``lost`` (taken without a chance to
    commit: its session expired). ``partitions`` are the callback's: the whole assignment with the classic
    protocol's eager assignors, only the change with cooperative ones and with the consumer protocol (an
    ``assigned`` of no partition is then a rebalance that gave this member nothing new). ``protocol``:
    ``classic`` or ``consumer`` (KIP-848)."""

    f: ClassVar[str] = "assignment"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    EVENTS: ClassVar[frozenset[str]] = frozenset({"assigned", "revoked", "lost"})
    group: str
    topic: str
    event: str
    partitions: list[int]
    protocol: str

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        return None if value["event"] in cls.EVENTS else f"event {value['event']!r} is not one of {sorted(cls.EVENTS)}"


@_register
@dataclass(slots=True)
class Commit(Record):
    """An offset commit of a group member. ``offsets``: ``[partition, offset, leader epoch]`` (the offset is
    the next to process; epoch -1: unknown). ``auto``: librdkafka's background auto-commit (reported by its
    commit callback, so there is no ``invoke``); otherwise a synchronous commit after processing: ``invoke``
    then ``ok``, or ``fail`` (refused, e.g. a member fenced after a rebalance) or ``info`` (unknown)."""

    f: ClassVar[str] = "commit"
    types: ClassVar[frozenset[OpType]] = _types(INVOKE, OK, FAIL, INFO)
    group: str
    topic: str
    offsets: list[list[int]]
    auto: bool


@dataclass(slots=True)
class GroupMember(Part):
    """One member of a group as the coordinator describes it."""

    member_id: str
    client_id: str
    partitions: list[int]


@_register
@dataclass(slots=True)
class GroupSample(Record):
    """The group as its coordinator described it (Admin API): its state, the coordinator's node, the
    group's type (``classic`` or ``consumer``) and each member's assignment of the topic. ``info``: the
    group could not be described (the error says why); ``coordinator`` is then the leader of the group's
    ``__consumer_offsets`` partition from metadata, when one was known."""

    f: ClassVar[str] = "group"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    group: str
    topic: str
    state: str | None = None
    coordinator: int | None = None
    type: str | None = None
    members: list[GroupMember] = dataclasses.field(default_factory=list)


@_register
@dataclass(slots=True)
class GroupOffsets(Record):
    """The group's committed offsets as the coordinator holds them after the run (read after the final
    read): ``[partition, offset, leader epoch]``, offset -1 where nothing was committed. ``info``: they
    could not be read."""

    f: ClassVar[str] = "group_offsets"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    group: str
    topic: str
    offsets: list[list[int]] | None = None


# -- transactions -------------------------------------------------------------------------------------------


@_register
@dataclass(slots=True)
class Txn(Record):
    """One transaction of a transactional producer (``transactional_id``), its ``n``-th. ``invoke``: it began,
    meant to end with ``action`` (``commit`` or ``abort``, a seeded choice), and will write ``values`` to
    ``partitions`` of ``topic`` (one entry per value). The completion: ``ok`` it ended as meant (committed,
    or aborted); ``fail`` it surely did not commit (a commit refused, then aborted; or an abort); ``info``
    its outcome is unknown (a commit that timed out, a producer that failed for good). A completion also
    holds ``offsets`` (each value's offset from its delivery report, null when none came) and ``end_time``
    (history time at which the commit or abort was asked for: before it, the transaction was open)."""

    f: ClassVar[str] = "txn"
    types: ClassVar[frozenset[OpType]] = _types(INVOKE, OK, FAIL, INFO)
    ACTIONS: ClassVar[frozenset[str]] = frozenset({"commit", "abort"})
    transactional_id: str
    n: int
    action: str
    topic: str
    values: list[str]
    partitions: list[int]
    offsets: list[int | None] | None = None
    end_time: float | None = None

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        if value["action"] not in cls.ACTIONS:
            return f"action {value['action']!r} is not one of {sorted(cls.ACTIONS)}"
        n = len(value["values"])
        if len(value["partitions"]) != n or (value.get("offsets") is not None and len(value["offsets"]) != n):
            return "values, partitions and offsets differ in length"
        return None


@_register
@dataclass(slots=True)
class StableOffsets(Record):
    """Each partition's last stable offset beside its high watermark, ``[partition, LSO, high watermark]``,
    read after the heal: ``ok`` once every LSO had caught up with its high watermark (no transaction left
    open), ``info`` when some had not by the deadline (the error says how long was waited): consumers that
    read committed data are stuck behind a transaction that never ends."""

    f: ClassVar[str] = "stable"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    topic: str
    partitions: list[list[int]]
    waited_s: float


@_register
@dataclass(slots=True)
class ReadStart(Record):
    """The final read (after healing) of one partition begins."""

    f: ClassVar[str] = "read"
    types: ClassVar[frozenset[OpType]] = _types(INVOKE)
    topic: str
    partition: int
    reader: str


@_register
@dataclass(slots=True)
class Read(Record):
    """A chunk of the final read of one partition. ``ok``: read up to the end offset (or a chunk before
    it); ``info``: the last chunk of a read that did not reach the end offset in time (the error says how far)."""

    f: ClassVar[str] = "read"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    topic: str
    partition: int
    reader: str
    records: list[ReadRecord]
    epochs: list[int | None] | None = None
    """The leader epoch of each record's batch (see ``Poll``)."""
    end_offset: int | None = None
    """The partition's end offset (high watermark) the read aimed for."""
    served_by: list[int] | None = None
    """The brokers the client fetched this partition from during the read, in the order librdkafka's
    statistics named them (its per-partition ``broker``); empty when no statistics came in time."""

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        return _epochs_fit(value)


# -- the faults ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _FaultRef(Record):
    """Which fault: its id in this run (``f1``, ``f2``, ...), its kind, its target as described."""

    id: str
    kind: str
    target: str


@_register
@dataclass(slots=True)
class FaultStart(_FaultRef):
    """The nemesis starts injecting a fault."""

    f: ClassVar[str] = "fault"
    types: ClassVar[frozenset[OpType]] = _types(INVOKE)


@_register
@dataclass(slots=True)
class FaultStarted(_FaultRef):
    """A fault is in force: the nodes its target resolved to, the nodes cut off, and what was done."""

    f: ClassVar[str] = "fault"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    nodes: list[int]
    cut_off: list[int] | None = None
    detail: str | None = None


@_register
@dataclass(slots=True)
class FaultFailed(_FaultRef):
    """A fault could not be injected (``unsupported``: this cluster cannot do that kind); the error says why."""

    f: ClassVar[str] = "fault"
    types: ClassVar[frozenset[OpType]] = _types(FAIL)
    nodes: list[int]
    unsupported: bool


@_register
@dataclass(slots=True)
class HealStart(_FaultRef):
    """The nemesis starts healing a fault."""

    f: ClassVar[str] = "heal"
    types: ClassVar[frozenset[OpType]] = _types(INVOKE)


@_register
@dataclass(slots=True)
class Healed(_FaultRef):
    """A fault was healed on these nodes."""

    f: ClassVar[str] = "heal"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    nodes: list[int]


@_register
@dataclass(slots=True)
class HealFailed(_FaultRef):
    """Healing a fault raised (the error says what); the sweep after it still runs."""

    f: ClassVar[str] = "heal"
    types: ClassVar[frozenset[OpType]] = _types(INFO)


@_register
@dataclass(slots=True)
class Effect(Record):
    """What the cluster was seen to do after fault ``id`` (of ``kind``) started or healed (``phase``: ``start``
    or ``heal``), ``after_s`` seconds later; ``info`` when it was not seen before its deadline (``observed``
    null, the error says what was expected). ``expect`` names what was awaited, so the report can decide it
    from the controller's record afterwards: ``leader_moved`` (the leader of ``topic``-``partition`` away from
    ``nodes``), ``isr_dropped`` (``nodes`` out of its ISR), ``controller_moved`` (the active controller away
    from ``nodes``), ``isr_full`` (its ISR full again), ``any_change`` (of its leader or ISR) or
    ``packets_dropped``; for consumer groups ``coordinator_moved`` (the group's coordinator away from
    ``nodes``), ``member_left`` and ``member_joined`` (a member out of the group's description, or back).
    The last four are not in the controller's record: decided live only. Histories older than ``expect``
    have none of these four fields."""

    f: ClassVar[str] = "effect"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    EXPECTS: ClassVar[frozenset[str]] = frozenset({"leader_moved", "isr_dropped", "controller_moved", "isr_full",
                                                   "any_change", "packets_dropped", "coordinator_moved",
                                                   "member_left", "member_joined"})
    id: str
    kind: str
    phase: str
    after_s: float
    observed: str | None
    expect: str | None = None
    topic: str | None = None
    partition: int | None = None
    nodes: list[int] | None = None

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        expect = value.get("expect")
        if expect is not None and expect not in cls.EXPECTS:
            return f"expect {expect!r} is not one of {', '.join(sorted(cls.EXPECTS))}"
        return None


@_register
@dataclass(slots=True)
class Sweep(Record):
    """The heal-everything sweep: what it fixed (resumed, started, flushed) and what is still wrong
    (``info`` when something is left)."""

    f: ClassVar[str] = "sweep"
    types: ClassVar[frozenset[OpType]] = _types(OK, INFO)
    fixed: list[str]
    left: list[str]


# -- observation --------------------------------------------------------------------------------------------


@_register
@dataclass(slots=True)
class Sample(Record):
    """One partition's state as most brokers report it: leader (-1: none), replicas, ISR, leader epoch
    and high watermark (null where the leader did not answer)."""

    f: ClassVar[str] = "sample"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    topic: str
    partition: int
    leader: int
    replicas: list[int]
    isr: list[int]
    epoch: int | None
    hwm: int | None


@_register
@dataclass(slots=True)
class SampleFailed(Record):
    """The sampler could not learn the topic's state this time (the error says why)."""

    f: ClassVar[str] = "sample"
    types: ClassVar[frozenset[OpType]] = _types(INFO)
    topic: str


@dataclass(slots=True)
class FetchStats(Part):
    """librdkafka's view of one partition: its leader, the broker actually fetched from, the watermarks
    that broker served; the rest as librdkafka reports them (absent in crafted histories)."""

    partition: int
    leader: int | None
    broker: int | None
    hi_offset: int | None
    lo_offset: int | None
    ls_offset: int | None
    fetch_state: str | None = None
    next_offset: int | None = None
    leader_epoch: int | None = None


@_register
@dataclass(slots=True)
class Stats(Record):
    """A consumer's statistics sample (``rack`` null for a leader reader)."""

    f: ClassVar[str] = "stats"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    topic: str
    reader: str
    rack: str | None
    partitions: list[FetchStats]


# -- ground truth: Kafka's own records, read after the run -------------------------------------------------


@_register
@dataclass(slots=True)
class MetadataRecord(Record):
    """One record of the KRaft controller's metadata log (``__cluster_metadata``), as Kafka's log dump tool
    decodes it: its offset, the batch's timestamp (``time_ms``, Unix ms), the controller epoch that
    wrote it, its ``type`` (``PARTITION_CHANGE_RECORD``, ``REGISTER_BROKER_RECORD``, ``LEADER_CHANGE``, ...)
    and its fields as Kafka names them. Only records about the run's topic, the brokers and the controller
    quorum are kept."""

    f: ClassVar[str] = "metadata"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    offset: int
    time_ms: int
    controller_epoch: int
    type: str
    data: dict[str, Any]


@_register
@dataclass(slots=True)
class MetadataUnread(Record):
    """The metadata log could not be read (the error says why): what depends on it is undecided."""

    f: ClassVar[str] = "metadata"
    types: ClassVar[frozenset[OpType]] = _types(INFO)
    node: int | None


@_register
@dataclass(slots=True)
class ReplicaLog(Record):
    """One replica's log of one partition after the run (the log autopsy), as columns with one entry per
    record: its offset, value, and the headers of the batch that holds it (the leader epoch that wrote
    the batch, producer id and epoch, and the record's sequence; -1 where the producer was not
    idempotent). ``epochs`` is the replica's leader-epoch checkpoint: ``[epoch, start offset]`` pairs."""

    f: ClassVar[str] = "replica_log"
    types: ClassVar[frozenset[OpType]] = _types(OK)
    columns: ClassVar[tuple[str, ...]] = ("offsets", "values", "leader_epochs", "producer_ids", "producer_epochs",
                                          "sequences")
    node: int
    topic: str
    partition: int
    offsets: list[int]
    values: list[str | None]
    leader_epochs: list[int]
    producer_ids: list[int]
    producer_epochs: list[int]
    sequences: list[int]
    epochs: list[list[int]]

    @classmethod
    def _cross_check(cls, value: dict[str, Any]) -> str | None:
        n = len(value["offsets"])
        if any(len(value[c]) != n for c in cls.columns):
            return "columns differ in length: " + ", ".join(f"{c} {len(value[c])}" for c in cls.columns)
        return None


@_register
@dataclass(slots=True)
class ReplicaLogUnread(Record):
    """One replica's log of one partition (or all of a broker's, ``partition`` null) could not be read."""

    f: ClassVar[str] = "replica_log"
    types: ClassVar[frozenset[OpType]] = _types(INFO)
    node: int
    topic: str
    partition: int | None


# -- documentation ------------------------------------------------------------------------------------------


def _doc(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split())


def _field_list(cls: type[Part]) -> str:
    return "<br>".join(f"`{fs.name}`{'' if fs.required else '?'}: {describe(fs.hint)}" for fs in fields_of(cls))


def render_markdown() -> str:
    """The schema as Markdown, generated from the classes above (``kafka-chaos schema`` prints it)."""
    lines = [f"# The history's records (schema version {SCHEMA_VERSION})", "",
             "A history is a JSON Lines file: one op per line, each an object with these keys:", "",
             "| key | holds |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in ENVELOPE.items()]
    lines += ["", ("The op's `f` and `type` select the class its `value` must match. A field marked `?` is "
                   "optional: left out when it has no value."), "",
              "| f | type | class | value fields | meaning |", "|---|---|---|---|---|"]
    for f, classes in kinds().items():
        for cls in classes:
            ts = ", ".join(t.value for t in OpType if t in cls.types)
            lines.append(f"| `{f}` | {ts} | {cls.__name__} | {_field_list(cls)} | {_doc(cls)} |")
    parts = [Broker, FetchStats, GroupMember]
    lines += ["", "Nested objects:", "", "| object | fields | meaning |", "|---|---|---|"]
    lines += [f"| {p.__name__} | {_field_list(p)} | {_doc(p)} |" for p in parts]
    return "\n".join(lines) + "\n"
