"""A case record (a citizen's report or an imported police record): redacted text plus its marks.

Marks are what admins look for across cases: masked numbers (kept only as salted digests) and link domains
(not personal). They live in `case_marks`, so "seen in more than one case" is one indexed query.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlite_utils import Database

from cases.redact import Redacted, Redactor

_DOMAIN = re.compile(r"(?i)(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,12})(?=[/:?#\s]|$|[^\w.-])")
DOMAIN_KIND = "域名"


def week_of(when: str) -> str:
    d = parse_time(when).date() if when else date.today()
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def parse_time(value: str) -> datetime:
    """ISO date or time; naive times are taken as UTC. Raises ValueError with the value in the message."""
    v = value.strip().replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(v)
    except ValueError:
        raise ValueError(f"reported_at is not an ISO date/time: {value!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def domains_in(text: str) -> list[str]:
    out: list[str] = []
    for m in _DOMAIN.finditer(text):
        d = m.group(1).lower().removeprefix("www.")
        if d not in out and not d.replace(".", "").isdigit():
            out.append(d)
    return out


def redact_with_marks(redactor: Redactor, text: str) -> tuple[str, list[tuple[str, str]]]:
    """The redacted text and its marks. Keep the marks with a text redacted early (a session, a check):
    redacting it again finds nothing, and the repeated-number report would lose it."""
    red = redactor.redact(text)
    return red.text, _marks(red, text)


def _marks(red: Redacted, text: str) -> list[tuple[str, str]]:
    return [(m.kind, f"*{m.last4}#{m.digest}") for m in red.found] + [(DOMAIN_KIND, d) for d in domains_in(text)]


def case_row(redactor: Redactor, text: str, marks: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
             **fields: Any) -> dict[str, Any]:
    """The row to insert: `text` redacted, week and marks derived (plus `marks` carried from an earlier
    redaction); `_marks` is consumed by `insert_case`."""
    red = redactor.redact(text)
    reported_at = fields.get("reported_at") or fields.get("created_at") or datetime.now(UTC).isoformat(
        timespec="seconds")
    all_marks = list(dict.fromkeys([*(tuple(m) for m in marks), *_marks(red, text)]))
    return {**fields, "text": red.text, "reported_at": reported_at, "week": week_of(reported_at),
            "masked": json.dumps([asdict(m) for m in red.found], ensure_ascii=False), "_marks": all_marks}


def dedupe_key(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def insert_case(db: Database, row: dict[str, Any]) -> int | None:
    """Insert one case and its marks (inside the caller's transaction); None when its dedupe_key exists."""
    row = dict(row)
    marks = row.pop("_marks", [])
    if row.get("dedupe_key") and db.execute("SELECT 1 FROM reports WHERE dedupe_key = ?",
                                            [row["dedupe_key"]]).fetchone():
        return None
    cid = int(db["reports"].insert(row).last_pk)
    if marks:
        db["case_marks"].insert_all(({"case_id": cid, "kind": k, "value": v} for k, v in marks), ignore=True)
    return cid
