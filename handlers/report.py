"""Report a scam (/report or 我要举报): text → type → money lost → amount → when → consent → stored (redacted).

The session row keeps the answers so far; a restart resumes where the citizen stopped.
"""

from __future__ import annotations

import re

from cases.records import redact_with_marks
from cases.store import Report, Session
from handlers.check import render_emergency
from handlers.incoming import Button, Ctx, rows

FLOW = "report"
MAX_TEXT = 4000
_AMOUNT = re.compile(r"^\s*(?:约|大约|大概)?\s*(\d+(?:\.\d+)?)\s*(万|千|w|k)?\s*(?:元|块|块钱|人民币)?\s*$", re.I)


def parse_amount(text: str) -> float | None:
    m = _AMOUNT.match(text.replace(",", "").replace("，", ""))
    if not m:
        return None
    value = float(m.group(1)) * {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000}.get((m.group(2) or "").lower(), 1)
    return value if 0 <= value < 1e10 else None


def start(ctx: Ctx, check_id: int | None = None) -> None:
    data: dict[str, object] = {}
    if check_id:
        row = ctx.store.check_row(check_id, ctx.user.user_key)
        if row is not None:
            data = {"text": row["text"], "fraud_type": row["fraud_type"], "check_id": check_id,
                    "marks": row["verdict"].get("marks", [])}
    if "text" in data:
        _next(ctx, Session(FLOW, "", data))
        return
    ctx.store.set_session(ctx.user.user_key, Session(FLOW, "text", data))
    ctx.say(ctx.kb.messages.report.ask_text, rows(Button(ctx.kb.messages.buttons.cancel, "rq:cancel")))


def _next(ctx: Ctx, s: Session) -> None:
    """Ask the first question not yet answered, or save the report."""
    r = ctx.kb.messages.report
    d = s.data
    cancel = Button(ctx.kb.messages.buttons.cancel, "rq:cancel")
    if not d.get("type_done"):
        d["type_done"] = True
        if d.get("fraud_type") is None:
            d["fraud_type"] = ctx.checker.check(str(d["text"])).fraud_type
        if d["fraud_type"] is None:
            s.step = "type"
            ctx.store.set_session(ctx.user.user_key, s)
            types = [Button(t.name[:12], f"rq:type:{tid}") for tid, t in ctx.kb.types.items()]
            ctx.say(r.ask_type, rows(*types, Button(r.unsure_type, "rq:type:none"), cancel, per_row=2))
            return
    steps = (
        ("money_lost", r.ask_lost, [(r.lost_yes, "yes"), (r.lost_no, "no")]),
        ("amount", r.ask_amount, [(r.skip, "skip")]),
        ("occurred", r.ask_when, [(r.when_today, "today"), (r.when_yesterday, "yesterday"),
                                   (r.when_earlier, "earlier")]),
        ("consent", r.ask_consent, [(r.consent_yes, "yes"), (r.consent_no, "no")]),
    )
    for key, question, options in steps:
        if key == "amount" and not d.get("money_lost"):
            continue
        if key not in d:
            s.step = key
            ctx.store.set_session(ctx.user.user_key, s)
            ctx.say(question, rows(*[Button(label, f"rq:{key}:{v}") for label, v in options], cancel, per_row=3))
            return
    _save(ctx, s)


def answer(ctx: Ctx, step: str, value: str) -> None:
    s = ctx.store.session(ctx.user.user_key)
    if s is None or s.flow != FLOW:
        ctx.say(ctx.kb.messages.expired)
        return
    if step != s.step:
        _next(ctx, s)  # a stale button: ask the current question again
        return
    d = s.data
    if step == "type":
        d["fraud_type"] = value if value in ctx.kb.types else None
    elif step == "money_lost":
        d["money_lost"] = value == "yes"
    elif step == "amount":
        d["amount"] = None
    elif step in ("occurred", "consent"):
        d[step] = value if step == "occurred" else value == "yes"
    _next(ctx, s)


def typed(ctx: Ctx, s: Session, text: str) -> None:
    r = ctx.kb.messages.report
    t = text.strip()
    if s.step == "text":
        if not t:
            ctx.say(r.ask_text)
            return
        # Redacted now: the session row must not hold raw numbers either; the marks keep the repeats findable.
        s.data["text"], s.data["marks"] = redact_with_marks(ctx.store.redactor, t[:MAX_TEXT])
    elif s.step == "amount":
        if t == r.skip:
            s.data["amount"] = None
        elif (amount := parse_amount(t)) is None:
            ctx.say(r.bad_amount, rows(Button(r.skip, "rq:amount:skip")))
            return
        else:
            s.data["amount"] = amount
    elif s.step == "occurred":
        labels = {r.when_today: "today", r.when_yesterday: "yesterday", r.when_earlier: "earlier"}
        s.data["occurred"] = labels.get(t, t[:40])
    else:
        # Buttons expected; a typed label (console) counts as the press.
        labels = {r.lost_yes: "yes", r.lost_no: "no", r.consent_yes: "yes", r.consent_no: "no",
                  r.unsure_type: "none", **{tt.name: tid for tid, tt in ctx.kb.types.items()}}
        if t in labels:
            answer(ctx, s.step, labels[t])
            return
    _next(ctx, s)


def _save(ctx: Ctx, s: Session) -> None:
    r = ctx.kb.messages.report
    d = s.data
    report = Report(
        user_key=ctx.user.user_key, channel=ctx.inc.channel, text=str(d["text"]), fraud_type=d.get("fraud_type"),
        money_lost=bool(d.get("money_lost")), amount=d.get("amount"), occurred=str(d.get("occurred", "")),
        consent_contact=bool(d.get("consent")), grid=ctx.user.grid, audience=ctx.user.audience,
        check_id=d.get("check_id"), marks=tuple(tuple(m) for m in d.get("marks", [])),
    )
    rid = ctx.store.add_report(report)
    ctx.store.clear_session(ctx.user.user_key)
    if report.consent_contact and (report.money_lost or d.get("fraud_type")):
        from handlers.grid import create_task

        create_task(ctx, "high" if report.money_lost else "medium", report.fraud_type, 1.0, report.text,
                    check_id=report.check_id, report_id=rid)
    lines = [r.done.format(id=rid) if rid else r.done_spooled]
    if report.consent_contact:
        lines.append(r.done_contact)
    if report.money_lost:
        lines += ["", ctx.kb.messages.emergency_title, render_emergency(ctx.kb, ctx.audience)]
    ctx.say("\n".join(lines))
