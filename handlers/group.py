"""In a family or community group the bot stays quiet: it speaks only about high-risk scams, briefly."""

from __future__ import annotations

from handlers.check import reasons
from handlers.incoming import Ctx

GROUP_REASONS = 2


def handle(ctx: Ctx) -> None:
    inc, m = ctx.inc, ctx.kb.messages
    chat = inc.chat_key
    if inc.bot_added:
        if not ctx.store.group(chat)["introduced"]:  # once per group, not on every re-add
            ctx.store.set_group(chat, introduced=1)
            ctx.say(m.group_intro)
        return
    if inc.command in ("fangzha_off", "fangzha_on"):
        if not inc.is_chat_admin:
            ctx.say(m.group_admin_only)
            return
        on = inc.command == "fangzha_on"
        ctx.store.set_group(chat, enabled=int(on))
        ctx.say(m.group_on if on else m.group_off)
        return
    if inc.command is not None or inc.callback is not None:
        return  # other commands are for private chats; a group is not the place for a menu
    text = inc.text.strip()
    if len(text) < ctx.options.group_min_chars or not ctx.store.group(chat)["enabled"]:
        return
    v = ctx.checker.check(text)
    if v.level != "high" or v.is_propaganda:
        return
    t = ctx.kb.types.get(v.fraud_type or "")
    lines = [m.group_alert.format(type=f"（{t.name}）" if t else "")]
    lines += [f"· {r}" for r in reasons(v, ctx.kb, GROUP_REASONS)]
    lines.append(m.group_alert_tail)
    ctx.say("\n".join(lines))
