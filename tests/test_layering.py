"""Dependencies point down only: the core never imports a chat platform, a web server or a database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "classifiers": {"telegram", "starlette", "uvicorn", "sqlite3", "sqlite_utils", "handlers", "bot"},
    "knowledge_base": {"telegram", "starlette", "uvicorn", "sqlite3", "sqlite_utils", "handlers", "bot",
                       "classifiers"},
    "handlers": {"telegram", "starlette", "uvicorn", "bot"},
    "cases": {"telegram", "starlette", "uvicorn", "bot", "handlers"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_down(package: str) -> None:
    bad = {}
    for f in (ROOT / package).rglob("*.py"):
        hit = _imports(f) & FORBIDDEN[package]
        if hit:
            bad[str(f.relative_to(ROOT))] = sorted(hit)
    assert bad == {}
