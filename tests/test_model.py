"""The learned layer: trained only from KB texts, optional, and kept in step with the examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers.engine import DEFAULT_MODEL_DIR, Engine
from classifiers.model import META_FILE, SCREEN_MIX, TextModel, features, train
from classifiers.typehead import TypeHead
from knowledge_base.examples import examples_fingerprint
from knowledge_base.loader import DEFAULT_DIR, load_kb


def test_train_load_predict_roundtrip(tmp_path: Path) -> None:
    data = [("先交保证金才能放款到账", "fake_loan"), ("交解冻金才能提现贷款", "fake_loan"),
            ("做任务垫付返佣金刷单", "order_brushing"), ("点赞关注返利日结垫付", "order_brushing"),
            ("今晚一起吃饭吗", "benign"), ("你的快递到驿站了取件码1234", "benign")] * 4
    train(data, tmp_path / "m", "fp-test", epochs=6, seed=1)
    model = TextModel.load(tmp_path / "m")
    assert model is not None and model.examples_fingerprint == "fp-test"
    p_scam = model.predict("先交保证金才能放款")
    p_ok = model.predict("今晚一起吃饭")
    assert p_scam.p_fraud > p_ok.p_fraud
    assert max(p_scam.types, key=p_scam.types.get) == "fake_loan"
    assert abs(sum(p_scam.types.values()) - 1.0) < 1e-6


def test_training_is_deterministic(tmp_path: Path) -> None:
    data = [("先交保证金才能放款", "fake_loan"), ("今晚吃饭", "benign"), ("刷单返利垫付", "order_brushing")] * 3
    train(data, tmp_path / "a", "x", epochs=3, seed=3)
    train(data, tmp_path / "b", "x", epochs=3, seed=3)
    a, b = TextModel.load(tmp_path / "a"), TextModel.load(tmp_path / "b")
    assert a is not None and b is not None
    assert a.predict("交保证金放款") == b.predict("交保证金放款")


def test_missing_or_broken_model_means_rules_only(tmp_path: Path, kb) -> None:  # type: ignore[no-untyped-def]
    assert TextModel.load(tmp_path / "nothing") is None
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / META_FILE).write_text("{}", encoding="utf-8")
    assert TextModel.load(broken) is None
    eng = Engine(kb, None)
    v = eng.check("先交三千元解冻金才能放款")
    assert v.is_fraud and not any(e.kind == "model" for e in v.evidence)


def test_shipped_model_matches_the_kb_examples() -> None:
    kb = load_kb(DEFAULT_DIR, with_training=True).kb
    assert kb is not None and kb.training, "training texts missing"
    meta = json.loads((DEFAULT_MODEL_DIR / META_FILE).read_text(encoding="utf-8"))
    assert meta["examples_fingerprint"] == examples_fingerprint(kb), (
        "KB examples changed since the model was trained: run `python main.py kb train`"
    )


def test_retraining_replaces_the_model_directory_whole(tmp_path: Path) -> None:
    """A second `train` into the same folder leaves only the new model's files (no stale type head) and no
    temporary folders beside it."""
    out = tmp_path / "m"
    two_types = [("先交保证金才能放款", "fake_loan"), ("刷单返利先垫付", "order_brushing"), ("今晚吃饭", "benign")] * 3
    train(two_types, out, "first", epochs=2, seed=1)
    assert (out / "typehead.npz").exists()
    (out / "stray.txt").write_text("left over", encoding="utf-8")
    one_type = [("先交保证金才能放款", "fake_loan"), ("今晚吃饭", "benign")] * 3
    train(one_type, out, "second", epochs=2, seed=1)
    model = TextModel.load(out)
    assert model is not None and model.examples_fingerprint == "second"
    assert not (out / "typehead.npz").exists() and not (out / "stray.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_shipped_model_mixes_the_tfidf_screen_into_the_fraud_probability() -> None:
    model = TextModel.load(DEFAULT_MODEL_DIR)
    head = TypeHead.load(DEFAULT_MODEL_DIR)
    assert model is not None and head is not None and head.screen is not None
    spacy_only = TextModel(model._nlp, model.examples_fingerprint)  # the same spaCy heads, no TF-IDF head
    for text in ["我是你领导，明天来我办公室，先帮我转两万给客户", "今晚一起吃饭吗，我订好了位子"]:
        screen = head.read(features(text)).p_fraud
        assert screen is not None
        want = (1.0 - SCREEN_MIX) * spacy_only.predict(text).p_fraud + SCREEN_MIX * screen
        assert model.predict(text).p_fraud == pytest.approx(want, abs=1e-6)
    assert model.predict("我是你领导，明天来我办公室，先帮我转两万给客户").p_fraud > 0.5
    assert model.predict("今晚一起吃饭吗，我订好了位子").p_fraud < 0.5
