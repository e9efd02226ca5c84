"""Every setting in one table: name, default, help. The only module that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("FANGZHA_KB_DIR", str(ROOT / "knowledge_base"), "知识库目录 (YAML patterns, replies)"),
    Setting("FANGZHA_MODEL_DIR", str(ROOT / "models" / "textcat"),
            "learned layer built by `main.py kb train`; rules only when the folder is absent"),
    Setting("FANGZHA_LOG_LEVEL", "WARNING", "logging level: DEBUG, INFO, WARNING, ERROR"),
)


def _dotenv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip().strip("'\"")
    return out


def load(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """Settings from the environment, then a .env file, then the defaults (in that order of priority)."""
    env = os.environ if env is None else env
    file_values = _dotenv(dotenv if dotenv is not None else ROOT / ".env")
    return {s.name: env.get(s.name) or file_values.get(s.name) or s.default for s in SETTINGS}
