"""The SQLite store behind the bot: what must survive a restart, and nothing raw.

Every text is redacted before it is written. Writes wait for a lock (busy timeout) and retry; a report that still
cannot be written is spooled to a JSONL file next to the database and written on the next chance, so a locked
database never loses a report.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from cases import migrations
from cases.records import case_row, insert_case, redact_with_marks
from cases.redact import Redacted, Redactor

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_TIMEOUT_MS = 3000
WRITE_ATTEMPTS = 3


class StoreBusy(RuntimeError):
    """The database stayed locked; the caller should say "busy, try again" (nothing half-written)."""


@dataclass
class User:
    user_key: str
    channel: str
    audience: str | None = None
    grid: str | None = None
    subscribed: bool = False
    recent_tips: list[str] = field(default_factory=list)
    known: bool = False  # False: first contact, nothing stored yet
    username: str | None = None


@dataclass
class Session:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    user_key: str | None
    channel: str
    text: str  # raw; redacted by the store
    fraud_type: str | None
    money_lost: bool
    amount: float | None
    occurred: str
    consent_contact: bool
    grid: str | None = None
    audience: str | None = None
    check_id: int | None = None
    source: str = "bot"
    marks: tuple[tuple[str, str], ...] = ()  # from an earlier redaction of `text` (see records.redact_with_marks)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: str | Path = ":memory:", salt: str | None = None) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                               isolation_level=None)
        self.db = Database(conn)
        self._lock = threading.RLock()
        if self.path != ":memory:":
            self.db.enable_wal()
            # WAL + NORMAL: safe against crashes of this process, and no fsync per self-check. Reports are
            # written with FULL (see add_report): they must survive a power cut too.
            self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        migrations.apply(self.db)
        self.redactor = Redactor(salt or self._salt())
        self._spool = Path(self.path + ".pending.jsonl") if self.path != ":memory:" else None
        self.flush_spool()

    # -- plumbing -------------------------------------------------------------------------------------
    def _salt(self) -> str:
        # A per-deployment secret, created once: masked values stay comparable across restarts.
        row = self.db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if row:
            return str(row[0])
        salt = secrets.token_hex(16)
        self.db["meta"].insert({"key": "salt", "value": salt}, replace=True)
        return salt

    def _write(self, fn: Callable[[], T]) -> T:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self._lock, self._tx():
                    return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                log.warning("database locked (attempt %d/%d)", attempt + 1, WRITE_ATTEMPTS)
                time.sleep(0.05 * (attempt + 1))
        raise StoreBusy("database is locked")

    @contextmanager
    def _tx(self) -> Iterator[None]:
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        with self._lock:
            rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    def redact(self, text: str) -> Redacted:
        return self.redactor.redact(text)

    # -- users ----------------------------------------------------------------------------------------
    def user(self, user_key: str) -> User:
        row = self._one("SELECT * FROM users WHERE user_key = ?", (user_key,))
        channel = user_key.split(":", 1)[0]
        if row is None:
            return User(user_key, channel)
        return User(user_key, row["channel"], row["audience"], row["grid"], bool(row["subscribed"]),
                    json.loads(row["recent_tips"] or "[]"), known=True, username=row["username"])

    def user_by_username(self, channel: str, username: str) -> str | None:
        row = self._one("SELECT user_key FROM users WHERE channel = ? AND lower(username) = lower(?)",
                        (channel, username))
        return None if row is None else str(row["user_key"])

    def save_user(self, user: User) -> None:
        row = {"user_key": user.user_key, "channel": user.channel, "audience": user.audience, "grid": user.grid,
               "subscribed": int(user.subscribed), "recent_tips": json.dumps(user.recent_tips[-10:]),
               "username": user.username, "updated_at": now()}

        def go() -> None:
            if self.db["users"].count_where("user_key = ?", [user.user_key]):
                self.db["users"].update(user.user_key, row)
            else:
                self.db["users"].insert({**row, "created_at": now()})

        self._write(go)
        user.known = True

    # -- sessions (an unfinished questionnaire or report) ---------------------------------------------
    def session(self, user_key: str) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE user_key = ?", (user_key,))
        return None if row is None else Session(row["flow"], row["step"], json.loads(row["data"] or "{}"))

    def set_session(self, user_key: str, s: Session) -> None:
        self._write(lambda: self.db["sessions"].insert(
            {"user_key": user_key, "flow": s.flow, "step": s.step, "data": json.dumps(s.data, ensure_ascii=False),
             "updated_at": now()}, replace=True))

    def clear_session(self, user_key: str) -> None:
        self._write(lambda: self.db.execute("DELETE FROM sessions WHERE user_key = ?", [user_key]))

    # -- checks and feedback --------------------------------------------------------------------------
    def add_check(self, user_key: str, text: str, verdict: dict[str, Any], source: str = "text") -> int:
        red, marks = redact_with_marks(self.redactor, text)
        v = dict(verdict)
        v["marks"] = marks
        v["evidence"] = [{**e, "matched": self.redact(e.get("matched", "")).text} for e in v.get("evidence", [])]
        v.pop("entities", None)  # raw numbers and links live there; the redacted text is enough
        v.pop("normalized", None)
        row = {"user_key": user_key, "created_at": now(), "level": v.get("level"), "fraud_type": v.get("fraud_type"),
               "risk": v.get("risk"), "text": red, "verdict": json.dumps(v, ensure_ascii=False), "source": source}
        return int(self._write(lambda: self.db["checks"].insert(row).last_pk))

    def check_row(self, check_id: int, user_key: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM checks WHERE id = ? AND user_key = ?", (check_id, user_key))
        if row is not None:
            row["verdict"] = json.loads(row["verdict"])
        return row

    def add_feedback(self, user_key: str, check_id: int) -> int | None:
        row = self.check_row(check_id, user_key)
        if row is None:
            return None
        fb = {"user_key": user_key, "check_id": check_id, "created_at": now(), "level": row["level"],
              "fraud_type": row["fraud_type"], "text": row["text"], "status": "new"}
        return int(self._write(lambda: self.db["feedback"].insert(fb).last_pk))

    # -- reports --------------------------------------------------------------------------------------
    def _report_row(self, r: Report) -> dict[str, Any]:
        fields = asdict(r)
        fields.pop("text")
        fields.pop("marks")
        fields.update(created_at=now(), money_lost=int(r.money_lost), consent_contact=int(r.consent_contact))
        return case_row(self.redactor, r.text, marks=r.marks, **fields)

    def add_report(self, r: Report) -> int | None:
        """The report's id, or None when the database is locked: then it is spooled and written later."""
        row = self._report_row(r)
        try:
            with self._lock:
                self.db.execute("PRAGMA synchronous = FULL")
                try:
                    rid = int(self._write(lambda: insert_case(self.db, row)) or 0)
                finally:
                    self.db.execute("PRAGMA synchronous = NORMAL")
        except StoreBusy:
            if self._spool is None:
                raise
            with self._lock, self._spool.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            log.warning("report spooled to %s (database locked)", self._spool.name)
            return None
        self.flush_spool()
        return rid

    def flush_spool(self) -> int:
        if self._spool is None or not self._spool.exists():
            return 0
        with self._lock:
            rows = [json.loads(line) for line in self._spool.read_text(encoding="utf-8").splitlines() if line]
            try:
                self._write(lambda: [insert_case(self.db, row) for row in rows])
            except StoreBusy:
                return 0
            self._spool.unlink()
        log.info("wrote %d spooled report(s)", len(rows))
        return len(rows)

    def write(self, fn: Callable[[], T]) -> T:
        """Run `fn` in one write transaction (retried while the database is locked; StoreBusy after that)."""
        return self._write(fn)

    def reports(self, user_key: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if user_key is None:
                return list(self.db.query("SELECT * FROM reports ORDER BY id"))
            return list(self.db.query("SELECT * FROM reports WHERE user_key = ? ORDER BY id", [user_key]))

    # -- numbered choices for channels without buttons ---------------------------------------------------
    def set_choices(self, user_key: str, data: list[str]) -> None:
        self._write(lambda: self.db["channel_buttons"].insert(
            {"user_key": user_key, "buttons": json.dumps(data), "updated_at": now()}, replace=True))

    def choices(self, user_key: str) -> list[str]:
        row = self._one("SELECT buttons FROM channel_buttons WHERE user_key = ?", (user_key,))
        return [] if row is None else list(json.loads(row["buttons"]))

    # -- groups ---------------------------------------------------------------------------------------
    def group(self, chat_key: str) -> dict[str, Any]:
        row = self._one("SELECT * FROM groups WHERE chat_key = ?", (chat_key,))
        return row or {"chat_key": chat_key, "enabled": 1, "introduced": 0}

    def set_group(self, chat_key: str, **values: Any) -> None:
        row = {**self.group(chat_key), **values, "updated_at": now()}
        self._write(lambda: self.db["groups"].insert(row, replace=True))

    # -- privacy --------------------------------------------------------------------------------------
    def forget(self, user_key: str) -> None:
        """Delete everything tied to this person. Their reports stay as anonymous case records (already
        redacted) with the link to them and their consent removed, so the weekly figures do not change."""
        def go() -> None:
            for table in ("users", "sessions", "checks", "feedback", "channel_buttons"):
                self.db.execute(f"DELETE FROM {table} WHERE user_key = ?", [user_key])
            self.db.execute("UPDATE reports SET user_key = NULL, consent_contact = 0 WHERE user_key = ?",
                            [user_key])

        self._write(go)

    def purge(self, days: int) -> int:
        """Drop self-check records and feedback older than `days` days; returns how many went."""
        cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")

        def go() -> int:
            n = self.db.execute("DELETE FROM checks WHERE created_at < ?", [cutoff]).rowcount
            self.db.execute("DELETE FROM feedback WHERE created_at < ?", [cutoff])
            return int(n)

        return self._write(go)
