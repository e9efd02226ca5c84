"""Grid workers: their link and QR poster, dissuasion tasks (接单 → 已上门 → outcome), the weekly ranking.

A citizen who asks for help after a high-risk result (or reports money lost and agrees to be contacted) becomes
a task for their grid; the grid's workers get the redacted gist, never the raw message.
"""

from __future__ import annotations

import io
import logging

from cases import programme
from handlers.incoming import Button, Ctx, Reply, rows

log = logging.getLogger(__name__)
OUTCOME_KEYS = {"success": "task_success", "fail": "task_fail", "unreachable": "task_unreachable"}
LEVEL_NAMES = {"high": "高", "medium": "中", "low": "低", "none": "无"}


def rewards(ctx: Ctx) -> programme.Rewards:
    return programme.Rewards(ctx.options.reward_visit, ctx.options.reward_success)


def qr_png(data: str) -> bytes:
    import qrcode

    img = qrcode.make(data, box_size=10, border=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def mylink(ctx: Ctx) -> None:
    codes = programme.worker_grids(ctx.store, ctx.user.user_key)
    if not codes:
        ctx.say(ctx.staff("not_worker"))
        return
    for code in codes:
        g = programme.grid(ctx.store, code) or {"name": code}
        link = f"{ctx.options.link_base}?start=g_{code}"
        ctx.replies.append(Reply(ctx.staff("mylink", name=g["name"], code=code, link=link), image=qr_png(link)))


def ranking(ctx: Ctx, week: str | None = None) -> None:
    if not (ctx.is_admin or programme.worker_grids(ctx.store, ctx.user.user_key)):
        ctx.say(ctx.staff("not_worker"))
        return
    from cases.records import week_of
    from cases.store import now

    week = week or week_of(now())
    table = programme.ranking(ctx.store, week)
    lines = [ctx.staff("ranking_title", week=week)] + [
        ctx.staff("ranking_row", rank=i, **{**r, "name": r["name"] or r["grid"], "rewards": f"{r['rewards']:.0f}"})
        for i, r in enumerate(table[:20], 1)]
    ctx.say("\n".join(lines) if table else ctx.staff("ranking_empty"))


def offer_visit(ctx: Ctx, check_id: int) -> tuple[Button, ...]:
    return (Button(ctx.staff("visit_button"), f"vr:{check_id}"),)


def request_visit(ctx: Ctx, check_id: int) -> None:
    """The citizen agreed to be contacted after a high-risk result: a task for their grid."""
    row = ctx.store.check_row(check_id, ctx.user.user_key) if check_id else None
    level = row["level"] if row else "high"
    gist = row["text"] if row else "居民请求上门帮助"
    create_task(ctx, level, row["fraud_type"] if row else None, float(row["risk"] or 0) if row else 1.0, gist,
                check_id=check_id or None)
    ctx.say(ctx.staff("visit_requested" if ctx.user.grid else "visit_no_grid"))


def create_task(ctx: Ctx, level: str, fraud_type: str | None, risk: float, gist: str,
                check_id: int | None = None, report_id: int | None = None) -> int | None:
    tid = programme.open_task(ctx.store, ctx.user.grid, ctx.user.user_key, level, fraud_type, risk, gist,
                              check_id, report_id)
    if tid is None:
        return None
    t = programme.task(ctx.store, tid)
    assert t is not None
    type_name = ctx.kb.types[fraud_type].name if fraud_type in ctx.kb.types else "未知"
    text = ctx.staff("task_new", id=tid, grid=ctx.user.grid or "-", level=LEVEL_NAMES.get(level, level),
                     type=type_name, gist=t["gist"])
    targets = programme.workers(ctx.store, ctx.user.grid) if ctx.user.grid else []
    for w in targets:
        ctx.notify(w, text, rows(Button(ctx.staff("task_take"), f"tk:take:{tid}")))
    if not targets:
        for a in sorted(ctx.options.admins):
            ctx.notify(a, ctx.staff("task_no_grid", id=tid) + "\n" + text)
    log.info("task %d opened (grid=%s, level=%s, type=%s)", tid, ctx.user.grid, level, fraud_type)
    return tid


def task_button(ctx: Ctx, action: str, tid: int, outcome: str = "") -> None:
    me = ctx.user.user_key
    if action == "take":
        res = programme.take(ctx.store, tid, me)
        if res == "ok":
            ctx.say(ctx.staff("task_taken", id=tid), rows(Button(ctx.staff("task_visit"), f"tk:visit:{tid}")))
        elif res == "taken":
            ctx.say(ctx.staff("task_taken_other", id=tid))
        else:
            ctx.say(ctx.staff("task_forbidden"))
    elif action == "visit":
        if programme.visited(ctx.store, tid, me, rewards(ctx)) != "ok":
            ctx.say(ctx.staff("task_forbidden"))
            return
        ctx.say(ctx.staff("task_visited", id=tid), rows(*[Button(ctx.staff(k), f"tk:out:{tid}:{o}")
                                                          for o, k in OUTCOME_KEYS.items()], per_row=3))
    elif action == "out" and outcome in OUTCOME_KEYS:
        if programme.close(ctx.store, tid, me, outcome, rewards(ctx)) != "ok":
            ctx.say(ctx.staff("task_forbidden"))
            return
        ctx.say(ctx.staff("task_closed", id=tid, outcome=ctx.staff(OUTCOME_KEYS[outcome])))
