"""Every example the KB carries is a test: hits must be flagged as their type, misses must not be flagged."""

from __future__ import annotations

import pytest

from knowledge_base.examples import iter_examples
from knowledge_base.loader import DEFAULT_DIR, load_kb
from knowledge_base.schema import TYPE_IDS

_KB = load_kb(DEFAULT_DIR).kb
_EXAMPLES = list(iter_examples(_KB)) if _KB else []


def _id(ex) -> str:  # type: ignore[no-untyped-def]
    return f"{ex.file}:{'hit' if ex.expect_type else 'miss'}[{ex.index}]"


@pytest.mark.parametrize("ex", _EXAMPLES, ids=[_id(e) for e in _EXAMPLES])
def test_example(engine, ex) -> None:  # type: ignore[no-untyped-def]
    v = engine.check(ex.text)
    if ex.expect_type is None:
        assert not v.is_fraud, f"flagged {v.level}/{v.fraud_type}: {[e.rule_id for e in v.evidence[:5]]}"
    else:
        assert v.is_fraud, f"not flagged (risk {v.risk:.2f}): {[e.rule_id for e in v.evidence[:5]]}"
        assert v.fraud_type == ex.expect_type, f"typed {v.fraud_type}: {v.types[:3]}"


def test_kb_loads_without_errors_including_training_texts() -> None:
    res = load_kb(DEFAULT_DIR, with_training=True)
    assert res.errors == []
    assert res.kb is not None and res.kb.training


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_each_type_has_enough_examples(kb, type_id: str) -> None:  # type: ignore[no-untyped-def]
    t = kb.types[type_id]
    assert len(t.examples.hit) >= 30
    assert len(t.examples.miss) >= 10
    assert len(set(t.examples.hit)) == len(t.examples.hit), "duplicate hits"


def test_enough_benign_examples(kb) -> None:  # type: ignore[no-untyped-def]
    assert len(kb.benign.examples.miss) >= 200


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_each_type_has_advice_for_every_audience(kb, type_id: str) -> None:  # type: ignore[no-untyped-def]
    adv = kb.types[type_id].advice
    for audience in ("senior", "parent", "student", "general"):
        lines = getattr(adv, audience)
        assert lines and all(line.strip() for line in lines)
    # seniors get the shortest advice
    assert sum(map(len, adv.senior)) <= sum(map(len, adv.general))
