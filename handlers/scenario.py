"""The guided self-check (/check): one question per scam stage, then a 受骗指数 and advice.

States are the question ids of knowledge_base/dialog/scenario.yaml, in order; the session row in the store
keeps the answers so far, so an unfinished questionnaire survives a restart. Diagram: scenario.mmd.
"""

from __future__ import annotations

from collections import Counter

from cases.store import Session
from handlers.check import render_emergency
from handlers.incoming import Button, Ctx, rows
from knowledge_base.dialog_schema import Question, ScenarioFile

FLOW = "scenario"


def start(ctx: Ctx) -> None:
    sc = ctx.kb.scenario
    first = sc.questions[0]
    ctx.store.set_session(ctx.user.user_key, Session(FLOW, first.id, {"answers": {}}))
    ctx.say(sc.intro)
    _ask(ctx, first)


def _ask(ctx: Ctx, q: Question) -> None:
    buttons = [Button(o.label, f"sc:{q.id}:{o.id}") for o in q.options]
    buttons.append(Button(ctx.kb.messages.buttons.cancel, "sc:cancel"))
    ctx.say(q.text, rows(*buttons))


def _question(sc: ScenarioFile, qid: str) -> Question | None:
    return next((q for q in sc.questions if q.id == qid), None)


def answer(ctx: Ctx, qid: str, option_id: str) -> None:
    """A button press. A stale button (an earlier question, another flow) re-asks the current question."""
    sc = ctx.kb.scenario
    s = ctx.store.session(ctx.user.user_key)
    if s is None or s.flow != FLOW:
        ctx.say(ctx.kb.messages.expired)
        return
    current = _question(sc, s.step)
    if current is None:  # the questionnaire was edited under a running session: start again
        start(ctx)
        return
    option = next((o for o in current.options if o.id == option_id), None)
    if qid != current.id or option is None:
        _ask(ctx, current)
        return
    s.data.setdefault("answers", {})[current.id] = option.id
    ids = [q.id for q in sc.questions]
    nxt = ids.index(current.id) + 1
    if nxt < len(ids):
        s.step = ids[nxt]
        ctx.store.set_session(ctx.user.user_key, s)
        _ask(ctx, sc.questions[nxt])
        return
    ctx.store.clear_session(ctx.user.user_key)
    finish(ctx, s.data["answers"])


def typed(ctx: Ctx, s: Session, text: str) -> None:
    """Typed text during the questionnaire: an option's label or number counts as pressing it."""
    q = _question(ctx.kb.scenario, s.step)
    if q is None:
        start(ctx)
        return
    t = text.strip()
    for i, o in enumerate(q.options, 1):
        if t in (o.label, str(i)):
            answer(ctx, q.id, o.id)
            return
    _ask(ctx, q)


def score(sc: ScenarioFile, answers: dict[str, str]) -> tuple[int, str, str | None, list[str], bool]:
    """(index 0–100, level, suggested type, signals seen, already paid)."""
    points = 0.0
    best = 0.0
    votes: Counter[str] = Counter()
    signals: list[str] = []
    paid = False
    for q in sc.questions:
        best += max(o.points for o in q.options)
        o = next((o for o in q.options if o.id == answers.get(q.id)), None)
        if o is None:
            continue
        points += o.points
        if o.suggests:
            votes[o.suggests] += o.points
        if o.signal:
            signals.append(o.signal)
        paid = paid or o.paid
    index = round(100 * points / best) if best else 0
    level = next((lv for lv in ("high", "medium", "low") if index >= sc.levels[lv]), "none")
    if paid:
        level = "high"
    fraud_type = votes.most_common(1)[0][0] if votes and level in ("high", "medium") else None
    return index, level, fraud_type, signals, paid


def finish(ctx: Ctx, answers: dict[str, str]) -> None:
    sc = ctx.kb.scenario
    index, level, fraud_type, signals, paid = score(sc, answers)
    lines = [sc.result_title.format(index=index), sc.result_levels[level]]
    if signals:
        lines += ["", sc.result_signals] + [f"· {s}" for s in signals]
    t = ctx.kb.types.get(fraud_type or "")
    advice = list(getattr(t.advice, ctx.audience, t.advice.general)) if t else list(sc.general_advice)
    lines += ["", ctx.kb.replies[ctx.audience].advice_title] + [f"{i}. {a}" for i, a in enumerate(advice, 1)]
    m = ctx.kb.messages
    if paid:
        lines += ["", m.emergency_title, render_emergency(ctx.kb, ctx.audience)]
    summary = "；".join(f"{k}={v}" for k, v in answers.items())
    cid = ctx.store.add_check(ctx.user.user_key, f"[问卷] {summary}",
                              {"level": level, "fraud_type": fraud_type, "risk": index / 100, "evidence": [],
                               "types": [], "is_propaganda": False}, source="scenario")
    buttons = rows(Button(m.buttons.paid, "em"), Button(m.buttons.report, f"rp:{cid}")) if level != "none" else ()
    if level == "high":
        buttons += ((Button(m.staff["visit_button"], f"vr:{cid}"),),)
    ctx.say("\n".join(lines), buttons)
