"""The desk's Datasette plugin: the landing page, the article page, the charts and the replay route.

Registered by ``archiver.desk.server`` in the process it starts (Datasette's plugin manager, as Datasette's own
plugin tests do), configured through ``configure`` before the first request.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Request, Response
from markupsafe import Markup, escape
from sqlalchemy import Engine

from ..exceptions import ArchiverError
from .article import article_page
from .charts import CHARTS, render_chart
from .clauses import author_clause
from .facets import REQUEST_STARTED, ListFacet, ValueFacet

DATABASE = "archive"
LANDING = f"/{DATABASE}/v_desk_articles"
# SQLite keeps timestamps as "2019-03-14 12:00:00.000000" (UTC by the schema): shown as ISO 8601 UTC, like exports.
STORED_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(\+00:00|Z)?$")
LIST_COLUMNS = {"authors", "categories", "tags", "licenses"}
# An author with at most this many articles is looked up by ID on a facet click (see filters_from_request).
FEW_ARTICLES = 5000
# Request headers pywb sees: the browser's own, for content negotiation, and the public host and scheme (a TLS
# proxy's X-Forwarded-Proto) pywb builds its links from.
FORWARDED = ("accept", "accept-language", "range", "if-none-match", "if-modified-since", "host", "user-agent",
             "x-forwarded-proto")
# pywb's answer headers not handed on: hop-by-hop ones, the length and encoding of a body httpx has already
# decoded, and the type, which the response sets itself.
NOT_HANDED_ON = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length",
                 "content-type"}


@dataclass
class DeskConfig:
    engine: Engine
    replay_backend: str | None  # pywb's base URL, or None when pywb is not installed


_config: DeskConfig | None = None
_chart_cache: dict[str, tuple[float, bytes]] = {}
_chart_lock = threading.Lock()
# Charts are redrawn at most this often: each is a scan of the archive.
CHART_SECONDS = 300.0


def configure(config: DeskConfig) -> None:
    global _config
    _config = config
    _chart_cache.clear()


def _desk() -> DeskConfig:
    if _config is None:
        raise ArchiverError("archiver.desk.plugin.configure() was not called")
    return _config


def iso_time(value: str) -> str | None:
    match = STORED_TIME.match(value)
    return f"{match.group(1)}T{match.group(2)}Z" if match else None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if table == "v_desk_articles" and column == "title" and value:
        return Markup(f'<a href="/article/{int(row["article_id"])}">{escape(value)}</a>')
    if table == "v_desk_articles" and column in LIST_COLUMNS and isinstance(value, str) and value.startswith("["):
        return ", ".join(str(item) for item in json.loads(value))
    # A *_raw column is the date as the page printed it (local time, no zone): shown as it was, never as UTC.
    if isinstance(value, str) and not column.endswith("_raw"):
        return iso_time(value)
    return None


@hookimpl
def register_facet_classes() -> list[type]:
    return [ListFacet, ValueFacet]


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Each request carries the time it started: the facets' budget ends a fixed time after it (facets.PAGE_MS)."""

    def wrap(app: Any) -> Any:
        async def stamped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http":
                scope = {**scope, REQUEST_STARTED: time.monotonic()}
            await app(scope, receive, send)

        return stamped

    return wrap


