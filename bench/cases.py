"""Case data at scale: import 100,000 cases, then `cases summary` and `alerts scan` over 1,000,000.

  python -m bench.cases [--import-rows 100000] [--total 1000000]

The texts are synthetic (numbers and links vary so redaction and marks do real work); the extra rows beyond the
import are bulk-inserted already redacted, as a year of reports would be.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.tables import table
from cases.alerts import scan
from cases.importer import import_cases
from cases.records import week_of
from cases.store import Store
from cases.summary import summarize
from knowledge_base.schema import TYPE_IDS

TEMPLATES = ("对方自称客服，说快递丢了要理赔，让我下载会议软件，电话{phone}",
             "刷单群里让先垫付，返佣金，转到卡号{card}", "冒充公安说我涉嫌洗钱，让转到安全账户 {card}",
             "贷款要先交解冻金，网址 http://{domain}/app，客服{phone}", "网友带我投资，平台提不了现，QQ:{qq}")


def _rows(n: int, now: datetime, rng: random.Random):  # type: ignore[no-untyped-def]
    for i in range(n):
        text = rng.choice(TEMPLATES).format(
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}", card=f"62{rng.randrange(10**17):017d}",
            domain=f"d{rng.randrange(500)}.xyz", qq=rng.randrange(10**5, 10**9)) + f" #{i}"
        yield {"text": text, "reported_at": (now - timedelta(minutes=rng.randrange(26 * 7 * 24 * 60))).isoformat(),
               "grid": f"G{rng.randrange(60):03d}", "fraud_type": rng.choice(TYPE_IDS),
               "amount_lost": rng.choice(("", "", "500", "12000"))}


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--import-rows", type=int, default=100_000)
    ap.add_argument("--total", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    rng = random.Random(11)
    now = datetime.now(UTC)
    results: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "cases.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for row in _rows(args.import_rows, now, rng):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        store = Store(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        res = import_cases(store, src)
        dt = time.perf_counter() - t0
        results.append([f"import {res.added:,} cases (redact, marks, dedupe)", f"{dt:.1f} s",
                        f"{res.added / dt:,.0f} rows/s"])
        t0 = time.perf_counter()
        res2 = import_cases(store, src)
        results.append([f"re-import the same file ({res2.duplicates:,} duplicates)",
                        f"{time.perf_counter() - t0:.1f} s", "0 added" if res2.added == 0 else f"{res2.added} added!"])
        extra = args.total - args.import_rows
        batch: list[dict] = []
        marks: list[dict] = []
        next_id = int(store.db.execute("SELECT MAX(id) FROM reports").fetchone()[0]) + 1
        for i in range(extra):
            at = (now - timedelta(minutes=rng.randrange(52 * 7 * 24 * 60))).isoformat(timespec="seconds")
            batch.append({"id": next_id + i, "channel": "import", "source": "import", "text": f"[已打码的案情 {i}]",
                          "fraud_type": rng.choice(TYPE_IDS), "grid": f"G{rng.randrange(60):03d}",
                          "audience": rng.choice(("senior", "parent", "student", None)), "reported_at": at,
                          "created_at": at, "week": week_of(at), "money_lost": 0, "consent_contact": 0})
            marks.append({"case_id": next_id + i, "kind": "手机号", "value": f"*{rng.randrange(10**4):04d}#x"})
            if len(batch) >= 50_000 or i == extra - 1:
                store.write(lambda b=batch, m=marks: (store.db["reports"].insert_all(b, batch_size=5000),
                                                      store.db["case_marks"].insert_all(m, batch_size=5000,
                                                                                        ignore=True)))
                batch, marks = [], []
        store.db.execute("ANALYZE")
        total = store.db.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        for label, fn, target in (
            ("cases summary (all)", lambda: summarize(store.db), 1.0),
            ("cases summary --since 7d", lambda: summarize(store.db, "7d"), 1.0),
            ("cases summary --grid G007", lambda: summarize(store.db, None, "G007"), 1.0),
            ("alerts scan", lambda: scan(store.db), 2.0),
        ):
            dt = timed(fn)
            results.append([f"{label} over {total:,} cases", f"{dt:.2f} s",
                            f"target ≤ {target:g} s: {'ok' if dt <= target else 'MISSED'}"])
    print(table(["case data", "time", "note"], results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
