"""The package's rooms: every module's imports, read with ``ast``, against the layer map of ARCHITECTURE.md.

A module may import from its own layer or a lower one, never from a higher one,
and the imports between modules must not form a cycle. Imports inside
functions count too (they are how a dependency hides), and there are at most
ten of them, each with a comment that gives its reason.

How the check works: every ``.py`` file under ``imgsynth_edu/`` is parsed; each
``import``/``from ... import`` of the package's own modules (relative or
absolute) is resolved to the module it loads (``from .. import pretrained`` is
the module ``imgsynth_edu.pretrained``; ``from ..data import get_dataset`` the
package ``imgsynth_edu.data``). That gives a graph of modules. A module's
layer is that of the longest prefix in :data:`LAYERS`; an edge to a higher
layer is a violation. For cycles, an import also reaches the ``__init__`` of
every package above its target (Python runs them first), except packages that
contain the importer; a strongly connected component of more than one module
is a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "imgsynth_edu"

#: The layer map, lowest first (the same table as ARCHITECTURE.md, which test_the_map_matches_architecture_md checks).
LAYERS = {
    "imgsynth_edu": 0,  # the package face: get_device, seed_everything, quick mode
    "imgsynth_edu._checks": 0,
    "imgsynth_edu.claims": 0,
    "imgsynth_edu.utils": 0,
    "imgsynth_edu.data": 1,
    "imgsynth_edu.models": 2,
    "imgsynth_edu.losses": 2,
    "imgsynth_edu.classical": 2,
    "imgsynth_edu.pretrained": 2,
    "imgsynth_edu.training": 3,
    "imgsynth_edu.metrics": 4,
    "imgsynth_edu.evaluation": 4,
    "imgsynth_edu.interpret": 4,
    "imgsynth_edu.viz": 5,
    "imgsynth_edu.widgets": 5,
    "imgsynth_edu.cli": 6,
    "imgsynth_edu.export": 6,
    "imgsynth_edu.exercises": 6,
}
MAX_LOCAL_IMPORTS = 10


# ----------------------------------------------------------------------------
# Reading the imports
# ----------------------------------------------------------------------------
def module_names(package_dir: Path) -> dict[str, Path]:
    """``{dotted module name: file}`` of every module of the package (a package is its ``__init__``)."""
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _enclosing_package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imports_of(name: str, path: Path, modules: dict[str, Path], root: str) -> list[tuple[str, int, bool]]:
    """``(imported module, line, inside a function)`` for each import of a module of package ``root``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local_nodes = {
        id(inner)
        for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node) if isinstance(inner, (ast.Import, ast.ImportFrom))
    }
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _enclosing_package(name, path).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                targets.append(submodule if submodule in modules else module)
        for target in targets:
            if target == root or target.startswith(root + "."):
                found.append((target, node.lineno, id(node) in local_nodes))
    return found


def layer_of(name: str, layers: dict[str, int]) -> int | None:
    matches = [prefix for prefix in layers if name == prefix or name.startswith(prefix + ".")]
    return layers[max(matches, key=len)] if matches else None


def import_graph(package_dir: Path) -> tuple[dict[str, set[str]], dict[str, list[tuple[str, int, bool]]]]:
    """The explicit imports of every module, and the graph with the implied package ``__init__``s added."""
    modules = module_names(package_dir)
    root = package_dir.name
    explicit = {name: imports_of(name, path, modules, root) for name, path in modules.items()}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, found in explicit.items():
        for target, _, _ in found:
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                reached = ".".join(parts[:end])
                if reached == name or name.startswith(reached + "."):  # a package that holds the importer
                    continue
                if reached in modules:
                    graph[name].add(reached)
    return graph, explicit


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(explicit, layers) -> list[str]:
    problems = []
    for name, found in explicit.items():
        for target, line, _ in found:
            if layer_of(target, layers) > layer_of(name, layers):
                problems.append(f"{name}:{line} (layer {layer_of(name, layers)}) imports {target} "
                                f"(layer {layer_of(target, layers)})")
    return problems


# ----------------------------------------------------------------------------
# The checks on imgsynth_edu
# ----------------------------------------------------------------------------
def test_every_module_has_a_layer():
    unplaced = [name for name in module_names(PACKAGE) if layer_of(name, LAYERS) is None]
    assert not unplaced, f"modules with no layer (add them to LAYERS and ARCHITECTURE.md): {unplaced}"


def test_no_module_imports_from_a_higher_layer():
    _, explicit = import_graph(PACKAGE)
    problems = upward_imports(explicit, LAYERS)
    assert not problems, "imports from a higher layer:\n" + "\n".join(problems)


def test_no_import_cycle():
    graph, _ = import_graph(PACKAGE)
    found = cycles(graph)
    assert not found, f"import cycles: {found}"


def test_function_local_imports_are_few_and_explained():
    modules = module_names(PACKAGE)
    _, explicit = import_graph(PACKAGE)
    local = [(name, line) for name, found in explicit.items() for _, line, inside in found if inside]
    assert len(local) <= MAX_LOCAL_IMPORTS, f"{len(local)} function-local imports of the package: {local}"
    for name, line in local:
        lines = modules[name].read_text(encoding="utf-8").splitlines()
        commented = "#" in lines[line - 1] or lines[line - 2].strip().startswith("#")
        assert commented, f"{name}:{line}: a function-local import needs a comment that gives its reason"


def test_training_imports_no_metrics():
    _, explicit = import_graph(PACKAGE)
    offenders = [(name, target) for name, found in explicit.items() if name.startswith("imgsynth_edu.training")
                 for target, _, _ in found if target.startswith(("imgsynth_edu.metrics", "imgsynth_edu.evaluation"))]
    assert not offenders, offenders


def test_the_package_root_holds_no_command_or_protocol_modules():
    strays = sorted(p.name for p in PACKAGE.glob("*.py") if p.name.startswith(("cli_", "evaluate_")))
    assert not strays, strays


def test_the_map_matches_architecture_md():
    """ARCHITECTURE.md's layer table names exactly the modules of LAYERS, each in its layer."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    documented = {}
    for row in re.findall(r"^\|\s*(\d+)\b[^|]*\|([^|]*)\|", text, flags=re.MULTILINE):
        layer, cell = int(row[0]), row[1]
        for name in re.findall(r"`(imgsynth_edu[\w.]*)`", cell):
            documented[name] = layer
    assert documented == LAYERS


# ----------------------------------------------------------------------------
# The checker itself finds what it must (on a small package written here)
# ----------------------------------------------------------------------------
@pytest.fixture
def toy_package(tmp_path):
    root = tmp_path / "toy"
    (root / "low").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "low" / "__init__.py").write_text("from .a import f\n")
    (root / "low" / "a.py").write_text("def f():\n    from ..high import g  # upward, and a cycle\n    return g\n")
    (root / "high.py").write_text("from .low import f\n\ndef g():\n    return f\n")
    return root


def test_the_checker_sees_an_upward_import_a_cycle_and_a_local_import(toy_package):
    layers = {"toy": 0, "toy.low": 0, "toy.high": 1}
    graph, explicit = import_graph(toy_package)
    assert explicit["toy.low.a"] == [("toy.high", 2, True)]
    assert upward_imports(explicit, layers) == ["toy.low.a:2 (layer 0) imports toy.high (layer 1)"]
    assert cycles(graph) == [["toy.high", "toy.low", "toy.low.a"]]
    (toy_package / "low" / "a.py").write_text("def f():\n    return 1\n")
    graph, explicit = import_graph(toy_package)
    assert upward_imports(explicit, layers) == [] and cycles(graph) == []
