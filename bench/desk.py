"""The desk's page times on a large archive: landing list, counts, facets, a facet click, search, article page.

Run: ``.venv/bin/python bench/desk.py [--articles 100000] [--runs 5]``. Stores 200 replica articles through the
archive's own store, then copies their rows with SQL (new IDs, keys and URLs; same texts, dates and relations)
until the archive holds ``--articles`` articles, and asks the desk (Datasette with the desk's plugin, in process,
through Datasette's own test client) for each page: once cold (facets not yet cached: those over the time limit are
left out and computed in the background), then, the background done, ``--runs`` times warm. Prints JSON:
milliseconds per page (cold; warm median, min, max), the facets left out of the cold landing page, the count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from storage import items as replica_items

from archiver.desk import facets
from archiver.desk.server import build_datasette
from archiver.storage import stemming
from archiver.storage.counts import refresh_counts
from archiver.storage.db import make_engine, upgrade
from archiver.storage.repository import ArchiveStore

SEED = 200
# Columns shifted per copy: each copy's rows get IDs (and the IDs they point to) past every earlier copy's.
SHIFTS = {
    "articles": {"id": "articles", "current_version_id": "article_versions", "post_id": "articles"},
    "article_versions": {"id": "article_versions", "article_id": "articles"},
    "article_authors": {"version_id": "article_versions"},
    "article_categories": {"version_id": "article_versions"},
    "article_tags": {"version_id": "article_versions"},
    "article_images": {"version_id": "article_versions"},
    "credits": {"id": "credits", "version_id": "article_versions"},
    "links": {"version_id": "article_versions"},
}


def seed(path: Path) -> None:
    url = f"sqlite:///{path}"
    upgrade(url)
    items = replica_items(SEED)
    store = ArchiveStore(make_engine(url))
    for start in range(0, len(items), 50):
        store.store_articles(items[start:start + 50])
    store.engine.dispose()


def grow(path: Path, articles: int) -> None:
    conn = sqlite3.connect(path)
    stemming.register(conn)  # the stemmed search table's triggers call the archive's SQL function
    spans = {table: conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
             for table in ("articles", "article_versions", "credits")}
    columns = {table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")] for table in SHIFTS}
    for copy in range(1, -(-articles // SEED)):
        for table, shifts in SHIFTS.items():
            names = columns[table]
            values = []
            for name in names:
                if name in shifts:
                    values.append(f"{name} + {copy * spans[shifts[name]]}")
                elif table == "articles" and name in ("key", "url"):
                    values.append(f"{name} || '#{copy}'")
                else:
                    values.append(name)
            limit = f" WHERE id <= {spans['articles']}" if table == "articles" else (
                f" WHERE id <= {spans['article_versions']}" if table == "article_versions" else (
                    f" WHERE version_id <= {spans['article_versions']}"))
            conn.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM {table}{limit}")
        conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    # The copies bypass the writers that keep the archive's counts: counted once, as `stats --recount` does.
    engine = make_engine(f"sqlite:///{path}")
    refresh_counts(engine)
    engine.dispose()


FACETS = ("authors", "category", "tags", "licenses", "year", "removed")
PAGES = {
    "landing (list, count, six facets)": "/archive/v_desk_articles",
    "list and count, no facets": "/archive/v_desk_articles.json?_nofacet=1",
    "list only": "/archive/v_desk_articles.json?_nofacet=1&_nocount=1",
    "facet click (year=2019)": "/archive/v_desk_articles?year=2019",
    "search (Telegram)": "/archive/v_desk_articles?_search=Telegram",
    "article page": "/article/1",
}


async def measure(path: Path, runs: int) -> dict[str, Any]:
    datasette = build_datasette(path, f"sqlite:///{path}", None)
    await datasette.invoke_startup()
    out: dict[str, Any] = {}
    cold_landing = (await datasette.client.get("/archive/v_desk_articles.json")).json()
    shown = cold_landing["facet_results"].get("results", cold_landing["facet_results"])
    # A facet that ran out of time is left out of the answer (and computed in the background).
    out["facets_left_out_cold"] = sorted(set(FACETS) - set(shown))
    out["count"] = cold_landing.get("filtered_table_rows_count")
    for name, page in PAGES.items():
        started = time.perf_counter()
        response = await datasette.client.get(page)
        cold = (time.perf_counter() - started) * 1000
        while facets._running:
            await asyncio.sleep(0.1)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = await datasette.client.get(page)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (page, response.status_code)
        out[name] = {"cold_ms": round(cold, 1), "median_ms": round(statistics.median(times), 1),
                     "min_ms": round(min(times), 1), "max_ms": round(max(times), 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "archive.sqlite3"
        started = time.perf_counter()
        seed(path)
        grow(path, args.articles)
        build_seconds = time.perf_counter() - started
        result = asyncio.run(measure(path, args.runs))
    print(json.dumps({"articles": args.articles, "runs": args.runs, "build_seconds": round(build_seconds, 1),
                      "pages": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
