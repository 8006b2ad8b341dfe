"""The house keeps small rooms: no module over 400 lines and no function over 80, in the system and
the tools beside it (the tests are long lists of cases and are left out)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("trial", "schemas", "dashboards", "synthetic_data", "benchmarks")
MODULE_LINES = 400
FUNCTION_LINES = 80


def _sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for package in PACKAGES
            for p in sorted((ROOT / package).rglob("*.py"))}


def _long_functions(source: str) -> dict[str, int]:
    """Each function (or method) of more than FUNCTION_LINES lines, decorators and docstring included."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if node.end_lineno - start + 1 > FUNCTION_LINES:
                found[node.name] = node.end_lineno - start + 1
    return found


def test_the_length_finder_finds_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES))
    assert _long_functions(f"def f():\n{body}\n") == {"f": FUNCTION_LINES + 1}
    assert _long_functions("def g():\n    return 1\n") == {}


def test_no_module_is_over_400_lines():
    sizes = {name: len(text.splitlines()) for name, text in _sources().items()}
    assert {name: size for name, size in sizes.items() if size > MODULE_LINES} == {}


def test_no_function_is_over_80_lines():
    found = {name: long for name, text in _sources().items() if (long := _long_functions(text))}
    assert found == {}
