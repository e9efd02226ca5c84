"""The TF-IDF head: our numpy inference must reproduce the fitted scikit-learn models exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.model import features
from classifiers.typehead import HEAD_CHARS, SCREEN_C, TypeHead, fit, ngrams, tfidf

TEXTS = [
    ("先交保证金才能放款到账", "fake_loan"), ("解冻金交了才能提现贷款", "fake_loan"),
    ("贷款审批通过请先交工本费", "fake_loan"),
    ("做任务垫付返佣金刷单", "order_brushing"), ("点赞关注返利日结先垫付", "order_brushing"),
    ("刷单任务完成后返还本金和佣金", "order_brushing"),
    ("我是你领导明天来我办公室先转一笔钱", "impersonate_acquaintance"),
    ("老同学我换号了急用钱先借我两万", "impersonate_acquaintance"),
    ("我是你表哥在外地出事了急需转账", "impersonate_acquaintance"),
]


BENIGN_TEXTS = [
    ("您的快递已到驿站请凭取件码取件", "benign"), ("明天上午十点开家长会请准时参加", "benign"),
    ("本月账单已出请按时还款勿轻信陌生来电", "benign"), ("周末一起去爬山吗我带水果", "benign"),
    ("验证码请勿泄露给他人", "benign"), ("会议改到下午三点在三楼会议室", "benign"),
]


def _fit(pairs=TEXTS, head_chars: int = HEAD_CHARS) -> TypeHead:  # type: ignore[no-untyped-def]
    return fit([features(t) for t, _ in pairs], [lb for _, lb in pairs], min_df=2, head_chars=head_chars)


def _design(head: TypeHead, pairs, with_opening: bool = False):  # type: ignore[no-untyped-def]
    """The TF-IDF matrix built independently of `TypeHead.read`: whole-text columns, then (for the type
    regression) the opening's columns."""
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    width = len(head.vocab)
    for r, (text, _) in enumerate(pairs):
        c, v = tfidf(ngrams(features(text)), head.vocab, head.idf)
        rows += [r] * len(c)
        cols += c.tolist()
        vals += v.tolist()
        if with_opening:
            assert head.head_vocab is not None and head.head_idf is not None
            c, v = tfidf(ngrams(features(text)[: head.head_chars]), head.head_vocab, head.head_idf)
            rows += [r] * len(c)
            cols += (c + len(head.vocab)).tolist()
            vals += v.tolist()
    if with_opening:
        assert head.head_vocab is not None
        width += len(head.head_vocab)
    return csr_matrix((vals, (rows, cols)), shape=(len(pairs), width))


def test_ngrams_counts_one_to_three_character_grams() -> None:
    g = ngrams(list("刷单刷"))
    assert g["刷"] == 2 and g["刷单"] == 1 and g["单刷"] == 1 and g["刷单刷"] == 1
    assert sum(g.values()) == 3 + 2 + 1


def test_predicts_the_type_it_was_shown_and_probabilities_sum_to_one() -> None:
    head = _fit()
    for text, label in [("交保证金才能放款", "fake_loan"), ("刷单返佣金垫付", "order_brushing"),
                        ("我是你表哥急需转账", "impersonate_acquaintance")]:
        p = head.predict(features(text))
        assert max(p, key=p.get) == label
        assert abs(sum(p.values()) - 1.0) < 1e-5


def test_numpy_inference_matches_scikit_learn() -> None:
    """Refit the same design matrix with scikit-learn and compare predict_proba row by row."""
    from sklearn.linear_model import LogisticRegression

    head = _fit(head_chars=6)  # shorter than the texts, so the opening's n-grams differ from the whole text's
    assert head.screen is None  # no benign texts, no screen
    assert head.head_vocab and head.types.weights.shape[0] == len(head.vocab) + len(head.head_vocab)
    x = _design(head, TEXTS, with_opening=True)
    clf = LogisticRegression(C=4.0, max_iter=3000).fit(x, [lb for _, lb in TEXTS])
    want = clf.predict_proba(x)
    for r, (text, _) in enumerate(TEXTS):
        got = head.predict(features(text))
        assert np.allclose([got[lb] for lb in clf.classes_], want[r], atol=1e-4)


