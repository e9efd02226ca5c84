"""python-telegram-bot (v22, async) adapter: Telegram updates → Incoming → Conversation → Telegram messages.

The conversation runs on one worker thread (the engine and the store are used from one thread, and the event loop
never waits on them); OCR runs on its own thread so a screenshot does not hold up other citizens.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import Forbidden
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import App
from handlers.incoming import Incoming, Reply

log = logging.getLogger(__name__)
MAX_PHOTO_BYTES = 10_000_000
MAX_KB_FILE = 2_000_000
CAPTION_LIMIT = 1024
FLOW_BUTTONS = ("sc:", "rq:", "pf:", "fg:")  # answered questions lose their keyboard, so old answers can't be re-sent
COMMANDS = (
    ("start", "开始"), ("check", "回答几个问题，自查风险"), ("report", "举报诈骗"), ("tips", "防骗小提示"),
    ("profile", "修改身份"), ("subscribe", "订阅防骗提醒"), ("unsubscribe", "取消订阅"), ("privacy", "隐私说明"),
    ("forget", "删除我的资料"), ("help", "帮助"), ("mylink", "网格员：我的社区链接和二维码"),
    ("ranking", "网格员：本周社区排名"),
)


class TelegramBot:
    def __init__(self, app: App) -> None:
        self.app = app
        self.core = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangzha-core")
        self.ocr_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangzha-ocr")

    async def _handle(self, inc: Incoming) -> list[Reply]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.core, self.app.conversation.handle, inc)

    async def _send(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int | None, replies: list[Reply],
                    quote: Message | None = None) -> None:
        for r in replies:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in r.buttons]
            ) if r.buttons else None
            if r.chat_id is not None:  # a notification to another user, addressed by user key
                channel, _, uid = r.chat_id.partition(":")
                if channel != "telegram" or not uid.lstrip("-").isdigit():
                    log.info("notification for a %s user left for that channel", channel)
                    continue
                target, reply_to = int(uid), None
            elif chat_id is None:
                continue
            else:
                target, reply_to = chat_id, (quote.message_id if quote else None)
            try:
                if r.image is not None:
                    caption = r.text if len(r.text) <= CAPTION_LIMIT else None
                    await context.bot.send_photo(target, r.image, caption=caption, reply_markup=markup)
                    if caption is None:
                        await context.bot.send_message(target, r.text)
                else:
                    await context.bot.send_message(target, r.text, reply_markup=markup, reply_to_message_id=reply_to)
            except Forbidden:  # the user blocked the bot: one lost notification must not stop the others
                log.info("a user has blocked the bot; message not delivered")

    # -- callbacks ----------------------------------------------------------------------------------------
    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if msg is None or chat is None or user is None or user.is_bot:
            return
        is_group = chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        base = {"channel": "telegram", "user_id": str(user.id), "chat_id": str(chat.id), "is_group": is_group,
                "username": user.username or ""}
        if msg.new_chat_members:
            if any(m.id == context.bot.id for m in msg.new_chat_members):
                await self._send(context, chat.id, await self._handle(Incoming(**base, bot_added=True)))
            return
        text = msg.text or msg.caption or ""
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            cmd, _, target = head.partition("@")
            if target and target.lower() != (context.bot.username or "").lower():
                return  # a command for another bot in the same group
            admin = False
            if is_group and cmd.lower() in ("fangzha_off", "fangzha_on"):
                member = await chat.get_member(user.id)
                admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
            inc = Incoming(**base, command=cmd.lower(), args=args.strip(), is_chat_admin=admin)
        elif msg.photo and not is_group:
            inc = await self._photo(context, msg, base, text)
        elif msg.document and not is_group and (msg.document.file_name or "").endswith((".yaml", ".yml")):
            if (msg.document.file_size or 0) > MAX_KB_FILE:
                inc = Incoming(**base, attachment=(msg.document.file_name or "", b""))
            else:
                data = bytes(await (await msg.document.get_file()).download_as_bytearray())
                inc = Incoming(**base, attachment=(msg.document.file_name or "", data))
        elif text:
            inc = Incoming(**base, text=text)
        elif is_group:
            return  # stickers, voice, … in a group: stay quiet
        else:
            inc = Incoming(**base, unsupported=True)
        replies = await self._handle(inc)
        await self._send(context, chat.id, replies, quote=msg if is_group else None)

    async def _photo(self, context: ContextTypes.DEFAULT_TYPE, msg: Message, base: dict, caption: str) -> Incoming:
        m = self.app.detector.kb.messages
        ocr = self.app.ocr
        if ocr is None:
            return Incoming(**base, text=caption) if caption else Incoming(**base, image_unreadable=True)
        photo = msg.photo[-1]  # the largest size Telegram made
        if photo.file_size and photo.file_size > MAX_PHOTO_BYTES:
            return Incoming(**base, image_unreadable=True)
        await context.bot.send_message(msg.chat_id, m.ocr_holding)
        await context.bot.send_chat_action(msg.chat_id, ChatAction.TYPING)
        data = bytes(await (await photo.get_file()).download_as_bytearray())
        text = await asyncio.get_running_loop().run_in_executor(self.ocr_pool, ocr.read, data)
        text = "\n".join(t for t in (caption, text) if t)
        if not text:
            return Incoming(**base, image_unreadable=True)
        return Incoming(**base, text=text, from_image=True)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        q, chat, user = update.callback_query, update.effective_chat, update.effective_user
        if q is None or chat is None or user is None:
            return
        await q.answer()
        data = q.data or ""
        if data.startswith(FLOW_BUTTONS) and q.message is not None:
            await q.edit_message_reply_markup(None)
        inc = Incoming("telegram", str(user.id), chat_id=str(chat.id), callback=data,
                       is_group=chat.type in (ChatType.GROUP, ChatType.SUPERGROUP))
        await self._send(context, chat.id, await self._handle(inc))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The update's text is the citizen's: log only what kind of failure and where.
        log.error("update failed: %s: %s", type(context.error).__name__, context.error)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            try:
                await context.bot.send_message(update.effective_chat.id, self.app.detector.kb.messages.error)
            except Exception:  # noqa: BLE001 - the network may be what failed
                log.warning("could not tell the user about the failure")

    async def post_init(self, application: Application) -> None:
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
        me = await application.bot.get_me()
        conv = self.app.conversation
        conv.options = replace(conv.options, link_base=f"https://t.me/{me.username}")

    async def alerts_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        from handlers import alerts

        tz = ZoneInfo(self.app.settings.get("FANGZHA_TZ", "Asia/Shanghai"))
        quiet = alerts.in_quiet_hours(datetime.now(tz), self.app.settings.get("FANGZHA_QUIET_HOURS", "22-7"))
        conv = self.app.conversation
        replies = await asyncio.get_running_loop().run_in_executor(
            self.core, lambda: alerts.run(self.app.store, self.app.detector.kb, conv.options, quiet))
        await self._send(context, None, replies)

    async def escalation_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        from cases import programme

        conv = self.app.conversation
        hours = conv.options.task_deadline_hours
        late = await asyncio.get_running_loop().run_in_executor(
            self.core, programme.overdue, self.app.store, hours)
        staff = self.app.detector.kb.messages.staff
        replies = [Reply(staff["task_overdue"].format(id=t["id"], grid=t["grid"] or "-", hours=hours), chat_id=a)
                   for t in late for a in sorted(conv.options.admins)]
        await self._send(context, None, replies)

    async def purge(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        loop = asyncio.get_running_loop()
        days = self.app.conversation.options.retention_days
        n = await loop.run_in_executor(self.core, self.app.store.purge, days)
        log.info("retention: %d old self-check record(s) deleted", n)


def file_url_for(base_url: str) -> str:
    """The Bot API serves files under /file/bot<token>/… beside /bot<token>/…."""
    root = base_url.rstrip("/")
    return (root[: -len("/bot")] if root.endswith("/bot") else root) + "/file/bot"


def build_application(app: App, token: str, base_url: str, rate_limit: bool = True,
                      webhook: bool = False) -> Application:
    """The PTB Application. `webhook=True`: no updater; `serve` feeds it the updates that reach /telegram."""
    tg = TelegramBot(app)
    builder = (ApplicationBuilder().token(token).base_url(base_url).base_file_url(file_url_for(base_url))
               .concurrent_updates(8).post_init(tg.post_init))
    if webhook:
        builder = builder.updater(None)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))
    application = builder.build()
    application.add_handler(CallbackQueryHandler(tg.on_button))
    application.add_handler(MessageHandler(filters.ALL & ~filters.UpdateType.EDITED, tg.on_message))
    application.add_error_handler(tg.on_error)
    if application.job_queue is not None:
        application.job_queue.run_repeating(tg.purge, interval=24 * 3600, first=3600, name="retention")
        minutes = int(app.settings.get("FANGZHA_ALERT_INTERVAL_MINUTES", "60") or 60)
        application.job_queue.run_repeating(tg.alerts_job, interval=minutes * 60, first=60, name="alerts")
        application.job_queue.run_repeating(tg.escalation_job, interval=3600, first=300, name="escalation")
    application.bot_data["fangzha"] = tg
    return application
