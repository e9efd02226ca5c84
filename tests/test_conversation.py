"""The conversation without any platform: text in, replies out (errbot-style test backend)."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.emergency import is_emergency
from handlers.incoming import Incoming, Options, Reply, split_text
from handlers.profile import parse_start
from handlers.ratelimit import RateLimiter
from handlers.report import parse_amount

SCAM = "【兼职】宝妈在家动动手指，点赞一单返5元，先垫付再返本金加佣金，加V信 sd8866 领任务"
OFFICIAL = "您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查，不要告诉家人。"
BENIGN = "妈，我周六下午回家吃饭，帮我留点饺子。"


class Chat:
    def __init__(self, app: Any, user: str = "1", channel: str = "console") -> None:
        self.app, self.user, self.channel = app, user, channel
        self.last: list[Reply] = []

    def _go(self, **kw: Any) -> list[Reply]:
        self.last = self.app.conversation.handle(Incoming(self.channel, self.user, **kw))
        return self.last

    def say(self, text: str) -> str:
        return "\n".join(r.text for r in self._go(text=text))

    def cmd(self, command: str, args: str = "") -> str:
        return "\n".join(r.text for r in self._go(command=command, args=args))

    def buttons(self) -> dict[str, str]:
        return {b.label: b.data for r in self.last for row in r.buttons for b in row}

    def press(self, label: str) -> str:
        data = self.buttons()[label]
        return "\n".join(r.text for r in self._go(callback=data))


@pytest.fixture()
def app(make_app: Any) -> Any:
    return make_app()


@pytest.fixture()
def chat(app: Any) -> Chat:
    return Chat(app)


def test_first_start_asks_audience_and_remembers_it(chat: Chat, app: Any) -> None:
    out = chat.cmd("start")
    assert "防诈自查助手" in out and "请问您是" in out
    assert set(chat.buttons()) == {"长辈", "宝妈宝爸", "学生", "其他"}
    assert "长辈" in chat.press("长辈")
    assert app.store.user("console:1").audience == "senior"
    assert "请问您是" not in chat.cmd("start")  # known users are not asked again


@pytest.mark.parametrize(("payload", "grid", "audience"), [
    ("g_QY01", "QY01", None), ("a_student", None, "student"), ("g_QY-2__a_parent", "QY-2", "parent"),
    ("a_admin", None, None), ("g_<script>", None, None), ("", None, None),
])
def test_deep_link_payloads(payload: str, grid: str | None, audience: str | None) -> None:
    assert parse_start(payload) == (grid, audience)


def test_deep_link_sets_grid_and_audience_without_questions(chat: Chat, app: Any) -> None:
    out = chat.cmd("start", "g_QY01__a_senior")
    assert "请问您是" not in out and "社区" in out
    u = app.store.user("console:1")
    assert (u.grid, u.audience) == ("QY01", "senior")


def test_scam_verdict_reasons_advice_and_buttons(chat: Chat) -> None:
    out = chat.say(SCAM)
    assert out.startswith("🔴 高风险") and "刷单返利" in out
    assert "先垫付再返本金加佣金" in out
    assert {"我已经转账了", "我要举报", "判断不对", "讲给老人听", "讲给孩子听"} <= set(chat.buttons())


def test_advice_is_worded_for_the_audience(chat: Chat, app: Any) -> None:
    chat.cmd("start", "a_senior")
    senior = chat.say(SCAM)
    retold = chat.press("讲给孩子听")
    assert senior != retold
    assert "您该怎么做" in senior and "建议这样做" in retold


def test_benign_message(chat: Chat) -> None:
    out = chat.say(BENIGN)
    assert out.startswith("🟢")
    assert "我已经转账了" in chat.buttons()  # the way out is always there


def test_emergency_by_button_and_by_words(chat: Chat) -> None:
    chat.say(SCAM)
    out = chat.press("我已经转账了")
    assert "110" in out and "96110" in out and "止付" in out and "聊天记录" in out
    assert "现在举报" in chat.buttons()
    assert "96110" in chat.say("我被骗了，怎么办")
    assert "止付" not in chat.say("我没被骗，就是问问这个" + SCAM[:20])


@pytest.mark.parametrize(("text", "expected"), [
    ("我被骗了", True), ("钱已经转过去了，怎么追回", True), ("已经转账了怎么办啊", True),
    ("我没被骗", False), ("差点被骗了", False), ("被骗了" + "很长的描述" * 20, False), ("", False),
])
def test_emergency_triggers(app: Any, text: str, expected: bool) -> None:
    assert is_emergency(text, app.detector.kb.messages) is expected


def test_report_from_a_verdict_is_stored_masked(chat: Chat, app: Any) -> None:
    chat.cmd("start", "g_QY01__a_parent")
    chat.say(SCAM + " 客服电话13812345678")
    assert "有没有被骗走钱" in chat.press("我要举报")
    assert "多少钱" in chat.press("已经被骗走钱")
    assert "没看懂" in chat.say("很多")
    assert "什么时候" in chat.say("1.2万")
    assert "联系您" in chat.press("今天")
    done = chat.press("同意")
    assert "举报编号 1" in done and "110" in done  # money lost: the emergency steps follow
    [r] = app.store.reports()
    assert r["fraud_type"] == "order_brushing" and r["amount"] == 12000.0 and r["money_lost"] == 1
    assert r["occurred"] == "today" and r["consent_contact"] == 1 and r["grid"] == "QY01"
    assert "13812345678" not in r["text"] and "[手机号*5678#" in r["text"]


def test_report_command_asks_for_text_and_type(chat: Chat, app: Any) -> None:
    assert "发给我" in chat.cmd("report")
    out = chat.say("有人打电话说是朋友，让我帮忙买东西")
    if "哪一类" in out:  # the engine found no type: the citizen chooses
        out = chat.press("不清楚")
    assert "有没有被骗走钱" in out
    chat.press("还没有")
    chat.press("昨天")
    assert "举报编号" in chat.press("不同意")
    [r] = app.store.reports()
    assert r["money_lost"] == 0 and r["amount"] is None and r["occurred"] == "yesterday"


def test_report_survives_a_restart(make_app: Any, tmp_path: Any) -> None:
    db = str(tmp_path / "shared.db")
    first = Chat(make_app(db=db))
    first.say(SCAM)
    first.press("我要举报")
    second = Chat(make_app(db=db))  # a new process on the same database
    second.last = first.last
    assert "多少钱" in second.press("已经被骗走钱")


def test_cancel_leaves_the_flow(chat: Chat, app: Any) -> None:
    chat.cmd("report")
    assert "已取消" in chat.say("取消")
    assert app.store.session("console:1") is None
    assert chat.say(BENIGN).startswith("🟢")


def test_questionnaire_high_risk_and_paid_goes_to_emergency(chat: Chat) -> None:
    chat.cmd("check")
    for label in ("自称公安、法院、检察院、政府", "陌生电话", "有", "有", "有", "有", "有"):
        chat.press(label)
    out = chat.press("已经转了")
    assert "受骗指数" in out and "🔴" in out and "96110" in out and "止付" in out
    assert "转到指定的“安全账户”" in out


def test_questionnaire_low_risk_and_typed_answers(chat: Chat) -> None:
    chat.cmd("check")
    for answer in ("8", "5", "没有", "没有", "没有", "没有", "没有"):
        chat.say(answer)  # a typed label or number counts as pressing the button
    out = chat.say("没有")
    assert "受骗指数" in out and ("🟢" in out or "🟡" in out)


def test_stale_questionnaire_button_reasks_current_question(chat: Chat) -> None:
    chat.cmd("check")
    first = dict(chat.buttons())
    chat.press("陌生电话" if "陌生电话" in first else "其他或不清楚")
    out = "\n".join(r.text for r in chat.app.conversation.handle(
        Incoming("console", "1", callback=first["其他或不清楚"])))
    assert "2/7" in out


def test_tips_do_not_repeat_recent_ones(chat: Chat, app: Any) -> None:
    chat.cmd("start", "a_student")
    pool = len(app.detector.kb.tips.student)
    seen = [chat.cmd("tips") for _ in range(pool)]
    assert len(set(seen)) == pool
    assert chat.cmd("tips") != seen[-1]


def test_subscribe_privacy_forget(chat: Chat, app: Any) -> None:
    chat.cmd("subscribe")
    assert app.store.user("console:1").subscribed
    chat.cmd("unsubscribe")
    assert not app.store.user("console:1").subscribed
    assert "30 天" in chat.cmd("privacy")
    chat.say(SCAM)
    assert "确定删除" in chat.cmd("forget")
    assert "已删除" in chat.press("确定删除")
    assert not app.store.user("console:1").known


def test_feedback_is_stored_for_admins(chat: Chat, app: Any) -> None:
    chat.say(BENIGN)
    assert "谢谢" in chat.press("判断不对")
    [fb] = list(app.store.db.query("select * from feedback"))
    assert fb["level"] == "none" and fb["text"] == BENIGN


def test_another_users_check_id_is_not_reachable(app: Any) -> None:
    a, b = Chat(app, "1"), Chat(app, "2")
    a.say(SCAM)
    cid = a.buttons()["判断不对"].split(":")[1]
    out = "\n".join(r.text for r in app.conversation.handle(Incoming("console", "2", callback=f"au:{cid}:senior")))
    assert "过期" in out and "刷单" not in out
    assert b.say(BENIGN)


@pytest.mark.parametrize("text", ["", "   \n\t", "\x00\x01\x02\ufffd" * 50, "🙂" * 3000, "刷单" * 40_000,
                                  "<script>alert(1)</script>", "\u202e\u200b\u200d", "%s%n{0}{{}}"])
def test_bad_input_gets_a_clear_answer(chat: Chat, text: str) -> None:
    out = chat.say(text)
    assert out and "Traceback" not in out


def test_unknown_command_and_unknown_button(chat: Chat) -> None:
    assert "/help" in chat.cmd("nonsense")
    out = "\n".join(r.text for r in chat.app.conversation.handle(Incoming("console", "1", callback="zz:1:2")))
    assert "过期" in out


def test_failure_inside_a_handler_becomes_a_polite_message(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_: str) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(app.conversation.checker, "check", boom)
    out = Chat(app).say(SCAM)
    assert "出了点问题" in out


def test_store_busy_becomes_busy_message(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from cases.store import StoreBusy

    def busy(*_: Any, **__: Any) -> None:
        raise StoreBusy("locked")

    monkeypatch.setattr(app.store, "set_session", busy)
    assert "系统有点忙" in Chat(app).cmd("check")


def test_flood_from_one_user_is_limited_others_unaffected(make_app: Any) -> None:
    clock = [0.0]
    app = make_app(limiter=RateLimiter(burst=3, per_minute=6, clock=lambda: clock[0]))
    a, b = Chat(app, "a"), Chat(app, "b")
    answers = [a.say(BENIGN) for _ in range(6)]
    assert all(x.startswith("🟢") for x in answers[:3])
    assert "太快" in answers[3] and answers[4] == "" and answers[5] == ""  # warned once, then silence
    assert b.say(BENIGN).startswith("🟢")
    clock[0] += 20  # two tokens back at 6 per minute
    assert a.say(BENIGN).startswith("🟢")


def test_group_quiet_except_high_risk(make_app: Any) -> None:
    app = make_app(options=Options(rate_burst=100, rate_per_minute=100, group_min_chars=15))
    conv = app.conversation

    def group(text: str = "", **kw: Any) -> list[Reply]:
        return conv.handle(Incoming("telegram", "7", chat_id="-100", text=text, is_group=True, **kw))

    assert "防诈自查助手" in group(bot_added=True)[0].text
    assert group(bot_added=True) == []  # never re-introduces itself
    assert group("好的") == [] and group(BENIGN + "大家记得带伞") == []
    [warn] = group(OFFICIAL)
    assert warn.text.startswith("⚠️") and "安全账户" in warn.text and not warn.buttons
    assert group(command="help") == []
    assert "管理员" in group(command="fangzha_off")[0].text
    assert group(command="fangzha_off", is_chat_admin=True)[0].text.startswith("好的")
    assert group(OFFICIAL) == []
    group(command="fangzha_on", is_chat_admin=True)
    assert group(OFFICIAL)
    assert list(app.store.db.query("select * from checks")) == []  # group messages are not stored


def test_ocr_texts(chat: Chat) -> None:
    out = "\n".join(r.text for r in chat.app.conversation.handle(Incoming("console", "1", image_unreadable=True)))
    assert "没有读到文字" in out
    out = "\n".join(r.text for r in chat.app.conversation.handle(
        Incoming("console", "1", text=OFFICIAL, from_image=True)))
    assert out.startswith("从图片读到的文字") and "安全账户" in out


@pytest.mark.parametrize(("text", "value"), [("5000", 5000.0), ("1.2万", 12000.0), ("约3千元", 3000.0),
                                             ("2,500块", 2500.0), ("很多", None), ("-5", None)])
def test_parse_amount(text: str, value: float | None) -> None:
    assert parse_amount(text) == value


def test_split_text_respects_limit() -> None:
    text = "\n".join(["一行字" * 30] * 200) + "\n" + "长" * 9000
    parts = split_text(text, 1000)
    assert all(0 < len(p) <= 1000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_screenshot_during_report_text_step_is_the_report_text(chat: Chat, app: Any) -> None:
    chat.cmd("report")
    chat.app.conversation.handle(Incoming("console", "1", text=OFFICIAL, from_image=True))
    s = app.store.session("console:1")
    assert s is not None and s.data["text"] == OFFICIAL and s.step != "text"


def test_screenshot_during_questionnaire_is_checked_and_questionnaire_waits(chat: Chat, app: Any) -> None:
    chat.cmd("check")
    out = "\n".join(r.text for r in chat.app.conversation.handle(
        Incoming("console", "1", text=OFFICIAL, from_image=True)))
    assert out.startswith("从图片读到的文字")
    assert app.store.session("console:1").step == "who"


def test_button_data_fits_telegram_callback_limit(app: Any) -> None:
    kb = app.detector.kb
    data = [f"sc:{q.id}:{o.id}" for q in kb.scenario.questions for o in q.options]
    data += [f"rq:type:{t}" for t in kb.types] + [f"au:{10**12}:student", f"rp:{10**12}", f"fb:{10**12}"]
    assert all(len(d.encode()) <= 64 for d in data)
    assert all(0 < len(o.label) <= 20 for q in kb.scenario.questions for o in q.options)


def test_no_raw_number_in_any_table_and_report_keeps_its_marks(chat: Chat, app: Any) -> None:
    def finish_report() -> None:
        for label in ("不清楚", "还没有", "今天", "不同意"):
            if label in chat.buttons():
                chat.press(label)

    chat.cmd("report")
    chat.say("对方电话13812345678，让我转到卡6217000010012345678")
    dump = "\n".join(app.store.db.iterdump())
    assert "13812345678" not in dump and "6217000010012345678" not in dump  # sessions included
    finish_report()
    chat.say("客服说退款要先转账验证，电话13812345678")
    chat.press("我要举报")
    finish_report()
    assert len(app.store.reports()) == 2
    dump = "\n".join(app.store.db.iterdump())
    assert "13812345678" not in dump
    repeated = list(app.store.db.query(
        "SELECT value, COUNT(*) n FROM case_marks WHERE kind = '手机号' GROUP BY value"))
    assert [(r["value"][:6], r["n"]) for r in repeated] == [("*5678#", 2)]  # both reports carry the number