def test_screen_is_fitted_on_all_texts_and_matches_scikit_learn() -> None:
    from sklearn.linear_model import LogisticRegression

    pairs = TEXTS + BENIGN_TEXTS
    head = _fit(pairs, head_chars=6)
    assert head.screen is not None and "benign" in head.screen.labels
    assert "benign" not in head.labels  # the type regression never offers benign as a type
    x = _design(head, pairs, with_opening=True)
    clf = LogisticRegression(C=SCREEN_C, max_iter=3000).fit(x, [lb for _, lb in pairs])
    want = clf.predict_proba(x)[:, list(clf.classes_).index("benign")]
    for r, (text, _) in enumerate(pairs):
        reading = head.read(features(text))
        assert reading.p_fraud is not None and abs((1.0 - reading.p_fraud) - want[r]) < 1e-4
        assert abs(sum(reading.types.values()) - 1.0) < 1e-5
    scam = head.read(features("先交保证金才能放款")).p_fraud
    benign = head.read(features("请凭取件码到驿站取件")).p_fraud
    assert scam is not None and benign is not None and scam > 0.5 > benign


def test_two_types_use_the_same_softmax_form() -> None:
    head = _fit(TEXTS[:6])
    assert head.labels == ("fake_loan", "order_brushing")
    p = head.predict(features("先交保证金放款"))
    assert p["fake_loan"] > p["order_brushing"] and abs(sum(p.values()) - 1.0) < 1e-5


def test_unknown_text_falls_back_to_the_prior() -> None:
    head = _fit()
    p = head.predict(features("ＸＹＺ"))  # no n-gram the head knows
    assert abs(sum(p.values()) - 1.0) < 1e-5
    assert head.predict([]) == p


def test_the_opening_is_read_as_features_of_its_own() -> None:
    """Moving who-I-am from the start to the end of a text changes the type reading only when the opening
    has columns of its own."""
    pairs = TEXTS + [("先交保证金才能放款我是你领导", "fake_loan"),
                     ("我是你领导先交保证金才能放款", "impersonate_acquaintance")]
    with_opening, without = _fit(pairs, head_chars=5), _fit(pairs, head_chars=0)
    assert without.head_vocab is None and without.types.weights.shape[0] == len(without.vocab)
    first, last = features("我是你领导急需保证金"), features("急需保证金我是你领导")
    boss = "impersonate_acquaintance"
    assert with_opening.predict(first)[boss] > with_opening.predict(last)[boss]
    a, b = without.predict(first), without.predict(last)
    # the same known n-grams in another order (none across the junction is in the vocabulary)
    assert all(abs(a[k] - b[k]) < 1e-6 for k in a)


def test_save_load_roundtrip_and_inconsistent_files(tmp_path: Path) -> None:
    head = _fit(TEXTS + BENIGN_TEXTS)
    head.save(tmp_path)
    again = TypeHead.load(tmp_path)
    assert again is not None and again.labels == head.labels and again.screen is not None
    assert again.head_chars == HEAD_CHARS and again.head_vocab == head.head_vocab
    text = features("老同学急用钱先转账")
    assert again.read(text) == head.read(text)
    assert head.screen is not None and head.head_idf is not None
    parts = dict(idf=head.idf, weights=head.types.weights, intercept=head.types.intercept,
                 screen_weights=head.screen.weights, screen_intercept=head.screen.intercept, head_idf=head.head_idf)
    for broken in ({"idf": head.idf[:-1]}, {"screen_weights": head.screen.weights[:, :-1]},
                   {"head_idf": head.head_idf[:-1]}, {"weights": head.types.weights[: len(head.vocab)]}):
        np.savez(tmp_path / "typehead.npz", **(parts | broken))
        with pytest.raises(ValueError):
            TypeHead.load(tmp_path)
    np.savez(tmp_path / "typehead.npz", **{k: v for k, v in parts.items() if k != "head_idf"})
    with pytest.raises(ValueError):
        TypeHead.load(tmp_path)
    assert TypeHead.load(tmp_path / "elsewhere") is None


def test_a_model_saved_without_the_opening_still_loads(tmp_path: Path) -> None:
    """Models trained before the opening features keep working until the next `kb train`."""
    old = _fit(TEXTS + BENIGN_TEXTS, head_chars=0)
    old.save(tmp_path)
    again = TypeHead.load(tmp_path)
    assert again is not None and again.head_vocab is None and again.head_chars == 0
    text = features("老同学急用钱先转账")
    assert again.read(text) == old.read(text)
