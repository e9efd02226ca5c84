"""Layer 6: turn rule hits, entities and the learned layer's opinion into risk, level, type and evidence.

Additive and explainable: every number that moves the score is kept as an Evidence item.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from classifiers.entities import EntityHit
from classifiers.model import Prediction
from classifiers.rules import Hit
from classifiers.verdict import Evidence
from knowledge_base.schema import GenericFile

HIGH, MEDIUM, LOW = 6.0, 4.0, 2.5
SUGGEST_FACTOR = 0.5
FALLBACK_TYPE = "other_fraud"
MIN_TYPE_SCORE = 1.0
# An anti-fraud warning or a news story describes the scam in full; what it says about the scam counts
# for this share only. Entities (a look-alike link, a code request) are not discounted: a scam that
# dresses up as a warning still has to send the link.
PROPAGANDA_DAMPING = 0.3
# Signals that address the reader personally with a request: a warning speaks to everyone, a scam to you.
# (personal_alert is left out: warnings quote it — 凡是说你“涉嫌洗钱”的都是诈骗.)
# A first-person account (有人打我电话，说我…) is a citizen describing their own case, not a warning.
ADDRESSED_REQUESTS = frozenset({"request_to_reader", "money_favor", "contacted_me", "told_me_to"})
# A caller who claims to be an official and accuses you (你的卡涉嫌洗钱) uses a case's vocabulary (诈骗案, 违法行为)
# without being a warning. Warnings say these things too, but along with more than one warning marker
# (凡是…都是诈骗, 提醒您, 96110), so an accusation outweighs a single news-like marker only.
ACCUSATIONS = frozenset({"authority_claim", "you_involved_in_case", "card_used_for_crime"})
ACCUSATION_OUTWEIGHS = 2.0


@dataclass(frozen=True)
class Score:
    risk: float
    level: str
    fraud_type: str | None
    types: list[tuple[str, float]]
    evidence: list[Evidence]
    is_propaganda: bool


def level_of(evidence: float) -> str:
    if evidence >= HIGH:
        return "high"
    if evidence >= MEDIUM:
        return "medium"
    if evidence >= LOW:
        return "low"
    return "none"


def risk_of(evidence: float) -> float:
    """Logistic map centred on the fraud threshold: risk ≥ 0.5 exactly when the level is medium or high."""
    return 1.0 / (1.0 + math.exp(-(evidence - MEDIUM)))


def entity_keys(hits: list[EntityHit]) -> set[str]:
    """Names combos and weights refer to: kind_flag, kind, plus url_any / contact_any for the scammer's own
    channels (a link or a number that is not on the allowlist, a QQ or WeChat id, an off-platform app)."""
    keys: set[str] = set()
    for h in hits:
        e = h.entity
        keys.add(e.kind)
        keys.update(f"{e.kind}_{f}" for f in e.flags)
        if "official" in e.flags:
            continue
        if e.kind == "url":
            keys.add("url_any")
        if e.kind in ("phone", "qq", "wechat", "app") and "service" not in e.flags:
            keys.add("contact_any")
    return keys


def _entity_evidence(hits: list[EntityHit], weights: dict[str, float]) -> list[Evidence]:
    out: dict[str, Evidence] = {}
    for h in hits:
        e = h.entity
        keys = [f"{e.kind}_{f}" for f in e.flags] + [e.kind]
        for key in keys:
            w = weights.get(key)
            if w and key not in out:
                out[key] = Evidence(f"entity.{key}", "entity", e.value, w, "", h.start, h.end)
                break  # the most specific weighted key speaks for this entity
    return list(out.values())


def _combos(fired: set[str], generic: GenericFile) -> list[tuple[Evidence, tuple[str, ...]]]:
    out = []
    for c in generic.combos:
        if all(any(alt in fired for alt in item.split("|")) for item in c.all):
            out.append((Evidence(f"combo.{c.id}", "combo", "+".join(c.all), c.weight, c.why), c.suggests))
    return out


def score(
    hits: list[Hit],
    entity_hits: list[EntityHit],
    prediction: Prediction | None,
    generic: GenericFile,
    propaganda_threshold: float,
    text: str,
    turns: int = 0,
) -> Score:
    type_rule: dict[str, float] = defaultdict(float)
    type_hint: dict[str, float] = defaultdict(float)
    situation = 0.0
    propaganda = 0.0
    legit = 0.0
    evidence: list[Evidence] = []
    for h in hits:
        s = h.signal
        ev = Evidence(s.rule_id, h.kind, text[h.start : h.end], round(h.weight, 3), s.why, h.start, h.end)
        if s.owner == "generic":
            situation += h.weight
            key = s.rule_id.split(".", 1)[1]
            for t in generic.suggests.get(key, ()):
                type_rule[t] += h.weight * SUGGEST_FACTOR
        elif s.owner == "propaganda":
            propaganda += h.weight
            ev = Evidence(s.rule_id, "context", ev.matched, -ev.weight, s.why, h.start, h.end)
        elif s.owner == "legit":
            legit += h.weight
            ev = Evidence(s.rule_id, "context", ev.matched, -ev.weight, s.why, h.start, h.end)
        elif s.type_only:
            type_hint[s.owner] += h.weight
            ev = Evidence(s.rule_id, "type_hint", ev.matched, 0.0, s.why, h.start, h.end)
        else:
            type_rule[s.owner] += h.weight
        evidence.append(ev)
    ent_ev = _entity_evidence(entity_hits, generic.entity_weights)
    situation += sum(e.weight for e in ent_ev)
    evidence += ent_ev
    ekeys = entity_keys(entity_hits)
    fired = {h.signal.rule_id.split(".", 1)[1] for h in hits} | ekeys
    for ev, suggests in _combos(fired, generic):
        situation += ev.weight
        evidence.append(ev)
        for t in suggests:
            type_rule[t] += ev.weight * SUGGEST_FACTOR

    model_bonus = 0.0
    combined: dict[str, float] = dict(type_rule)
    for t, w in type_hint.items():
        combined[t] = combined.get(t, 0.0) + w
    if prediction is not None:
        lean = 2.0 * prediction.p_fraud - 1.0
        model_bonus = lean * (generic.model_weight if lean > 0 else generic.model_weight_negative)
        for t, p in prediction.types.items():
            combined[t] = combined.get(t, 0.0) + generic.model_type_weight * p * prediction.p_fraud
        evidence.append(Evidence("model.textcat", "model", f"p_fraud={prediction.p_fraud:.2f}",
                                 round(model_bonus, 3)))

    best_rule = max(type_rule.values(), default=0.0)
    if model_bonus > 0 and prediction is not None and prediction.windows > 1:
        # In a long text the model reports its most scam-like window; one window of finance talk in a
        # meeting transcript can look like a pitch. There it must be corroborated by the rules.
        found = max(0.0, best_rule) + max(0.0, situation)
        model_bonus = min(model_bonus, max(generic.model_floor, generic.model_max_ratio * found))
    # A warning points to 110/96110 or an official site, and is broadcast; a scam gives its own link or
    # number, and a forwarded conversation (speaker: line) is an exchange, not a broadcast.
    own_channel = bool(ekeys & {"url_any", "contact_any", "bank_card", "code_request"}) or bool(
        fired & ADDRESSED_REQUESTS)
    if own_channel or turns >= 2 or (fired & ACCUSATIONS and propaganda <= ACCUSATION_OUTWEIGHS):
        propaganda = 0.0
        evidence = [e for e in evidence if not e.rule_id.startswith("propaganda.")]
    is_propaganda = propaganda >= propaganda_threshold
    entity_part = sum(e.weight for e in ent_ev)
    said = max(0.0, best_rule) + situation - entity_part + max(0.0, model_bonus)
    if is_propaganda:
        said *= PROPAGANDA_DAMPING
    total = said + entity_part + min(0.0, model_bonus) - propaganda - legit
    level = level_of(total)
    ranked = sorted(((t, round(v, 3)) for t, v in combined.items() if v > 0), key=lambda x: (-x[1], x[0]))
    fraud_type: str | None = None
    if level in ("medium", "high"):
        fraud_type = ranked[0][0] if ranked and ranked[0][1] >= MIN_TYPE_SCORE else FALLBACK_TYPE
    evidence.sort(key=lambda e: -abs(e.weight))
    return Score(risk_of(total), level, fraud_type, ranked, evidence, is_propaganda)
