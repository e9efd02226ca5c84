"""The whole conversation behind every channel: one Incoming in, a list of Replies out.

Channel adapters (bot/telegram.py, bot/console.py, later WeChat) only translate; everything a citizen can do is
decided here. `handle` never raises: a failure becomes a polite message and a log line with no citizen text.
"""

from __future__ import annotations

import logging
import threading

from cases import programme
from cases.store import Store, StoreBusy
from handlers import admin, emergency, grid, group, profile, report, scenario, selfcheck
from handlers.incoming import Checker, Ctx, Incoming, Options, Reply
from handlers.ratelimit import RateLimiter

log = logging.getLogger(__name__)
CANCEL_WORDS = frozenset({"取消", "退出", "算了", "/cancel"})


class Conversation:
    def __init__(self, checker: Checker, store: Store, options: Options | None = None,
                 limiter: RateLimiter | None = None) -> None:
        self.checker = checker
        self.store = store
        self.options = options or Options()
        self.limiter = limiter or RateLimiter(self.options.rate_burst, self.options.rate_per_minute)
        self._lock = threading.RLock()
        if hasattr(checker, "set_blocklist"):
            checker.set_blocklist(programme.blocklist(store))

    def handle(self, inc: Incoming) -> list[Reply]:
        # One update at a time: the adapters call from their worker thread, and a late WeChat screenshot from
        # the OCR thread; the engine and the store are not meant to be entered twice at once.
        with self._lock:
            return self._handle(inc)

    def _handle(self, inc: Incoming) -> list[Reply]:
        m = self.checker.kb.messages
        allowed, warn = self.limiter.allow(inc.user_key)
        if not allowed:
            return [Reply(m.rate_limited)] if warn and not inc.is_group else []
        try:
            ctx = Ctx(inc, self.store.user(inc.user_key), self.store, self.checker, self.options)
            if inc.username and ctx.user.known and ctx.user.username != inc.username:
                ctx.user.username = inc.username
                self.store.save_user(ctx.user)
            elif inc.username:
                ctx.user.username = inc.username
            if inc.is_group:
                group.handle(ctx)
            else:
                self._private(ctx)
            return ctx.replies
        except StoreBusy:
            log.warning("store busy while handling a %s update", inc.channel)
            return [Reply(m.busy)]
        except Exception:
            log.exception("handler failed (%s update, command=%s, callback=%s)", inc.channel, inc.command,
                          (inc.callback or "").split(":", 1)[0])
            return [Reply(m.error)]

    # -- private chats ------------------------------------------------------------------------------------
    def _private(self, ctx: Ctx) -> None:
        inc = ctx.inc
        if inc.callback is not None:
            self._button(ctx, inc.callback)
        elif inc.attachment is not None:
            admin.replace_kb_file(ctx, *inc.attachment)
        elif inc.command is not None:
            self._command(ctx, inc.command)
        elif inc.unsupported:
            ctx.say(ctx.kb.messages.unreadable)
        elif inc.image_unreadable:
            ctx.say(ctx.kb.messages.ocr_failed)
        else:
            self._text(ctx, inc.text)

    def _command(self, ctx: Ctx, cmd: str) -> None:
        m = ctx.kb.messages
        if cmd not in ("start", "help", "privacy"):
            self._ensure_user(ctx)
        if cmd in ("start", "cancel", "check", "report", "forget"):
            ctx.store.clear_session(ctx.user.user_key)  # a new command ends an unfinished flow
        match cmd:
            case "start":
                profile.start(ctx)
            case "help":
                ctx.say(m.help)
            case "profile":
                profile.ask_audience(ctx)
            case "check":
                scenario.start(ctx)
            case "report":
                report.start(ctx)
            case "tips":
                profile.tips(ctx)
            case "subscribe" | "unsubscribe":
                profile.subscribe(ctx, cmd == "subscribe")
            case "privacy":
                profile.privacy(ctx)
            case "forget":
                profile.forget(ctx)
            case "cancel":
                ctx.say(m.cancelled)
            case "mylink":
                grid.mylink(ctx)
            case "ranking":
                grid.ranking(ctx, ctx.inc.args.strip() or None)
            case _ if cmd in admin.ADMIN_COMMANDS:
                admin.handle(ctx, cmd)
            case _:
                ctx.say(m.unknown_command)

    def _button(self, ctx: Ctx, data: str) -> None:
        kind, _, rest = data.partition(":")
        parts = rest.split(":") if rest else []
        match kind, parts:
            case "em", _:
                emergency.emergency(ctx)
            case "rp", []:
                ctx.store.clear_session(ctx.user.user_key)
                report.start(ctx)
            case "rp", [cid] if cid.isdigit():
                ctx.store.clear_session(ctx.user.user_key)
                report.start(ctx, int(cid))
            case "fb", [cid] if cid.isdigit():
                selfcheck.feedback(ctx, int(cid))
            case "au", [cid, audience] if cid.isdigit():
                selfcheck.retell(ctx, int(cid), audience)
            case "pf", [audience]:
                profile.set_audience(ctx, audience)
            case "sc", ["cancel"] | "rq", ["cancel"]:
                ctx.store.clear_session(ctx.user.user_key)
                ctx.say(ctx.kb.messages.cancelled)
            case "sc", [qid, option]:
                scenario.answer(ctx, qid, option)
            case "rq", [step, value]:
                report.answer(ctx, step, value)
            case "fg", [answer]:
                profile.forget_answer(ctx, answer == "yes")
            case "vr", [cid] if cid.isdigit():
                grid.request_visit(ctx, int(cid))
            case "tk", [action, tid] if tid.isdigit():
                grid.task_button(ctx, action, int(tid))
            case "tk", ["out", tid, outcome] if tid.isdigit():
                grid.task_button(ctx, "out", int(tid), outcome)
            case "rv", [fid, label] if fid.isdigit():
                admin.label_feedback(ctx, int(fid), label)
            case "bc", [answer]:
                admin.broadcast_confirm(ctx, answer == "yes")
            case _:
                ctx.say(ctx.kb.messages.expired)

    def _text(self, ctx: Ctx, text: str) -> None:
        m = ctx.kb.messages
        if not text.strip():
            ctx.say(m.empty)
            return
        self._ensure_user(ctx)
        s = ctx.store.session(ctx.user.user_key)
        if s is not None and ctx.inc.from_image and not (s.flow == report.FLOW and s.step == "text"):
            s = None  # a screenshot mid-questionnaire is checked; the questionnaire waits
        if s is not None:
            if text.strip() in CANCEL_WORDS:
                ctx.store.clear_session(ctx.user.user_key)
                ctx.say(m.cancelled)
                return
            if s.flow == scenario.FLOW:
                scenario.typed(ctx, s, text)
                return
            if s.flow == report.FLOW:
                report.typed(ctx, s, text)
                return
            ctx.store.clear_session(ctx.user.user_key)  # e.g. an unanswered /forget: typing moves on
        if emergency.is_emergency(text, m):
            emergency.emergency(ctx)
            return
        selfcheck.check_text(ctx, text)

    @staticmethod
    def _ensure_user(ctx: Ctx) -> None:
        # Someone who writes without /start (a forwarded link, WeChat) still gets a stored profile.
        if not ctx.user.known:
            ctx.store.save_user(ctx.user)
