"""Imports point one way: no module of src/gatepost reaches itself again through imports.

The graph is read from the source with `ast`, so it counts every import: module level, under
`if TYPE_CHECKING:` and inside functions. `from pkg import sub` is an edge to the submodule `pkg.sub`
(the package's own `__init__` runs first either way, but importing a child is not a dependency on
everything the package re-exports); `from pkg import name` is an edge to `pkg`.
The layering this protects is drawn in docs/architecture.md.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def modules(root: Path) -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


def import_graph(root: Path, top: str) -> dict[str, dict[str, int]]:
    """module -> {imported module of the same tree: line of the first import}."""
    mods = {name: found for name, found in modules(root).items() if name == top or name.startswith(top + ".")}
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in mods.items():
        package = name if is_package else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    child = f"{source}.{alias.name}"
                    targets.append(child if child in mods else source)
            for target in targets:
                if target in mods and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def describe(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    return "\n".join(f"  {a} imports {b} (line {graph[a][b]})" for a, b in itertools.pairwise(cycle))


def test_gatepost_has_no_import_cycle() -> None:
    graph = import_graph(SRC, "gatepost")
    assert len(graph) > 150  # the whole package was read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle:\n" + describe(graph, cycle or []) + (
        "\nmove the shared type to a leaf module, or depend on a Protocol of what is read (see matching.py)")


def test_stages_see_a_match_not_the_gateway() -> None:
    """Authorizers, integrations, gates and usage read a route through matching.py's protocols."""
    graph = import_graph(SRC, "gatepost")
    layer = {"authorizers", "integrations", "usage", "policy", "gates", "matching", "api_info", "propagate"}
    below = [m for m in graph if m.split(".")[1:2] and m.split(".")[1] in layer]
    assert len(below) > 30
    offenders = sorted(m for m in below if "gatepost.gateway" in graph[m])
    assert offenders == []


def test_a_cycle_is_found_on_real_files(tmp_path: Path) -> None:
    """The checker itself: a type-only import that closes a loop is reported with its lines."""
    pkg = tmp_path / "demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "runtime.py").write_text("from demo.kinds import Kind\n\nclass Route:\n    kind: Kind\n")
    (pkg / "kinds.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from demo.runtime import Route\n\n"
        "class Kind:\n    def run(self, route: 'Route') -> None: ...\n")
    (pkg / "leaf.py").write_text("from . import kinds\n")
    graph = import_graph(tmp_path, "demo")
    assert graph["demo.leaf"] == {"demo.kinds": 1}
    cycle = find_cycle(graph)
    assert cycle is not None and set(cycle) == {"demo.runtime", "demo.kinds"}
    assert "demo.kinds imports demo.runtime (line 4)" in describe(graph, cycle)
    (pkg / "kinds.py").write_text("class Kind:\n    pass\n")
    assert find_cycle(import_graph(tmp_path, "demo")) is None
