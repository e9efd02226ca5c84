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


@pytest.fixture()
def make_app(engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build the bot's App over the shipped engine and a fresh store; OCR off unless asked for."""
    from bot.app import App
    from cases.store import Store
    from classifiers.engine import Detector
    from handlers.conversation import Conversation
    from handlers.incoming import Options
    from handlers.ocr import OcrReader
    from handlers.ratelimit import RateLimiter

    def make(ocr: bool = False, options: Options | None = None, limiter: RateLimiter | None = None,
             db: str | None = None) -> App:
        detector = Detector(engine, DEFAULT_DIR, DEFAULT_MODEL_DIR)
        store = Store(db or str(tmp_path / "bot.db"))
        opts = options or Options(rate_burst=1000, rate_per_minute=1000)
        conv = Conversation(detector, store, opts, limiter)
        return App(conv, detector, store, OcrReader() if ocr else None)

    return make
