"""The channel-free values of a conversation: what came in, what goes out, and what a handler may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from classifiers.verdict import Verdict

if TYPE_CHECKING:
    from cases.store import Store, User
    from knowledge_base.loader import KnowledgeBase

TELEGRAM_LIMIT = 4096
SAFE_LIMIT = 3500  # leave room for a channel's own additions (WeChat passive replies are ~2 KB; it splits again)


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # ≤ 64 bytes: Telegram's callback_data limit


@dataclass(frozen=True)
class Incoming:
    channel: str  # telegram | console | wechat | web
    user_id: str
    chat_id: str = ""
    text: str = ""
    command: str | None = None  # without the slash: "start"
    args: str = ""  # what follows the command: a deep-link payload, …
    callback: str | None = None  # a pressed button's data
    from_image: bool = False  # `text` was read from a picture (OCR)
    image_unreadable: bool = False  # a picture came in but no text could be read from it
    unsupported: bool = False  # voice, video, a sticker…: nothing we can read
    is_group: bool = False
    is_chat_admin: bool = False  # the adapter fills this where it matters (group on/off commands)
    bot_added: bool = False  # the bot was just added to this group
    username: str = ""  # the platform's handle (Telegram @username), if any
    attachment: tuple[str, bytes] | None = None  # (file name, content): an admin sending a KB file

    @property
    def user_key(self) -> str:
        return f"{self.channel}:{self.user_id}"

    @property
    def chat_key(self) -> str:
        return f"{self.channel}:{self.chat_id or self.user_id}"


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    chat_id: str | None = None  # another user (a user key, "telegram:123") for notifications; None: answer in place
    image: bytes | None = None  # a PNG to send with the text as its caption (charts, QR posters)


class Checker(Protocol):
    """What handlers need from the engine: `classifiers.engine.Detector` (hot-reloadable) satisfies it."""

    @property
    def kb(self) -> KnowledgeBase: ...

    def check(self, text: str) -> Verdict: ...


@dataclass(frozen=True)
class Options:
    retention_days: int = 30
    group_min_chars: int = 15  # in groups, shorter messages are never answered
    rate_burst: int = 15
    rate_per_minute: int = 30
    ocr_enabled: bool = True
    admins: frozenset[str] = frozenset()  # user keys ("telegram:123") allowed the admin commands
    reward_visit: float = 10.0
    reward_success: float = 10.0
    task_deadline_hours: int = 24
    link_base: str = "https://t.me/fangzha_bot"  # the adapter sets the real one (t.me/<username>)


@dataclass
class Ctx:
    """One update being handled: the message, its sender, and the services a handler may use."""

    inc: Incoming
    user: User
    store: Store
    checker: Checker
    options: Options
    replies: list[Reply] = field(default_factory=list)

    @property
    def kb(self) -> KnowledgeBase:
        return self.checker.kb

    @property
    def audience(self) -> str:
        return self.user.audience or "general"

    @property
    def is_admin(self) -> bool:
        return self.inc.user_key in self.options.admins

    def staff(self, name: str, /, **values: object) -> str:
        return self.kb.messages.staff[name].format(**values)

    def notify(self, user_key: str, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        """A message to someone else (a worker, an admin, a subscriber)."""
        self.replies.append(Reply(text, buttons, chat_id=user_key))

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        for i, part in enumerate(chunks := split_text(text)):
            self.replies.append(Reply(part, buttons if i == len(chunks) - 1 else ()))


def split_text(text: str, limit: int = SAFE_LIMIT) -> list[str]:
    """Split on line breaks (then hard) so no part exceeds `limit`; never returns an empty list."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts or [""]


def rows(*buttons: Button, per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
