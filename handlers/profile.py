"""Who the citizen is and what they want from us: /start (deep links), /profile, /tips, subscriptions, privacy."""

from __future__ import annotations

import re

from cases.store import Session
from handlers.incoming import Button, Ctx, rows
from knowledge_base.schema import AUDIENCES

GRID_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_RECENT_TIPS = 10  # the store keeps this many


def parse_start(payload: str) -> tuple[str | None, str | None]:
    """A deep-link payload → (grid, audience). Forms: g_<grid>, a_<audience>, g_<grid>__a_<audience>.
    Anything malformed is ignored rather than refused: the citizen still gets a working bot."""
    grid = audience = None
    for part in payload.strip().split("__"):
        if part.startswith("g_") and GRID_CODE.match(part[2:]):
            grid = part[2:]
        elif part.startswith("a_") and part[2:] in AUDIENCES:
            audience = part[2:]
    return grid, audience


def start(ctx: Ctx) -> None:
    m = ctx.kb.messages
    grid, audience = parse_start(ctx.inc.args)
    user = ctx.user
    if grid:
        user.grid = grid
    if audience:
        user.audience = audience
    ctx.store.save_user(user)
    ctx.say(m.welcome)
    if grid:
        ctx.say(m.grid_linked)
    if user.audience is None:
        ask_audience(ctx)
    else:
        ctx.say(m.ready)


def ask_audience(ctx: Ctx) -> None:
    buttons = [Button(ctx.kb.replies[a].label, f"pf:{a}") for a in AUDIENCES]
    ctx.say(ctx.kb.messages.ask_audience, rows(*buttons))


def set_audience(ctx: Ctx, audience: str) -> None:
    if audience not in AUDIENCES:
        ask_audience(ctx)
        return
    ctx.user.audience = audience
    ctx.store.save_user(ctx.user)
    ctx.say(ctx.kb.messages.audience_set.format(label=ctx.kb.replies[audience].label) + "\n" + ctx.kb.messages.ready)


def tips(ctx: Ctx) -> None:
    """The next tip for this audience: every tip once before any comes back, never the same one twice running."""
    pool = ctx.kb.tips.for_audience(ctx.audience)
    window = max(1, min(MAX_RECENT_TIPS, len(pool) - 1))
    recent = ctx.user.recent_tips[-window:]
    tip = next((t for t in pool if t.id not in recent), pool[0])
    ctx.user.recent_tips = (recent + [tip.id])[-window:]
    ctx.store.save_user(ctx.user)
    ctx.say("💡 " + tip.text)


def subscribe(ctx: Ctx, on: bool) -> None:
    ctx.user.subscribed = on
    ctx.store.save_user(ctx.user)
    ctx.say(ctx.kb.messages.subscribed if on else ctx.kb.messages.unsubscribed)


def privacy(ctx: Ctx) -> None:
    ctx.say(ctx.kb.messages.privacy.format(days=ctx.options.retention_days))


def forget(ctx: Ctx) -> None:
    b = ctx.kb.messages.buttons
    ctx.store.set_session(ctx.user.user_key, Session("forget", "confirm"))
    ctx.say(ctx.kb.messages.forget_confirm, rows(Button(b.forget_yes, "fg:yes"), Button(b.forget_no, "fg:no")))


def forget_answer(ctx: Ctx, yes: bool) -> None:
    s = ctx.store.session(ctx.user.user_key)
    if s is None or s.flow != "forget":
        ctx.say(ctx.kb.messages.expired)
        return
    if yes:
        ctx.store.forget(ctx.user.user_key)
        ctx.say(ctx.kb.messages.forget_done)
    else:
        ctx.store.clear_session(ctx.user.user_key)
        ctx.say(ctx.kb.messages.forget_cancel)