@hookimpl
def filters_from_request(request: Request, table: str, database: str, datasette: Any) -> Any:
    """A facet click on the view's year or an author, said once more in terms its indexes answer.

    ``year = '2016'`` is a date function of every row and ``authors__arraycontains`` a JSON list built for every row:
    Datasette's own clauses read the whole archive to count and list them. The clauses added here select the same
    rows (stored dates start with the year; an author's versions are found by name) through the index of the desk
    rows' dates and the authors' index, and are tested first; Datasette's clauses stay, so the rows shown cannot
    change."""
    if table != "v_desk_articles":
        return None
    clauses: list[str] = []
    params: dict[str, Any] = {}
    year = request.args.get("year")
    if year and re.fullmatch(r"\d{4}", year) and year != "9999":
        # "2016-", not "2016": the stored date's column has numeric affinity, which would compare a number.
        clauses.append("published_key >= :desk_year_from AND published_key < :desk_year_to")
        params |= {"desk_year_from": f"{year}-", "desk_year_to": f"{int(year) + 1}-"}
    authors = request.args.getlist("authors__arraycontains")

    async def with_authors() -> Any:
        from datasette.filters import FilterArguments

        for n, name in enumerate(authors):
            # An author of few articles: their rows are looked up by version, read and sorted. One of many: the list
            # walks the date index newest first and stops at a page (archiver/desk/clauses.py).
            many = await _articles_of(datasette, database, name) > FEW_ARTICLES
            clauses.append(author_clause(n, many))
            params[f"desk_author_{n}"] = name
        return FilterArguments(clauses, params=params) if clauses else None

    return with_authors


async def _articles_of(datasette: Any, database: str, name: str) -> float:
    """The author's articles as the kept counts give them; infinite where the archive predates them."""
    try:
        result = await datasette.get_database(database).execute(
            "SELECT coalesce(sum(s.total), 0) FROM authors au JOIN stat_counts s ON s.kind = 'author' "
            "AND s.item = CAST(au.id AS TEXT) WHERE au.name = :name", {"name": name})
    except sqlite3.OperationalError:
        return float("inf")
    return float(result.first()[0])


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    return {"desk_links": [("Newest articles", LANDING), ("Charts", "/charts"), ("All tables", f"/{DATABASE}")]}


async def landing(request: Request) -> Response:
    return Response.redirect(LANDING)


async def article(request: Request, datasette: Any) -> Response:
    article_id = int(request.url_vars["article_id"])
    try:
        page = await asyncio.to_thread(article_page, _desk().engine, article_id)
    except IndexError:
        return Response.html(f"No article {article_id} in the archive.", status=404)
    body = await datasette.render_template("desk_article.html", {**page, "replay_enabled": bool(
        _desk().replay_backend)}, request=request)
    return Response.html(body)


def _chart(name: str) -> bytes:
    from ..storage.timeline import read_timeline

    with _chart_lock:
        cached = _chart_cache.get(name)
        if cached and time.monotonic() - cached[0] < CHART_SECONDS:
            return cached[1]
        svg = render_chart(name, read_timeline(_desk().engine))
        _chart_cache[name] = (time.monotonic(), svg)
        return svg


async def charts(request: Request, datasette: Any) -> Response:
    body = await datasette.render_template("desk_charts.html", {"charts": list(CHARTS)}, request=request)
    return Response.html(body)


async def chart(request: Request) -> Response:
    name = request.url_vars["name"]
    if name not in CHARTS:
        return Response.text("no such chart", status=404)
    svg = await asyncio.to_thread(_chart, name)
    return Response(svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=300"})


async def replay(request: Request) -> Response:
    """Hand a replay (or pywb static) request to pywb and its answer back, unchanged but for hop headers."""
    import httpx

    backend = _desk().replay_backend
    if backend is None:
        return Response.text("Replay needs pywb: run `make .venv-pywb/.installed` in the archiver checkout, or "
                             "set ARCHIVER_PYWB to pywb's wayback program, and restart archiver serve.", status=503)
    headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
    target = backend + request.path + (f"?{request.query_string}" if request.query_string else "")
    async with httpx.AsyncClient(timeout=60, follow_redirects=False) as client:
        answer = await client.get(target, headers=headers)
    kept = {name: value for name, value in answer.headers.items() if name.lower() not in NOT_HANDED_ON}
    return Response(answer.content, status=answer.status_code, headers=kept,
                    content_type=answer.headers.get("content-type", "application/octet-stream"))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/$", landing),
        (r"^/article/(?P<article_id>\d+)$", article),
        (r"^/charts$", charts),
        (r"^/charts/(?P<name>[a-z-]+)\.svg$", chart),
        (r"^/replay/.*$", replay),
        (r"^/static/.*$", replay),
    ]
