"""A local stand-in for the Telegram Bot API over HTTP on 127.0.0.1, for end-to-end tests and the bot benchmark.

It speaks just enough of the API for python-telegram-bot's polling Application: getMe, deleteWebhook,
getUpdates (long-polls a queue the test fills), sendMessage and friends (recorded), getFile and file downloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT = {"id": 777000111, "is_bot": True, "first_name": "防诈自查助手", "username": "fangzha_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


class BotApiStandin:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []  # every call other than polling: {"method": …, **params}
        self.files: dict[str, bytes] = {}
        self.admins: set[int] = set()
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- test side ------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def __enter__(self) -> BotApiStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def push(self, update: dict[str, Any]) -> int:
        with self._cond:
            uid = next(self._update_ids)
            self.updates.append({"update_id": uid, **update})
            self._cond.notify_all()
            return uid

    def wait_for(self, pred: Callable[[list[dict[str, Any]]], bool], timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(self.sent):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"condition not met; calls so far: {[c['method'] for c in self.sent]}")
                self._cond.wait(left)
            return list(self.sent)

    def messages_to(self, chat_id: int, methods: tuple[str, ...] = ("sendMessage",)) -> list[dict[str, Any]]:
        with self._cond:
            return [c for c in self.sent if c["method"] in methods and int(c["chat_id"]) == chat_id]

    # -- server side ----------------------------------------------------------------------------------------
    def _call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            wait = min(float(params.get("timeout") or 0), 1.0)
            deadline = time.monotonic() + wait
            with self._cond:
                while True:
                    out = [u for u in self.updates if u["update_id"] >= offset]
                    left = deadline - time.monotonic()
                    if out or left <= 0:
                        return out[:100]
                    self._cond.wait(left)
        with self._cond:
            self.sent.append({"method": method, "_t": time.monotonic(), **params})
            self._cond.notify_all()
        if method in ("sendMessage", "sendPhoto"):
            chat_id = int(params["chat_id"])
            msg = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"}, "from": BOT}
            if method == "sendPhoto":
                return {**msg, "caption": params.get("caption") or "",
                        "photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}
            return {**msg, "text": params.get("text", "")}
        if method == "getFile":
            fid = params["file_id"]
            return {"file_id": fid, "file_unique_id": fid, "file_size": len(self.files.get(fid, b"")),
                    "file_path": f"photos/{fid}.png"}
        if method == "getChatMember":
            uid = int(params["user_id"])
            status = "administrator" if uid in self.admins else "member"
            return {"status": status, "user": {"id": uid, "is_bot": False, "first_name": "x"},
                    **({"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                        "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
                        "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
                        "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False}
                       if status == "administrator" else {})}
        return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _reply(self, code: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped polling
                    self.wfile.write(body)

            def do_GET(self) -> None:
                if "/file/bot" in self.path:
                    fid = self.path.rsplit("/", 1)[-1].removesuffix(".png")
                    data = standin.files.get(fid)
                    if data is not None:
                        self._reply(200, data, "application/octet-stream")
                        return
                self._reply(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')

            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = _params(self.headers.get("Content-Type", ""), raw)
                result = standin._call(method, params)
                self._reply(200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode())

        return Handler


def _params(ctype: str, raw: bytes) -> dict[str, Any]:
    """PTB sends form fields whose values are JSON (plain strings stay plain)."""
    fields: dict[str, str] = {}
    if ctype.startswith("multipart/"):
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = part.get_content() if part.get_content_maintype() == "text" else ""
    elif ctype.startswith("application/json"):
        return json.loads(raw or b"{}")
    else:
        fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
    out: dict[str, Any] = {}
    for k, v in fields.items():
        try:
            out[k] = json.loads(v)
        except (json.JSONDecodeError, TypeError):
            out[k] = v
    return out


class RunningBot:
    """A python-telegram-bot Application on its own event loop in a thread, polling the stand-in
    (what `main.py run` does with a token). `application` is anything with PTB's Application interface."""

    def __init__(self, standin: BotApiStandin, application: Any) -> None:
        self.standin = standin
        self.application = application
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        async with self.application:
            if self.application.post_init:  # run_polling() calls it; so do we
                await self.application.post_init(self.application)
            await self.application.start()
            await self.application.updater.start_polling(poll_interval=0.0, timeout=1)
            self._ready.set()
            await asyncio.get_running_loop().run_in_executor(None, self._stop.wait)
            await self.application.updater.stop()
            await self.application.stop()

    def __enter__(self) -> RunningBot:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the Application did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def text_update(text: str, user_id: int, chat: dict[str, Any] | None = None, message_id: int = 1) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "用户"}
    msg: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                           "chat": chat or {"id": user_id, "type": "private", "first_name": "用户"},
                           "from": user, "text": text}
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": msg}
