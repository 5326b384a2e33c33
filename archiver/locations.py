"""Where an archive lives when nobody says: the one place that reads ``ARCHIVER_DB_URL`` and ``ARCHIVER_WARC_DIR``.

Both defaults are relative to the working directory, as ``make demo`` writes them (``archive/``).
"""

from __future__ import annotations

import os

DEFAULT_DB_URL = "sqlite:///archive/archive.sqlite3"
DEFAULT_WARC_DIR = "archive/warc"


def resolve_db_url(url: str | None) -> str:
    """The database URL given, else $ARCHIVER_DB_URL, else the default; a plain path means a SQLite file."""
    value = url or os.environ.get("ARCHIVER_DB_URL") or DEFAULT_DB_URL
    if "://" not in value:
        return f"sqlite:///{value}"
    return value


def resolve_warc_dir(directory: str | None) -> str:
    """The WARC directory given, else $ARCHIVER_WARC_DIR, else the default."""
    return directory or os.environ.get("ARCHIVER_WARC_DIR") or DEFAULT_WARC_DIR
