"""One ASGI app (Starlette) for the server mode: the H5 self-check page, /api/check, /healthz, the WeChat
callback and the Telegram webhook. Handlers run on one worker thread, as in the Telegram adapter."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.app import App
from bot.wechat import WeChatChannel
from bot.wechat_protocol import WeChatError
from handlers.check import render, render_emergency
from handlers.profile import GRID_CODE
from handlers.ratelimit import RateLimiter
from knowledge_base.schema import AUDIENCES

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_JSON = 64_000
MAX_FORM = 10_500_000  # a screenshot
MAX_TEXT = 20_000
COOKIE = "fz_id"


class TooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


class WebServer:
    def __init__(self, app: App, settings: dict[str, str], telegram: Any = None, telegram_secret: str = "") -> None:
        self.app = app
        self.settings = settings
        self.core = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangzha-core")
        self.ocr_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangzha-ocr")
        burst = int(settings.get("FANGZHA_API_RATE_PER_MINUTE", "60") or 60)
        self.limiter = RateLimiter(burst=burst, per_minute=burst)
        self.api_token = settings.get("FANGZHA_API_TOKEN", "")
        self.telegram = telegram
        self.telegram_secret = telegram_secret
        self.wechat = WeChatChannel(app, settings.get("WECHAT_TOKEN", ""), settings.get("WECHAT_AES_KEY", ""),
                                    settings.get("WECHAT_APPID", ""), run_core=app.conversation.handle,
                                    notify=self._notify_other_channel)
        self.page = Template((TEMPLATES / "page.html").read_text(encoding="utf-8"))
        self.emergency_page = Template((TEMPLATES / "emergency.html").read_text(encoding="utf-8"))

    async def run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.core, fn, *args)

    def _client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def _notify_other_channel(self, reply: Any) -> None:
        if self.telegram is None or not str(reply.chat_id).startswith("telegram:"):
            log.info("notification for %s not delivered: no channel for it here", str(reply.chat_id).split(":")[0])
            return
        bot_obj = self.telegram.bot
        loop = self._loop
        asyncio.run_coroutine_threadsafe(bot_obj.send_message(int(str(reply.chat_id).split(":", 1)[1]), reply.text),
                                         loop)

    # -- JSON API -------------------------------------------------------------------------------------------------
    async def api_check(self, request: Request) -> Response:
        if self.api_token and not secrets.compare_digest(request.headers.get("authorization", ""),
                                                         f"Bearer {self.api_token}"):
            return JSONResponse({"error": "missing or wrong bearer token"}, 401)
        allowed, _ = self.limiter.allow(self._client(request))
        if not allowed:
            return JSONResponse({"error": "too many requests, slow down"}, 429, headers={"Retry-After": "10"})
        try:
            data = json.loads(await read_limited(request, MAX_JSON))
        except TooLarge:
            return JSONResponse({"error": f"body larger than {MAX_JSON} bytes"}, 413)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"error": "body must be JSON"}, 400)
        if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not data["text"].strip():
            return JSONResponse({"error": "give a non-empty 'text' string"}, 400)
        audience = data.get("audience") or "general"
        if audience not in AUDIENCES:
            return JSONResponse({"error": f"audience must be one of {', '.join(AUDIENCES)}"}, 400)
        verdict = await self.run(self.app.detector.check, data["text"][:MAX_TEXT])
        d = verdict.to_dict()
        out = {k: d[k] for k in ("is_fraud", "risk", "level", "fraud_type", "is_propaganda", "truncated")}
        out["types"] = d["types"][:5]
        out["evidence"] = [{k: e[k] for k in ("rule_id", "kind", "matched", "weight")} for e in d["evidence"]]
        out["reply"] = render(verdict, self.app.detector.kb, audience)
        return JSONResponse(out)

    async def healthz(self, request: Request) -> Response:
        def probe() -> dict[str, Any]:
            self.app.store.db.execute("SELECT 1").fetchone()
            kb = self.app.detector.kb
            return {"ok": True, "store": "ok", "kb": {"types": len(kb.types), "fingerprint": kb.fingerprint},
                    "model": self.app.detector.engine.model is not None}
        try:
            return JSONResponse(await self.run(probe))
        except Exception as exc:  # noqa: BLE001 - the health check reports, it does not crash
            return JSONResponse({"ok": False, "error": type(exc).__name__}, 503)

    # -- the H5 page ----------------------------------------------------------------------------------------------
    def _audience_inputs(self, chosen: str) -> str:
        kb = self.app.detector.kb
        return "\n    ".join(
            f'<label class="aud"><input type="radio" name="audience" value="{a}"'
            f'{" checked" if a == chosen else ""}>{html.escape(kb.replies[a].label)}</label>' for a in AUDIENCES)

    def _html(self, request: Request, result: str = "", text: str = "", audience: str = "general") -> str:
        g = request.query_params.get("g", "")
        query = "?" + urlencode({"g": g}) if g and GRID_CODE.match(g) else ""
        return self.page.substitute(result=result, text=html.escape(text), audiences=self._audience_inputs(audience),
                                    query=query)

    async def page_get(self, request: Request) -> Response:
        return self._with_visitor(request, HTMLResponse(self._html(request)))

    def _with_visitor(self, request: Request, response: Response) -> Response:
        if COOKIE not in request.cookies:
            response.set_cookie(COOKIE, secrets.token_hex(8), max_age=365 * 86400, httponly=True, samesite="lax")
        return response

    async def page_post(self, request: Request) -> Response:
        allowed, _ = self.limiter.allow(self._client(request))
        if not allowed:
            return HTMLResponse(self._html(request, self._message("您提交得太快了，请稍等一分钟再试。")), 429)
        if int(request.headers.get("content-length") or 0) > MAX_FORM:
            return HTMLResponse(self._html(request, self._message("图片太大了，请换一张小一点的截图。")), 413)
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception:  # noqa: BLE001 - a malformed upload is the client's problem, not a crash
            return HTMLResponse(self._html(request, self._message("提交的内容有问题，请再试一次。")), 400)
        text = str(form.get("text") or "")[:MAX_TEXT]
        audience = str(form.get("audience") or "general")
        audience = audience if audience in AUDIENCES else "general"
        upload = form.get("image")
        read_from_image = ""
        if upload is not None and hasattr(upload, "read") and self.app.ocr is not None:
            data = await upload.read(MAX_FORM + 1)
            if data and len(data) <= MAX_FORM:
                read_from_image = await asyncio.get_running_loop().run_in_executor(self.ocr_pool, self.app.ocr.read,
                                                                                   data)
        full = "\n".join(t for t in (text.strip(), read_from_image) if t)
        if not full:
            msg = self.app.detector.kb.messages.ocr_failed if upload is not None and getattr(upload, "filename", "") \
                else self.app.detector.kb.messages.empty
            return HTMLResponse(self._html(request, self._message(msg), text, audience))
        visitor = request.cookies.get(COOKIE) or secrets.token_hex(8)
        g = request.query_params.get("g", "")
        verdict, reply = await self.run(self._web_check, visitor, full, audience, g if GRID_CODE.match(g) else "")
        body = render(verdict, self.app.detector.kb, audience)
        if read_from_image:
            body = self.app.detector.kb.messages.ocr_prefix.format(text=read_from_image[:80]) + "\n\n" + body
        paras = "".join(f"<p>{html.escape(line)}</p>" for line in body.split("\n"))
        result = f'<section class="result level-{verdict.level}" id="result">{paras}</section>'
        return self._with_visitor(request, HTMLResponse(self._html(request, result, text, audience)))

    def _web_check(self, visitor: str, text: str, audience: str, grid: str) -> tuple[Any, Any]:
        """The check, recorded like the bot's (redacted), for a visitor attributed to the grid of the link."""
        store = self.app.store
        user = store.user(f"web:{visitor}")
        if grid and not user.grid:
            user.grid = grid
        user.audience = audience
        store.save_user(user)
        verdict = self.app.detector.check(text)
        store.add_check(user.user_key, text, verdict.to_dict(), source="web")
        return verdict, None

    def _message(self, text: str) -> str:
        return f'<section class="result" id="result"><p>{html.escape(text)}</p></section>'

    async def emergency(self, request: Request) -> Response:
        audience = request.query_params.get("a", "general")
        steps = render_emergency(self.app.detector.kb, audience if audience in AUDIENCES else "general")
        items = "\n".join(f"<li>{html.escape(s.split('. ', 1)[-1])}</li>" for s in steps.split("\n"))
        g = request.query_params.get("g", "")
        query = "?" + urlencode({"g": g}) if g and GRID_CODE.match(g) else ""
        return HTMLResponse(self.emergency_page.substitute(steps=items, query=query))

    # -- WeChat ---------------------------------------------------------------------------------------------------
    async def wechat_get(self, request: Request) -> Response:
        echo = self.wechat.verify(request.query_params)
        return PlainTextResponse(echo) if echo is not None else PlainTextResponse("bad signature", 403)

    async def wechat_post(self, request: Request) -> Response:
        if not self.wechat.token:
            return PlainTextResponse("WeChat is not configured (WECHAT_TOKEN)", 404)
        try:
            body = await read_limited(request, 64_000)
        except TooLarge:
            return PlainTextResponse("too large", 413)
        params = dict(request.query_params)
        try:
            out = await self.run(self.wechat.receive, params, body)
        except WeChatError as exc:
            log.info("wechat request refused: %s", exc)
            code = 403 if "signature" in str(exc) else 400
            return PlainTextResponse("refused", code)
        return Response(out, media_type="application/xml" if out.startswith("<xml>") else "text/plain")

    # -- Telegram webhook -----------------------------------------------------------------------------------------
    async def telegram_post(self, request: Request) -> Response:
        if self.telegram is None:
            return PlainTextResponse("Telegram webhook is not configured", 404)
        got = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not secrets.compare_digest(got, self.telegram_secret):
            return PlainTextResponse("wrong secret token", 403)
        try:
            data = json.loads(await read_limited(request, 1_000_000))
        except TooLarge:
            return PlainTextResponse("too large", 413)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return PlainTextResponse("body must be JSON", 400)
        from telegram import Update

        try:
            update = Update.de_json(data, self.telegram.bot)
        except Exception:  # noqa: BLE001 - a malformed update is refused, never raised
            return PlainTextResponse("not a Telegram update", 400)
        await self.telegram.update_queue.put(update)
        return PlainTextResponse("ok")

    def asgi(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            self._loop = asyncio.get_running_loop()
            tg = self.telegram
            if tg is not None:  # the webhook flavour of the Telegram bot lives in this process
                await tg.initialize()
                if tg.post_init:
                    await tg.post_init(tg)
                url = self.settings.get("TELEGRAM_WEBHOOK_URL", "").rstrip("/")
                if url:
                    await tg.bot.set_webhook(f"{url}/telegram", secret_token=self.telegram_secret,
                                             allowed_updates=["message", "callback_query"])
                await tg.start()
            try:
                yield
            finally:
                if tg is not None:
                    await tg.stop()
                    await tg.shutdown()

        async def timing(request: Request, call_next: Any) -> Response:
            t0 = time.perf_counter()
            response = await call_next(request)
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1000:.1f}"
            return response

        return Starlette(lifespan=lifespan, middleware=[Middleware(BaseHTTPMiddleware, dispatch=timing)], routes=[
            Route("/", self.page_get, methods=["GET"]),
            Route("/", self.page_post, methods=["POST"]),
            Route("/emergency", self.emergency, methods=["GET"]),
            Route("/api/check", self.api_check, methods=["POST"]),
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/wechat", self.wechat_get, methods=["GET"]),
            Route("/wechat", self.wechat_post, methods=["POST"]),
            Route("/telegram", self.telegram_post, methods=["POST"]),
        ])
