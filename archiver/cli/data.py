"""``archiver extract``, ``archiver db upgrade`` and ``archiver export``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..exceptions import ConfigurationError, ExtractionError
from .options import DB_OPTION, archive_engine
from .selection import FORMATS, article_filter, export_rows, filter_options

# The choices, written out so that `--help` need not import the extractor or SQLAlchemy;
# tests/test_cli.py holds them equal to archiver.pages.LAYOUTS and archiver.storage.exporters.TABLES.
LAYOUT_NAMES = ("tk-theme", "hueman", "wordpress", "fallback")
TABLE_NAMES = ("articles", "authors", "article_authors", "categories", "tags", "images", "credits", "links")


@click.command(epilog="\b\nExample:\n  archiver extract saved-page.html --url https://tarnkappe.info/artikel/x-1.html")
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--url", help="The page's URL (for a file; resolves relative links).")
@click.option("--layout", type=click.Choice(["auto", *LAYOUT_NAMES]), default="auto", show_default=True)
@click.option("--html/--no-html", "with_html", default=True, show_default=True, help="Include the body HTML.")
def extract(source: str, url: str | None, layout: str, with_html: bool) -> int:
    """Extract one article page (a saved file, - for stdin, or an http(s) URL) and print the item as JSON.

    A URL is fetched once and not archived; use 'archiver crawl' to archive pages.
    """
    from ..pages import Page
    from ..pages import extract as extract_page

    if source.startswith(("http://", "https://")):
        html, page_url = fetch_page(source)
        page_url = url or page_url
    else:
        try:
            raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as error:
            raise ConfigurationError(f"cannot read {source}: {error.strerror}") from None
        html = decode_html(raw)
        page_url = url or ("file:///stdin" if source == "-" else Path(source).resolve().as_uri())
    try:
        item = extract_page(Page(page_url, html), layout=layout)
    except ExtractionError as error:
        click.echo(f"archiver: error: {source} is not an article page: {error.reason}", err=True)
        return 2
    click.echo(json.dumps({**item.to_dict(with_html=with_html), "field_sources": item.field_sources},
                          ensure_ascii=False))
    return 0


def decode_html(raw: bytes, declared: str | None = None) -> str:
    """Decode with the declared charset, else the <meta charset>, else UTF-8 (w3lib's rules)."""
    from w3lib.encoding import html_to_unicode

    _, text = html_to_unicode(f"text/html; charset={declared}" if declared else None, raw)
    return str(text)


def fetch_page(url: str) -> tuple[str, str]:
    import urllib.error
    import urllib.request

    from .. import __version__

    request = urllib.request.Request(url, headers={"User-Agent": f"archiver/{__version__} (extract)"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return decode_html(response.read(10_000_000), response.headers.get_content_charset()), response.geturl()
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ConfigurationError(f"cannot fetch {url}: {getattr(error, 'reason', error)}") from None


@click.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade", epilog="\b\nExample:\n  archiver db upgrade --db postgresql+psycopg://archiver@db/archive")
@DB_OPTION
def db_upgrade(db_url: str | None) -> int:
    """Create the archive schema or upgrade it to this version (Alembic migrations)."""
    from ..locations import resolve_db_url
    from ..storage.db import redact, upgrade

    url = resolve_db_url(db_url)
    upgrade(url)
    click.echo(f"database {redact(url)} is at the current schema", err=True)
    return 0


@click.command(epilog="\b\nExamples:\n  archiver export --format jsonl --versions all -o - | head\n"
                      "  archiver export --format parquet -o articles.parquet --author Antonia --until 2019-12-31\n"
                      "  archiver export --table credits --format csv -o credits.csv --license 'Pixabay Lizenz'\n"
                      "  archiver export --format csv -o razzia.csv --query 'Razzia OR Durchsuchung'")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@click.option("--table", type=click.Choice(TABLE_NAMES), default="articles", show_default=True,
              help="articles (the item shape) or a flat companion table keyed by article_id and version.")
@click.option("--versions", type=click.Choice(["latest", "all"]), default="latest", show_default=True)
@filter_options
@click.option("--query", help="Only articles matching this search (the syntax of 'archiver search').")
@click.option("-o", "--output", default="-", show_default=True, help="Output file, or - for stdout.")
def export(db_url: str | None, fmt: str, table: str, versions: str, since: str | None, until: str | None,
           author: str | None, category: str | None, tag: str | None, license_name: str | None,
           query: str | None, output: str) -> int:
    """Export a table in its documented shape (docs/schema.md), streamed in constant memory.

    Parquet keeps nested fields (authors, categories, tags, images, credits, capture, …) as list and
    struct columns. CSV is UTF-8 with ISO 8601 UTC dates; a nested cell is JSON text (the companion
    tables are flat); cells that start with =, +, - or @ are neutralized with a leading apostrophe so
    no spreadsheet runs them.
    """
    engine = archive_engine(db_url)
    selection = article_filter(since, until, author, category, tag, license_name, query)
    export_rows(engine, table, fmt, output, versions, selection)
    return 0
