"""The dissuasion programme's records: grids and their workers, visit tasks, the reward ledger, the blocklist.

Tasks move open → taken → visited → closed (with an outcome); every step is stamped, so time-to-visit and the
weekly ranking are plain queries. Rewards are ledger rows, one per task and reason, so a repeated button press
never pays twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cases.records import week_of
from cases.store import Store, now

OUTCOMES = ("success", "fail", "unreachable")  # 劝阻成功 / 未成功 / 联系不上


@dataclass(frozen=True)
class Rewards:
    visit: float = 10.0
    success: float = 10.0


# -- grids and workers ------------------------------------------------------------------------------------
def add_grid(store: Store, code: str, name: str) -> None:
    store.write(lambda: store.db["grids"].insert({"code": code, "name": name, "created_at": now()}, replace=True))


def grid(store: Store, code: str) -> dict[str, Any] | None:
    rows = list(store.db.query("SELECT * FROM grids WHERE code = ?", [code]))
    return rows[0] if rows else None


def grids(store: Store) -> list[dict[str, Any]]:
    return list(store.db.query("SELECT * FROM grids ORDER BY code"))


def add_worker(store: Store, code: str, user_key: str, name: str = "") -> None:
    store.write(lambda: store.db["workers"].insert(
        {"user_key": user_key, "grid": code, "name": name, "created_at": now()}, replace=True))


def workers(store: Store, code: str) -> list[str]:
    return [r["user_key"] for r in store.db.query("SELECT user_key FROM workers WHERE grid = ?", [code])]


def worker_grids(store: Store, user_key: str) -> list[str]:
    return [r["grid"] for r in store.db.query("SELECT grid FROM workers WHERE user_key = ?", [user_key])]


# -- tasks ------------------------------------------------------------------------------------------------
def open_task(store: Store, grid_code: str | None, citizen_key: str, level: str, fraud_type: str | None,
              risk: float, gist: str, check_id: int | None = None, report_id: int | None = None) -> int | None:
    """A visit task, unless this citizen already has one open (a second high-risk check adds nothing)."""
    def go() -> int | None:
        if store.db.execute("SELECT 1 FROM tasks WHERE citizen_key = ? AND status IN ('open', 'taken')",
                            [citizen_key]).fetchone():
            return None
        row = {"grid": grid_code, "citizen_key": citizen_key, "check_id": check_id, "report_id": report_id,
               "level": level, "fraud_type": fraud_type, "risk": risk, "gist": store.redact(gist).text[:300],
               "status": "open", "created_at": now()}
        return int(store.db["tasks"].insert(row).last_pk)

    return store.write(go)


def task(store: Store, task_id: int) -> dict[str, Any] | None:
    rows = list(store.db.query("SELECT * FROM tasks WHERE id = ?", [task_id]))
    return rows[0] if rows else None


def take(store: Store, task_id: int, worker_key: str) -> str:
    """'ok', 'taken' (someone else has it), 'forbidden' (not a worker of that grid), 'missing'."""
    def go() -> str:
        t = task(store, task_id)
        if t is None:
            return "missing"
        if t["grid"] not in worker_grids(store, worker_key):
            return "forbidden"
        if t["status"] != "open":
            return "ok" if t["worker_key"] == worker_key else "taken"
        store.db["tasks"].update(task_id, {"status": "taken", "worker_key": worker_key, "taken_at": now()})
        return "ok"

    return store.write(go)


def visited(store: Store, task_id: int, worker_key: str, rewards: Rewards) -> str:
    def go() -> str:
        t = task(store, task_id)
        if t is None or t["worker_key"] != worker_key:
            return "forbidden"
        if t["status"] == "taken":
            store.db["tasks"].update(task_id, {"status": "visited", "visited_at": now()})
            _pay(store, t, worker_key, "visit", rewards.visit)
        return "ok"

    return store.write(go)


def close(store: Store, task_id: int, worker_key: str, outcome: str, rewards: Rewards) -> str:
    if outcome not in OUTCOMES:
        return "bad"

    def go() -> str:
        t = task(store, task_id)
        if t is None or t["worker_key"] != worker_key:
            return "forbidden"
        if t["status"] == "closed":
            return "ok"
        stamp = now()
        store.db["tasks"].update(task_id, {"status": "closed", "outcome": outcome, "closed_at": stamp,
                                           "visited_at": t["visited_at"] or (stamp if outcome != "unreachable"
                                                                             else None)})
        if outcome != "unreachable":
            _pay(store, t, worker_key, "visit", rewards.visit)
        if outcome == "success":
            _pay(store, t, worker_key, "success", rewards.success)
        return "ok"

    return store.write(go)


def _pay(store: Store, t: dict[str, Any], worker_key: str, reason: str, amount: float) -> None:
    stamp = now()
    store.db["ledger"].insert({"task_id": t["id"], "worker_key": worker_key, "grid": t["grid"], "reason": reason,
                               "amount": amount, "week": week_of(stamp), "created_at": stamp}, ignore=True)


def overdue(store: Store, hours: int, at: datetime | None = None) -> list[dict[str, Any]]:
    """Open or taken tasks older than `hours` not escalated yet; marks them escalated."""
    cutoff = ((at or datetime.now(UTC)) - timedelta(hours=hours)).isoformat(timespec="seconds")

    def go() -> list[dict[str, Any]]:
        rows = list(store.db.query("SELECT * FROM tasks WHERE status IN ('open', 'taken') AND created_at < ? "
                                   "AND escalated_at IS NULL ORDER BY id", [cutoff]))
        for r in rows:
            store.db["tasks"].update(r["id"], {"escalated_at": now()})
        return rows

    return store.write(go)


# -- ranking ----------------------------------------------------------------------------------------------
def ranking(store: Store, week: str | None = None) -> list[dict[str, Any]]:
    """Grids ranked for one ISO week: successes, visits, tasks handled, reach, hours to visit, rewards."""
    week = week or week_of(now())
    codes = {g["code"]: g["name"] for g in grids(store)}
    reach = dict(store.db.execute("SELECT grid, COUNT(*) FROM users WHERE grid IS NOT NULL GROUP BY grid").fetchall())
    per: dict[str, dict[str, Any]] = {}
    for t in store.db.query("SELECT * FROM tasks WHERE grid IS NOT NULL"):
        if week_of(t["created_at"]) != week:
            continue
        r = per.setdefault(t["grid"], {"tasks": 0, "handled": 0, "visits": 0, "successes": 0, "hours": []})
        r["tasks"] += 1
        r["handled"] += t["status"] == "closed"
        r["visits"] += bool(t["visited_at"])
        r["successes"] += t["outcome"] == "success"
        if t["visited_at"]:
            dt = datetime.fromisoformat(t["visited_at"]) - datetime.fromisoformat(t["created_at"])
            r["hours"].append(dt.total_seconds() / 3600)
    paid = dict(store.db.execute("SELECT grid, TOTAL(amount) FROM ledger WHERE week = ? GROUP BY grid",
                                 [week]).fetchall())
    out = []
    for code in set(codes) | set(per) | set(reach):
        r = per.get(code, {"tasks": 0, "handled": 0, "visits": 0, "successes": 0, "hours": []})
        hours = sorted(r["hours"])
        out.append({"grid": code, "name": codes.get(code, ""), "reach": reach.get(code, 0), "tasks": r["tasks"],
                    "handled": r["handled"], "visits": r["visits"], "successes": r["successes"],
                    "median_hours_to_visit": round(hours[len(hours) // 2], 1) if hours else None,
                    "rewards": paid.get(code, 0.0)})
    out.sort(key=lambda r: (-r["successes"], -r["visits"], -r["handled"], -r["reach"], r["grid"]))
    return out


# -- blocklist --------------------------------------------------------------------------------------------
def block(store: Store, key: str, kind: str, note: str, by: str) -> None:
    store.write(lambda: store.db["blocklist"].insert(
        {"key": key, "kind": kind, "note": note, "added_by": by, "created_at": now()}, replace=True))


def unblock(store: Store, key: str) -> bool:
    return bool(store.write(lambda: store.db.execute("DELETE FROM blocklist WHERE key = ?", [key]).rowcount))


def blocklist(store: Store) -> frozenset[str]:
    return frozenset(r["key"] for r in store.db.query("SELECT key FROM blocklist"))
