"""The library's modules import each other without cycles (function-level imports included), and never upward."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    """Modules of the project a file imports anywhere in it ('send_pressure.x', 'etl.y', 'views.z')."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names] if node.module == "send_pressure" else []
            found |= {node.module, *names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.split(".")[0] in ("send_pressure", "etl", "views") and "." in m}


def test_library_has_no_import_cycle_and_imports_no_page():
    graph = {f"send_pressure.{p.stem}": _imports(p) for p in (ROOT / "send_pressure").glob("*.py")}
    assert not [m for deps in graph.values() for m in deps if m.startswith("views")]
    library = {m: {d for d in deps if d in graph} for m, deps in graph.items()}
    try:
        tuple(TopologicalSorter(library).static_order())
    except CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from e
