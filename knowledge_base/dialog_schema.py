"""Schemas of the bot's own texts (knowledge_base/dialog/*.yaml): messages, the guided questionnaire, tips."""

from __future__ import annotations

from pydantic import Field, model_validator

from knowledge_base.schema import AUDIENCES, TYPE_IDS, _Strict

LEVELS = ("high", "medium", "low", "none")


class ButtonTexts(_Strict):
    paid: str
    report: str
    wrong: str
    tell_senior: str
    tell_student: str
    answer_yes: str
    answer_no: str
    unsure: str
    cancel: str
    report_now: str
    forget_yes: str
    forget_no: str


class ReportTexts(_Strict):
    ask_text: str
    ask_type: str
    unsure_type: str
    ask_lost: str
    lost_yes: str
    lost_no: str
    ask_amount: str
    skip: str
    bad_amount: str
    ask_when: str
    when_today: str
    when_yesterday: str
    when_earlier: str
    ask_consent: str
    consent_yes: str
    consent_no: str
    done: str
    done_spooled: str
    done_contact: str


class MessagesFile(_Strict):
    welcome: str
    ask_audience: str
    audience_set: str
    ready: str
    grid_linked: str
    help: str
    privacy: str
    forget_confirm: str
    forget_done: str
    forget_cancel: str
    subscribed: str
    unsubscribed: str
    empty: str
    unreadable: str
    too_long_note: str
    rate_limited: str
    busy: str
    error: str
    unknown_command: str
    ocr_holding: str
    ocr_failed: str
    ocr_disabled: str
    ocr_prefix: str
    feedback_thanks: str
    expired: str
    cancelled: str
    tips_empty: str
    group_intro: str
    group_off: str
    group_on: str
    group_admin_only: str
    group_alert: str
    group_alert_tail: str
    emergency_title: str
    emergency_offer: str
    buttons: ButtonTexts
    emergency_triggers: tuple[str, ...] = Field(min_length=1)
    emergency_negations: tuple[str, ...] = ()
    emergency_max_chars: int = Field(default=60, ge=4, le=500)
    report: ReportTexts
    staff: dict[str, str]
    alert_warning: dict[str, str]

    @model_validator(mode="after")
    def _audiences(self) -> MessagesFile:
        missing = set(AUDIENCES) - set(self.alert_warning)
        if missing:
            raise ValueError(f"alert_warning: missing {', '.join(sorted(missing))}")
        return self


class Option(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,20}$")
    label: str = Field(min_length=1, max_length=20)
    points: float = Field(ge=0, le=20)
    suggests: str | None = None
    signal: str | None = None
    paid: bool = False

    @model_validator(mode="after")
    def _known_type(self) -> Option:
        if self.suggests is not None and self.suggests not in TYPE_IDS:
            raise ValueError(f"suggests: unknown type '{self.suggests}'")
        return self


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,20}$")
    text: str
    options: tuple[Option, ...] = Field(min_length=2, max_length=10)

    @model_validator(mode="after")
    def _unique(self) -> Question:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question {self.id}: option ids must be unique")
        return self


class ScenarioFile(_Strict):
    intro: str
    levels: dict[str, float]
    result_title: str
    result_levels: dict[str, str]
    result_signals: str
    general_advice: tuple[str, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _complete(self) -> ScenarioFile:
        if set(self.levels) != {"high", "medium", "low"}:
            raise ValueError("levels: give exactly high, medium and low (index thresholds 0–100)")
        if set(self.result_levels) != set(LEVELS):
            raise ValueError("result_levels: give high, medium, low and none")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return self


class Tip(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,20}$")
    text: str = Field(min_length=4, max_length=200)


class TipsFile(_Strict):
    senior: tuple[Tip, ...] = Field(min_length=1)
    parent: tuple[Tip, ...] = Field(min_length=1)
    student: tuple[Tip, ...] = Field(min_length=1)
    general: tuple[Tip, ...] = Field(min_length=1)

    def for_audience(self, audience: str) -> tuple[Tip, ...]:
        return getattr(self, audience if audience in AUDIENCES else "general")
