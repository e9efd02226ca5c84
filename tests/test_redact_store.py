"""Redaction before storage, the store's flows, and what happens when the database is locked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.redact import Redactor
from cases.store import Report, Session, Store, StoreBusy

R = Redactor("test-salt")


@pytest.mark.parametrize(("raw", "kind", "gone"), [
    ("我的手机13812345678请回电", "手机号", "13812345678"),
    ("电话 +86 138 1234 5678", "手机号", "138 1234 5678"),
    ("身份证号110101199003071234", "身份证", "110101199003071234"),
    ("身份证 11010119900307123X", "身份证", "11010119900307123X"),
    ("卡号6222 0212 3456 7890 123", "银行卡", "6222 0212 3456 7890 123"),
    ("转到6217000010012345678", "银行卡", "6217000010012345678"),
    ("座机 010-62345678", "电话", "010-62345678"),
    ("加QQ：87654321", "QQ", "87654321"),
    ("加微信 sd8866abc 领任务", "微信", "sd8866abc"),
    ("全角：１３８１２３４５６７８", "手机号", "13812345678"),
])
def test_personal_numbers_are_masked(raw: str, kind: str, gone: str) -> None:
    red = R.redact(raw)
    assert gone not in red.text and gone.replace(" ", "") not in red.text.replace(" ", "")
    assert f"[{kind}*" in red.text
    assert red.found[0].last4 == gone.replace(" ", "").replace("-", "")[-4:]


def test_same_value_same_digest_other_salt_other_digest() -> None:
    a = R.redact("13812345678").found[0].digest
    assert a == R.redact("电话138-1234-5678").found[0].digest
    assert a != Redactor("other").redact("13812345678").found[0].digest


def test_ordinary_text_and_short_numbers_are_kept() -> None:
    text = "快递取件码 3-2-1508，验证码 482913，金额 500 元，2026年11月28日"
    assert R.redact(text).text == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -+xX卡号手机微信QQ:："), max_size=80))
def test_no_long_digit_run_survives(text: str) -> None:
    import re

    out = re.sub(r"\[[^\]]*\]", " ", R.redact(text).text)  # drop the masks themselves
    assert not re.search(r"\d{11,}", out)


def test_report_is_stored_masked_and_spooled_when_locked(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    store = Store(db)
    rid = store.add_report(Report("telegram:1", "telegram", "对方卡号6217000010012345678，电话13812345678",
                                  "fake_loan", True, 5000.0, "today", True, grid="QY01"))
    assert rid == 1
    row = store.reports()[0]
    assert "6217000010012345678" not in row["text"] and "13812345678" not in row["text"]
    assert {m["kind"] for m in json.loads(row["masked"])} == {"银行卡", "手机号"}
    # Another process holds the write lock: the report must not be lost.
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    store.db.execute("PRAGMA busy_timeout = 50")
    second = Report("telegram:2", "telegram", "第二条 13900001111", None, False, None, "", False)
    assert store.add_report(second) is None
    spool = Path(str(db) + ".pending.jsonl")
    assert spool.exists() and "13900001111" not in spool.read_text(encoding="utf-8")
    blocker.rollback()
    blocker.close()
    assert store.flush_spool() == 1
    assert [r["user_key"] for r in store.reports()] == ["telegram:1", "telegram:2"]
    assert not spool.exists()
    # A restart finds nothing pending and nothing lost.
    assert len(Store(db).reports()) == 2


def test_locked_database_raises_storebusy_for_other_writes(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    store = Store(db)
    store.db.execute("PRAGMA busy_timeout = 50")
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy):
        store.set_session("console:1", Session("scenario", "who"))
    blocker.rollback()
    store.set_session("console:1", Session("scenario", "who"))
    assert store.session("console:1") == Session("scenario", "who", {})


def test_forget_deletes_person_keeps_anonymous_report(tmp_path: Path) -> None:
    store = Store(tmp_path / "f.db")
    u = store.user("telegram:9")
    u.audience, u.grid = "senior", "QY01"
    store.save_user(u)
    cid = store.add_check("telegram:9", "某消息", {"level": "high", "evidence": []})
    store.add_feedback("telegram:9", cid)
    store.add_report(Report("telegram:9", "telegram", "经过", None, False, None, "today", True))
    store.forget("telegram:9")
    assert not store.user("telegram:9").known
    assert store.check_row(cid, "telegram:9") is None
    [rep] = store.reports()
    assert rep["user_key"] is None and rep["consent_contact"] == 0


def test_schema_survives_restart_and_migrations_are_recorded(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    Store(db).set_session("console:1", Session("report", "amount", {"text": "x"}))
    again = Store(db)
    assert again.session("console:1") == Session("report", "amount", {"text": "x"})
    names = [r["name"] for r in again.db.query("select name from _sqlite_migrations")]
    assert names == sorted(names) and len(names) >= 3
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_purge_drops_old_checks_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "f.db")
    old = store.add_check("c:1", "旧", {"level": "none", "evidence": []})
    store.db.execute("UPDATE checks SET created_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", [old])
    new = store.add_check("c:1", "新", {"level": "none", "evidence": []})
    assert store.purge(30) == 1
    assert store.check_row(old, "c:1") is None and store.check_row(new, "c:1") is not None
