"""The schema as an append-only list of migrations. Never edit or reorder one that has shipped: add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("fangzha")


@migrations()
def m001_users_and_sessions(db: Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["users"].create({
        "user_key": str, "channel": str, "audience": str, "grid": str, "subscribed": int,
        "recent_tips": str, "created_at": str, "updated_at": str,
    }, pk="user_key", not_null={"channel"}, defaults={"subscribed": 0, "recent_tips": "[]"})
    db["sessions"].create({"user_key": str, "flow": str, "step": str, "data": str, "updated_at": str},
                          pk="user_key")


@migrations()
def m002_checks_feedback_reports(db: Database) -> None:
    db["checks"].create({
        "id": int, "user_key": str, "created_at": str, "level": str, "fraud_type": str, "risk": float,
        "text": str, "verdict": str, "source": str,
    }, pk="id")
    db["checks"].create_index(["user_key"])
    db["checks"].create_index(["created_at"])
    db["feedback"].create({
        "id": int, "user_key": str, "check_id": int, "created_at": str, "level": str, "fraud_type": str,
        "text": str, "status": str,
    }, pk="id", defaults={"status": "new"})
    db["reports"].create({
        "id": int, "user_key": str, "channel": str, "created_at": str, "text": str, "fraud_type": str,
        "money_lost": int, "amount": float, "occurred": str, "consent_contact": int, "grid": str,
        "audience": str, "check_id": int, "source": str, "masked": str,
    }, pk="id", defaults={"source": "bot"})
    db["reports"].create_index(["created_at"])
    db["reports"].create_index(["grid"])


@migrations()
def m003_groups(db: Database) -> None:
    db["groups"].create({"chat_key": str, "enabled": int, "introduced": int, "updated_at": str}, pk="chat_key",
                        defaults={"enabled": 1, "introduced": 0})


@migrations()
def m004_cases(db: Database) -> None:
    """Reports double as the case records of the programme: police records are imported into the same table."""
    t = db["reports"]
    t.add_column("reported_at", str)
    t.add_column("week", str)  # ISO week of reported_at ("2026-W48"): summaries group by it without date maths
    t.add_column("dedupe_key", str)
    db.execute("UPDATE reports SET reported_at = created_at WHERE reported_at IS NULL")
    t.create_index(["dedupe_key"], unique=True, if_not_exists=True)
    t.create_index(["reported_at", "fraud_type", "grid"], if_not_exists=True)
    t.create_index(["week", "fraud_type", "grid"], if_not_exists=True)
    # Masked numbers and plain domains per case: "seen in more than one case" is one indexed GROUP BY.
    db["case_marks"].create({"case_id": int, "kind": str, "value": str}, pk=("case_id", "kind", "value"))
    db["case_marks"].create_index(["value", "kind"])


@migrations()
def m005_alerts(db: Database) -> None:
    db["alerts"].create({
        "id": int, "fraud_type": str, "grid": str, "week": str, "count": int, "baseline": float,
        "p_value": float, "created_at": str, "notified": int,
    }, pk="id", defaults={"notified": 0})
    # One alert per rise: the same type, grid and week never alert twice.
    db["alerts"].create_index(["fraud_type", "grid", "week"], unique=True)


@migrations()
def m006_summary_index(db: Database) -> None:
    # Covers the summary's one GROUP BY in its own order: an index scan, no sort, no table reads.
    db["reports"].create_index(["fraud_type", "grid", "audience", "week", "money_lost", "amount"],
                               index_name="idx_reports_summary", if_not_exists=True)


@migrations()
def m007_programme(db: Database) -> None:
    db["blocklist"].create({"key": str, "kind": str, "note": str, "added_by": str, "created_at": str}, pk="key")
    db["grids"].create({"code": str, "name": str, "created_at": str}, pk="code")
    db["workers"].create({"user_key": str, "grid": str, "name": str, "created_at": str}, pk=("user_key", "grid"))
    db["workers"].create_index(["grid"])
    db["tasks"].create({
        "id": int, "grid": str, "citizen_key": str, "check_id": int, "report_id": int, "level": str,
        "fraud_type": str, "risk": float, "gist": str, "status": str, "worker_key": str, "outcome": str,
        "created_at": str, "taken_at": str, "visited_at": str, "closed_at": str, "escalated_at": str,
    }, pk="id", defaults={"status": "open"})
    db["tasks"].create_index(["grid", "status"])
    db["tasks"].create_index(["created_at"])
    db["ledger"].create({"id": int, "task_id": int, "worker_key": str, "grid": str, "reason": str,
                         "amount": float, "week": str, "created_at": str}, pk="id")
    db["ledger"].create_index(["week", "grid"])
    db["ledger"].create_index(["task_id", "reason"], unique=True)  # one reward per task and reason
    db["feedback"].add_column("label", str)
    db["feedback"].add_column("labeled_by", str)
    db["users"].create_index(["grid"])


@migrations()
def m008_usernames(db: Database) -> None:
    db["users"].add_column("username", str)  # lets admins name a worker as @username
    db["users"].create_index(["username"])


@migrations()
def m009_channel_buttons(db: Database) -> None:
    # Channels without inline buttons (WeChat passive replies) show numbered choices; the numbers' meaning
    # must survive a restart between the bot's reply and the citizen's answer.
    db["channel_buttons"].create({"user_key": str, "buttons": str, "updated_at": str}, pk="user_key")


def apply(db: Database) -> list[str]:
    """Apply pending migrations; returns their names."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
