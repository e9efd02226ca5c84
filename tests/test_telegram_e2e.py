"""End-to-end: the real python-telegram-bot Application, polling a local Bot API stand-in over HTTP."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bench.botapi_standin import BOT, BotApiStandin, RunningBot
from bot.telegram import build_application

USER = {"id": 501, "is_bot": False, "first_name": "张阿姨"}
PRIVATE = {"id": 501, "type": "private", "first_name": "张阿姨"}
GROUP = {"id": -100200, "type": "group", "title": "幸福小区业主群"}
SCAM = "【兼职】宝妈在家动动手指，点赞一单返5元，先垫付再返本金加佣金，加V信 sd8866 领任务"
BENIGN = "妈，我周六下午回家吃饭，帮我留点饺子。"
_ids = iter(range(1, 10_000))


def message(text: str = "", chat: dict[str, Any] = PRIVATE, user: dict[str, Any] = USER,
            **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"message_id": next(_ids), "date": int(time.time()), "chat": chat, "from": user, **extra}
    if text:
        m["text"] = text
        if text.startswith("/"):
            m["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": m}


def press(data: str, chat: dict[str, Any] = PRIVATE) -> dict[str, Any]:
    bot_msg = {"message_id": next(_ids), "date": int(time.time()), "chat": chat, "from": BOT, "text": "…"}
    return {"callback_query": {"id": f"cq{next(_ids)}", "from": USER, "chat_instance": "ci", "data": data,
                               "message": bot_msg}}


class Running(RunningBot):
    """The bot as `main.py run` runs it with a token, plus helpers to talk to it."""

    def __init__(self, standin: BotApiStandin, app: Any) -> None:
        super().__init__(standin, build_application(app, "123456:TEST-TOKEN", standin.base_url))

    def send(self, update: dict[str, Any], chat_id: int = 501, n: int = 1, timeout: float = 30) -> list[str]:
        """Push an update; wait for `n` more messages to that chat; return their texts."""
        before = len(self.standin.messages_to(chat_id))
        self.standin.push(update)
        self.standin.wait_for(lambda _: len(self.standin.messages_to(chat_id)) >= before + n, timeout)
        return [str(m["text"]) for m in self.standin.messages_to(chat_id)[before:]]

    def last_buttons(self, chat_id: int = 501) -> list[tuple[str, str]]:
        msgs = self.standin.messages_to(chat_id)
        markup = msgs[-1].get("reply_markup") or {}
        return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


@pytest.fixture()
def bot(make_app: Any) -> Iterator[Running]:
    with BotApiStandin() as standin, Running(standin, make_app(ocr=True)) as running:
        yield running


def test_start_deep_link_sets_grid_then_asks_audience(bot: Running) -> None:
    texts = bot.send(message("/start g_QY01"), n=3)
    assert "防诈自查助手" in texts[0]
    assert "社区" in texts[1]
    assert [d for _, d in bot.last_buttons()] == ["pf:senior", "pf:parent", "pf:student", "pf:general"]
    user = bot.application.bot_data["fangzha"].app.store.user("telegram:501")
    assert user.grid == "QY01" and user.audience is None
    assert any(c["method"] == "setMyCommands" for c in bot.standin.sent)


def test_audience_link_and_scam_verdict_with_buttons(bot: Running) -> None:
    bot.send(message("/start a_senior"), n=2)
    [reply] = bot.send(message(SCAM))
    assert reply.startswith("🔴 高风险") and "刷单返利" in reply
    assert "先垫付再返本金加佣金" in reply  # the reason quotes what it saw
    data = [d for _, d in bot.last_buttons()]
    assert data[0] == "em" and any(d.startswith("rp:") for d in data) and any(d.startswith("fb:") for d in data)


def test_benign_message_gets_no_alarm(bot: Running) -> None:
    [reply] = bot.send(message(BENIGN))
    assert reply.startswith("🟢")


def test_button_press_opens_emergency_path(bot: Running) -> None:
    bot.send(message(SCAM))
    [reply] = bot.send(press("em"))
    assert "110" in reply and "96110" in reply and "止付" in reply
    assert any(c["method"] == "answerCallbackQuery" for c in bot.standin.sent)


def test_questionnaire_to_the_end(bot: Running) -> None:
    texts = bot.send(message("/check"), n=2)
    assert "几个问题" in texts[0]
    answers = {"who": "official", "how": "call", "pay": "yes", "account": "yes", "app": "yes", "secret": "yes",
               "code": "no", "paid": "about"}
    reply = ""
    for qid, option in answers.items():
        buttons = [d for _, d in bot.last_buttons()]
        assert f"sc:{qid}:{option}" in buttons
        [reply] = bot.send(press(f"sc:{qid}:{option}"))
    assert "受骗指数" in reply and "🔴" in reply
    assert any(c["method"] == "editMessageReplyMarkup" for c in bot.standin.sent)  # answered keyboards removed


def test_photo_is_read_and_checked(bot: Running) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(_cjk_font(), 30)
    img = Image.new("RGB", (760, 180), "white")
    d = ImageDraw.Draw(img)
    d.text((20, 30), "公安局通知：你涉嫌洗钱案件", font=font, fill="black")
    d.text((20, 100), "请把资金转到安全账户配合调查", font=font, fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    bot.standin.files["ph1"] = buf.getvalue()
    photo = [{"file_id": "ph1", "file_unique_id": "u1", "width": 760, "height": 180, "file_size": len(buf.getvalue())}]
    holding, reply = bot.send(message(photo=photo), n=2, timeout=60)
    assert "正在识别" in holding
    assert "安全账户" in reply and reply.split("\n\n")[1].startswith(("🔴", "🟠"))


def test_group_stays_quiet_on_ordinary_and_warns_on_scam(bot: Running) -> None:
    gid = GROUP["id"]
    bot.send(message(chat=GROUP, new_chat_members=[BOT]), chat_id=gid)
    bot.standin.push(message("大家晚上好，明天小区停水两小时", chat=GROUP))
    [warning] = bot.send(message("您好，我是市公安局民警，您涉嫌洗钱，需要把钱转到安全账户接受审查，不要告诉家人。",
                                 chat=GROUP), chat_id=gid)
    assert warning.startswith("⚠️") and "安全账户" in warning
    sent = bot.standin.messages_to(gid)
    assert len(sent) == 2  # the introduction and the warning; nothing for the ordinary message
    assert "reply_to_message_id" in sent[-1] or "reply_parameters" in sent[-1]


def _cjk_font() -> str:
    import subprocess

    out = subprocess.run(["fc-list", ":lang=zh", "-f", "%{file}\n"], capture_output=True, text=True, check=False)
    path = next((p for p in out.stdout.splitlines() if p.strip()), "")
    if not path:
        pytest.fail("no CJK font installed: .ci/run installs fonts-wqy-microhei")
    return path


def test_a_failing_update_does_not_stop_the_bot(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    tg = bot.application.bot_data["fangzha"]
    original = tg._handle

    async def flaky(inc: Any) -> Any:
        if "秘密文本" in inc.text:
            raise RuntimeError("adapter failure")
        return await original(inc)

    tg._handle = flaky
    [apology] = bot.send(message("秘密文本：我的银行卡号是6222020202020202"))
    assert "出了点问题" in apology
    [reply] = bot.send(message(BENIGN))
    assert reply.startswith("🟢")
    assert "RuntimeError" in caplog.text and "秘密文本" not in caplog.text  # logged without the citizen's text


def test_main_run_with_a_token_polls_the_configured_api_and_reloads_on_sighup(tmp_path: Any) -> None:
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with BotApiStandin() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": "42:REAL-RUN", "TELEGRAM_BASE_URL": api.base_url,
               "FANGZHA_DB": str(tmp_path / "run.db"), "FANGZHA_OCR": "off", "FANGZHA_LOG_LEVEL": "WARNING"}
        proc = subprocess.Popen([sys.executable, "main.py", "run"], cwd=root, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            api.wait_for(lambda sent: any(c["method"] == "setMyCommands" for c in sent), timeout=60)
            api.push(message("/start a_parent"))
            api.wait_for(lambda _: len(api.messages_to(501)) >= 2, timeout=30)
            proc.send_signal(signal.SIGHUP)  # reload the knowledge base; the bot keeps answering
            api.push(message(SCAM))
            api.wait_for(lambda _: len(api.messages_to(501)) >= 3, timeout=30)
            assert str(api.messages_to(501)[-1]["text"]).startswith("🔴")
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "knowledge base reloaded" in err and "Traceback" not in err


def test_worker_gets_task_and_qr_poster_over_telegram(make_app: Any) -> None:
    from dataclasses import replace

    app = make_app()
    app.conversation.options = replace(app.conversation.options, admins=frozenset({"telegram:900"}))
    admin = {"id": 900, "is_bot": False, "first_name": "管理员"}
    worker = {"id": 800, "is_bot": False, "first_name": "网格员"}
    with BotApiStandin() as standin, Running(standin, app) as bot:
        bot.send(message("/grid add QY01 幸福社区", chat={"id": 900, "type": "private"}, user=admin), chat_id=900)
        bot.send(message("/grid worker QY01 800", chat={"id": 900, "type": "private"}, user=admin), chat_id=900)
        standin.push(message("/mylink", chat={"id": 800, "type": "private"}, user=worker))
        standin.wait_for(lambda _: len(standin.messages_to(800, ("sendPhoto",))) == 1)
        poster = standin.messages_to(800, ("sendPhoto",))[0]
        assert "start=g_QY01" in poster["caption"] and "fangzha_test_bot" in poster["caption"]
        bot.send(message("/start g_QY01__a_senior"), n=3)
        bot.send(message("您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查，不要告诉家人。"))
        visit = dict(bot.last_buttons())["请网格员联系我"]
        standin.push(press(visit))
        standin.wait_for(lambda _: len(standin.messages_to(800)) >= 1)
        task = standin.messages_to(800)[-1]
        assert "劝阻任务" in task["text"] and task["reply_markup"]["inline_keyboard"][0][0]["text"] == "接单"
