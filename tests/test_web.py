"""The server mode: H5 page, /api/check, /healthz, the WeChat callback (plain and 安全模式), the Telegram webhook.
Every bad request gets a clear 4xx and changes nothing."""

from __future__ import annotations

import hashlib
import io
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from bot.web import WebServer
from bot.wechat_protocol import Crypto, parse_xml

TOKEN = "wx-token"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the console issues them
APPID = "wx1234567890abcdef"
SCAM = "您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查，不要告诉家人。"


def sig(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed(extra: str = "") -> dict[str, str]:
    ts, nonce = str(int(time.time())), "n0nce"
    return {"signature": sig(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def wx_text(content: str, user: str = "oUser1", kind: str = "text", **extra: str) -> bytes:
    fields = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in extra.items())
    return (f"<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content>{fields}<MsgId>1</MsgId></xml>").encode()


@pytest.fixture()
def server(make_app: Any) -> Any:
    app = make_app()
    settings = {"WECHAT_TOKEN": TOKEN, "WECHAT_AES_KEY": AES, "WECHAT_APPID": APPID,
                "FANGZHA_API_RATE_PER_MINUTE": "1000"}
    web = WebServer(app, settings)
    with TestClient(web.asgi()) as client:
        yield client, app, web


def _count(app: Any) -> int:
    sql = "SELECT (SELECT COUNT(*) FROM checks) + (SELECT COUNT(*) FROM users)"
    return int(app.store.db.execute(sql).fetchone()[0])


def test_healthz(server: Any) -> None:
    client, _, _ = server
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["ok"] and r.json()["kb"]["types"] == 14


def test_api_check_and_its_refusals(server: Any) -> None:
    client, app, web = server
    r = client.post("/api/check", json={"text": SCAM, "audience": "senior"})
    assert r.status_code == 200
    d = r.json()
    assert d["is_fraud"] and d["level"] == "high" and d["fraud_type"] == "impersonate_officials"
    assert "您该怎么做" in d["reply"] and d["evidence"]
    assert client.post("/api/check", content=b"{not json").status_code == 400
    assert client.post("/api/check", json={"txt": "x"}).status_code == 400
    assert client.post("/api/check", json=["x"]).status_code == 400
    assert client.post("/api/check", json={"text": "x", "audience": "robot"}).status_code == 400
    assert client.post("/api/check", content=b'{"text": "' + b"a" * 70_000 + b'"}').status_code == 413
    web.api_token = "s3cret"
    assert client.post("/api/check", json={"text": SCAM}).status_code == 401
    assert client.post("/api/check", json={"text": SCAM}, headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_api_rate_limit_per_client(make_app: Any) -> None:
    web = WebServer(make_app(), {"FANGZHA_API_RATE_PER_MINUTE": "3"})
    with TestClient(web.asgi()) as client:
        codes = [client.post("/api/check", json={"text": "你好"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_page_form_and_grid_attribution(server: Any) -> None:
    client, app, _ = server
    page = client.get("/?g=QY01")
    assert page.status_code == 200 and "帮我看看" in page.text and 'action="/?g=QY01"' in page.text
    r = client.post("/?g=QY01", data={"text": SCAM + " 电话13812345678", "audience": "senior"})
    assert r.status_code == 200 and "level-high" in r.text and "您该怎么做" in r.text
    [user] = list(app.store.db.query("SELECT * FROM users WHERE user_key LIKE 'web:%'"))
    assert user["grid"] == "QY01" and user["audience"] == "senior"
    assert "13812345678" not in "\n".join(app.store.db.iterdump())
    empty = client.post("/", data={"text": "  "})
    assert empty.status_code == 200 and "请把可疑" in empty.text
    bad_grid = client.get("/?g=<script>")
    assert "<script>" not in bad_grid.text
    assert "96110" in client.get("/emergency").text


def test_page_reads_a_screenshot(make_app: Any) -> None:
    from PIL import Image, ImageDraw, ImageFont

    from tests.test_telegram_e2e import _cjk_font

    web = WebServer(make_app(ocr=True), {"FANGZHA_API_RATE_PER_MINUTE": "100"})
    img = Image.new("RGB", (760, 120), "white")
    ImageDraw.Draw(img).text((20, 40), "请把资金转到安全账户配合调查", font=ImageFont.truetype(_cjk_font(), 30),
                             fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    with TestClient(web.asgi()) as client:
        r = client.post("/", data={"text": "", "audience": "general"},
                        files={"image": ("shot.png", buf.getvalue(), "image/png")})
    assert r.status_code == 200 and "从图片读到的文字" in r.text and "安全账户" in r.text


def test_wechat_url_verification(server: Any) -> None:
    client, _, _ = server
    q = signed()
    assert client.get("/wechat", params={**q, "echostr": "hello123"}).text == "hello123"
    assert client.get("/wechat", params={**q, "signature": "0" * 40, "echostr": "x"}).status_code == 403
    assert client.get("/wechat", params={"echostr": "x"}).status_code == 403


def test_wechat_text_message_gets_a_verdict_with_numbered_choices(server: Any) -> None:
    client, app, _ = server
    r = client.post("/wechat", params=signed(), content=wx_text(SCAM))
    assert r.status_code == 200
    reply = parse_xml(r.content)
    assert reply["ToUserName"] == "oUser1" and reply["FromUserName"] == "gh_abc" and reply["MsgType"] == "text"
    content = reply["Content"]
    assert content.startswith("🔴") and "回复数字" in content and "1. 我已经转账了" in content
    assert len(reply["Content"].encode()) < 2048
    r2 = client.post("/wechat", params=signed(), content=wx_text("1"))
    assert "96110" in parse_xml(r2.content)["Content"]  # "1" pressed 我已经转账了


def test_wechat_questionnaire_and_subscribe_scene(server: Any) -> None:
    client, app, _ = server
    sub = wx_text("", kind="event", Event="subscribe", EventKey="qrscene_g_QY02__a_senior")
    assert "防诈自查助手" in parse_xml(client.post("/wechat", params=signed(), content=sub).content)["Content"]
    assert app.store.user("wechat:oUser1").grid == "QY02"
    out = parse_xml(client.post("/wechat", params=signed(), content=wx_text("/check")).content)["Content"]
    assert "1/7" in out
    for n in ("2", "1", "1", "1", "1", "1", "1"):
        out = parse_xml(client.post("/wechat", params=signed(), content=wx_text(n)).content)["Content"]
    out = parse_xml(client.post("/wechat", params=signed(), content=wx_text("1")).content)["Content"]
    assert "受骗指数" in out and "止付" in out


def test_wechat_refusals_change_nothing(server: Any) -> None:
    client, app, _ = server
    before = _count(app)
    forged = {**signed(), "signature": "f" * 40}
    assert client.post("/wechat", params=forged, content=wx_text(SCAM)).status_code == 403
    assert client.post("/wechat", content=wx_text(SCAM)).status_code == 403
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<xml><FromUserName>&lol2;</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>")
    assert client.post("/wechat", params=signed(), content=bomb).status_code == 400
    assert client.post("/wechat", params=signed(), content=b"<xml><unclosed>").status_code == 400
    assert client.post("/wechat", params=signed(), content=b"<other/>").status_code == 400
    assert client.post("/wechat", params=signed(), content=b"<xml>" + b"a" * 70_000 + b"</xml>").status_code == 413
    assert _count(app) == before
    voice = client.post("/wechat", params=signed(), content=wx_text("", kind="voice"))
    assert "读不出文字" in parse_xml(voice.content)["Content"]


def test_wechat_safe_mode_round_trip(server: Any) -> None:
    client, _, _ = server
    crypto = Crypto(TOKEN, AES, APPID)
    q = signed()
    envelope = parse_xml(crypto.encrypt(wx_text(SCAM).decode(), q["nonce"], q["timestamp"]).encode())
    body = f"<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    params = {**q, "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
    r = client.post("/wechat", params=params, content=body.encode())
    assert r.status_code == 200
    out = parse_xml(r.content)
    assert out["MsgSignature"] == sig(TOKEN, out["TimeStamp"], out["Nonce"], out["Encrypt"])
    assert parse_xml(crypto.decrypt(out["Encrypt"]))["Content"].startswith("🔴")
    bad = {**params, "msg_signature": "0" * 40}
    assert client.post("/wechat", params=bad, content=body.encode()).status_code == 403
    other = Crypto(TOKEN, AES, "wxOTHERAPP")
    env2 = parse_xml(other.encrypt(wx_text(SCAM).decode(), q["nonce"], q["timestamp"]).encode())
    body2 = f"<xml><Encrypt><![CDATA[{env2['Encrypt']}]]></Encrypt></xml>".encode()
    assert client.post("/wechat", params={**q, "encrypt_type": "aes", "msg_signature": env2["MsgSignature"]},
                       content=body2).status_code == 400


def test_telegram_webhook_checks_the_secret(make_app: Any) -> None:
    from bench.botapi_standin import BotApiStandin, text_update
    from bot.telegram import build_application

    app = make_app()
    with BotApiStandin() as api:
        tg = build_application(app, "1:HOOK", api.base_url, webhook=True)
        web = WebServer(app, {"TELEGRAM_WEBHOOK_URL": "https://example.org"}, tg, "the-secret")
        with TestClient(web.asgi()) as client:
            assert any(c["method"] == "setWebhook" and c["secret_token"] == "the-secret" for c in api.sent)
            update = {"update_id": 1, **text_update(SCAM, 321)}
            assert client.post("/telegram", json=update).status_code == 403
            assert client.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}
                               ).status_code == 403
            assert client.post("/telegram", content=b"nope",
                               headers={"X-Telegram-Bot-Api-Secret-Token": "the-secret"}).status_code == 400
            ok = client.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "the-secret"})
            assert ok.status_code == 200
            api.wait_for(lambda _: bool(api.messages_to(321)), timeout=30)
            assert str(api.messages_to(321)[0]["text"]).startswith("🔴")


def test_wechat_screenshot_in_time_and_late(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from PIL import Image, ImageDraw, ImageFont

    import bot.wechat as wechat_mod
    from bot.wechat import WeChatChannel
    from tests.test_telegram_e2e import _cjk_font

    img = Image.new("RGB", (760, 120), "white")
    ImageDraw.Draw(img).text((20, 40), "请把资金转到安全账户配合调查", font=ImageFont.truetype(_cjk_font(), 30),
                             fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    app = make_app(ocr=True)
    app.ocr.read(buf.getvalue())  # warm the OCR engine, as a running server would be
    ch = WeChatChannel(app, TOKEN, fetch_image=lambda url: buf.getvalue())
    pic = wx_text("", kind="image", PicUrl="https://mmbiz.example/pic.jpg")
    out = parse_xml(ch.receive(signed(), pic).encode())["Content"]
    assert out.startswith("从图片读到的文字") and "安全账户" in out
    gate = threading.Event()
    slow = WeChatChannel(app, TOKEN, fetch_image=lambda url: (gate.wait(10), buf.getvalue())[1])
    monkeypatch.setattr(wechat_mod, "OCR_BUDGET_S", 0.1)
    held = parse_xml(slow.receive(signed(), pic).encode())["Content"]
    assert "正在识别" in held
    gate.set()
    slow._ocr_pool.shutdown(wait=True)
    later = parse_xml(slow.receive(signed(), wx_text("好的")).encode())["Content"]
    assert later.startswith("从图片读到的文字") and "安全账户" in later  # the late result comes with the next reply
