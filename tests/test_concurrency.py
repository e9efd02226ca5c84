"""The bot takes reports while a police import runs and someone browses the database (as Datasette would):
nothing lost, nothing duplicated, no "database is locked" reaching a citizen."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from cases.importer import import_cases
from cases.store import Store
from handlers.incoming import Incoming

N_IMPORT = 6000
N_REPORTS = 40


def test_reports_during_import_and_reads(make_app: Any, tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    app = make_app(db=str(db))
    src = tmp_path / "police.jsonl"
    src.write_text("".join(json.dumps({"text": f"案情{i} 对方电话1380000{i:04d}", "reported_at": "2026-11-20",
                                       "grid": f"G{i % 7}", "fraud_type": "fake_loan"}, ensure_ascii=False) + "\n"
                           for i in range(N_IMPORT)), encoding="utf-8")
    errors: list[BaseException] = []
    replies: list[str] = []
    stop = threading.Event()

    def importer() -> None:
        try:
            import_cases(Store(db), src)  # its own connection, like a separate `main.py cases import`
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    def reader() -> None:
        conn = sqlite3.connect(db, timeout=5)
        try:
            while not stop.is_set():
                conn.execute("SELECT COUNT(*), TOTAL(amount) FROM reports").fetchone()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            conn.close()

    def citizen(i: int) -> None:
        uid = str(10_000 + i)
        for inc in (Incoming("telegram", uid, command="report"),
                    Incoming("telegram", uid, text=f"第{i}位居民：有人冒充客服让我转账，卡号6217000010012{i:06d}"),
                    # asked only when the engine finds no type; otherwise a stale press that re-asks, harmlessly
                    Incoming("telegram", uid, callback="rq:type:none"),
                    Incoming("telegram", uid, callback="rq:money_lost:no"),
                    Incoming("telegram", uid, callback="rq:occurred:today"),
                    Incoming("telegram", uid, callback="rq:consent:no")):
            for r in app.conversation.handle(inc):
                replies.append(r.text)

    threads = [threading.Thread(target=importer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    lock = threading.Lock()

    def citizens() -> None:
        for i in range(N_REPORTS):
            with lock:  # the bot's conversation runs on one worker thread, as in bot/telegram.py
                citizen(i)

    bot = threading.Thread(target=citizens)
    bot.start()
    bot.join(120)
    threads[0].join(120)
    stop.set()
    threads[1].join(10)
    assert errors == []
    assert not [r for r in replies if "系统有点忙" in r or "出了点问题" in r]
    assert sum("举报编号" in r or "稍后自动登记" in r for r in replies) == N_REPORTS
    store = Store(db)
    store.flush_spool()
    counts = dict(store.db.execute("SELECT source, COUNT(*) FROM reports GROUP BY source").fetchall())
    assert counts == {"import": N_IMPORT, "bot": N_REPORTS}
    assert store.db.execute("SELECT COUNT(DISTINCT text) FROM reports").fetchone()[0] == N_IMPORT + N_REPORTS
