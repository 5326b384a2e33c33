"""``archiver crawl``: a full crawl of a site into the archive."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from ..crawl.runner import parse_setting_overrides, run_crawl
from ..storage.db import make_engine
from ..storage.summary import archive_counts
from ..warc.verify import count_records

EXAMPLE = "\b\nExample:\n  archiver crawl tarnkappe --base-url http://127.0.0.1:8000 -s CLOSESPIDER_ITEMCOUNT=50"


@click.command(epilog=EXAMPLE)
@click.argument("spider")
@click.option("--base-url", help="Site to crawl (default: the spider's own site, e.g. https://tarnkappe.info).")
@click.option("--db", "db_url", envvar="ARCHIVER_DB_URL",
              help="Database URL [env ARCHIVER_DB_URL; default sqlite:///archive/archive.sqlite3].")
@click.option("--warc-dir", envvar="ARCHIVER_WARC_DIR",
              help="WARC directory [env ARCHIVER_WARC_DIR; default archive/warc].")
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE", help="Scrapy setting (repeatable).")
@click.option("--politeness", type=click.Choice(["auto", "polite", "local"]), default="auto", show_default=True,
              help="auto = polite for remote hosts, no delays for a server on this machine.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout.")
def crawl(spider: str, base_url: str | None, db_url: str | None, warc_dir: str | None, settings: tuple[str, ...],
          politeness: str, as_json: bool) -> int:
    """Crawl SPIDER (tarnkappe or wordpress) and archive every page to WARC and the database."""
    started = time.monotonic()
    result = run_crawl(spider, base_url, db_url, warc_dir, "crawl", politeness, parse_setting_overrides(settings))
    elapsed = time.monotonic() - started
    counts = archive_counts(make_engine(result.db_url, readonly=result.db_url.startswith("sqlite")))
    files = sorted(Path(result.warc_dir).glob("*.warc.gz"))
    summary = {
        "spider": spider, "finish_reason": result.finish_reason, "seconds": round(elapsed, 2),
        "requests": result.stats.get("downloader/request_count", 0),
        "articles_new": result.stats.get("archiver/articles/new", 0),
        "articles_changed": result.stats.get("archiver/articles/changed", 0),
        "articles_unchanged": result.stats.get("archiver/articles/unchanged", 0),
        "extraction_failures": result.stats.get("archiver/extraction_failures", 0),
        "archive": counts, "warc_files": len(files), "warc_records": sum(count_records(f) for f in files),
        "run_id": result.stats.get("archiver/run_id"),
    }
    if as_json:
        click.echo(json.dumps(summary))
    _print_summary(summary)
    failed = result.finish_reason != "finished" or not result.stats.get("downloader/response_count")
    return 1 if failed else 0


def _print_summary(s: dict[str, object]) -> None:
    archive = s["archive"]
    assert isinstance(archive, dict)
    lines = [
        f"crawl {s['spider']}: {s['finish_reason']} in {s['seconds']} s, {s['requests']} requests",
        f"  this run: {s['articles_new']} new, {s['articles_changed']} changed, {s['articles_unchanged']} unchanged "
        f"articles, {s['extraction_failures']} extraction failures",
        f"  archive:  {archive['articles']} articles ({archive['versions']} versions), {archive['authors']} authors, "
        f"{archive['current_credits']} credits, {archive['images']} images, {archive['captures']} captures",
        f"  WARC:     {s['warc_files']} files, {s['warc_records']} records",
    ]
    print("\n".join(lines), file=sys.stderr)
