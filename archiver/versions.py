"""The software that made a run's records and rows, as the run's WARC info record and run row name it.

Read from the installed distributions, so that a command that only reads WARC files (``archiver reparse``) names
Scrapy's version without importing Scrapy.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

from . import __version__


def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def software_versions() -> dict[str, str]:
    return {"archiver": __version__, "scrapy": _installed("scrapy"), "warcio": _installed("warcio"),
            "sqlalchemy": _installed("sqlalchemy"), "python": platform.python_version()}
