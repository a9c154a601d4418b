"""The package's shape: data flows one way, so no module imports, even lazily, a module that imports it back."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "harness"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the harness modules it imports anywhere in its text (top level, functions, TYPE_CHECKING).

    ``from harness.x import y`` counts as importing ``harness.x.y`` when that is a module, else ``harness.x``.
    """
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("harness"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    deps.add(sub if sub in modules else node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("harness"))
        # A package's __init__ runs before any of its modules: importing harness.a.b imports harness.a too.
        deps.add(name.rpartition(".")[0])
        deps.discard(name)
        graph[name] = {d for d in deps if d in modules}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_package_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    pkg = tmp_path / "harness"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("def f():\n    from harness.a.y import g\n")
    (pkg / "a" / "y.py").write_text("from harness.a import x\n")
    cycle = find_cycle(import_graph(pkg))
    assert cycle is not None and set(cycle) == {"harness.a.x", "harness.a.y"}


@pytest.mark.parametrize("module", ["harness.run.scenario", "harness.nemesis.spec", "harness.cluster.config",
                                    "harness.checks"])
def test_validating_a_scenario_loads_no_engine_client_and_no_pandas(module):
    code = (f"import sys, {module}; heavy = {{m.split('.')[0] for m in sys.modules}} & "
            "{'docker', 'testcontainers', 'pandas', 'confluent_kafka'}; print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
