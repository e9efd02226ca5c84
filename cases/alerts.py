"""`main.py alerts scan`: a real rise of one fraud type in one grid, not "more than yesterday".

For each (type, grid) the cases of the last `window_days` are compared with the weekly rate of the
`baseline_weeks` before them. Under "nothing changed" the count is Poisson with that rate; a rise is a count of
at least `min_count` whose upper-tail probability is below `alpha`. The baseline rate has a floor, so a grid
with no history does not alert on its first two cases.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from cases.records import week_of


@dataclass(frozen=True)
class Rise:
    fraud_type: str
    grid: str
    count: int
    baseline: float  # expected cases in the window under the baseline rate
    p_value: float
    week: str  # ISO week of the window's end: the key that keeps one rise to one alert

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam). The far tail is summed directly (1 − CDF would round to 0 or 1e-16)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0

    def pmf(i: int) -> float:
        return math.exp(i * math.log(lam) - lam - math.lgamma(i + 1))

    if k > lam:
        total, i = 0.0, k
        while True:
            term = pmf(i)
            total += term
            if term < total * 1e-17 or i > k + 10_000:
                return min(1.0, total)
            i += 1
    return max(0.0, 1.0 - sum(pmf(i) for i in range(k)))


def scan(db: Database, now: datetime | None = None, window_days: int = 7, baseline_weeks: int = 8,
         min_count: int = 3, alpha: float = 0.01, rate_floor: float = 0.5) -> list[Rise]:
    now = now or datetime.now(UTC)
    start = now - timedelta(days=window_days)
    base_start = start - timedelta(weeks=baseline_weeks)
    q = ("SELECT fraud_type, grid, COUNT(*) FROM reports WHERE reported_at >= ? AND reported_at < ? "
         "AND fraud_type IS NOT NULL AND grid IS NOT NULL GROUP BY fraud_type, grid")
    iso = lambda t: t.isoformat(timespec="seconds")  # noqa: E731
    recent = {(t, g): n for t, g, n in db.execute(q.replace("reported_at < ?", "reported_at <= ?"),
                                                  [iso(start), iso(now)]).fetchall()}
    if not recent:
        return []
    past = {(t, g): n for t, g, n in db.execute(q, [iso(base_start), iso(start)]).fetchall()}
    per_window = window_days / 7.0
    rises: list[Rise] = []
    week = week_of(iso(now))
    for (t, g), n in recent.items():
        if n < min_count:
            continue
        expected = max(past.get((t, g), 0) / baseline_weeks, rate_floor) * per_window
        p = poisson_sf(n, expected)
        if p < alpha:
            rises.append(Rise(t, g, n, round(expected, 3), p, week))
    rises.sort(key=lambda r: (r.p_value, -r.count))
    return rises


def record(db: Database, rises: list[Rise]) -> list[tuple[int, Rise]]:
    """Store the rises that are new (type, grid, week); returns them with their alert ids."""
    new: list[tuple[int, Rise]] = []
    for r in rises:
        if db.execute("SELECT 1 FROM alerts WHERE fraud_type = ? AND grid = ? AND week = ?",
                      [r.fraud_type, r.grid, r.week]).fetchone():
            continue
        row = {**r.to_dict(), "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
        new.append((int(db["alerts"].insert(row).last_pk), r))
    return new
