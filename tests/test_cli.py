"""The command-line contracts other tools depend on: check, check --jsonl, eval, kb validate/test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from main import cli

ROOT = Path(__file__).resolve().parent.parent
SCAM = "您的快递丢失，我是客服，给您三倍理赔，请下载腾讯会议开启屏幕共享，把验证码发给我"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_check_prints_a_citizen_reply(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["check", SCAM, "--audience", "senior"])
    assert r.exit_code == 0, r.output
    assert "高风险" in r.output or "中风险" in r.output
    assert "冒充电商物流客服" in r.output
    assert "您该怎么做" in r.output  # senior wording


def test_check_audience_changes_the_wording(runner: CliRunner) -> None:
    senior = runner.invoke(cli, ["check", SCAM, "--audience", "senior"]).output
    student = runner.invoke(cli, ["check", SCAM, "--audience", "student"]).output
    assert senior != student


def test_check_json(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["check", SCAM, "--json"])
    d = json.loads(r.output)
    assert d["is_fraud"] is True and d["fraud_type"] == "fake_customer_service"
    assert 0 <= d["risk"] <= 1 and d["level"] in ("medium", "high")
    assert d["evidence"] and {"rule_id", "kind", "matched", "weight"} <= set(d["evidence"][0])


def test_check_empty_text_is_a_clear_error(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["check", "   "])
    assert r.exit_code == 1
    assert "粘贴" in r.output


def test_jsonl_batch_keeps_order_and_survives_bad_lines(runner: CliRunner) -> None:
    lines = [
        json.dumps({"id": "a", "text": SCAM}, ensure_ascii=False),
        "this is not json",
        json.dumps({"id": "b"}),
        json.dumps(["not", "an", "object"]),
        "",
        json.dumps({"id": 7, "text": "【丰巢】您的取件码是 12345678，请及时取件"}, ensure_ascii=False),
    ]
    r = runner.invoke(cli, ["check", "--jsonl"], input="\n".join(lines) + "\n")
    assert r.exit_code == 0, r.output
    out = [json.loads(x) for x in r.output.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "b", None, 7]
    assert out[0]["is_fraud"] is True and out[0]["fraud_type"] == "fake_customer_service"
    for key in ("id", "is_fraud", "risk", "level", "fraud_type", "is_propaganda", "evidence"):
        assert key in out[0] and key in out[4]
    assert "error" in out[1] and "error" in out[2] and "error" in out[3]
    assert out[4]["is_fraud"] is False and out[4]["fraud_type"] is None


def test_eval_prints_figures_per_slice(tmp_path: Path, runner: CliRunner) -> None:
    rows = [
        {"id": "1", "text": SCAM, "label": "fraud", "type": "fake_customer_service", "source": "team", "origin": "x"},
        {"id": "2", "text": "晚上一起吃饭吗？", "label": "benign", "type": None, "source": "team", "origin": "y"},
        {"id": "3", "text": "先交保证金才能放款，交了就到账", "label": "fraud", "type": "fake_loan", "source": "t2"},
    ]
    f = tmp_path / "mini.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    r = runner.invoke(cli, ["eval", str(f), "--json"])
    d = json.loads(r.output)
    assert d["overall"]["n"] == 3 and d["overall"]["fpr"] == 0.0
    assert set(d["by_source"]) == {"team", "t2"} and set(d["by_origin"]) == {"x", "y"}
    human = runner.invoke(cli, ["eval", str(f)]).output
    for word in ("recall", "precision", "fpr", "f1", "type_acc", "by source", "by origin"):
        assert word in human


def test_kb_validate_ok_and_failing(tmp_path: Path, runner: CliRunner, kb_copy: Path) -> None:
    assert runner.invoke(cli, ["kb", "validate"]).exit_code == 0
    f = kb_copy / "patterns" / "fake_loan.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("weight:", "weight: x #", 1), encoding="utf-8")
    r = runner.invoke(cli, ["kb", "validate", "--kb-dir", str(kb_copy)])
    assert r.exit_code == 1
    assert "patterns/fake_loan.yaml:" in r.output


def test_kb_test_reports_failures(kb_copy: Path, runner: CliRunner) -> None:
    f = kb_copy / "patterns" / "prize_lottery.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("  miss:\n", "  miss:\n    - \"先交三千元保证金才能放款，今天必须转到指定账户\"\n", 1),
                 encoding="utf-8")
    r = runner.invoke(cli, ["kb", "test", "--type", "prize_lottery", "--kb-dir", str(kb_copy), "--no-model"])
    assert r.exit_code == 1
    assert "FAIL patterns/prize_lottery.yaml miss[0]" in r.output


def test_main_py_runs_as_a_script() -> None:
    r = subprocess.run([sys.executable, "main.py", "check", "--json", "--no-model", "先垫付再返佣金，刷单日结"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["is_fraud"] is True
