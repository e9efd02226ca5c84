"""The emergency path: money has gone or is about to go. Stop, call 110/96110, stop-payment, keep evidence."""

from __future__ import annotations

import unicodedata

from handlers.check import render_emergency
from handlers.incoming import Button, Ctx, rows
from knowledge_base.dialog_schema import MessagesFile

NEGATION_REACH = 3


def is_emergency(text: str, messages: MessagesFile) -> bool:
    """A short message that says money is gone ("我被骗了", "已经转账了"), not negated ("我没被骗吧")."""
    t = unicodedata.normalize("NFKC", text).strip()
    if not t or len(t) > messages.emergency_max_chars:
        return False
    for trig in messages.emergency_triggers:
        i = t.find(trig)
        while i >= 0:
            before = t[max(0, i - NEGATION_REACH) : i]
            if not any(n in before for n in messages.emergency_negations):
                return True
            i = t.find(trig, i + 1)
    return False


def emergency(ctx: Ctx) -> None:
    m = ctx.kb.messages
    text = f"{m.emergency_title}\n{render_emergency(ctx.kb, ctx.audience)}\n\n{m.emergency_offer}"
    ctx.say(text, rows(Button(m.buttons.report_now, "rp")))
