"""Case import, summaries and rise detection (cases/), and their command-line contracts."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cases.alerts import poisson_sf, record, scan
from cases.importer import import_cases
from cases.store import Report, Store
from cases.summary import since_cutoff, summarize

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_import_csv_reports_bad_rows_by_line_and_keeps_good_ones(tmp_path: Path) -> None:
    f = tmp_path / "cases.csv"
    f.write_text(
        "text,reported_at,grid,fraud_type,amount_lost\n"
        "对方让我先垫付做刷单，电话13812345678,2026-11-20,QY01,order_brushing,5000\n"
        ",2026-11-20,QY01,,\n"
        "日期不对,昨天,QY01,,\n"
        "类型不对,2026-11-20,QY01,nonsense,\n"
        "金额不对,2026-11-20,QY01,fake_loan,很多\n"
        "\"多行\n文本，冒充公检法\",2026-11-21T09:30:00+08:00,QY02,impersonate_officials,\n",
        encoding="utf-8")
    store = Store(tmp_path / "f.db")
    res = import_cases(store, f)
    assert res.added == 2
    assert [line for line, _ in res.errors] == [3, 4, 5, 6]
    assert "reported_at" in res.errors[1][1] and "fraud_type" in res.errors[2][1]
    rows = store.reports()
    assert "13812345678" not in rows[0]["text"] and rows[0]["amount"] == 5000.0 and rows[0]["money_lost"] == 1
    assert rows[1]["reported_at"] == "2026-11-21T01:30:00+00:00" and rows[1]["week"] == "2026-W47"
    again = import_cases(store, f)
    assert again.added == 0 and again.duplicates == 2  # re-importing adds nothing twice
    assert len(store.reports()) == 2


def test_import_jsonl_classifies_when_type_is_absent(tmp_path: Path) -> None:
    f = _jsonl(tmp_path / "c.jsonl", [
        {"text": "您的账户涉嫌洗钱，请转到安全账户", "reported_at": "2026-11-20", "grid": "QY01"},
        {"text": "刷单", "reported_at": "2026-11-20", "grid": "bad grid!"},
    ])
    (tmp_path / "c.jsonl").write_text(f.read_text(encoding="utf-8") + "not json\n[1,2]\n", encoding="utf-8")
    store = Store(tmp_path / "f.db")
    res = import_cases(store, f, classify=lambda text: "impersonate_officials" if "安全账户" in text else None)
    assert res.added == 1 and [e[0] for e in res.errors] == [2, 3, 4]
    assert store.reports()[0]["fraud_type"] == "impersonate_officials"


def _seed(store: Store) -> None:
    rows = []
    for i in range(40):  # a steady background in three grids over nine weeks
        rows.append({"text": f"刷单先垫付 第{i}单", "reported_at": _iso(7 + i * 1.4), "grid": f"QY0{i % 3 + 1}",
                     "fraud_type": "order_brushing", "amount_lost": 100})
    for i in range(9):  # a rise: brushing in QY02 this week, all with the same scam number
        rows.append({"text": f"群里刷单 第{i}单 联系13900001111", "reported_at": _iso(i * 0.5), "grid": "QY02",
                     "fraud_type": "order_brushing"})
    rows.append({"text": "贷款要解冻金 http://loan-fast.xyz/a", "reported_at": _iso(1), "grid": "QY01",
                 "fraud_type": "fake_loan", "amount_lost": 3000})
    rows.append({"text": "又是这个网址 http://www.loan-fast.xyz/b", "reported_at": _iso(2), "grid": "QY03",
                 "fraud_type": "fake_loan"})
    import_cases(store, _jsonl(Path(store.path + ".jsonl"), rows))


def test_summary_counts_losses_and_repeats(tmp_path: Path) -> None:
    store = Store(tmp_path / "f.db")
    _seed(store)
    store.add_report(Report("telegram:1", "telegram", "自己被骗", "fake_loan", True, 200.0, "today", True,
                            grid="QY01", audience="senior"))
    s = summarize(store.db)
    assert s["total"] == 52 and s["by_type"] == {"order_brushing": 49, "fake_loan": 3}
    assert s["by_grid"]["QY02"] >= 9 and s["by_audience"]["senior"] == 1
    assert s["losses"]["total_amount"] == 40 * 100 + 3000 + 200
    repeated = {(r["kind"], r["value"]): r["cases"] for r in s["repeated"]}
    assert repeated[("域名", "loan-fast.xyz")] == 2
    [(phone, n)] = [(v, c) for (k, v), c in repeated.items() if k == "手机号"]
    assert n == 9 and phone.startswith("*1111#") and "13900001111" not in json.dumps(s)
    only = summarize(store.db, since="5d", grid="QY02")
    assert only["total"] == 9 and set(only["by_grid"]) == {"QY02"}


@pytest.mark.parametrize(("since", "ok"), [("7d", True), ("4w", True), ("24h", True), ("2026-11-01", True),
                                           ("last week", False), ("7x", False)])
def test_since_values(since: str, ok: bool) -> None:
    if ok:
        assert since_cutoff(since, NOW)
    else:
        with pytest.raises(ValueError):
            since_cutoff(since, NOW)


def test_poisson_tail() -> None:
    assert poisson_sf(0, 2.0) == 1.0
    assert math.isclose(poisson_sf(1, 2.0), 1 - math.exp(-2.0))
    assert math.isclose(poisson_sf(3, 1.0), 1 - math.exp(-1) * (1 + 1 + 0.5))
    assert poisson_sf(30, 1.0) < 1e-20


def test_scan_finds_the_real_rise_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "f.db")
    _seed(store)
    rises = scan(store.db, now=NOW)
    assert [(r.fraud_type, r.grid, r.count) for r in rises] == [("order_brushing", "QY02", 9)]
    assert rises[0].p_value < 0.01 and rises[0].baseline > 0
    assert len(store.write(lambda: record(store.db, rises))) == 1
    assert store.write(lambda: record(store.db, scan(store.db, now=NOW))) == []  # the same rise never twice


def test_scan_ignores_steady_counts_and_small_numbers(tmp_path: Path) -> None:
    store = Store(tmp_path / "f.db")
    rows = [{"text": f"贷款诈骗 {i}", "reported_at": _iso(i * 0.7), "grid": "QY01", "fraud_type": "fake_loan"}
            for i in range(90)]  # ten a week, every week
    rows += [{"text": f"新类型 {i}", "reported_at": _iso(i), "grid": "QY09", "fraud_type": "game_trading"}
             for i in range(2)]  # two cases with no history: too few to call a rise
    import_cases(store, _jsonl(tmp_path / "c.jsonl", rows))
    assert scan(store.db, now=NOW) == []


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FANGZHA_DB": str(db)}
    return subprocess.run([sys.executable, "main.py", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def test_cli_contracts(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    now = datetime.now(UTC)
    rows = [{"text": f"刷单垫付 {i}", "reported_at": (now - timedelta(days=10 + i)).isoformat(), "grid": "QY01",
             "fraud_type": "order_brushing"} for i in range(20)]
    rows += [{"text": f"冒充公检法 {i}", "reported_at": (now - timedelta(hours=i * 5)).isoformat(), "grid": "QY07",
              "fraud_type": "impersonate_officials"} for i in range(8)]
    f = _jsonl(tmp_path / "c.jsonl", rows)
    out = _cli("cases", "import", str(f), "--no-classify", db=db)
    assert out.returncode == 0 and "imported 28 case(s)" in out.stdout
    s = json.loads(_cli("cases", "summary", "--json", db=db).stdout)
    assert s["total"] == 28 and s["by_type"] == {"order_brushing": 20, "impersonate_officials": 8}
    assert json.loads(_cli("cases", "summary", "--json", "--since", "7d", db=db).stdout)["total"] == 8
    bad = _cli("cases", "summary", "--since", "last week", db=db)
    assert bad.returncode != 0 and "--since" in bad.stderr
    rises = json.loads(_cli("alerts", "scan", "--json", db=db).stdout)
    assert [(r["fraud_type"], r["grid"], r["count"]) for r in rises] == [("impersonate_officials", "QY07", 8)]
    assert {"baseline", "p_value"} <= set(rises[0]) and rises[0]["new"] is True
    assert json.loads(_cli("alerts", "scan", "--json", db=db).stdout)[0]["new"] is False
