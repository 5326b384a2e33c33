"""``archiver serve``: Datasette over the SQLite archive with the desk's plugin, and pywb for replay.

The database is opened read-only but not ``--immutable``: an immutable file is read without locks or its WAL and its
counts are cached at start, so articles a scheduled update adds would not show (or would be read half-written).
Read-only (``mode=ro``) sees every committed run. The archive is always called ``archive`` in Datasette, whatever
the file's name, so the documented metadata, views and links hold for any file.
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..exceptions import ArchiveNotFound, ConfigurationError
from .replay import PywbReplay, ReplayIndex, find_wayback, index_directory

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Datasette settings that keep pages fast on a large archive: no facet suggestions (each is a query over the
# filtered rows), facets and counts given up after a bound instead of holding the page.
SETTINGS: dict[str, Any] = {"sql_time_limit_ms": 3000, "facet_time_limit_ms": 500, "suggest_facets": False,
                            "default_page_size": 50, "allow_download": False}


@dataclass
class DeskOptions:
    database: Path
    warc_dir: Path
    host: str = "127.0.0.1"
    port: int = 8001
    replay: bool = True


def metadata() -> dict[str, Any]:
    """The documented schema (storage/datasette-metadata.json), which also names the desk's view and facets."""
    text = resources.files("archiver").joinpath("storage/datasette-metadata.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


# What `archiver serve` imports beyond the core install (the `serve` extra), as pip names them.
DESK_PACKAGES = {"datasette": "datasette>=0.64", "uvicorn": "datasette>=0.64", "matplotlib": "matplotlib>=3.7",
                 "httpx": "httpx>=0.20"}


def require_desk_packages() -> None:
    """One line naming this interpreter's pip where the `serve` extra is not installed."""
    missing: list[str] = []
    for module, requirement in DESK_PACKAGES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing += [requirement] if requirement not in missing else []
    if missing:
        packages = " ".join(f"'{requirement}'" for requirement in missing)
        raise ConfigurationError(f"archiver serve needs {'Datasette' if 'datasette>=0.64' in missing else 'more'}: "
                                 f"{sys.executable} -m pip install {packages}")


# Datasette counts the rows of a page's query. Unfiltered, these views have as many rows as the kept counts say
# (archiver/storage/counts.py): one per article with a current version (each has a year item), one per credit of a
# current version (each has a license item, '' for none). The query texts are the ones Datasette's table view builds.
KEPT_COUNTS = {
    f"select count(*) from {view} ": f"SELECT coalesce(sum(total), 0) FROM stat_counts WHERE kind = '{kind}'"
    for view, kind in (("v_desk_articles", "year"), ("v_articles", "year"), ("v_credits", "license"))}


def desk_database(datasette: Any, database: Path, kept_counts: bool) -> Any:
    """Datasette's database, answering the row count of the unfiltered views and of an author's page from the kept
    counts (Datasette has no setting or hook for a count; the query texts are the ones its table view builds), and
    running an author's clause as each query is fastest with it (``clauses.planned``)."""
    from datasette.database import Database

    from .clauses import (
        KEPT_AUTHOR_COUNT,
        SEARCH_MATCHES,
        is_one_author_count,
        is_search_list,
        planned,
        search_planned,
    )

    class DeskDatabase(Database):  # type: ignore[misc]
        async def execute(self, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            if kept_counts and sql in KEPT_COUNTS:
                return await super().execute(KEPT_COUNTS[sql], params, *args, **kwargs)
            sql = planned(sql)
            if kept_counts and is_one_author_count(sql, params):
                return await super().execute(KEPT_AUTHOR_COUNT, params, *args, **kwargs)
            if kept_counts and is_search_list(sql) and isinstance(params, dict) and "search" in params:
                matches = (await super().execute(SEARCH_MATCHES, {"search": params["search"]})).first()[0]
                rows = (await super().execute(KEPT_COUNTS["select count(*) from v_desk_articles "])).first()[0]
                sql = search_planned(sql, int(matches), int(rows))
            return await super().execute(sql, params, *args, **kwargs)

    return DeskDatabase(datasette, path=str(database), is_mutable=True)


def build_datasette(database: Path, engine_url: str, replay_backend: str | None) -> Any:
    """The Datasette application (not started) with the archive as ``archive`` and the desk plugin configured."""
    try:
        from datasette.app import Datasette
        from datasette.plugins import pm
    except ImportError:
        require_desk_packages()
        raise
    from sqlalchemy import inspect

    from ..storage.db import make_engine
    from . import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="archiver-desk")
    engine = make_engine(engine_url, readonly=True)
    plugin.configure(plugin.DeskConfig(engine=engine, replay_backend=replay_backend))
    found = inspect(engine)
    described = metadata()
    if TITLE_INDEX not in {index["name"] for index in found.get_indexes("article_versions")}:
        _without_sort(described["databases"][plugin.DATABASE], "title")  # before 0018: every row sorted for a page
    datasette = Datasette(metadata=described, template_dir=str(TEMPLATES), settings=SETTINGS)
    kept_counts = found.has_table("stat_counts")  # an archive not yet upgraded is counted
    datasette.add_database(desk_database(datasette, database, kept_counts), name=plugin.DATABASE)
    return datasette


TITLE_INDEX = "ix_article_versions_title"  # revision 0018


def _without_sort(database: dict[str, Any], column: str) -> None:
    """No table or view of the database's metadata offers a sort by ``column``."""
    for table in database["tables"].values():
        if column in table.get("sortable_columns", []):
            table["sortable_columns"] = [name for name in table["sortable_columns"] if name != column]


def check_database(url: str) -> Path:
    from ..storage.db import missing_archive_message

    if not url.startswith("sqlite:///"):
        raise ConfigurationError("archiver serve works on a SQLite archive (Datasette reads SQLite files)")
    database = Path(url.removeprefix("sqlite:///"))
    if not database.exists():
        raise ArchiveNotFound(missing_archive_message(str(database)))
    return database


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(options: DeskOptions, engine_url: str, say: Any = print) -> None:
    """Run until interrupted (SIGINT/SIGTERM end uvicorn; pywb is stopped on the way out)."""
    require_desk_packages()
    import uvicorn

    # uvicorn re-sends the signal that stopped it once it has shut down; with the default action that would end
    # the process before pywb is stopped (an orphan), so SIGTERM becomes an exit that runs the cleanup.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    replay: PywbReplay | None = None
    wayback = find_wayback() if options.replay else None
    with tempfile.TemporaryDirectory(prefix="archiver-serve-") as run_dir:
        try:
            if wayback is not None and options.warc_dir.is_dir():
                replay = PywbReplay(wayback, options.warc_dir, ReplayIndex(options.warc_dir,
                                                                           index_directory(options.warc_dir)),
                                    Path(run_dir))
                replay.start()
                replay.wait_ready()
            elif options.replay:
                say("note: replay is off: pywb not found (make .venv-pywb/.installed, or ARCHIVER_PYWB=.../wayback)"
                    if wayback is None else f"note: replay is off: no WARC directory {options.warc_dir}")
            datasette = build_datasette(options.database, engine_url, replay.url if replay else None)
            say(f"archiver serve: http://{options.host}:{options.port}/ (Ctrl-C stops)")
            uvicorn.run(datasette.app(), host=options.host, port=options.port, log_level="warning",
                        lifespan="on")
        finally:
            if replay is not None:
                replay.stop()
