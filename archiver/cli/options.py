"""Options and helpers the commands share; light to import (click only), like every command module."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

DB_OPTION = click.option(
    "--db", "db_url", envvar="ARCHIVER_DB_URL",
    help="Database: a URL (sqlite:///FILE, postgresql+psycopg://user@host/db) or a SQLite file path "
         "[env ARCHIVER_DB_URL; default archive/archive.sqlite3].")


def archive_engine(db_url: str | None) -> Engine:
    """A read-only engine on the archive; a missing SQLite file is one clear configuration error (exit 2)."""
    from ..locations import resolve_db_url
    from ..storage.db import make_engine

    return make_engine(resolve_db_url(db_url), readonly=True)
