"""The import structure: packages and benchmark's layers import only downwards, and no module imports itself
back through others.

Run ``pytest tests/test_layers.py -q`` to check a change; a failure names the importing file and line.

Order, lowest first: tasks -> baselines -> methods -> benchmark, and inside benchmark:
store -> scores -> grid -> analysis -> board -> timing -> the command line (benchmark/cli.py, __main__.py).
Imports inside functions count too: they may keep TensorFlow or torch lazy, never break the order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("tasks", "baselines", "methods", "benchmark")
LAYERS = ("tasks", "baselines", "methods", "benchmark", "benchmark.store", "benchmark.scores", "benchmark.grid",
          "benchmark.analysis", "benchmark.board", "benchmark.timing", "benchmark.cli")


def project_modules() -> dict[str, Path]:
    """Dotted name -> file of every project module (tests and the pytest entry file excluded)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "__pycache__" in path.parts or path.name.startswith("test_"):
                continue
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of import nodes inside ``if TYPE_CHECKING:`` blocks (never executed)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return skipped


def _resolve(target: str, modules: dict[str, Path]) -> str:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported project module, line) for every executed import statement in `path`, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    skipped = _type_checking_only(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets = []
        if isinstance(node, ast.Import):
            targets = [_resolve(alias.name, modules) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import module` imports the module; `from module import name` imports the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else _resolve(base, modules)
                       for alias in node.names]
        found |= {(target, node.lineno) for target in targets if target and target != name}
    return sorted(found)


def layer(module: str) -> int:
    """Index in LAYERS of the deepest layer containing `module`.

    A top-level package's ``__init__`` (its facade, e.g. ``import tasks``) and ``__main__`` sit at the top of
    their package: other packages may use them, the package's own modules may not.
    """
    if module in PACKAGES or module.endswith(".__main__"):
        package = module.split(".")[0]
        return max(i for i, prefix in enumerate(LAYERS) if prefix.split(".")[0] == package) + 0.5
    best = -1
    for index, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            best = index
    return best


def import_graph() -> dict[str, list[tuple[str, int]]]:
    modules = project_modules()
    return {name: imports_of(path, name, modules) for name, path in modules.items()}


def test_no_import_climbs_a_layer():
    modules = project_modules()
    upward = []
    for name, imports in import_graph().items():
        for target, line in imports:
            if layer(target) > layer(name):
                upward.append(f"{modules[name].relative_to(REPO)}:{line} imports {target}, a higher layer")
    assert not upward, "imports that climb a layer:\n" + "\n".join(upward)


def test_no_import_cycle():
    graph = {name: sorted({t for t, _ in imports}) for name, imports in import_graph().items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [node, nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("module", ["benchmark.grid.session", "tasks.builder"])
def test_the_checker_sees_imports_inside_functions(module):
    assert import_graph()[module], f"no imports found in {module}: the checker is broken"
