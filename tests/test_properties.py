"""Any input is safe: no exception, risk in [0, 1], a known level, JSON-serialisable."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.prefilter import required_factors, required_literals
from classifiers.verdict import LEVELS

_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_cjkish = st.text(alphabet=st.sampled_from(list("刷单返利垫付安全账户验证码转账贷款客服警方提醒，。！ 12abv信*🔥\n")),
                  max_size=300)


@_settings
@given(text=st.text(max_size=500))
def test_any_unicode_never_raises(engine, text: str) -> None:  # type: ignore[no-untyped-def]
    v = engine.check(text)
    assert 0.0 <= v.risk <= 1.0
    assert v.level in LEVELS
    json.dumps(v.to_dict(), ensure_ascii=False)


@_settings
@given(text=_cjkish)
def test_scam_vocabulary_soup_never_raises(engine, text: str) -> None:  # type: ignore[no-untyped-def]
    v = engine.check(text)
    assert (v.risk >= 0.5) == v.is_fraud


@settings(max_examples=300, deadline=None)
@given(text=_cjkish)
def test_prefilter_never_hides_a_match(text: str) -> None:
    import re

    for pattern in ("(垫付|先付).{0,12}(返还|返利)", "安全账户", "(验证码|转账)[^。]{0,5}(告诉|返利)", "[刷返]单",
                    "(先|需)[^。]{0,4}(转账|垫付)+[^。]{0,3}(返|利){1,2}", "刷?单返(利|还)"):
        lits, width = required_literals(pattern)
        m = re.search(pattern, text)
        if m and lits is not None:
            assert any(lit in m.group(0) for lit in lits)
            if width is not None:
                assert m.end() - m.start() <= width
        if m:
            for factor in required_factors(pattern):
                assert any(lit in m.group(0) for lit in factor)


def test_a_phrase_listing_many_wordings_still_gets_a_literal_prefilter() -> None:
    # Eighty two-character wordings: above the product limit, still far cheaper than running on every message.
    words = [a + b for a in "绑扣押劫挟控关抓" for b in "架走住持了下来起人他"]
    pattern = "(" + "|".join(words) + ")"
    assert required_factors(pattern) == [set(words)]
