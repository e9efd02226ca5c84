"""Build the channel-free conversation from the settings: engine (hot-reloadable), store, OCR, options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    settings: Mapping[str, str] = field(default_factory=dict)


CONSOLE_ADMIN = "console:local"  # whoever sits at the terminal runs this deployment


def admins_from(raw: str) -> frozenset[str]:
    keys = {CONSOLE_ADMIN}
    for part in raw.replace(";", ",").split(","):
        p = part.strip()
        if not p:
            continue
        if ":" not in p and not p.lstrip("-").isdigit():
            raise ValueError(f"setting FANGZHA_ADMINS: {p!r} is not a Telegram user id")
        keys.add(p if ":" in p else f"telegram:{p}")
    return frozenset(keys)


def options_from(settings: Mapping[str, str]) -> Options:
    return Options(
        admins=admins_from(settings["FANGZHA_ADMINS"]),
        reward_visit=float(config.as_int(settings, "FANGZHA_REWARD_VISIT", 0)),
        reward_success=float(config.as_int(settings, "FANGZHA_REWARD_SUCCESS", 0)),
        task_deadline_hours=config.as_int(settings, "FANGZHA_TASK_DEADLINE_HOURS", 1),
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
    return App(conv, detector, store, OcrReader() if opts.ocr_enabled else None, dict(settings))
