"""The import graph follows the layers (ARCHITECTURE.md): the game imports nothing of ours, the league only
the game, trainers and tournaments the game and the league but not each other, and the application layer
anything. Every import counts, inside functions too (a lazy import is still a dependency), and no two
modules may import each other, however indirectly.

The graph is read from the source (``ast``), not from ``sys.modules``: nothing is imported to check it.
An edge goes to the module named: ``from a.b import c`` is an edge to ``a.b.c`` when that is a module,
else to ``a.b``.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: each package's layer: an import may go to its own package or to a lower layer
LAYERS = {"brawl_env": 0, "league": 1, "trainers": 2, "tournament": 2, "brawl_league": 3}


def modules(root: Path) -> dict[str, Path]:
    """Every module of the five packages under ``root``: dotted name -> file."""
    found = {}
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(root: Path) -> dict[str, set[str]]:
    """module -> the modules of ours it imports (anywhere in its source)."""
    mods = modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in mods else base)
        graph[name] = {t for t in targets if t.split(".")[0] in LAYERS and t != name}
    return graph


def reverse_edges(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Edges that go to another package of the same or a higher layer."""
    bad = []
    for src, targets in graph.items():
        a = src.split(".")[0]
        for dst in sorted(targets):
            b = dst.split(".")[0]
            if a != b and LAYERS[b] >= LAYERS[a]:
                bad.append((src, dst))
    return bad


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: groups of modules that reach each other (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_import_follows_the_layers():
    graph = imports(ROOT)
    assert len(graph) > 60 and "brawl_env.match" in graph and "brawl_league.cli" in graph
    assert reverse_edges(graph) == []


def test_no_import_circles():
    assert circles(imports(ROOT)) == []


def test_the_walk_sees_lazy_imports_and_relative_ones():
    graph = imports(ROOT)
    assert "trainers.base" in graph["brawl_league.bench"]  # imported inside run_train_bench
    assert "brawl_env.match" in graph["brawl_env.replay"]  # from .match import ...
    assert "league.agents" in graph["tournament.lanes"]


@pytest.fixture
def tree(tmp_path):
    """A copy of the five packages to break on purpose."""
    for package in LAYERS:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data")
        )
    return tmp_path


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + text + "\n", encoding="utf-8")


def test_a_deliberately_bad_edge_fails(tree):
    # the game reaching up into a trainer, lazily, inside a function
    _append(tree / "brawl_env" / "outcome.py", "def _peek():\n    from trainers.evaluate import summarise\n")
    # trainers and tournaments reaching into each other
    _append(tree / "tournament" / "schedule.py", "import trainers.base\n")
    _append(tree / "trainers" / "base.py", "from tournament import lanes\n")
    bad = reverse_edges(imports(tree))
    assert ("brawl_env.outcome", "trainers.evaluate") in bad
    assert ("tournament.schedule", "trainers.base") in bad
    assert ("trainers.base", "tournament.lanes") in bad
    assert len(bad) == 3


def test_a_deliberate_circle_fails(tree):
    # the circle this codebase once had: match -> replay -> match (plus render)
    _append(tree / "brawl_env" / "match.py", "def _replay():\n    from . import replay\n")
    found = circles(imports(tree))
    assert any({"brawl_env.match", "brawl_env.replay"} <= set(part) for part in found), found


def test_every_module_imports():
    """A name imported from a module that no longer has it (a rename that missed a caller) fails here,
    whether or not another test reaches the importing module."""
    import importlib

    names = [n for n in modules(ROOT) if n.rsplit(".", 1)[-1] != "__main__"]  # an entry point runs
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - collect every failure, then report them together
            failed[name] = f"{type(err).__name__}: {err}"
    assert not failed, failed
    assert len(names) > 80  # the walk found the packages' modules
