"""The project's imports point one way (down the floors of FLOORS) and close no circle.

Every import counts, at the top of a module or inside a function (an import moved into a function
still makes a circle when both run), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("trial", "schemas", "dashboards")
# The floors of the house, lowest first. A module imports from its own room and from rooms on the
# floors below; two rooms on one floor do not import each other. An upload asks governance who may
# send it, so ingest stands above governance; the pages show the pack's tables, so readers stand
# above reports; the CDISC exports are the pack's neighbours. ``trial`` is the modules directly under trial/ (study, errors, findings, settings).
FLOORS = (
    ("schemas",),
    ("trial",),
    ("trial.store",),
    ("trial.analysis", "trial.governance"),
    ("trial.ingest",),
    ("trial.reports", "trial.cdisc"),
    ("trial.readers",),
    ("trial.cli", "dashboards"),
)
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:``."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            skipped |= {id(inner) for part in node.body for inner in ast.walk(part)}
    return skipped


def _imported(path: Path, name: str, modules: set[str]) -> set[str]:
    """Every module ``path`` imports. ``from X import Y`` imports the module X.Y where Y is one of
    ``modules`` (``from schemas import _fields``), else X (``from trial.store import Store``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(base)
    return found


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    """Module → every module it imports (the project's and any other)."""
    files = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    return {name: _imported(path, name, set(files)) for name, path in files.items()}


@pytest.fixture(scope="module")
def graph(imports) -> dict[str, set[str]]:
    """Module → the project's modules it imports."""
    return {name: {m for m in found if m in imports and m != name} for name, found in imports.items()}


def _reaching(imports: dict[str, set[str]], package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """The modules of ``package`` that import anything under ``forbidden``, with what they import."""
    wrong = {name: sorted(m for m in found if m.split(".")[0] in forbidden)
             for name, found in imports.items() if name.split(".")[0] == package}
    return {name: found for name, found in wrong.items() if found}


def _room(module: str) -> str:
    """``trial.ingest.cells`` → ``trial.ingest``; ``trial.study`` → ``trial``; ``dashboards.views.home`` → ``dashboards``."""
    parts = module.split(".")
    if parts[0] == "trial" and len(parts) > 1 and f"trial.{parts[1]}" in FLOOR:
        return f"trial.{parts[1]}"
    return parts[0]


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Each import that reaches a room on its own floor or above, as ``importer -> imported``."""
    return sorted(f"{name} -> {found}" for name, imported in graph.items() for found in imported
                  if _room(found) != _room(name) and FLOOR[_room(found)] >= FLOOR[_room(name)])


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_the_floor_finder_finds_an_import_that_points_up():
    assert _upward({"trial.store.database": {"trial.governance.access"}, "trial.governance.access": set()}) == [
        "trial.store.database -> trial.governance.access"]
    assert _upward({"trial.analysis.ard": {"trial.governance.lock"}, "trial.governance.lock": set()}) == [
        "trial.analysis.ard -> trial.governance.lock"]
    assert _upward({"trial.cli.load": {"trial.ingest.upload", "trial.cli.common"}}) == []


def test_every_room_has_a_floor(graph):
    assert {_room(name) for name in graph} - FLOOR.keys() == set()


def test_imports_point_down_the_floors(graph):
    assert _upward(graph) == []


def test_no_module_imports_itself_back_through_others(graph):
    assert _circles(graph) == []


def test_the_core_never_imports_the_pages_or_streamlit(imports):
    assert _reaching(imports, "trial", ("dashboards", "streamlit")) == {}


def test_the_data_dictionary_stands_on_its_own(imports):
    """schemas/ (the domains and their columns) is what everything reads; it reads nothing of ours."""
    assert _reaching(imports, "schemas", ("trial", "dashboards")) == {}


def test_only_the_command_line_imports_the_command_line(graph):
    cli = {name for name in graph if name.startswith("trial.cli")}
    wrong = {name: sorted(found & cli) for name, found in graph.items() if name not in cli}
    assert {name: found for name, found in wrong.items() if found} == {}
