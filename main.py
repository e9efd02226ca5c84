"""fangzha command line: check messages, evaluate on a corpus, validate/test/train the knowledge base."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click

from bot import config
from classifiers.engine import Detector, Engine, KBLoadError, build_engine
from classifiers.model import DEFAULT_SEED
from classifiers.verdict import Verdict
from knowledge_base.loader import load_kb
from knowledge_base.schema import AUDIENCES

EXIT_KB_ERROR = 2


def _kb_errors_exit(exc: KBLoadError) -> NoReturn:
    click.echo(f"知识库有错误，无法启动（{len(exc.errors)} 处）：", err=True)
    for e in exc.errors:
        click.echo(f"  {e}", err=True)
    sys.exit(EXIT_KB_ERROR)


def _engine(kb_dir: Path, model_dir: Path | None) -> Engine:
    try:
        return build_engine(kb_dir, model_dir)
    except KBLoadError as exc:
        _kb_errors_exit(exc)


def _app(db: Path | None, use_model: bool = True) -> tuple[dict[str, str], Any]:
    """Settings (with --db applied) and the bot's App; a bad KB or setting ends the command with a message."""
    from bot.app import build_app

    settings = dict(config.load())
    if db is not None:
        settings["FANGZHA_DB"] = str(db)
    try:
        return settings, build_app(settings, use_model=use_model)
    except KBLoadError as exc:
        _kb_errors_exit(exc)
    except ValueError as exc:
        click.echo(f"配置错误 / bad setting: {exc}", err=True)
        sys.exit(EXIT_KB_ERROR)


def _verdict_json(v: Verdict, id_: Any = None, with_id: bool = False) -> dict[str, Any]:
    d = v.to_dict()
    out: dict[str, Any] = {"id": id_} if with_id else {}
    out.update({
        "is_fraud": d["is_fraud"], "risk": d["risk"], "level": d["level"], "fraud_type": d["fraud_type"],
        "is_propaganda": d["is_propaganda"], "truncated": d["truncated"], "types": d["types"][:5],
        "evidence": [{k: e[k] for k in ("rule_id", "kind", "matched", "weight", "start", "end")}
                     for e in d["evidence"]],
        "entities": d["entities"],
    })
    return out


def _setting(name: str):  # type: ignore[no-untyped-def]
    return lambda: Path(config.load()[name])


kb_dir_option = click.option("--kb-dir", type=click.Path(path_type=Path), default=_setting("FANGZHA_KB_DIR"),
                             help="knowledge base directory [FANGZHA_KB_DIR]")
model_option = click.option("--model-dir", type=click.Path(path_type=Path), default=_setting("FANGZHA_MODEL_DIR"),
                            help="trained model directory; rules only when absent [FANGZHA_MODEL_DIR]")
no_model_option = click.option("--no-model", is_flag=True, help="rules only: ignore the trained model")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """防诈自查助手 fangzha."""
    level = config.load()["FANGZHA_LOG_LEVEL"].upper()
    logging.basicConfig(level=getattr(logging, level, logging.WARNING), format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite file [FANGZHA_DB]")
@no_model_option
def run(db: Path | None, no_model: bool) -> None:
    """Run the bot: Telegram polling when TELEGRAM_BOT_TOKEN is set, otherwise a chat in this terminal."""

    settings, app = _app(db, use_model=not no_model)
    token = settings["TELEGRAM_BOT_TOKEN"]
    if token:
        from telegram import Update

        from bot.telegram import build_application

        _reload_on_sighup(app.detector)
        click.echo(f"fangzha: Telegram polling via {settings['TELEGRAM_BASE_URL']} (Ctrl-C to stop; "
                   f"`kill -HUP {os.getpid()}` reloads the knowledge base)", err=True)
        build_application(app, token, settings["TELEGRAM_BASE_URL"]).run_polling(allowed_updates=Update.ALL_TYPES)
        return
    from bot.console import Console

    sys.exit(Console(app).run())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None, help="SQLite file [FANGZHA_DB]")
def serve(host: str, port: int, db: Path | None) -> None:
    """One web server: the self-check page (/), /api/check, /healthz, /wechat, and /telegram (webhook)."""
    import secrets

    import uvicorn

    from bot.web import WebServer

    settings, app = _app(db)
    telegram = None
    secret = settings["TELEGRAM_WEBHOOK_SECRET"] or secrets.token_urlsafe(24)
    if settings["TELEGRAM_BOT_TOKEN"] and settings["TELEGRAM_WEBHOOK_URL"]:
        from bot.telegram import build_application

        telegram = build_application(app, settings["TELEGRAM_BOT_TOKEN"], settings["TELEGRAM_BASE_URL"],
                                     webhook=True)
    _reload_on_sighup(app.detector)
    web = WebServer(app, settings, telegram, secret)
    click.echo(f"fangzha: serving on http://{host}:{port} (/, /api/check, /healthz"
               f"{', /wechat' if settings['WECHAT_TOKEN'] else ''}{', /telegram' if telegram else ''})", err=True)
    uvicorn.run(web.asgi(), host=host, port=port, log_level="warning", proxy_headers=True)


