"""Self-check of a forwarded message: the verdict in the user's words, with buttons for what comes next."""

from __future__ import annotations

import logging

from cases.store import StoreBusy
from classifiers.verdict import Verdict
from handlers.check import render
from handlers.incoming import Button, Ctx, rows

log = logging.getLogger(__name__)
OCR_QUOTE = 80


def check_text(ctx: Ctx, text: str) -> None:
    m = ctx.kb.messages
    verdict = ctx.checker.check(text)
    log.info("check level=%s type=%s rules=%s", verdict.level, verdict.fraud_type,
             ",".join(e.rule_id for e in verdict.evidence[:6]))
    try:
        cid = ctx.store.add_check(ctx.user.user_key, text, verdict.to_dict(),
                                  source="image" if ctx.inc.from_image else "text")
    except StoreBusy:
        cid = 0  # the verdict still goes out; only the follow-up buttons that need the record are left off
    body = render(verdict, ctx.kb, ctx.audience)
    if ctx.inc.from_image:
        quote = text.strip().replace("\n", " ")
        quote = quote if len(quote) <= OCR_QUOTE else quote[: OCR_QUOTE - 1] + "…"
        body = m.ocr_prefix.format(text=quote) + "\n\n" + body
    ctx.say(body, _buttons(ctx, cid, verdict))


def _buttons(ctx: Ctx, cid: int, verdict: Verdict) -> tuple[tuple[Button, ...], ...]:
    b = ctx.kb.messages.buttons
    first = [Button(b.paid, "em")]
    if cid:
        first.append(Button(b.report, f"rp:{cid}"))
    out = [tuple(first)]
    if cid and verdict.level == "high":
        out.append((Button(ctx.kb.messages.staff["visit_button"], f"vr:{cid}"),))
    if cid:
        second = [Button(b.wrong, f"fb:{cid}")]
        if verdict.level != "none":
            second += [Button(b.tell_senior, f"au:{cid}:senior"), Button(b.tell_student, f"au:{cid}:student")]
        out += list(rows(*second, per_row=3))
    return tuple(out)


def retell(ctx: Ctx, cid: int, audience: str) -> None:
    """Render a stored verdict again for another audience (to read it out to a parent or a child)."""
    row = ctx.store.check_row(cid, ctx.user.user_key)
    if row is None:
        ctx.say(ctx.kb.messages.expired)
        return
    ctx.say(render(Verdict.from_dict(row["verdict"]), ctx.kb, audience))


def feedback(ctx: Ctx, cid: int) -> None:
    fid = ctx.store.add_feedback(ctx.user.user_key, cid)
    ctx.say(ctx.kb.messages.feedback_thanks if fid else ctx.kb.messages.expired)
