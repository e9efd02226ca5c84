"""Command line for the case data: `cases import`, `cases summary`, `alerts scan` (registered by main.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot import config
from cases.store import Store

db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                         help="SQLite file [FANGZHA_DB]")


def _store(db: Path | None) -> Store:
    return Store(db or config.load()["FANGZHA_DB"])


@click.group("cases")
def cases_group() -> None:
    """Reported cases: import police records, summarise."""


@cases_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option("--no-classify", is_flag=True, help="leave fraud_type empty when the file has none")
def import_cmd(file: Path, db: Path | None, no_classify: bool) -> None:
    """Import cases from CSV or JSONL (text, reported_at, grid, fraud_type, amount_lost)."""
    from tqdm import tqdm

    from cases.importer import import_cases

    store = _store(db)
    classify = None
    if not no_classify:
        from classifiers.engine import build_engine

        settings = config.load()
        engine = build_engine(settings["FANGZHA_KB_DIR"], settings["FANGZHA_MODEL_DIR"])
        classify = lambda text: engine.check(text).fraud_type  # noqa: E731
    lines = sum(1 for _ in file.open("rb"))
    with tqdm(total=lines, unit="row", disable=not sys.stderr.isatty(), desc="import") as bar:
        res = import_cases(store, file, classify, bar.update)
    for lineno, msg in res.errors[:200]:
        click.echo(f"{file.name}:{lineno}: {msg} — skipped", err=True)
    if len(res.errors) > 200:
        click.echo(f"… and {len(res.errors) - 200} more bad rows", err=True)
    click.echo(f"imported {res.added} case(s); {res.duplicates} already present; {len(res.errors)} bad row(s)")
    if res.errors and not res.added and not res.duplicates:
        sys.exit(1)


@cases_group.command("summary")
@click.option("--since", default=None, help="e.g. 7d, 4w, 24h or 2026-11-01")
@click.option("--grid", default=None, help="one grid code")
@click.option("--json", "as_json", is_flag=True)
@db_option
def summary_cmd(since: str | None, grid: str | None, as_json: bool, db: Path | None) -> None:
    """Counts by type, grid, audience and week; losses; numbers and domains seen in more than one case."""
    from cases.summary import summarize

    try:
        s = summarize(_store(db).db, since, grid)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=1))
        return
    from bench.tables import table

    click.echo(f"cases: {s['total']}" + (f" since {s['since']}" if s["since"] else "") +
               (f" in grid {grid}" if grid else ""))
    for title, key in (("by type", "by_type"), ("by grid", "by_grid"), ("by audience", "by_audience")):
        click.echo(f"\n== {title} ==\n" + table([key.removeprefix("by_"), "cases"], list(s[key].items())))
    weeks = s["by_week"]
    click.echo("\n== by week ==\n" + table(["week", "cases", "top type"], [
        [w, sum(c.values()), max(c, key=c.get)] for w, c in weeks.items()]))
    loss = s["losses"]
    click.echo(f"\nlosses: {loss['cases_with_loss']} case(s), ¥{loss['total_amount']:,.2f}")
    if s["repeated"]:
        click.echo("\n== seen in more than one case (blocklist candidates) ==\n" + table(
            ["kind", "value (numbers as salted digest)", "cases"],
            [[r["kind"], r["value"], r["cases"]] for r in s["repeated"]]))


@click.group("alerts")
def alerts_group() -> None:
    """Rises of one fraud type in one grid."""


@alerts_group.command("scan")
@click.option("--json", "as_json", is_flag=True)
@click.option("--window-days", type=int, default=7, show_default=True)
@click.option("--baseline-weeks", type=int, default=8, show_default=True)
@click.option("--min-count", type=int, default=3, show_default=True)
@db_option
def scan_cmd(as_json: bool, window_days: int, baseline_weeks: int, min_count: int, db: Path | None) -> None:
    """Compare recent counts with their baseline (Poisson test) and record new alerts."""
    from cases.alerts import record, scan

    store = _store(db)
    rises = scan(store.db, window_days=window_days, baseline_weeks=baseline_weeks, min_count=min_count)
    new = {r for _, r in store.write(lambda: record(store.db, rises))}
    if as_json:
        click.echo(json.dumps([{**r.to_dict(), "new": r in new} for r in rises], ensure_ascii=False, indent=1))
        return
    if not rises:
        click.echo("no rises")
        return
    from bench.tables import table

    click.echo(table(["type", "grid", "cases", "expected", "p", "new alert"],
                     [[r.fraud_type, r.grid, r.count, r.baseline, f"{r.p_value:.2e}", "yes" if r in new else ""]
                      for r in rises]))


@click.command("ranking")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W48 (default: this week)")
@click.option("--json", "as_json", is_flag=True)
@db_option
def ranking_cmd(week: str | None, as_json: bool, db: Path | None) -> None:
    """Grids ranked by successful dissuasions, visits, tasks handled, reach and time to visit."""
    import re

    from cases.programme import ranking

    if week and not re.match(r"^\d{4}-W\d{2}$", week):
        raise click.BadParameter("use the ISO week form 2026-W48", param_hint="--week")
    rows = ranking(_store(db), week)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from bench.tables import table

    click.echo(table(["#", "grid", "name", "successes", "visits", "handled", "tasks", "reach", "h to visit", "¥"],
                     [[i, r["grid"], r["name"], r["successes"], r["visits"], r["handled"], r["tasks"], r["reach"],
                       r["median_hours_to_visit"] if r["median_hours_to_visit"] is not None else "-",
                       f"{r['rewards']:.0f}"] for i, r in enumerate(rows, 1)]) if rows else "no data this week")


@click.command("review-export")
@db_option
def review_export_cmd(db: Path | None) -> None:
    """Print the feedback admins labelled in /review as KB examples (YAML) to paste into a pattern file."""
    import yaml

    store = _store(db)
    hits, misses = [], []
    for f in store.db.query("SELECT * FROM feedback WHERE label IS NOT NULL ORDER BY id"):
        (hits if f["label"] == "fraud" else misses).append(f["text"])
    click.echo("# labelled in /review; numbers are masked. Put hits under the right type's examples.hit,")
    click.echo("# misses under shared/benign.yaml examples.miss, then run: python main.py kb test")
    click.echo(yaml.safe_dump({"examples": {"hit": hits, "miss": misses}}, allow_unicode=True, sort_keys=False))
