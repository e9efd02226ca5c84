"""Schema of the YAML knowledge base (pydantic, so every error comes with its location)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TYPE_IDS: tuple[str, ...] = (
    "order_brushing", "fake_investment", "fake_loan", "fake_customer_service", "impersonate_officials",
    "impersonate_acquaintance", "fake_credit_repair", "romance_scam", "game_trading", "prize_lottery",
    "card_renting", "elderly_scam", "phishing_link", "other_fraud",
)
AUDIENCES: tuple[str, ...] = ("senior", "parent", "student", "general")
ID_PATTERN = r"^[a-z][a-z0-9_]{1,60}$"
MAX_PATTERN_LEN = 400
MAX_WEIGHT = 10.0
# A type-only hint must be able to outweigh the pile of evidence a story collects for a neighbouring type (a
# kidnapper who says he is a friend of the family); it never moves the risk, so a larger bound is harmless.
TYPE_ONLY_MAX_WEIGHT = 20.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)


class Keyword(_Strict):
    term: str = Field(min_length=1, max_length=40)
    synonyms: tuple[str, ...] = ()
    weight: float = Field(ge=-10, le=10)
    whole_word: bool = False  # only when jieba cuts the term as its own token
    pinyin: bool = True  # also match homophones (刷丹 ≈ 刷单); see rules.py for which terms qualify
    negatable: bool = True  # ignore the hit right after a negation (请勿/不会/不存在 …)
    why: str = ""

    @field_validator("synonyms")
    @classmethod
    def _non_empty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not s.strip() for s in v):
            raise ValueError("synonyms must not be empty strings")
        return tuple(s.strip() for s in v)


class Phrase(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    pattern: str = Field(min_length=1, max_length=MAX_PATTERN_LEN)
    weight: float = Field(ge=-10, le=TYPE_ONLY_MAX_WEIGHT)
    negatable: bool = True
    # Only helps choose the type, never raises the risk: who the caller claims to be tells which scam it is,
    # but police and agencies also introduce themselves in genuine calls and warnings.
    type_only: bool = False
    why: str = ""

    @model_validator(mode="after")
    def _risk_weight_bound(self) -> Phrase:
        if self.weight > MAX_WEIGHT and not self.type_only:
            raise ValueError(f"weight {self.weight} is above {MAX_WEIGHT:g}; only a type_only phrase may weigh "
                             f"up to {TYPE_ONLY_MAX_WEIGHT:g} (it never raises the risk)")
        return self


class Sequence(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    terms: tuple[str, ...] = Field(min_length=2, max_length=6)
    window: int = Field(default=40, ge=4, le=300)
    weight: float = Field(ge=-10, le=10)
    negatable: bool = True
    why: str = ""


class Exemplar(_Strict):
    text: str = Field(min_length=6, max_length=120)
    weight: float = Field(default=2.0, ge=-10, le=10)
    cutoff: float = Field(default=85.0, ge=80, le=100)
    why: str = ""


class Signals(_Strict):
    keywords: tuple[Keyword, ...] = ()
    phrases: tuple[Phrase, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    exemplars: tuple[Exemplar, ...] = ()


class Advice(_Strict):
    senior: tuple[str, ...] = Field(min_length=1)
    parent: tuple[str, ...] = Field(min_length=1)
    student: tuple[str, ...] = Field(min_length=1)
    general: tuple[str, ...] = Field(min_length=1)


class Examples(_Strict):
    hit: tuple[str, ...] = ()
    miss: tuple[str, ...] = ()


class FraudTypeFile(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    signals: Signals
    red_flags: tuple[str, ...] = Field(min_length=1)
    advice: Advice
    examples: Examples = Examples()


class Combo(_Strict):
    """Extra weight when signals fire together: each item of `all` is a rule id suffix (e.g. 'personal_alert'),
    an entity key (e.g. 'url_any') or several of either separated by |."""

    id: str = Field(pattern=ID_PATTERN)
    all: tuple[str, ...] = Field(min_length=2, max_length=5)
    weight: float = Field(ge=-10, le=10)
    suggests: tuple[str, ...] = ()
    why: str = ""


class GenericFile(_Strict):
    signals: Signals
    # signal id / keyword term → type ids it hints at; they get half its weight as type evidence
    suggests: dict[str, tuple[str, ...]] = {}
    combos: tuple[Combo, ...] = ()
    apps: tuple[str, ...] = ()  # remote-control, meeting and off-platform app names
    entity_weights: dict[str, float] = {}
    entity_why: dict[str, str] = {}  # reason shown to the citizen for each weighted entity key
    model_weight: float = Field(default=3.0, ge=0, le=10)  # learned layer: up to this much evidence for fraud
    model_weight_negative: float = Field(default=1.5, ge=0, le=10)  # … and up to this much against
    # For a long text (read in windows) the model's push towards fraud may not exceed this multiple of what
    # the rules and entities found (nor `model_floor` when they found little): it corroborates there.
    model_max_ratio: float = Field(default=10.0, ge=0, le=100)
    model_floor: float = Field(default=10.0, ge=0, le=10)
    model_type_weight: float = Field(default=2.0, ge=0, le=30)  # its say in choosing the type
    examples: Examples = Examples()


class ContextFile(_Strict):
    variants: dict[str, str] = {}
    propaganda: Signals = Signals()  # anti-fraud warnings and news: weights are subtracted
    legit_notice: Signals = Signals()  # genuine notices (code SMS that say 请勿泄露…): weights subtracted
    propaganda_threshold: float = 2.0
    examples: Examples = Examples()


class AllowlistFile(_Strict):
    numbers: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()  # brand words that make a non-allowlisted domain a look-alike
    odd_tlds: tuple[str, ...] = ()
    shorteners: tuple[str, ...] = ()


class BenignFile(_Strict):
    examples: Examples


class TrainingFile(_Strict):
    """Bulk texts written by the team to train the learned layer (knowledge_base/training/*.yaml)."""

    label: str  # a type id or "benign"
    texts: tuple[str, ...] = Field(min_length=1)


class RepliesFile(_Strict):
    audience: str
    label: str  # how the audience is called in buttons: 长辈 / 宝妈宝爸 / 学生 / 其他
    levels: dict[str, str]  # level → headline
    type_line: str  # "类型：{name}"
    reasons_title: str
    advice_title: str
    none_advice: tuple[str, ...]
    low_advice: tuple[str, ...]
    propaganda: str
    truncated: str
    emergency: tuple[str, ...]
    footer: str = ""
