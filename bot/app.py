"""Build the channel-free conversation from the settings: engine (hot-reloadable), store, OCR, options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot import config
from cases.store import Store
from classifiers.engine import Detector, build_engine
from handlers.conversation import Conversation
from handlers.incoming import Options
from handlers.ocr import OcrReader


@dataclass
class App:
    conversation: Conversation
    detector: Detector
    store: Store
    ocr: OcrReader | None


def options_from(settings: Mapping[str, str]) -> Options:
    return Options(
        retention_days=config.as_int(settings, "FANGZHA_RETENTION_DAYS", 1),
        group_min_chars=config.as_int(settings, "FANGZHA_GROUP_MIN_CHARS", 1),
        rate_burst=config.as_int(settings, "FANGZHA_RATE_BURST", 1),
        rate_per_minute=config.as_int(settings, "FANGZHA_RATE_PER_MINUTE", 1),
        ocr_enabled=config.as_bool(settings, "FANGZHA_OCR"),
    )


def build_app(settings: Mapping[str, str], model_dir: Path | None = None, use_model: bool = True) -> App:
    """Raises KBLoadError (bad knowledge base) or ValueError (bad setting) with a message for the operator."""
    kb_dir = Path(settings["FANGZHA_KB_DIR"])
    mdir = (model_dir or Path(settings["FANGZHA_MODEL_DIR"])) if use_model else None
    if mdir is not None and not mdir.exists():
        mdir = None  # rules only: the engine works without the learned layer
    opts = options_from(settings)
    detector = Detector(build_engine(kb_dir, mdir), kb_dir, mdir)
    store = Store(settings["FANGZHA_DB"])
    store.purge(opts.retention_days)
    conv = Conversation(detector, store, opts)
    return App(conv, detector, store, OcrReader() if opts.ocr_enabled else None)
