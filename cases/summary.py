"""`main.py cases summary`: counts by type, grid, audience and week, losses, and repeated numbers/domains.

One indexed pass over the case table for the counts, one GROUP BY over the marks for the repeats.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from cases.records import parse_time

_SINCE = re.compile(r"^(\d+)\s*([hdw])$")
REPEATS_LIMIT = 50
TIME_INDEX = "idx_reports_reported_at_fraud_type_grid"  # created by migration m004


def since_cutoff(since: str | None, now: datetime | None = None) -> str | None:
    """'7d', '4w', '24h' or an ISO date → an ISO cutoff; None → everything. ValueError for anything else."""
    if not since:
        return None
    m = _SINCE.match(since.strip().lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
        return ((now or datetime.now(UTC)) - delta).isoformat(timespec="seconds")
    try:
        return parse_time(since).astimezone(UTC).isoformat(timespec="seconds")
    except ValueError:
        raise ValueError(f"--since wants e.g. 7d, 4w, 24h or a date like 2026-11-01, not {since!r}") from None


def summarize(db: Database, since: str | None = None, grid: str | None = None) -> dict[str, Any]:
    where, params = ["1 = 1"], []
    cutoff = since_cutoff(since)
    if cutoff:
        where.append("reported_at >= ?")
        params.append(cutoff)
    if grid:
        where.append("grid = ?")
        params.append(grid)
    cond = " AND ".join(where)
    by_type: Counter[str] = Counter()
    by_grid: Counter[str] = Counter()
    by_audience: Counter[str] = Counter()
    by_week: dict[str, Counter[str]] = defaultdict(Counter)
    total = 0
    losses = 0.0
    lost_cases = 0
    # With a time window, walk the time index (a week is a small slice of a year); without, the covering
    # summary index. SQLite's planner picks the wide index for both when left alone.
    source = f"reports INDEXED BY {TIME_INDEX}" if cutoff else "reports"
    sql = (f"SELECT fraud_type, grid, audience, week, COUNT(*), SUM(CASE WHEN money_lost THEN 1 ELSE 0 END), "
           f"TOTAL(amount) FROM {source} WHERE {cond} GROUP BY fraud_type, grid, audience, week")
    for ftype, g, aud, week, n, lost, amount in db.execute(sql, params).fetchall():
        t = ftype or "unknown"
        total += n
        by_type[t] += n
        by_grid[g or "none"] += n
        by_audience[aud or "unknown"] += n
        by_week[week or "unknown"][t] += n
        losses += amount
        lost_cases += lost
    if not total:
        repeats: list[dict[str, Any]] = []
    elif cutoff or grid:
        rcond = cond.replace("reported_at", "r.reported_at").replace("grid =", "r.grid =")
        source = f"reports AS r INDEXED BY {TIME_INDEX}" if cutoff else "reports AS r"
        # CROSS JOIN keeps the filtered cases as the outer loop; their marks are found by key prefix.
        repeats = _repeats(db, f"SELECT m.kind, m.value, COUNT(*) AS n FROM {source} "
                               f"CROSS JOIN case_marks m ON m.case_id = r.id WHERE {rcond}", params)
    else:  # (case_id, kind, value) is the key: COUNT(*) per value is the number of cases, from the index alone
        repeats = _repeats(db, "SELECT kind, value, COUNT(*) AS n FROM case_marks", [])
    return {
        "total": total, "since": cutoff, "grid": grid,
        "by_type": dict(by_type.most_common()), "by_grid": dict(by_grid.most_common()),
        "by_audience": dict(by_audience.most_common()),
        "by_week": {w: dict(c.most_common()) for w, c in sorted(by_week.items())},
        "losses": {"cases_with_loss": lost_cases, "total_amount": round(losses, 2)},
        "repeated": repeats,
    }


def _repeats(db: Database, select: str, params: list[Any]) -> list[dict[str, Any]]:
    sql = f"{select} GROUP BY value, kind HAVING n > 1 ORDER BY n DESC, value LIMIT {REPEATS_LIMIT}"
    return [{"kind": k, "value": v, "cases": n} for k, v, n in db.execute(sql, params).fetchall()]
