"""Admins, grid workers, dissuasion tasks, rewards, ranking, alerts: through the channel-free conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cases import programme
from cases.importer import import_cases
from handlers import alerts
from handlers.admin import ADMIN_COMMANDS
from handlers.incoming import Incoming, Options, Reply

ADMIN, WORKER, CITIZEN, STRANGER = "900", "800", "700", "666"
SCAM = "您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查，不要告诉家人。"


@pytest.fixture()
def app(make_app: Any) -> Any:
    return make_app(options=Options(rate_burst=1000, rate_per_minute=1000, admins=frozenset({f"telegram:{ADMIN}"})))


def go(app: Any, user: str, **kw: Any) -> list[Reply]:
    return app.conversation.handle(Incoming("telegram", user, chat_id=user, **kw))


def text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if r.chat_id is None)


def buttons(replies: list[Reply]) -> dict[str, str]:
    return {b.label: b.data for r in replies for row in r.buttons for b in row}


@pytest.mark.parametrize("cmd", sorted(ADMIN_COMMANDS))
def test_every_admin_command_refuses_everyone_else(app: Any, cmd: str) -> None:
    out = text(go(app, STRANGER, command=cmd, args="add X 名称"))
    assert "只对反诈中心管理员开放" in out
    assert programme.grids(app.store) == [] and programme.blocklist(app.store) == frozenset()


def test_admin_buttons_and_files_refuse_everyone_else(app: Any) -> None:
    assert "管理员" in text(go(app, STRANGER, callback="rv:1:fraud"))
    assert "管理员" in text(go(app, STRANGER, callback="bc:yes"))
    assert "管理员" in text(go(app, STRANGER, attachment=("fake_loan.yaml", b"id: fake_loan")))


def test_block_makes_the_engine_flag_the_number(app: Any) -> None:
    msg = "有空回个电话 139 1234 5678"
    assert not go(app, CITIZEN, text=msg)[0].text.startswith("🔴")
    assert "已加入黑名单" in text(go(app, ADMIN, command="block", args="13912345678 刷单团伙"))
    out = go(app, CITIZEN, text=msg)[0].text
    assert out.startswith("🔴") and "确认为诈骗号码" in out
    assert "13912345678" in text(go(app, ADMIN, command="blocklist"))
    go(app, ADMIN, command="unblock", args="139-1234-5678")
    assert not go(app, CITIZEN, text=msg)[0].text.startswith("🔴")


def test_reload_reports_ok(app: Any) -> None:
    assert "已重新加载" in text(go(app, ADMIN, command="reload"))


def test_kb_file_upload_good_bad_and_atomic(make_app: Any, tmp_path: Path, kb_copy: Path) -> None:
    from classifiers.engine import Detector, build_engine
    from handlers.conversation import Conversation

    detector = Detector(build_engine(kb_copy, None), kb_copy, None)
    a = make_app()
    conv = Conversation(detector, a.store, Options(admins=frozenset({f"telegram:{ADMIN}"})))
    target = kb_copy / "patterns" / "fake_loan.yaml"
    before = target.read_bytes()
    bad = before.replace(b"id: fake_loan", b"id: fake_loan\nunknown_field: 1", 1)
    out = text(conv.handle(Incoming("telegram", ADMIN, attachment=("fake_loan.yaml", bad))))
    assert "错误" in out and "unknown_field" in out
    assert target.read_bytes() == before  # nothing changed
    good = before.replace("贷款".encode(), "贷款".encode(), 1) + b"\n# edited by an admin\n"
    out = text(conv.handle(Incoming("telegram", ADMIN, attachment=("fake_loan.yaml", good))))
    assert "已更新 fake_loan.yaml" in out
    assert target.read_bytes() == good
    history = list((kb_copy / "patterns" / ".history").glob("fake_loan.*.yaml"))
    assert len(history) == 1 and history[0].read_bytes() == before  # the previous version is kept
    assert "文件名" in text(conv.handle(Incoming("telegram", ADMIN, attachment=("evil.yaml", good))))


def test_review_lists_feedback_and_labels_it(app: Any) -> None:
    go(app, CITIZEN, text="明天下午三点开家长会，请准时参加。")
    fb = buttons(app.conversation.handle(Incoming("telegram", CITIZEN, chat_id=CITIZEN, text="周末一起吃饭吗")))
    go(app, CITIZEN, callback=fb["判断不对"])
    out = go(app, ADMIN, command="review")
    assert "周末一起吃饭吗" in text(out)
    label = buttons(out)["是诈骗"]
    assert "已标注" in text(go(app, ADMIN, callback=label))
    assert list(app.store.db.query("select label from feedback"))[0]["label"] == "fraud"
    assert "没有待处理" in text(go(app, ADMIN, command="review"))


def test_broadcast_preview_then_confirm(app: Any) -> None:
    for uid, grid in (("1", "QY01"), ("2", "QY01"), ("3", "QY02")):
        go(app, uid, command="start", args=f"g_{grid}__a_senior")
        go(app, uid, command="subscribe")
    preview = go(app, ADMIN, command="broadcast", args="grid=QY01 最近冒充医保局的电话很多，请注意。")
    assert "将发给 2 位订阅者" in text(preview) and not [r for r in preview if r.chat_id]
    sent = go(app, ADMIN, callback=buttons(preview)["确认发送"])
    assert sorted(r.chat_id for r in sent if r.chat_id) == ["telegram:1", "telegram:2"]
    assert "已发送给 2 位" in text(sent)
    go(app, ADMIN, command="broadcast", args="全体注意")
    assert "已取消" in text(go(app, ADMIN, callback="bc:no"))


def test_grid_worker_link_task_flow_rewards_and_ranking(app: Any) -> None:
    go(app, ADMIN, command="grid", args="add QY01 幸福社区")
    assert "已把 telegram:800" in text(go(app, ADMIN, command="grid", args=f"worker QY01 {WORKER}"))
    link = go(app, WORKER, command="mylink")
    assert "start=g_QY01" in link[0].text and link[0].image and link[0].image[:4] == b"\x89PNG"
    assert "只对网格员开放" in text(go(app, STRANGER, command="mylink"))

    go(app, CITIZEN, command="start", args="g_QY01__a_senior")
    verdict = go(app, CITIZEN, text=SCAM + " 联系电话13812345678")
    assert verdict[0].text.startswith("🔴")
    asked = go(app, CITIZEN, callback=buttons(verdict)["请网格员联系我"])
    assert "网格员" in text(asked)
    [note] = [r for r in asked if r.chat_id == f"telegram:{WORKER}"]
    assert "劝阻任务" in note.text and "13812345678" not in note.text  # the redacted gist only
    take = buttons([note])["接单"]
    assert "不归你负责" in text(go(app, STRANGER, callback=take))
    taken = go(app, WORKER, callback=take)
    visited = go(app, WORKER, callback=buttons(taken)["已上门"])
    go(app, WORKER, callback=take)  # a repeated 接单 by the same worker changes nothing
    closed = go(app, WORKER, callback=buttons(visited)["劝阻成功"])
    assert "已完成" in text(closed)
    go(app, WORKER, callback=buttons(visited)["劝阻成功"])  # pressed twice: paid once
    ledger = list(app.store.db.query("select reason, amount from ledger order by reason"))
    assert [(r["reason"], r["amount"]) for r in ledger] == [("success", 10.0), ("visit", 10.0)]
    [row] = [r for r in programme.ranking(app.store) if r["grid"] == "QY01"]
    assert (row["tasks"], row["visits"], row["successes"], row["reach"], row["rewards"]) == (1, 1, 1, 1, 20.0)
    assert "幸福社区" in text(go(app, WORKER, command="ranking"))
    # The task is closed, so a new high-risk case may open one; while that one is open, no second.
    assert programme.open_task(app.store, "QY01", f"telegram:{CITIZEN}", "high", None, 1.0, "x") is not None
    assert programme.open_task(app.store, "QY01", f"telegram:{CITIZEN}", "high", None, 1.0, "y") is None


def test_task_without_grid_goes_to_admins_and_overdue_escalates(app: Any) -> None:
    verdict = go(app, CITIZEN, text=SCAM)
    out = go(app, CITIZEN, callback=buttons(verdict)["请网格员联系我"])
    assert any(r.chat_id == f"telegram:{ADMIN}" and "没有所属社区" in r.text for r in out)
    later = datetime.now(UTC) + timedelta(hours=30)
    assert [t["citizen_key"] for t in programme.overdue(app.store, 24, later)] == [f"telegram:{CITIZEN}"]
    assert programme.overdue(app.store, 24, later) == []  # escalated once


def test_alerts_reach_admins_now_and_subscribers_outside_quiet_hours(app: Any, tmp_path: Path) -> None:
    for uid, aud in (("1", "senior"), ("2", "student")):
        go(app, uid, command="start", args=f"g_QY07__a_{aud}")
        go(app, uid, command="subscribe")
    now = datetime.now(UTC)
    rows = [{"text": f"冒充公检法 {i}", "reported_at": (now - timedelta(hours=3 * i)).isoformat(), "grid": "QY07",
             "fraud_type": "impersonate_officials"} for i in range(8)]
    f = tmp_path / "c.jsonl"
    import json

    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    import_cases(app.store, f)
    kb, opts = app.detector.kb, app.conversation.options
    quiet = alerts.run(app.store, kb, opts, quiet=True)
    assert [r.chat_id for r in quiet] == [f"telegram:{ADMIN}"] and "QY07" in quiet[0].text
    later = alerts.run(app.store, kb, opts, quiet=False)
    by_user = {r.chat_id: r.text for r in later}
    assert set(by_user) == {"telegram:1", "telegram:2"}  # the admin was already told
    assert "咱们社区" in by_user["telegram:1"] and "辅导员" in by_user["telegram:2"]
    assert alerts.run(app.store, kb, opts, quiet=False) == []  # never twice


@pytest.mark.parametrize(("hour", "quiet"), [(23, True), (3, True), (7, False), (12, False), (21, False)])
def test_quiet_hours(hour: int, quiet: bool) -> None:
    assert alerts.in_quiet_hours(datetime(2026, 11, 28, hour, 30), "22-7") is quiet


def test_stats_text_and_chart(app: Any, tmp_path: Path) -> None:
    import json

    now = datetime.now(UTC)
    rows = [{"text": f"刷单 {i} 联系13900001111", "reported_at": (now - timedelta(days=i)).isoformat(),
             "grid": "QY01", "fraud_type": "order_brushing", "amount_lost": 100} for i in range(5)]
    f = tmp_path / "c.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    import_cases(app.store, f)
    [r] = go(app, ADMIN, command="stats", args="7d")
    assert "共 5 起" in r.text and "刷单返利：5" in r.text and "*1111#" in r.text
    assert r.image is not None and r.image[:4] == b"\x89PNG"


def test_worker_by_username(app: Any) -> None:
    go(app, ADMIN, command="grid", args="add QY05 和平社区")
    assert "找不到" in text(go(app, ADMIN, command="grid", args="worker QY05 @wang_grid"))
    app.conversation.handle(Incoming("telegram", "555", chat_id="555", command="start", username="Wang_Grid"))
    assert "telegram:555" in text(go(app, ADMIN, command="grid", args="worker QY05 @wang_grid"))
    assert programme.worker_grids(app.store, "telegram:555") == ["QY05"]


def test_review_includes_messages_the_engine_was_unsure_about(app: Any) -> None:
    app.store.add_check(f"telegram:{CITIZEN}", "你好，我是你老同学，有空聊聊？",
                        {"level": "low", "fraud_type": None, "risk": 0.3, "evidence": []})
    out = text(go(app, ADMIN, command="review"))
    assert "不确定" in out and "老同学" in out
    assert len(list(app.store.db.query("select id from feedback"))) == 1
    go(app, ADMIN, command="review")  # listed again until labelled, but never queued twice
    assert len(list(app.store.db.query("select id from feedback"))) == 1
