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
    Setting("FANGZHA_DB", str(ROOT / "data" / "fangzha.db"),
            "SQLite file for users, sessions, checks, reports (created on first run; WAL mode)"),
    Setting("TELEGRAM_BOT_TOKEN", "", "token from @BotFather; empty: `main.py run` opens the terminal chat instead"),
    Setting("TELEGRAM_BASE_URL", "https://api.telegram.org/bot",
            "Bot API server (a self-hosted one, or a local stand-in in tests); the token is appended"),
    Setting("FANGZHA_RETENTION_DAYS", "30", "days a self-check record and feedback are kept before automatic deletion"),
    Setting("FANGZHA_RATE_BURST", "15", "messages one user may send in a burst before being slowed down"),
    Setting("FANGZHA_RATE_PER_MINUTE", "30", "sustained messages per minute allowed per user"),
    Setting("FANGZHA_GROUP_MIN_CHARS", "15", "in group chats, shorter messages are ignored"),
    Setting("FANGZHA_OCR", "on", "read screenshots with offline OCR: on | off"),
    Setting("FANGZHA_ADMINS", "", "Telegram user ids of the anti-fraud team, comma-separated (the terminal user is "
            "always an admin)"),
    Setting("FANGZHA_REWARD_VISIT", "10", "yuan paid per door-to-door visit (上门劝阻)"),
    Setting("FANGZHA_REWARD_SUCCESS", "10", "extra yuan when the visit talked the person out of paying"),
    Setting("FANGZHA_TASK_DEADLINE_HOURS", "24", "open dissuasion tasks older than this are escalated to admins"),
    Setting("FANGZHA_ALERT_INTERVAL_MINUTES", "60", "how often the running bot scans for rises (alerts scan)"),
    Setting("FANGZHA_QUIET_HOURS", "22-7", "local hours when alert warnings to citizens wait (start-end)"),
    Setting("FANGZHA_TZ", "Asia/Shanghai", "time zone of the quiet hours"),
    Setting("WECHAT_TOKEN", "", "the Token entered in the WeChat Official Account console; empty: /wechat is off"),
    Setting("WECHAT_APPID", "", "the Official Account's AppID (checked in encrypted messages)"),
    Setting("WECHAT_AES_KEY", "", "EncodingAESKey (43 characters) for 安全模式; empty: plaintext mode only"),
    Setting("TELEGRAM_WEBHOOK_URL", "", "public https base URL of `serve`; set: Telegram updates come to "
            "<URL>/telegram instead of polling"),
    Setting("TELEGRAM_WEBHOOK_SECRET", "", "secret_token Telegram sends with each webhook call; empty: a new "
            "random one each start"),
    Setting("FANGZHA_API_TOKEN", "", "bearer token required by /api/check; empty: open"),
    Setting("FANGZHA_API_RATE_PER_MINUTE", "60", "requests per minute per client on /api/check and the web page"),
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


def as_int(settings: Mapping[str, str], name: str, minimum: int = 0) -> int:
    """An integer setting, with a clear message naming the setting when it is not one."""
    raw = settings[name]
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"setting {name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"setting {name} must be at least {minimum}, got {value}")
    return value


def as_bool(settings: Mapping[str, str], name: str) -> bool:
    raw = settings[name].strip().lower()
    if raw in ("1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no", ""):
        return False
    raise ValueError(f"setting {name} must be on or off, got {settings[name]!r}")
