from __future__ import annotations

from pathlib import Path

from bot.config import SETTINGS, load

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert missing == []


def test_every_setting_has_help() -> None:
    assert all(s.help.strip() for s in SETTINGS)


def test_environment_then_dotenv_then_default(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nFANGZHA_LOG_LEVEL='DEBUG'\nFANGZHA_KB_DIR=/from/file\n", encoding="utf-8")
    got = load({"FANGZHA_KB_DIR": "/from/env"}, env_file)
    assert got["FANGZHA_KB_DIR"] == "/from/env"
    assert got["FANGZHA_LOG_LEVEL"] == "DEBUG"
    assert got["FANGZHA_MODEL_DIR"].endswith("textcat")
