"""The import graph of the `zkml` package has no cycle, and the verifier imports nothing
of the prover.

The graph is read from the source with `ast`: module-level imports and imports inside
functions alike (a function-local import hides a cycle, it does not break it), without
the imports under `if TYPE_CHECKING:` (never run). Importing `a.b.c` also runs the
`__init__` of `a.b`, so an import of a module is an edge to each of its packages too,
except the importer's own packages (Python is already running those). A package whose
`__init__` finds its modules (`pkgutil.iter_modules`, the gadget registries) imports
every one of them: an edge to each.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "zkml"

#: Cycles left in place, each with why (an SCC must lie inside one of these sets); none
#: is left: the check below enforces an acyclic graph.
KNOWN_CYCLES: dict[frozenset[str], str] = {}

#: What the verifier must never import: the native module and every prover-side package.
PROVER_SIDE = ("zkml._native", "zkml.compiler", "zkml.quant", "zkml.onnx_import",
               "zkml.prover", "zkml.witness")


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the package: name -> (path, is a package)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _imported_names(name: str, path: Path, is_pkg: bool) -> set[str]:
    """Every dotted name module `name` imports (a module, or a package's attribute)."""
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_nodes(tree)
    package = name if is_pkg else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _discovers(path: Path) -> bool:
    """Whether a package's `__init__` imports its modules by discovery."""
    tree = ast.parse(path.read_text(), str(path))
    return any(isinstance(n, ast.Attribute) and n.attr == "iter_modules" or
               isinstance(n, ast.Name) and n.id == "iter_modules" for n in ast.walk(tree))


def import_graph() -> dict[str, set[str]]:
    """zkml module -> the zkml modules importing it runs (see the module docstring)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in modules.items():
        targets: set[str] = set()
        if is_pkg and _discovers(path):
            targets |= {m for m in modules if m.rpartition(".")[0] == name}
        for imported in _imported_names(name, path, is_pkg):
            parts = imported.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                own = name == prefix or name.startswith(prefix + ".")
                if prefix in modules and not own:
                    targets.add(prefix)
        graph[name] = targets
    return graph


def _native_imports() -> dict[str, set[str]]:
    """Module -> the names it imports that start with `zkml._native` (not a .py file)."""
    return {name: {n for n in _imported_names(name, path, is_pkg) if n.startswith("zkml._native")}
            for name, (path, is_pkg) in _modules().items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def a_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One cycle through the component, as the modules in import order."""
    start = min(component)
    path, seen = [start], {start}
    while True:
        nxt = sorted(graph[path[-1]] & component)
        back = [m for m in nxt if m in seen]
        if back:
            return path[path.index(back[0]):] + [back[0]]
        path.append(next(m for m in nxt))
        seen.add(path[-1])


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert len(graph) > 80
    # `from package import module` is an edge to the module, a function-local import
    # an edge like any other, and an import of a package's module one to the package
    assert "zkml.compiler.rearrange" in graph["zkml.compiler.argmax"]
    assert "zkml.compiler.build" in graph["zkml.compiled_model"]  # inside functions only
    assert "zkml.quant" in graph["zkml.compiler.spatial"]  # runs zkml/quant/__init__.py
    assert "zkml" not in graph["zkml.api"]  # every module's own package: already running
    # a registry found by discovery imports every module of its package
    assert "zkml.compiler.producers.max2" in graph["zkml.compiler.producers"]
    assert "zkml.verifier.gadgets.max2" in graph["zkml.verifier.gadgets"]


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    (component,) = strongly_connected(graph)
    assert component == {"a", "b", "c"}
    assert a_cycle(graph, component) == ["a", "b", "c", "a"]


def test_no_import_cycle():
    graph = import_graph()
    cycles = [
        " -> ".join(a_cycle(graph, c)) for c in strongly_connected(graph)
        if not any(c <= known for known in KNOWN_CYCLES)
    ]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_cycle_between_top_level_packages():
    # quant and onnx_import, artifacts and compiled_model, ... : each subpackage or
    # top-level module of zkml builds on others without a loop between them
    graph = import_graph()
    top: dict[str, set[str]] = {}
    for source, targets in graph.items():
        a = ".".join(source.split(".")[:2])
        for target in targets:
            b = ".".join(target.split(".")[:2])
            if a != b and b != "zkml":
                top.setdefault(a, set()).add(b)
            top.setdefault(b, set())
    cycles = [" -> ".join(a_cycle(top, c)) for c in strongly_connected(top)]
    assert not cycles, "cycles between zkml's packages:\n" + "\n".join(cycles)


def _prover_side(name: str) -> bool:
    return any(name == p or name.startswith((p + ".", p + "_")) for p in PROVER_SIDE)


def test_the_verifier_imports_nothing_of_the_prover():
    # directly or through any module it imports (zkml.errors, ...)
    graph = import_graph()
    native = _native_imports()
    for name in graph:
        if name != "zkml.verifier" and not name.startswith("zkml.verifier."):
            continue
        reached, todo = {name}, [name]
        while todo:
            for t in graph[todo.pop()] - reached:
                reached.add(t)
                todo.append(t)
        bad = {t for t in reached if _prover_side(t)}
        bad |= {n for m in reached for n in native[m]}
        assert not bad, f"{name} reaches {sorted(bad)}"


def test_the_prover_side_check_sees_a_prover_module():
    assert _prover_side("zkml.witness_spatial") and _prover_side("zkml.compiler.build")
    assert _prover_side("zkml._native") and not _prover_side("zkml.verifier.logup")
    assert "zkml._native" in _native_imports()["zkml.prover"]
