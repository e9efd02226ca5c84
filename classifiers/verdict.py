"""The values the engine returns. Pure data, no behaviour beyond serialisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LEVELS = ("none", "low", "medium", "high")
FRAUD_LEVELS = frozenset({"medium", "high"})


@dataclass(frozen=True)
class Evidence:
    """Why the engine thinks so: shown to the user, logged by rule id."""

    rule_id: str  # e.g. "order_brushing.advance_then_refund"
    kind: str  # keyword | pinyin | phrase | sequence | fuzzy | entity | model | context
    matched: str  # the span of normalised text that fired
    weight: float
    why: str = ""  # short Chinese reason for the citizen; empty for purely technical evidence
    start: int = -1  # span of `matched` in the normalised text; -1 when the evidence has no span
    end: int = -1


@dataclass(frozen=True)
class Entity:
    kind: str  # url | phone | bank_card | qq | wechat | amount | app | code_request
    value: str
    flags: tuple[str, ...] = ()  # e.g. ("lookalike", "odd_tld"), ("official",), ("luhn_ok",)


@dataclass(frozen=True)
class Verdict:
    risk: float  # 0..1, the 受骗指数 of this message
    level: str  # none | low | medium | high
    fraud_type: str | None
    types: list[tuple[str, float]]
    evidence: list[Evidence]
    entities: list[Entity]
    is_propaganda: bool
    truncated: bool = False
    normalized: str = field(default="", repr=False)

    @property
    def is_fraud(self) -> bool:
        return self.level in FRAUD_LEVELS

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("normalized")
        d["is_fraud"] = self.is_fraud
        d["types"] = [{"type": t, "score": round(s, 3)} for t, s in self.types]
        d["risk"] = round(self.risk, 4)
        d["entities"] = [
            {"kind": e.kind, "value": e.value, "flags": list(e.flags)} for e in self.entities
        ]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """Rebuild a verdict from `to_dict()` output (e.g. a stored check), to render it again."""
        types = [(t["type"], float(t["score"])) if isinstance(t, dict) else (t[0], float(t[1]))
                 for t in d.get("types", [])]
        fields = Evidence.__dataclass_fields__
        evidence = [Evidence(**{k: v for k, v in e.items() if k in fields}) for e in d.get("evidence", [])]
        entities = [Entity(e["kind"], e["value"], tuple(e.get("flags", ()))) for e in d.get("entities", [])]
        return cls(risk=float(d.get("risk", 0.0)), level=str(d.get("level", "none")), fraud_type=d.get("fraud_type"),
                   types=types, evidence=evidence, entities=entities, is_propaganda=bool(d.get("is_propaganda")),
                   truncated=bool(d.get("truncated")))
