"""Render a verdict as the reply a citizen reads, worded for their audience (长辈/宝妈宝爸/学生/其他)."""

from __future__ import annotations

from classifiers.verdict import Evidence, Verdict
from knowledge_base.loader import KnowledgeBase

MAX_REASONS = 4
MAX_QUOTE = 24
MODEL_REASON = "和常见诈骗话术很像"


def _quote(s: str) -> str:
    s = s.strip()
    return s if len(s) <= MAX_QUOTE else s[: MAX_QUOTE - 1] + "…"


def reasons(verdict: Verdict, kb: KnowledgeBase, limit: int = MAX_REASONS) -> list[str]:
    """Plain reasons, strongest first, one per distinct explanation, each quoting what was seen."""
    out: list[str] = []
    seen: set[str] = set()
    # Concrete reasons (quoted phrases) first; the learned layer's "looks like known scams" goes last.
    ordered = sorted(verdict.evidence, key=lambda e: e.kind == "model")
    for ev in ordered:
        if ev.weight <= 0:
            continue
        why = _why(ev, kb)
        if not why or why in seen:
            continue
        seen.add(why)
        quote = "" if ev.kind == "model" or not ev.matched else f"（“{_quote(ev.matched)}”）"
        out.append(f"{why}{quote}")
        if len(out) >= limit:
            break
    return out


def _why(ev: Evidence, kb: KnowledgeBase) -> str:
    if ev.why:
        return ev.why
    if ev.kind == "entity":
        return kb.generic.entity_why.get(ev.rule_id.removeprefix("entity."), "")
    if ev.kind == "model":
        return MODEL_REASON if ev.weight >= 1.0 else ""
    owner = ev.rule_id.split(".", 1)[0]
    t = kb.types.get(owner)
    return f"出现“{t.name}”常见说法" if t else ""


def render(verdict: Verdict, kb: KnowledgeBase, audience: str = "general") -> str:
    r = kb.replies.get(audience) or kb.replies["general"]
    lines: list[str] = []
    if verdict.is_propaganda and not verdict.is_fraud:
        lines.append(r.propaganda)
        if verdict.truncated:
            lines.append(r.truncated)
        return "\n".join(lines)
    lines.append(r.levels[verdict.level])
    t = kb.types.get(verdict.fraud_type or "")
    if verdict.is_fraud and t is not None:
        lines.append(r.type_line.format(name=t.name))
    why = reasons(verdict, kb) if verdict.level != "none" else []
    if why:
        lines.append("")
        lines.append(r.reasons_title)
        lines += [f"· {w}" for w in why]
    lines.append("")
    lines.append(r.advice_title)
    if verdict.is_fraud and t is not None:
        advice = list(getattr(t.advice, audience, t.advice.general))
    elif verdict.level == "low":
        advice = list(r.low_advice)
    else:
        advice = list(r.none_advice)
    lines += [f"{i}. {a}" for i, a in enumerate(advice, 1)]
    if verdict.is_fraud:
        lines.append("")
        lines.append("如果已经转了钱：" + r.emergency[1])
    if verdict.truncated:
        lines.append(r.truncated)
    return "\n".join(lines)


def render_emergency(kb: KnowledgeBase, audience: str = "general") -> str:
    r = kb.replies.get(audience) or kb.replies["general"]
    return "\n".join(f"{i}. {s}" for i, s in enumerate(r.emergency, 1))