def _reload_on_sighup(detector: Detector) -> None:
    """`kill -HUP <pid>` reloads the YAML patterns; a broken edit is refused and the last good KB stays."""
    import signal

    def reload(*_: object) -> None:
        res = detector.reload()
        if res.ok:
            logging.getLogger("fangzha").warning("knowledge base reloaded")
        else:
            logging.getLogger("fangzha").error("knowledge base NOT reloaded (%d errors): %s", len(res.errors),
                                               "; ".join(map(str, res.errors[:5])))

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)


@cli.command()
@click.argument("text", required=False)
@click.option("--audience", type=click.Choice(AUDIENCES), default="general", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the verdict as JSON")
@click.option("--jsonl", is_flag=True, help="batch: JSON lines with id and text on stdin, one result per line")
@kb_dir_option
@model_option
@no_model_option
def check(text: str | None, audience: str, as_json: bool, jsonl: bool, kb_dir: Path, model_dir: Path,
          no_model: bool) -> None:
    """Check one message (TEXT, or stdin when omitted), or a JSONL batch with --jsonl."""
    engine = _engine(kb_dir, None if no_model else model_dir)
    if jsonl:
        _check_jsonl(engine)
        return
    if text is None:
        text = sys.stdin.buffer.read().decode("utf-8", "replace")
    if not text.strip():
        click.echo("请把可疑的短信、聊天内容粘贴进来，我帮你看看。", err=True)
        sys.exit(1)
    verdict = engine.check(text)
    if as_json:
        click.echo(json.dumps(_verdict_json(verdict), ensure_ascii=False, indent=1))
    else:
        from handlers.check import render

        click.echo(render(verdict, engine.kb, audience))


def _check_jsonl(engine: Engine) -> None:
    out = sys.stdout
    for lineno, raw in enumerate(sys.stdin.buffer, 1):
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            res: dict[str, Any] = {"id": None, "line": lineno, "error": f"invalid JSON: {exc.msg}"}
        else:
            if not isinstance(row, dict):
                res = {"id": None, "line": lineno, "error": "each line must be a JSON object"}
            elif not isinstance(row.get("text"), str):
                res = {"id": row.get("id"), "line": lineno, "error": "missing or non-string 'text'"}
            else:
                res = _verdict_json(engine.check(row["text"]), row.get("id"), with_id=True)
        out.write(json.dumps(res, ensure_ascii=False) + "\n")
    out.flush()


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print all figures as JSON")
@click.option("--limit", type=int, default=0, help="only the first N rows")
@kb_dir_option
@model_option
@no_model_option
def evaluate(file: Path, as_json: bool, limit: int, kb_dir: Path, model_dir: Path, no_model: bool) -> None:
    """Recall, precision, FPR, F1 and type accuracy on a labelled JSONL corpus, overall and per slice."""
    from tqdm import tqdm

    from classifiers.evaluation import Evaluation

    engine = _engine(kb_dir, None if no_model else model_dir)
    rows = []
    with file.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    click.echo(f"{file}:{lineno}: invalid JSON, skipped", err=True)
            if limit and len(rows) >= limit:
                break
    ev = Evaluation()
    t0 = time.perf_counter()
    for row in tqdm(rows, disable=not sys.stderr.isatty(), unit="msg", desc="eval"):
        v = engine.check(str(row.get("text", "")))
        ev.add(row, v.is_fraud, v.fraud_type)
    elapsed = time.perf_counter() - t0
    result = ev.to_dict()
    result["seconds"] = round(elapsed, 2)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    from bench.tables import metrics_table

    click.echo(f"{file.name}: {len(rows)} rows in {elapsed:.1f}s "
               f"({len(rows) / max(elapsed, 1e-9):.0f} msg/s), model={'off' if engine.model is None else 'on'}")
    for title, key in (("overall", None), ("by type", "by_type"), ("by source", "by_source"),
                       ("by origin", "by_origin"), ("by channel", "by_channel")):
        data = {"all": result["overall"]} if key is None else result[key]
        click.echo(f"\n== {title} ==")
        click.echo(metrics_table(data))


@cli.group()
def kb() -> None:
    """Validate, test and train the knowledge base."""


@kb.command()
@kb_dir_option
@model_option
def validate(kb_dir: Path, model_dir: Path) -> None:
    """Check every YAML file against the schema; print all errors with file and line."""
    res = load_kb(kb_dir, with_training=True)
    if res.errors:
        for e in res.errors:
            click.echo(str(e))
        click.echo(f"\n{len(res.errors)} 处错误 / error(s) in {kb_dir}", err=True)
        sys.exit(1)
    assert res.kb is not None
    kbv = res.kb
    n_sig = sum(len(t.signals.keywords) + len(t.signals.phrases) + len(t.signals.sequences)
                + len(t.signals.exemplars) for t in kbv.types.values())
    click.echo(f"OK: {len(kbv.types)} types, {n_sig} type signals, fingerprint {kbv.fingerprint}")
    from classifiers.model import META_FILE

    meta = model_dir / META_FILE
    if meta.exists():
        from knowledge_base.examples import examples_fingerprint

        trained = json.loads(meta.read_text(encoding="utf-8")).get("examples_fingerprint")
        if trained != examples_fingerprint(kbv):
            click.echo("注意：examples changed since the model was trained — run `python main.py kb train`.")


@kb.command("test")
@click.option("--type", "type_id", default=None, help="only this type's examples")
@click.option("-v", "--verbose", is_flag=True, help="show the evidence of each failure")
@kb_dir_option
@model_option
@no_model_option
def kb_test(type_id: str | None, verbose: bool, kb_dir: Path, model_dir: Path, no_model: bool) -> None:
    """Run every example in the KB; print each failure; exit non-zero when any fails."""
    from knowledge_base.examples import iter_examples

    engine = _engine(kb_dir, None if no_model else model_dir)
    failures = total = 0
    for ex in iter_examples(engine.kb):
        if type_id and not ex.file.endswith(f"/{type_id}.yaml"):
            continue
        total += 1
        v = engine.check(ex.text)
        if ex.expect_type is None:
            ok, got = not v.is_fraud, f"{v.level} {v.fraud_type}"
            want = "not flagged"
        else:
            ok, got = v.is_fraud and v.fraud_type == ex.expect_type, f"{v.level} {v.fraud_type}"
            want = f"flagged as {ex.expect_type}"
        if not ok:
            failures += 1
            click.echo(f"FAIL {ex.file} {'hit' if ex.expect_type else 'miss'}[{ex.index}]: want {want}, "
                       f"got {got} (risk {v.risk:.2f}): {ex.text[:80]}")
            if verbose:
                for e in v.evidence[:8]:
                    click.echo(f"      {e.weight:+.2f} {e.rule_id} [{e.kind}] {e.matched[:30]}")
    click.echo(f"{total - failures}/{total} examples pass, {failures} fail")
    sys.exit(1 if failures else 0)


@kb.command()
@kb_dir_option
@click.option("--out", type=click.Path(path_type=Path), default=_setting("FANGZHA_MODEL_DIR"),
              help="where to save the model [FANGZHA_MODEL_DIR]")
@click.option("--epochs", type=int, default=12, show_default=True)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="training seed; figures move by about ±1 point between seeds, so compare runs on one seed")
def train(kb_dir: Path, out: Path, epochs: int, seed: int) -> None:
    """Rebuild the learned layer from the KB's own examples (never from third-party data)."""
    from classifiers.model import train as train_model
    from classifiers.normalize import Normalizer
    from knowledge_base.examples import examples_fingerprint, training_set

    res = load_kb(kb_dir, with_training=True)
    if res.kb is None:
        for e in res.errors:
            click.echo(str(e), err=True)
        sys.exit(EXIT_KB_ERROR)
    norm = Normalizer(res.kb.context.variants)
    data = [(norm(ex.text).text, ex.label) for ex in training_set(res.kb)]
    click.echo(f"training on {len(data)} KB examples …")

    def progress(step: int, n: int, what: str) -> None:
        click.echo(f"  [{step}/{n}] {what}")

    t0 = time.perf_counter()
    train_model(data, out, examples_fingerprint(res.kb), epochs=epochs, seed=seed, progress=progress)
    click.echo(f"saved to {out} in {time.perf_counter() - t0:.1f}s")



from bot.cases_cli import (  # noqa: E402  (registered last: they are subcommands)
    alerts_group,
    cases_group,
    ranking_cmd,
    review_export_cmd,
)

cli.add_command(cases_group)
cli.add_command(alerts_group)
cli.add_command(ranking_cmd)
kb.add_command(review_export_cmd)

if __name__ == "__main__":
    cli()
