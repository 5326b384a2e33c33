"""``archiver warc verify|index|wacz`` and ``archiver reparse``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..exceptions import ConfigurationError
from ..locations import DEFAULT_WARC_DIR, resolve_warc_dir
from .options import DB_OPTION, archive_engine


def _paths(paths: tuple[str, ...], warc_dir: str | None) -> list[Path]:
    from ..warc.reader import warc_files

    if paths:
        found: list[Path] = []
        for path in map(Path, paths):
            found.extend(warc_files(path) if path.is_dir() else [path])
        return found
    directory = resolve_warc_dir(warc_dir)
    found = warc_files(directory)
    if not found:
        raise ConfigurationError(f"no WARC files in {directory}")
    return found


@click.group()
def warc() -> None:
    """Check, index and package the archive's WARC files."""


@warc.command(epilog="\b\nExample:\n  archiver warc verify archive/warc/*.warc.gz")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def verify(paths: tuple[str, ...]) -> int:
    """Check WARC files structurally (stronger than warcio check); exit 1 with the first problem per file."""
    from ..warc.verify import verify_file

    bad = 0
    for path in _paths(paths, None):
        result = verify_file(path)
        if result.ok:
            click.echo(f"ok     {path} ({result.records} records)")
        else:
            bad += 1
            click.echo(f"FAILED {path}: {result.problems[0]}")
    return 1 if bad else 0


@warc.command(epilog="\b\nExample:\n  archiver warc index --warc-dir archive/warc -o archive/index.cdxj")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--warc-dir", envvar="ARCHIVER_WARC_DIR", help="Directory of WARC files (when no PATHS are given).")
@click.option("-o", "--output", default="-", show_default=True, help="Output file, or - for stdout.")
def index(paths: tuple[str, ...], warc_dir: str | None, output: str) -> int:
    """Write a sorted CDXJ index of the WARC files (pywb / ReplayWeb.page format)."""
    from ..warc.package import cdxj_index

    text = cdxj_index(_paths(paths, warc_dir))
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
    return 0


@warc.command(epilog="\b\nExample:\n  archiver warc wacz -o tarnkappe.wacz")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="WACZ file to write.")
@click.option("--warc-dir", envvar="ARCHIVER_WARC_DIR", help="WARC directory [default archive/warc].")
@DB_OPTION
def wacz(output: str, warc_dir: str | None, db_url: str | None) -> int:
    """Package the WARC files as a WACZ whose pages.jsonl lists every article (title, date, authors)."""
    from ..storage.reader import iter_articles
    from ..warc.package import write_wacz

    engine = archive_engine(db_url)
    pages = ({"url": row["url"], "ts": (row["capture"] or {}).get("fetched_at") or row["captured_at"],
              "title": row["title"], "published": row["published"],
              "authors": [a["name"] for a in row["authors"]]} for row in iter_articles(engine))
    write_wacz(Path(output), _paths((), warc_dir), pages)
    click.echo(f"wrote {output}", err=True)
    return 0


WORKERS_OPTION = click.option(
    "--workers", type=int, help="Processes that read and extract side by side (this one writes) "
                                "[default: the cores this process may use].")


def _workers(workers: int | None) -> int:
    from ..parallel import check_workers, default_workers

    return default_workers() if workers is None else check_workers(workers)


@click.command(epilog="\b\nExample:\n  archiver reparse --warc-dir archive/warc --db sqlite:///rebuilt.sqlite3")
@click.option("--warc-dir", envvar="ARCHIVER_WARC_DIR", default=DEFAULT_WARC_DIR, show_default=True)
@click.option("--db", "db_url", envvar="ARCHIVER_DB_URL", required=True, help="Database to (re)build.")
@WORKERS_OPTION
def reparse(warc_dir: str, db_url: str, workers: int | None) -> int:
    """Rebuild the database from the WARC files alone, with no network."""
    from ..locations import resolve_db_url
    from ..reparse import reparse as rebuild
    from ..warc.reader import warc_files

    processes = _workers(workers)
    if not warc_files(warc_dir):
        raise ConfigurationError(f"no WARC files in {warc_dir}")
    result = rebuild(warc_dir, resolve_db_url(db_url), processes)
    click.echo(f"reparsed {result.files} WARC files: {result.captures} captures, {result.articles} articles, "
               f"{result.failures} extraction failures", err=True)
    return 0


@click.command(epilog="\b\nExample (after an upgrade of the archiver):\n  archiver reextract --warc-dir archive/warc")
@click.option("--warc-dir", envvar="ARCHIVER_WARC_DIR", default=DEFAULT_WARC_DIR, show_default=True)
@DB_OPTION
@WORKERS_OPTION
def reextract(warc_dir: str, db_url: str | None, workers: int | None) -> int:
    """Run the current extractor over every stored capture and update the rows in place (no new versions)."""
    from ..locations import resolve_db_url
    from ..reextract import reextract as run_reextract
    from ..storage.db import make_engine

    processes = _workers(workers)
    make_engine(resolve_db_url(db_url), readonly=True).dispose()  # a missing archive: one line, exit 2
    result = run_reextract(warc_dir, resolve_db_url(db_url), processes)
    click.echo(f"re-extracted {result.versions} versions: {result.rewritten} rewritten, "
               f"{result.versions - result.rewritten - result.failed - result.missing} unchanged, "
               f"{result.failed} no longer read as articles, {result.missing} without their WARC record", err=True)
    return 0
