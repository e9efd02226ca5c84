"""The mobile self-check page in a real headless browser (Debian's chromium driven by playwright).
A screenshot of the result is kept as a test artefact in tests/artifacts/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot.web import WebServer

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCAM = "您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查，不要告诉家人。"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no chromium found: ./dev test installs Debian's chromium (apt-get install chromium)")


@pytest.fixture()
def base_url(make_app: Any) -> Any:
    web = WebServer(make_app(), {"FANGZHA_API_RATE_PER_MINUTE": "100"})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web.asgi(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", web
    server.should_exit = True
    thread.join(10)


def test_page_in_a_real_browser(base_url: Any) -> None:
    from playwright.sync_api import sync_playwright

    url, web = base_url
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
        page.goto(f"{url}/?g=QY01")
        assert page.title() == "防诈自查助手"
        page.fill("textarea[name=text]", SCAM)
        page.check("input[name=audience][value=senior]")
        page.click("button[type=submit]")
        page.wait_for_selector("#result")
        result = page.inner_text("#result")
        assert "高风险" in result and "冒充公检法" in result and "您该怎么做" in result
        assert page.is_checked("input[name=audience][value=senior]")  # the choice is kept
        font_px = page.eval_on_selector("body", "el => parseFloat(getComputedStyle(el).fontSize)")
        assert font_px >= 18  # large readable type for seniors
        page.screenshot(path=str(ARTIFACTS / "self_check_result.png"), full_page=True)
        page.click("a.big")
        page.wait_for_url(lambda u: u.endswith("/emergency?g=QY01"))
        assert "96110" in page.inner_text("main") and "止付" in page.inner_text("main")
        browser.close()
    user = list(web.app.store.db.query("SELECT grid, audience FROM users WHERE user_key LIKE 'web:%'"))
    assert user == [{"grid": "QY01", "audience": "senior"}]
    assert (ARTIFACTS / "self_check_result.png").stat().st_size > 10_000
