"""The filter options `search` and `export` share, and exporting the selected rows as JSONL, CSV or Parquet."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..storage.filters import ArticleFilter

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("jsonl", "csv", "parquet")


def filter_options(function: F) -> F:
    """--since, --until, --author, --category, --tag, --license (the query is the command's own)."""
    for option in reversed([
        click.option("--since", help="Published on or after this day (YYYY-MM-DD, UTC)."),
        click.option("--until", help="Published up to and including this day (YYYY-MM-DD, UTC)."),
        click.option("--author", help="Author name or slug (the profile URL's last part), case-insensitive: "
                                      "'Antonia' or 'antonia'."),
        click.option("--category", help="Category name or slug, case-insensitive: 'Internet' or 'internet'."),
        click.option("--tag", help="Tag name or slug, case-insensitive: 'Telegram' or 'telegram'."),
        click.option("--license", "license_name", help="Image credit license as named: 'Pixabay Lizenz', "
                                                       "'CC BY-SA 4.0'."),
    ]):
        function = option(function)
    return function


def _day(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a date like 2019-03-14, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def article_filter(since: str | None, until: str | None, author: str | None, category: str | None,
                   tag: str | None, license_name: str | None, query: str | None = None) -> ArticleFilter:
    from ..storage.filters import ArticleFilter

    end = _day(until, "--until")
    if end is not None and until is not None and len(until) == 10:
        end += timedelta(days=1)  # a day given alone is the whole day
    return ArticleFilter(since=_day(since, "--since"), until=end, author=author, category=category, tag=tag,
                         license=license_name, query=query)


def export_rows(engine: Engine, table: str, fmt: str, output: str, versions: str = "latest",
                filters: ArticleFilter | None = None) -> int:
    """Export a table to a file (or stdout for JSONL and CSV); how many rows were written."""
    from ..storage.exporters import export

    if fmt == "parquet":
        if output == "-":
            raise ConfigurationError("Parquet needs a file: use -o FILE")
        return export(engine, table, fmt, output, versions, filters)
    handle = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        return export(engine, table, fmt, handle, versions, filters)
    finally:
        if handle is not sys.stdout:
            handle.close()

