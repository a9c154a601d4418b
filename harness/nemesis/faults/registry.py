"""The one place that knows every fault kind: ``FAULT_KINDS`` maps a kind's name to its definition.

The harness's own kinds are the other modules of this package. Each one holds ``KINDS``, a tuple of
``FaultKindDef``. They are found and registered when this module is first imported, so a new kind is a
new module. A test or a plugin adds a kind with ``register`` and removes it with ``unregister``.

Scenario validation asks this registry which kinds exist, which parameters each takes and how many
brokers it needs. Importing it loads every kind module, and those import only pydantic and the
harness's light modules (no docker, testcontainers, pandas or confluent_kafka). The cluster and client
libraries are reached inside inject, heal and the effect watchers.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Iterator

from pydantic import ValidationError
from pydantic_core import core_schema

from harness.errors import FaultError
from harness.nemesis.faults.base import FaultKindDef, Params

FAULT_KINDS: dict[str, FaultKindDef] = {}
_NAMES: dict[str, FaultKind] = {}


class _KindNames(type):
    """Makes ``FaultKind.ISOLATE_ALL``, ``for k in FaultKind`` and ``"kill" in FaultKind`` read the registry,
    the way they would read an enum's members."""

    def __getattr__(cls, attr: str) -> FaultKind:
        if attr.isupper():
            name = attr.lower().replace("_", "-")
            if name in _NAMES:
                return _NAMES[name]
        raise AttributeError(f"no fault kind {attr!r} is registered")

    def __iter__(cls) -> Iterator[FaultKind]:
        return iter(list(_NAMES.values()))

    def __len__(cls) -> int:
        return len(_NAMES)

    def __contains__(cls, name: object) -> bool:
        return name in _NAMES


class FaultKind(str, metaclass=_KindNames):
    """The name of a registered fault kind (``"kill"``, ``"isolate-all"``).

    There is one instance per registered name. A spec's kind is therefore ``FaultKind.KILL`` itself, as an
    enum member would be, and ``.value`` is the name. Unlike an enum, a kind registered later validates too.
    """

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)

    @property
    def definition(self) -> FaultKindDef:
        return fault_kind(self)

    def __repr__(self) -> str:
        return f"FaultKind.{FAULT_KINDS[self].member}" if self in FAULT_KINDS else f"FaultKind({str(self)!r})"

    def __reduce__(self):  # copies and pickles resolve to the registered instance again
        return _lookup, (str(self),)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            _lookup, core_schema.str_schema(), serialization=core_schema.to_string_ser_schema())


def _lookup(name: str) -> FaultKind:
    try:
        return _NAMES[name]
    except KeyError:
        raise ValueError(f"unknown fault kind {name!r}; known: {', '.join(sorted(_NAMES))}") from None


def fault_kind(name: str) -> FaultKindDef:
    """The definition of a registered kind."""
    try:
        return FAULT_KINDS[name]
    except KeyError:
        raise FaultError(f"unknown fault kind {name!r}; known: {', '.join(sorted(FAULT_KINDS))}") from None


def register(definition: FaultKindDef) -> FaultKindDef:
    """Add a kind. Its name must be new. Returns the definition, so it can be used as ``KIND = register(...)``."""
    if definition.name in FAULT_KINDS:
        raise ValueError(f"fault kind {definition.name!r} is already registered")
    FAULT_KINDS[definition.name] = definition
    _NAMES[definition.name] = str.__new__(FaultKind, definition.name)
    return definition


def unregister(name: str) -> FaultKindDef:
    """Remove a kind; specs already validated keep their kind's name but can no longer be injected."""
    _NAMES.pop(name, None)
    return FAULT_KINDS.pop(name)


def check_params(kind: str, given: dict[str, Any]) -> Params:
    """Validate the parameters written beside a fault of ``kind`` against the kind's own model.

    A parameter of another kind, a missing required one and an unknown one are each one clear line;
    a bad value is the model's own error, located at the field (``faults.0.probability``).
    """
    model = fault_kind(kind).params
    misplaced = {name: owners for name in given if name not in model.model_fields
                 and (owners := [k for k, d in FAULT_KINDS.items() if name in d.params.model_fields])}
    for name, owners in misplaced.items():
        quoted = ", ".join(f'"{k}"' for k in owners)
        raise ValueError(f"{name} applies to kind{'s' if len(owners) > 1 else ''} {quoted}, not \"{kind}\"")
    unknown = [name for name in given if name not in model.model_fields]
    if unknown:
        raise ValidationError.from_exception_data(model.__name__, [
            {"type": "extra_forbidden", "loc": (name,), "input": given[name]} for name in unknown])
    missing = [(name, f) for name, f in model.model_fields.items() if f.is_required() and name not in given]
    if missing:
        needs = " and ".join(f"{name} ({f.description})" if f.description else name for name, f in missing)
        raise ValueError(f"kind \"{kind}\" needs {needs}")
    return model.model_validate(given)


def _register_builtin_kinds() -> None:
    package = importlib.import_module(__package__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or f"{__package__}.{info.name}" == __name__:
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for definition in getattr(module, "KINDS", ()):
            register(definition)


_register_builtin_kinds()
