"""The KB loader reports every error with file and line, and a bad edit never replaces a good KB."""

from __future__ import annotations

from pathlib import Path

from classifiers.engine import Detector, build_engine
from knowledge_base.loader import check_regex, load_kb


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _first_phrase_slot(kb_copy: Path) -> tuple[Path, str, int]:
    """game_trading.yaml, its text, and the offset where its first phrase starts (to insert one before it)."""
    f = kb_copy / "patterns" / "game_trading.yaml"
    text = f.read_text(encoding="utf-8")
    return f, text, text.index("    - id:", text.index("  phrases:"))


def test_yaml_syntax_error_has_file_and_line(kb_copy: Path) -> None:
    f = kb_copy / "patterns" / "fake_loan.yaml"
    lines = f.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "  broken: [unclosed")
    f.write_text("\n".join(lines), encoding="utf-8")
    res = load_kb(kb_copy)
    assert res.kb is None
    err = next(e for e in res.errors if e.file == "patterns/fake_loan.yaml")
    assert err.line is not None and err.line >= 4
    assert "YAML" in err.message


def test_all_errors_are_collected_across_files(kb_copy: Path) -> None:
    _edit(kb_copy / "patterns" / "order_brushing.yaml", "weight:", "weight: not-a-number #")
    _edit(kb_copy / "patterns" / "fake_investment.yaml", "\nname:", "\nnaem:")
    res = load_kb(kb_copy)
    files = {e.file for e in res.errors}
    assert {"patterns/order_brushing.yaml", "patterns/fake_investment.yaml"} <= files
    inv = [e for e in res.errors if e.file == "patterns/fake_investment.yaml"]
    assert any("naem" in e.message for e in inv) and all(e.line for e in inv)


def test_catastrophic_or_unsupported_regex_is_rejected_with_line(kb_copy: Path) -> None:
    f, text, start = _first_phrase_slot(kb_copy)
    bad = "    - id: evil\n      pattern: '(?<=x)(a+)+\\\\1'\n      weight: 1\n"
    f.write_text(text[:start] + bad + text[start:], encoding="utf-8")
    res = load_kb(kb_copy)
    errs = [e for e in res.errors if e.file == "patterns/game_trading.yaml"]
    assert errs and "regex not accepted" in errs[0].message
    expected_line = text[:start].count("\n") + 2
    assert errs[0].line == expected_line


def test_nested_quantifiers_are_safe_under_re2() -> None:
    # RE2 accepts this classic catastrophic pattern but runs it in linear time.
    assert check_regex("(a+)+$") is None
    assert check_regex("(a)\\1") is not None


def test_duplicate_keys_and_unknown_type_files_are_errors(kb_copy: Path) -> None:
    f = kb_copy / "patterns" / "fake_loan.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "\nname: 重复\n", encoding="utf-8")
    (kb_copy / "patterns" / "lottery.yaml").write_text("id: lottery\n", encoding="utf-8")
    msgs = [str(e) for e in load_kb(kb_copy).errors]
    assert any("duplicate key 'name'" in m for m in msgs)
    assert any("unknown fraud type 'lottery'" in m for m in msgs)


def test_wrong_id_and_missing_file(kb_copy: Path) -> None:
    _edit(kb_copy / "patterns" / "romance_scam.yaml", "id: romance_scam", "id: romance")
    (kb_copy / "patterns" / "elderly_scam.yaml").unlink()
    msgs = [str(e) for e in load_kb(kb_copy).errors]
    assert any("does not match the file name" in m for m in msgs)
    assert any("missing file for fraud type 'elderly_scam'" in m for m in msgs)


def test_binary_and_huge_files_are_reported_not_crashed(kb_copy: Path) -> None:
    (kb_copy / "patterns" / "fake_loan.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (kb_copy / "patterns" / "prize_lottery.yaml").write_bytes(b"a: " + b"x" * 2_100_000)
    msgs = [str(e) for e in load_kb(kb_copy).errors]
    assert any("not UTF-8" in m for m in msgs)
    assert any("too large" in m for m in msgs)


def test_reload_keeps_last_good_kb_on_bad_edit(kb_copy: Path) -> None:
    det = Detector(build_engine(kb_copy, None), kb_copy, None)
    scam = "先交三千元解冻金，才能放款到你的银行卡"
    before = det.check(scam)
    assert before.is_fraud
    old_engine = det.engine
    (kb_copy / "patterns" / "fake_loan.yaml").write_text("id: [broken", encoding="utf-8")
    res = det.reload()
    assert not res.ok and res.errors
    assert det.engine is old_engine
    assert det.check(scam).risk == before.risk


def test_reload_applies_a_good_edit(kb_copy: Path) -> None:
    det = Detector(build_engine(kb_copy, None), kb_copy, None)
    text = "今天下午三点来拿快递哦"
    assert det.check(text).level == "none"
    f = kb_copy / "shared" / "generic.yaml"
    _edit(f, "  keywords:\n", "  keywords:\n    - term: 下午三点来拿快递\n      weight: 9\n      why: 测试\n")
    assert det.reload().ok
    assert det.check(text).is_fraud


def test_only_a_type_only_phrase_may_weigh_more_than_ten(kb_copy: Path) -> None:
    f, text, start = _first_phrase_slot(kb_copy)
    hint = "    - id: strong_hint\n      pattern: '游戏装备'\n      weight: 15\n      type_only: true\n"
    f.write_text(text[:start] + hint + text[start:], encoding="utf-8")
    assert load_kb(kb_copy).kb is not None
    f.write_text(text[:start] + hint.replace("      type_only: true\n", "") + text[start:], encoding="utf-8")
    res = load_kb(kb_copy)
    errs = [e for e in res.errors if e.file == "patterns/game_trading.yaml"]
    assert res.kb is None and errs and "type_only" in errs[0].message
    assert errs[0].line == text[:start].count("\n") + 1
