"""Commands for the anti-fraud team. Every one refuses anyone not listed in FANGZHA_ADMINS."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from cases import programme
from cases.store import Session
from cases.summary import summarize
from classifiers.blocklist import key_of
from handlers.chart import weekly_chart
from handlers.incoming import Button, Ctx, rows
from knowledge_base.loader import load_kb
from knowledge_base.schema import AUDIENCES, TYPE_IDS

ADMIN_COMMANDS = frozenset({"reload", "stats", "review", "block", "unblock", "blocklist", "grid", "broadcast"})
REVIEW_N = 8
MAX_KB_FILE = 2_000_000


def handle(ctx: Ctx, cmd: str) -> None:
    if not ctx.is_admin:
        ctx.say(ctx.staff("not_admin"))
        return
    args = ctx.inc.args.strip()
    {"reload": reload, "stats": stats, "review": review, "block": block, "unblock": unblock,
     "blocklist": show_blocklist, "grid": grid, "broadcast": broadcast}[cmd](ctx, args)


def reload(ctx: Ctx, _: str = "") -> None:
    res = ctx.checker.reload()  # type: ignore[attr-defined]
    if res.ok:
        kb = ctx.kb
        n_sig = sum(len(t.signals.keywords) + len(t.signals.phrases) + len(t.signals.sequences)
                    + len(t.signals.exemplars) for t in kb.types.values())
        ctx.say(ctx.staff("reload_ok", types=len(kb.types), signals=n_sig))
    else:
        ctx.say("\n".join([ctx.staff("reload_bad", n=len(res.errors))] + [f"· {e}" for e in res.errors[:20]]))


def stats(ctx: Ctx, args: str) -> None:
    since = args or "7d"
    try:
        s = summarize(ctx.store.db, since)
    except ValueError as exc:
        ctx.say(str(exc))
        return
    if not s["total"]:
        ctx.say(ctx.staff("stats_empty"))
        return
    names = {t: ctx.kb.types[t].name if t in ctx.kb.types else t for t in s["by_type"]}
    lines = [ctx.staff("stats_title", since=since, total=s["total"], losses=f"{s['losses']['total_amount']:,.0f}"),
             "", ctx.staff("stats_types")] + [f"· {names[t]}：{n}" for t, n in list(s["by_type"].items())[:8]]
    lines += ["", ctx.staff("stats_grids")] + [f"· {g}：{n}" for g, n in list(s["by_grid"].items())[:8]]
    if s["repeated"]:
        lines += ["", ctx.staff("stats_repeats")] + [f"· {r['kind']} {r['value']}（{r['cases']} 起）"
                                                      for r in s["repeated"][:8]]
    weeks = summarize(ctx.store.db, "8w")["by_week"]
    ctx.say("\n".join(lines))
    png = weekly_chart(weeks)
    if png:
        ctx.replies[-1] = type(ctx.replies[-1])(ctx.replies[-1].text, ctx.replies[-1].buttons, None, png)


def _queue_uncertain(ctx: Ctx) -> None:
    """Self-checks the engine was unsure about (low level) join the review queue, so they can be labelled too."""
    def go() -> None:
        for c in ctx.store.db.query("SELECT * FROM checks WHERE level = 'low' AND source != 'scenario' AND id NOT IN "
                                    "(SELECT check_id FROM feedback WHERE check_id IS NOT NULL) "
                                    "ORDER BY id DESC LIMIT ?", [REVIEW_N]):
            ctx.store.db["feedback"].insert({
                "user_key": c["user_key"], "check_id": c["id"], "created_at": c["created_at"], "level": c["level"],
                "fraud_type": c["fraud_type"], "text": c["text"], "status": "uncertain"})

    ctx.store.write(go)


def review(ctx: Ctx, _: str = "") -> None:
    _queue_uncertain(ctx)
    items = list(ctx.store.db.query("SELECT * FROM feedback WHERE label IS NULL ORDER BY id DESC LIMIT ?",
                                    [REVIEW_N]))
    if not items:
        ctx.say(ctx.staff("review_empty"))
        return
    ctx.say(ctx.staff("review_title", n=len(items)))
    for f in items:
        why = "不确定" if f["status"] == "uncertain" else "判断不对"
        text = f"#{f['id']}（{why}）判为 {f['level']} {f['fraud_type'] or ''}\n{(f['text'] or '')[:300]}"
        ctx.say(text, rows(Button(ctx.staff("review_fraud"), f"rv:{f['id']}:fraud"),
                           Button(ctx.staff("review_benign"), f"rv:{f['id']}:benign")))


def label_feedback(ctx: Ctx, fid: int, label: str) -> None:
    if not ctx.is_admin:
        ctx.say(ctx.staff("not_admin"))
        return
    if label not in ("fraud", "benign"):
        return
    ctx.store.write(lambda: ctx.store.db["feedback"].update(fid, {"label": label, "labeled_by": ctx.user.user_key,
                                                                  "status": "labeled"}))
    ctx.say(ctx.staff("review_done", id=fid, label=ctx.staff("review_fraud" if label == "fraud" else "review_benign")))


def _refresh_blocklist(ctx: Ctx) -> None:
    ctx.checker.set_blocklist(programme.blocklist(ctx.store))  # type: ignore[attr-defined]


def block(ctx: Ctx, args: str) -> None:
    value, _, note = args.partition(" ")
    if not value:
        ctx.say(ctx.staff("block_usage"))
        return
    key = key_of(value)
    kind = "number" if key.isdigit() else ("domain" if "." in key else "account")
    programme.block(ctx.store, key, kind, note.strip(), ctx.user.user_key)
    _refresh_blocklist(ctx)
    ctx.say(ctx.staff("blocked", key=key))


def unblock(ctx: Ctx, args: str) -> None:
    if not args:
        ctx.say(ctx.staff("block_usage"))
        return
    key = key_of(args.split()[0])
    done = programme.unblock(ctx.store, key)
    _refresh_blocklist(ctx)
    ctx.say(ctx.staff("unblocked" if done else "not_blocked", key=key))


def show_blocklist(ctx: Ctx, _: str = "") -> None:
    items = list(ctx.store.db.query("SELECT * FROM blocklist ORDER BY created_at DESC LIMIT 50"))
    ctx.say("\n".join([ctx.staff("blocklist_title", n=len(items))] + [f"· {b['key']} {b['note'] or ''}"
                                                                      for b in items]))


def grid(ctx: Ctx, args: str) -> None:
    parts = args.split()
    if len(parts) >= 3 and parts[0] == "add":
        code, name = parts[1], " ".join(parts[2:])
        programme.add_grid(ctx.store, code, name)
        ctx.say(ctx.staff("grid_added", code=code, name=name))
    elif len(parts) == 3 and parts[0] == "worker":
        code, user = parts[1], parts[2].lstrip("@")
        if programme.grid(ctx.store, code) is None:
            ctx.say(ctx.staff("grid_unknown", code=code))
            return
        if ":" in user or user.isdigit():
            user_key = user if ":" in user else f"{ctx.inc.channel}:{user}"
        else:  # @username: known once that person has written to the bot
            found = ctx.store.user_by_username(ctx.inc.channel, user)
            if found is None:
                ctx.say(ctx.staff("worker_unknown", user=user))
                return
            user_key = found
        programme.add_worker(ctx.store, code, user_key)
        ctx.say(ctx.staff("worker_added", user=user_key, code=code))
    elif parts[:1] == ["list"]:
        gs = programme.grids(ctx.store)
        ctx.say("\n".join(f"· {g['code']} {g['name']}（网格员 {len(programme.workers(ctx.store, g['code']))} 人）"
                          for g in gs) or ctx.staff("grid_list_empty"))
    else:
        ctx.say(ctx.staff("grid_usage"))


def _audience_filter(args: str) -> tuple[str | None, str | None, str]:
    grid_code = audience = None
    words = args.split(" ")
    while words and "=" in words[0]:
        k, _, v = words.pop(0).partition("=")
        if k == "grid":
            grid_code = v
        elif k == "audience" and v in AUDIENCES:
            audience = v
    return grid_code, audience, " ".join(words).strip()


def subscribers(ctx: Ctx, grid_code: str | None, audience: str | None) -> list[str]:
    sql = "SELECT user_key FROM users WHERE subscribed = 1"
    params: list[str] = []
    if grid_code:
        sql += " AND grid = ?"
        params.append(grid_code)
    if audience:
        sql += " AND audience = ?"
        params.append(audience)
    return [r["user_key"] for r in ctx.store.db.query(sql, params)]


def broadcast(ctx: Ctx, args: str) -> None:
    grid_code, audience, text = _audience_filter(args)
    if not text:
        ctx.say(ctx.staff("broadcast_usage"))
        return
    n = len(subscribers(ctx, grid_code, audience))
    if not n:
        ctx.say(ctx.staff("broadcast_none"))
        return
    ctx.store.set_session(ctx.user.user_key, Session("broadcast", "confirm",
                                                     {"grid": grid_code, "audience": audience, "text": text}))
    ctx.say(ctx.staff("broadcast_preview", n=n, text=text),
            rows(Button(ctx.staff("confirm"), "bc:yes"), Button(ctx.staff("cancel"), "bc:no")))


def broadcast_confirm(ctx: Ctx, yes: bool) -> None:
    if not ctx.is_admin:
        ctx.say(ctx.staff("not_admin"))
        return
    s = ctx.store.session(ctx.user.user_key)
    ctx.store.clear_session(ctx.user.user_key)
    if s is None or s.flow != "broadcast" or not yes:
        ctx.say(ctx.staff("broadcast_cancelled"))
        return
    targets = subscribers(ctx, s.data.get("grid"), s.data.get("audience"))
    for key in targets:
        ctx.notify(key, str(s.data["text"]))
    ctx.say(ctx.staff("broadcast_sent", n=len(targets)))


def replace_kb_file(ctx: Ctx, name: str, data: bytes) -> None:
    """An admin sends `<type_id>.yaml`: validated on a copy of the KB, then swapped in atomically."""
    if not ctx.is_admin:
        ctx.say(ctx.staff("not_admin"))
        return
    stem = Path(name).name.removesuffix(".yaml").removesuffix(".yml")
    if stem not in TYPE_IDS or len(data) > MAX_KB_FILE:
        ctx.say(ctx.staff("kb_file_name"))
        return
    kb_dir = ctx.checker.kb_dir  # type: ignore[attr-defined]
    target = kb_dir / "patterns" / f"{stem}.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / "kb"
        shutil.copytree(kb_dir, trial, ignore=shutil.ignore_patterns(".history", "__pycache__", "training"))
        (trial / "patterns" / f"{stem}.yaml").write_bytes(data)
        errors = load_kb(trial).errors
    if errors:
        ctx.say("\n".join([ctx.staff("kb_file_bad", file=f"{stem}.yaml", n=len(errors))]
                          + [f"· {e}" for e in errors[:20]]))
        return
    history = kb_dir / "patterns" / ".history"
    history.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    backup = history / f"{stem}.{stamp}.yaml"
    shutil.copy2(target, backup)
    tmp_file = target.with_suffix(".yaml.new")
    tmp_file.write_bytes(data)
    os.replace(tmp_file, target)  # atomic on one filesystem: readers see the old file or the new one
    res = ctx.checker.reload()  # type: ignore[attr-defined]
    if not res.ok:  # cannot happen after the trial load, unless another file changed meanwhile: roll back
        os.replace(backup, target)
        ctx.checker.reload()  # type: ignore[attr-defined]
        ctx.say("\n".join([ctx.staff("kb_file_bad", file=f"{stem}.yaml", n=len(res.errors))]
                          + [f"· {e}" for e in res.errors[:20]]))
        return
    ctx.say(ctx.staff("kb_file_ok", file=f"{stem}.yaml"))
