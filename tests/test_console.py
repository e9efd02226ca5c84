"""The terminal chat, driven through stdin/stdout of `main.py run` as a person would use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCAM = "您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查，不要告诉家人。"


def run_console(stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FANGZHA_DB": str(tmp_path / "console.db"), "TELEGRAM_BOT_TOKEN": "",
           "FANGZHA_OCR": "off"}
    return subprocess.run([sys.executable, "main.py", "run"], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_console_conversation_with_numbered_buttons(tmp_path: Path) -> None:
    out = run_console(f"1\n{SCAM}\n1\n/quit\n", tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "[1] 长辈" in text and "[4] 其他" in text  # buttons shown as numbered choices
    assert "按“长辈”的方式" in text  # "1" pressed the first button
    assert "🔴 高风险" in text and "冒充公检法" in text
    assert "[1] 我已经转账了" in text
    assert "96110" in text.split("[1] 我已经转账了", 1)[1]  # "1" again: the emergency path
    assert text.rstrip().endswith("再见，遇到可疑消息随时来问。")


def test_console_state_survives_restart_and_eof_exits(tmp_path: Path) -> None:
    run_console("3\n/quit\n", tmp_path)  # chooses 学生
    out = run_console("/tips\n", tmp_path)  # EOF (Ctrl-D) ends the session cleanly
    assert out.returncode == 0
    assert "请问您是" not in out.stdout  # the audience was remembered
    assert "💡" in out.stdout


def test_console_photo_without_ocr_and_missing_file(tmp_path: Path) -> None:
    out = run_console("/photo /nonexistent.png\n", tmp_path)
    assert out.returncode == 0 and "暂时不能识别图片" in out.stdout


def test_console_refuses_a_broken_kb_with_the_errors(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    subprocess.run(["cp", "-r", str(ROOT / "knowledge_base"), str(kb)], check=True)
    (kb / "dialog" / "messages.yaml").write_text("welcome: [unclosed\n", encoding="utf-8")
    env = {**os.environ, "FANGZHA_DB": str(tmp_path / "c.db"), "TELEGRAM_BOT_TOKEN": "",
           "FANGZHA_KB_DIR": str(kb)}
    out = subprocess.run([sys.executable, "main.py", "run"], input="", capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=120)
    assert out.returncode == 2
    assert "dialog/messages.yaml:" in out.stderr and "Traceback" not in out.stderr
