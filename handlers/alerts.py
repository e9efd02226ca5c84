"""Turning rises into messages: admins hear of every new rise at once; subscribers in that grid get a warning
in their audience's words, held back during quiet hours and sent on the next run after them."""

from __future__ import annotations

from datetime import datetime

from cases.alerts import record, scan
from cases.store import Store
from handlers.incoming import Options, Reply
from knowledge_base.loader import KnowledgeBase


def in_quiet_hours(local: datetime, spec: str) -> bool:
    """`spec` like "22-7": from 22:00 to 06:59 local time. Empty: never quiet."""
    if not spec.strip():
        return False
    start, _, end = spec.partition("-")
    a, b = int(start), int(end)
    h = local.hour
    return (a <= h or h < b) if a > b else (a <= h < b)


def run(store: Store, kb: KnowledgeBase, options: Options, quiet: bool, now: datetime | None = None) -> list[Reply]:
    rises = scan(store.db, now=now)
    new = store.write(lambda: record(store.db, rises))
    out: list[Reply] = []
    for _, r in new:
        t = kb.types.get(r.fraud_type)
        text = kb.messages.staff["alert_admin"].format(grid=r.grid, type=t.name if t else r.fraud_type, count=r.count,
                                                       baseline=f"{r.baseline:.1f}")
        out += [Reply(text, chat_id=a) for a in sorted(options.admins) if not a.startswith("console:")]
    if quiet:
        return out
    pending = list(store.db.query("SELECT * FROM alerts WHERE notified = 0 ORDER BY id"))
    for a in pending:
        t = kb.types.get(a["fraud_type"])
        for u in store.db.query("SELECT user_key, audience FROM users WHERE subscribed = 1 AND grid = ?", [a["grid"]]):
            aud = u["audience"] or "general"
            advice = (getattr(t.advice, aud, None) or t.advice.general)[0] if t else ""
            out.append(Reply(kb.messages.alert_warning[aud].format(type=t.name if t else a["fraud_type"],
                                                                  advice=advice), chat_id=u["user_key"]))
        store.write(lambda a=a: store.db["alerts"].update(a["id"], {"notified": 1}))
    return out
