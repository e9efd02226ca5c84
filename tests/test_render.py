from __future__ import annotations

from classifiers.engine import Engine
from handlers.check import reasons, render, render_emergency


def test_reply_quotes_what_was_seen(rules_engine: Engine) -> None:
    v = rules_engine.check("兼职刷单，先垫付300元，完成任务后返还本金加佣金")
    why = reasons(v, rules_engine.kb)
    assert why and any("“" in w for w in why)
    text = render(v, rules_engine.kb, "parent")
    assert "刷单返利" in text and "建议这样做" in text and "96110" in text


def test_propaganda_reply(rules_engine: Engine) -> None:
    v = rules_engine.check("反诈中心提醒：凡是要求先交钱才能领奖的都是诈骗，不存在安全账户。")
    assert render(v, rules_engine.kb, "senior").startswith("这是一条反诈提醒")


def test_no_risk_reply(rules_engine: Engine) -> None:
    v = rules_engine.check("妈，我周末回家吃饭")
    text = render(v, rules_engine.kb, "senior")
    assert "未发现明显风险" in text and "为什么" not in text


def test_emergency_steps_per_audience(kb) -> None:  # type: ignore[no-untyped-def]
    for aud in ("senior", "parent", "student", "general"):
        steps = render_emergency(kb, aud)
        assert "110" in steps and "止付" in steps
    assert len(render_emergency(kb, "senior")) <= len(render_emergency(kb, "general"))
