"""``archiver crawl`` (full crawl) and ``archiver update`` (incremental run for scheduled jobs)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..exceptions import ConfigurationError
from ..locations import resolve_db_url, resolve_warc_dir

if TYPE_CHECKING:
    from ..crawl.runner import CrawlResult

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

EXAMPLES = {
    "crawl": "\b\nExamples:\n  archiver crawl tarnkappe --base-url http://127.0.0.1:8000 -s CLOSESPIDER_ITEMCOUNT=50\n"
             "  archiver crawl tarnkappe --distributed --redis-url redis://127.0.0.1:6379/0 "
             "--db postgresql+psycopg://archiver@db/archive   (same command on every worker)",
    "update": "\b\nExample (hourly, from cron or a systemd timer):\n  archiver update tarnkappe --json",
}
EXIT_HELP = ("\b\nExit codes: 0 ok · 1 crawl failed (nothing fetched, not finished, error rate) · 2 usage · "
             "3 quality gate failed · 75 another run holds the lock")


def run_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("spider"),
        click.option("--base-url", help="Site to crawl (default: the spider's own site, e.g. https://tarnkappe.info)."),
        click.option("--db", "db_url", envvar="ARCHIVER_DB_URL",
                     help="Database: a URL (sqlite:///FILE, postgresql+psycopg://user@host/db) or a SQLite file "
                          "path [env ARCHIVER_DB_URL; default archive/archive.sqlite3]."),
        click.option("--warc-dir", envvar="ARCHIVER_WARC_DIR",
                     help="WARC directory [env ARCHIVER_WARC_DIR; default archive/warc]."),
        click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE",
                     help="Scrapy setting (repeatable)."),
        click.option("--politeness", type=click.Choice(["auto", "polite", "local"]), default="auto",
                     show_default=True, help="auto = polite for remote hosts, no delays for a server on this machine."),
        click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout."),
        click.option("--distributed", is_flag=True,
                     help="Be one worker of a distributed run (scrapy-redis): start the run or join it."),
        click.option("--redis-url", envvar="ARCHIVER_REDIS_URL",
                     help="Redis of the distributed run [env ARCHIVER_REDIS_URL], e.g. redis://127.0.0.1:6379/0."),
        click.option("--worker-id", help="Name of this worker (WARC prefix, captures.worker) [default: HOST-PID]."),
        click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's INFO log (same as --log-level INFO)."),
        click.option("--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False),
                     help="Scrapy's log level [default WARNING: the summary and warnings only]."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.command(epilog=EXAMPLES["crawl"] + "\n" + EXIT_HELP)
@run_options
def crawl(**options: Any) -> int:
    """Full crawl of SPIDER (tarnkappe or wordpress): archive every page to WARC and the database."""
    return _run("crawl", **options)


@click.command(epilog=EXAMPLES["update"] + "\n" + EXIT_HELP)
@run_options
def update(**options: Any) -> int:
    """Incremental run: fetch only new, changed and due-for-recheck articles (conditional requests)."""
    return _run("update", **options)


def _run(mode: str, spider: str, base_url: str | None, db_url: str | None, warc_dir: str | None,
         settings: tuple[str, ...], politeness: str, as_json: bool, distributed: bool, redis_url: str | None,
         worker_id: str | None, verbose: bool, log_level: str | None) -> int:
    # The crawler's libraries load here, not when the CLI starts: `--help` and the research commands stay fast.
    from ..crawl.distributed.coordinator import connect
    from ..crawl.distributed.worker import default_worker_id
    from ..crawl.lock import archive_lock
    from ..crawl.runner import parse_setting_overrides, run_crawl
    from ..warc.writer import safe_name_part

    started = time.monotonic()
    overrides = parse_setting_overrides(settings)
    if sys.stderr.isatty():
        overrides.setdefault("ARCHIVER_PROGRESS", "True")
    # The summary is the report; Scrapy's INFO log (a hundred lines a run) only when asked. -s LOG_LEVEL wins.
    overrides.setdefault("LOG_LEVEL", (log_level or ("INFO" if verbose else "WARNING")).upper())
    directory = resolve_warc_dir(warc_dir)
    worker: str | None = None
    if distributed:
        if not redis_url:
            raise ConfigurationError("--distributed needs --redis-url (or ARCHIVER_REDIS_URL)")
        connect(redis_url).close()  # one clear line and exit 2 before any work when Redis is not usable
        worker = safe_name_part(worker_id or default_worker_id())
        overrides |= {"ARCHIVER_REDIS_URL": redis_url, "ARCHIVER_WORKER_ID": worker}
    elif worker_id:
        raise ConfigurationError("--worker-id only applies to --distributed runs")
    # Workers share the WARC directory (each writes its own files) and the database lock of their run.
    with archive_lock(directory, resolve_db_url(db_url), f"archiver {mode} {spider}", worker=worker):
        result = run_crawl(spider, base_url, db_url, directory, mode, politeness, overrides)
    summary = _summary(result, time.monotonic() - started)
    code, reason = _exit_code(result)
    summary["exit_code"], summary["exit_reason"] = code, reason
    if as_json:
        click.echo(json.dumps(summary))
    _print_summary(summary)
    return code


def _summary(result: CrawlResult, elapsed: float) -> dict[str, Any]:
    from ..storage.db import make_engine
    from ..storage.summary import archive_counts, newest_publication

    stats = result.stats
    engine = make_engine(result.db_url, readonly=True)
    counts = archive_counts(engine)
    newest = newest_publication(engine)
    engine.dispose()
    files = sorted(Path(result.warc_dir).glob("*.warc.gz"))
    return {
        "spider": result.spider, "mode": stats.get("archiver/run_mode", "crawl"),
        "finish_reason": result.finish_reason, "seconds": round(elapsed, 2),
        "requests": stats.get("downloader/request_count", 0), "responses": stats.get("downloader/response_count", 0),
        "articles_new": stats.get("archiver/articles/new", 0),
        "articles_changed": stats.get("archiver/articles/changed", 0),
        "articles_unchanged": stats.get("archiver/articles/unchanged", 0),
        "articles_not_modified": stats.get("archiver/articles/not_modified", 0),
        "articles_removed": stats.get("archiver/articles/removed", 0),
        "articles_restored": stats.get("archiver/articles/restored", 0),
        "extraction_failures": stats.get("archiver/extraction_failures", 0),
        "failed_requests": stats.get("downloader/exception_count", 0),
        "robots_blocked": stats.get("robotstxt/forbidden", 0),
        "unsafe_refused": stats.get("archiver/unsafe_refused", 0),
        "warc_run_files": stats.get("archiver/warc/files", 0), "warc_run_bytes": stats.get("archiver/warc/bytes", 0),
        # The archive's files by name and size only: reading them would cost the whole archive on every run.
        "archive": counts, "warc_files": len(files), "warc_bytes": sum(f.stat().st_size for f in files),
        "warc_run_records": stats.get("archiver/warc/run_records", 0),
        "newest_publication": newest.isoformat() if newest else None, "run_id": stats.get("archiver/run_id"),
        "distributed_run": stats.get("archiver/distributed/run"),
        "reclaimed_requests": stats.get("archiver/distributed/reclaimed", 0),
        "queue_peak": stats.get("archiver/queue/peak", 0),
        "run_responses": stats.get("archiver/distributed/run_responses", stats.get("downloader/response_count", 0)),
        # Share of this run's new and changed articles that have each field (the drift alarm's measure).
        "fill_rates": {key.removeprefix("archiver/fill_rate/"): value for key, value in stats.items()
                       if key.startswith("archiver/fill_rate/")},
    }


def _exit_code(result: CrawlResult) -> tuple[int, str]:
    """The verdict the quality gates recorded when the spider closed (archiver.crawl.gates)."""
    stats = result.stats
    if "archiver/verdict/code" not in stats:  # the crawl ended before its spider closed
        return 1, f"run ended with {result.finish_reason}"
    return int(stats["archiver/verdict/code"]), str(stats["archiver/verdict/reason"])


def _print_summary(s: dict[str, Any]) -> None:
    archive = s["archive"]
    lines = [
        f"{s['mode']} {s['spider']}: {s['finish_reason']} in {s['seconds']} s, {s['requests']} requests "
        f"(exit {s['exit_code']}: {s['exit_reason']})",
        f"  this run: {s['articles_new']} new, {s['articles_changed']} changed, {s['articles_unchanged']} unchanged, "
        f"{s['articles_not_modified']} not modified, {s['articles_removed']} removed, {s['articles_restored']} "
        f"restored articles, {s['extraction_failures']} extraction failures, "
        f"{s['failed_requests']} failed requests, {s['robots_blocked']} blocked by robots.txt, "
        f"{s['unsafe_refused']} unsafe targets refused",
        f"  archive:  {archive['articles']} articles ({archive['versions']} versions), {archive['authors']} authors, "
        f"{archive['current_credits']} credits, {archive['images']} images, {archive['captures']} captures",
        f"  WARC:     {s['warc_files']} files, {s['warc_bytes']} bytes "
        f"({s['warc_run_files']} files, {s['warc_run_records']} records, {s['warc_run_bytes']} bytes this run)",
    ]
    if s["fill_rates"]:
        lines.append("  fields:   " + ", ".join(f"{name} {rate:.0%}" for name, rate in s["fill_rates"].items())
                     + " of this run's new and changed articles")
    print("\n".join(lines), file=sys.stderr)


__all__ = ["crawl", "update"]
