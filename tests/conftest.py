from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from classifiers.engine import DEFAULT_MODEL_DIR, Engine, build_engine
from knowledge_base.loader import DEFAULT_DIR, KnowledgeBase, load_kb

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    res = load_kb(DEFAULT_DIR)
    assert res.kb is not None, "\n".join(map(str, res.errors))
    return res.kb


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine as shipped: the KB plus the trained model when it is present."""
    return build_engine(DEFAULT_DIR, DEFAULT_MODEL_DIR)


@pytest.fixture(scope="session")
def rules_engine() -> Engine:
    """Rules only, no learned layer."""
    return build_engine(DEFAULT_DIR, None)


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    """A private, editable copy of the knowledge base."""
    dst = tmp_path / "kb"
    shutil.copytree(DEFAULT_DIR, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.md"))
    return dst
