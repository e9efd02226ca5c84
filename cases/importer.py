"""`main.py cases import FILE`: police records (CSV or JSONL) into the case table.

Each row: `text` (required), `reported_at` (ISO date/time, required), `grid`, `fraud_type` (a type id; the
engine classifies when absent), `amount_lost`. A bad row is reported with its line number and skipped; good
rows are kept. A row already imported (same text, time and grid) is not added again.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from cases.records import case_row, dedupe_key, insert_case, parse_time
from cases.store import Store
from knowledge_base.schema import TYPE_IDS

MAX_TEXT = 20_000
BATCH = 2_000
GRID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass
class ImportResult:
    added: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.added + self.duplicates + len(self.errors)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row) or (line number, error message). CSV by header; JSONL one object per line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield 0, "the file is not UTF-8 (save it as UTF-8 and import again)"
        return
    first = text.lstrip()[:1]
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson") or first == "{":
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, f"invalid JSON ({exc.msg})"
                continue
            yield (lineno, obj) if isinstance(obj, dict) else (lineno, "each line must be a JSON object")
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        yield 1, "CSV header must include a 'text' column"
        return
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def validate(row: dict[str, Any], classify: Callable[[str], str | None] | None) -> dict[str, Any] | str:
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        return "missing or empty 'text'"
    if len(text) > MAX_TEXT:
        return f"'text' longer than {MAX_TEXT} characters"
    when = str(row.get("reported_at") or "").strip()
    if not when:
        return "missing 'reported_at'"
    try:
        reported_at = parse_time(when).astimezone(UTC).isoformat(timespec="seconds")  # comparable as text
    except ValueError as exc:
        return str(exc)
    grid = str(row.get("grid") or "").strip() or None
    if grid is not None and not GRID.match(grid):
        return f"grid {grid!r} is not a code (letters, digits, - and _)"
    fraud_type = str(row.get("fraud_type") or "").strip() or None
    if fraud_type is not None and fraud_type not in TYPE_IDS:
        return f"unknown fraud_type {fraud_type!r}"
    if fraud_type is None and classify is not None:
        fraud_type = classify(text)
    amount_raw = row.get("amount_lost")
    amount: float | None = None
    if amount_raw not in (None, ""):
        try:
            amount = float(str(amount_raw).replace(",", ""))
        except ValueError:
            return f"amount_lost {amount_raw!r} is not a number"
        if amount < 0:
            return "amount_lost is negative"
    return {"text": text.strip(), "reported_at": reported_at, "grid": grid, "fraud_type": fraud_type,
            "amount": amount, "money_lost": int(bool(amount)), "source": "import", "channel": "import",
            "consent_contact": 0, "occurred": reported_at[:10]}


def import_cases(store: Store, path: Path, classify: Callable[[str], str | None] | None = None,
                 progress: Callable[[int], None] | None = None) -> ImportResult:
    res = ImportResult()
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return

        def go() -> None:
            for row in batch:
                if insert_case(store.db, row) is None:
                    res.duplicates += 1
                else:
                    res.added += 1

        store.write(go)
        if progress:
            progress(len(batch))
        batch.clear()

    for lineno, item in read_rows(path):
        checked = validate(item, classify) if isinstance(item, dict) else item
        if isinstance(checked, str):
            res.errors.append((lineno, checked))
            if progress:
                progress(1)
            continue
        key = dedupe_key(checked["text"], checked["reported_at"], checked["grid"] or "")
        batch.append(case_row(store.redactor, checked.pop("text"), dedupe_key=key, created_at=checked["reported_at"],
                              **checked))
        if len(batch) >= BATCH:
            flush()
    flush()
    return res
