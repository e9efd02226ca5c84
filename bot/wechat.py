"""WeChat Official Account adapter: a callback request → Incoming → Conversation → one passive XML reply.

WeChat waits 5 seconds for the reply and shows no buttons in it, so buttons become numbered choices (their
meaning is kept in the store) and a screenshot that takes too long to read gets a holding reply; the result
is kept and sent with the next reply.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bot.app import App
from bot.wechat_protocol import Crypto, WeChatError, check_signature, parse_xml, reply_xml
from handlers.incoming import Incoming, Reply

log = logging.getLogger(__name__)
MAX_REPLY_CHARS = 600  # a passive text reply must stay under 2,048 bytes
OCR_BUDGET_S = 3.5
SUCCESS = "success"  # WeChat's "nothing to say"


class WeChatChannel:
    def __init__(self, app: App, token: str, aes_key: str = "", appid: str = "",
                 run_core: Callable[[Incoming], list[Reply]] | None = None,
                 fetch_image: Callable[[str], bytes] | None = None,
                 notify: Callable[[Reply], None] | None = None) -> None:
        self.app = app
        self.token = token
        self.crypto = Crypto(token, aes_key, appid) if aes_key else None
        self.run_core = run_core or app.conversation.handle
        self.fetch_image = fetch_image or _download
        self.notify = notify  # notifications for other channels (a Telegram worker's task)
        self._ocr_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wechat-ocr")
        self._pending: dict[str, str] = {}  # user key → a late screenshot result, sent with the next reply
        self._lock = threading.Lock()

    # -- the two HTTP verbs -----------------------------------------------------------------------------------
    def verify(self, q: Mapping[str, str]) -> str | None:
        """GET: the echostr when the signature is right (the console's server check), else None."""
        if not check_signature(self.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")):
            return None
        return q.get("echostr", "")

    def receive(self, q: Mapping[str, str], body: bytes) -> str:
        """POST: verify first, then parse; raises WeChatError for anything to refuse with 4xx."""
        ts, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not check_signature(self.token, q.get("signature", ""), ts, nonce):
            raise WeChatError("bad signature")
        safe = q.get("encrypt_type") == "aes"
        if safe:
            if self.crypto is None:
                raise WeChatError("encrypted message but no WECHAT_AES_KEY")
            outer = parse_xml(body)
            encrypted = outer.get("Encrypt", "")
            if not check_signature(self.token, q.get("msg_signature", ""), ts, nonce, encrypted):
                raise WeChatError("bad msg_signature")
            msg = parse_xml(self.crypto.decrypt(encrypted))
        else:
            msg = parse_xml(body)
        text = self._answer(msg)
        if text is None:
            return SUCCESS
        xml = reply_xml(msg.get("FromUserName", ""), msg.get("ToUserName", ""), text)
        return self.crypto.encrypt(xml, nonce, ts) if safe and self.crypto else xml

    # -- one message ------------------------------------------------------------------------------------------
    def _answer(self, msg: Mapping[str, str]) -> str | None:
        user = msg.get("FromUserName", "")
        if not user:
            raise WeChatError("no FromUserName")
        kind = msg.get("MsgType", "")
        base = {"channel": "wechat", "user_id": user, "chat_id": user}
        if kind == "event":
            event = msg.get("Event", "").lower()
            if event in ("subscribe", "scan"):  # a QR code's scene value carries the grid, like a deep link
                scene = msg.get("EventKey", "").removeprefix("qrscene_")
                return self._render(user, self.run_core(Incoming(**base, command="start", args=scene)))
            return None
        if kind == "text":
            content = msg.get("Content", "")
            choices = self.app.store.choices(f"wechat:{user}")
            s = content.strip()
            if s.isdigit() and 1 <= int(s) <= len(choices):
                return self._render(user, self.run_core(Incoming(**base, callback=choices[int(s) - 1])))
            if s.startswith("/") and "\n" not in s:
                cmd, _, args = s[1:].partition(" ")
                return self._render(user, self.run_core(Incoming(**base, command=cmd.lower(), args=args)))
            return self._render(user, self.run_core(Incoming(**base, text=content)))
        if kind == "image":
            return self._image(user, base, msg.get("PicUrl", ""))
        return self._render(user, self.run_core(Incoming(**base, unsupported=True)))

    def _image(self, user: str, base: dict[str, str], url: str) -> str:
        ocr = self.app.ocr
        if ocr is None or not url:
            return self._render(user, self.run_core(Incoming(**base, image_unreadable=True)))

        def work() -> list[Reply]:
            text = ocr.read(self.fetch_image(url))
            inc = Incoming(**base, text=text, from_image=True) if text else Incoming(**base, image_unreadable=True)
            return self.run_core(inc)

        fut: Future[list[Reply]] = self._ocr_pool.submit(work)
        try:
            return self._render(user, fut.result(timeout=OCR_BUDGET_S))
        except FutureTimeout:
            fut.add_done_callback(lambda f: self._keep_late(user, f))
            return self.app.detector.kb.messages.ocr_holding + "\n（结果出来后，随便回复一个字就能看到。）"

    def _keep_late(self, user: str, fut: Future[list[Reply]]) -> None:
        try:
            text = self._compose(user, fut.result())
        except Exception:  # noqa: BLE001 - a failed background read must not go unnoticed, nor crash
            log.exception("late screenshot failed")
            text = self.app.detector.kb.messages.ocr_failed
        with self._lock:
            self._pending[f"wechat:{user}"] = text

    # -- rendering --------------------------------------------------------------------------------------------
    def _render(self, user: str, replies: list[Reply]) -> str | None:
        text = self._compose(user, replies)
        with self._lock:
            late = self._pending.pop(f"wechat:{user}", None)
        if late:
            text = f"{late}\n\n{text}" if text else late
        return text[:MAX_REPLY_CHARS] if text else None

    def _compose(self, user: str, replies: list[Reply]) -> str:
        own = [r for r in replies if r.chat_id is None]
        for r in replies:
            if r.chat_id is not None and self.notify is not None:
                self.notify(r)
        buttons = [b for r in own for row in r.buttons for b in row]
        parts = [r.text for r in own]
        if buttons:
            parts.append("回复数字：\n" + "\n".join(f"{i}. {b.label}" for i, b in enumerate(buttons, 1)))
        if own:
            self.app.store.set_choices(f"wechat:{user}", [b.data for b in buttons])
        return "\n\n".join(p for p in parts if p)


def _download(url: str) -> bytes:
    """The citizen's picture from WeChat's own media server (the only place it is)."""
    import httpx

    if not url.startswith(("http://", "https://")):
        return b""
    try:
        with httpx.Client(timeout=2.0, follow_redirects=True) as client:
            r = client.get(url)
            r.raise_for_status()
            return r.content[:10_000_000]
    except httpx.HTTPError:
        log.info("picture download failed")
        return b""
