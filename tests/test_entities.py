from __future__ import annotations

import pytest

from classifiers.entities import EntityExtractor, luhn_ok, registrable


@pytest.fixture(scope="module")
def ex(kb) -> EntityExtractor:  # type: ignore[no-untyped-def]
    return EntityExtractor(kb.allowlist, kb.generic.apps)


def _kinds(ex: EntityExtractor, text: str) -> dict[str, tuple[str, ...]]:
    return {h.entity.value: h.entity.flags for h in ex.extract(text)}


def test_lookalike_and_odd_domains(ex: EntityExtractor) -> None:
    got = _kinds(ex, "请登录 http://icbc-vip.cc/login 或 www.etc-renzheng.top 认证")
    assert "lookalike" in got["http://icbc-vip.cc/login"] and "odd_tld" in got["http://icbc-vip.cc/login"]
    assert "odd_tld" in got["www.etc-renzheng.top"]


def test_official_domains_are_recognised(ex: EntityExtractor) -> None:
    got = _kinds(ex, "详情见 https://www.icbc.com.cn/x 和 m.jd.com")
    assert got["https://www.icbc.com.cn/x"] == ("official",)
    assert got["m.jd.com"] == ("official",)


def test_numbers_in_prose_are_not_domains(ex: EntityExtractor) -> None:
    assert not [h for h in ex.extract("版本v1.2，利率3.5") if h.entity.kind == "url"]


def test_phone_numbers_official_and_unknown(ex: EntityExtractor) -> None:
    hits = {h.entity.value: h.entity.flags for h in ex.extract("请拨打95588或138 1234 5678，不要打010-66667777")}
    assert "official" in hits["95588"]
    assert hits["13812345678"] == ("mobile",)
    assert "landline" in hits["01066667777"]


def test_amount_is_not_mistaken_for_a_service_number(ex: EntityExtractor) -> None:
    kinds = {(h.entity.kind, h.entity.value) for h in ex.extract("帮我交10000人民币保释金")}
    assert ("amount", "10000") in kinds
    assert not any(k == "phone" for k, _ in kinds)


def test_bank_card_needs_luhn(ex: EntityExtractor) -> None:
    good = "6222020200112233445"
    assert not luhn_ok(good)  # sanity: pick a number that fails, then fix its check digit
    fixed = next(good[:-1] + str(d) for d in range(10) if luhn_ok(good[:-1] + str(d)))
    assert [h.entity.kind for h in ex.extract(f"转到卡号{fixed}")] == ["bank_card"]
    assert not [h for h in ex.extract(f"转到卡号{good}") if h.entity.kind == "bank_card"]


def test_code_request_but_not_code_warning(ex: EntityExtractor) -> None:
    assert any(h.entity.kind == "code_request" for h in ex.extract("把验证码发给我核对一下"))
    assert not any(h.entity.kind == "code_request" for h in ex.extract("验证码请勿告诉他人"))
    assert not any(h.entity.kind == "code_request" for h in ex.extract("不要把验证码告诉任何人"))


def test_qq_wechat_and_apps(ex: EntityExtractor) -> None:
    kinds = {h.entity.kind for h in ex.extract("加qq 12345678 或微信号 abc_8899，下载腾讯会议")}
    assert {"qq", "wechat", "app"} <= kinds


def test_registrable_domain() -> None:
    assert registrable("a.b.example.com.cn") == "example.com.cn"
    assert registrable("x.jd.com") == "jd.com"
