"""Upsert speed: articles per second (with authors, credits, categories, tags, images, links).

Run: ``.venv/bin/python bench/storage.py [--articles 1000] [--runs 3] [--postgres URL] [--sqlite-baseline REV]``.
Items are extracted once up front from replica pages; each run stores them all into a fresh database in batches
of 50 (the pipeline's default) and times the stores only, and the share of that time spent writing the desk's
rows (``desk_rows_share``). ``--sqlite-baseline 0015`` also stores them into SQLite at that schema revision (0015 or
later: the writers keep the desk's rows), alternating with the head revision in the same process (what a later
revision's triggers cost), and skips PostgreSQL. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid

from archiver.pages import Page, extract
from archiver.replica.app import ReplicaApp
from archiver.storage import counts
from archiver.storage.db import make_engine, upgrade
from archiver.storage.repository import ArchiveStore


class _Timed:
    """``desk_rows.keep`` as the writers call it, timed."""

    def __init__(self) -> None:
        self.keep, self.seconds = counts.desk_rows.keep, 0.0

    def __call__(self, conn: object, article_ids: object) -> None:
        started = time.perf_counter()
        self.keep(conn, article_ids)  # type: ignore[arg-type]
        self.seconds += time.perf_counter() - started


_DESK_ROWS = _Timed()
counts.desk_rows.keep = _DESK_ROWS  # type: ignore[assignment]


def items(count: int) -> list:  # type: ignore[type-arg]
    app = ReplicaApp(articles=count)
    out = []
    for index in range(count):
        article = app.site.article(index)
        out.append(extract(Page("http://bench.test" + article.path,
                                app.handle(article.path, "", "bench.test", False).body.decode())))
    return out


def store_all(url: str, batch: list, size: int = 50, revision: str = "head") -> float:  # type: ignore[type-arg]
    """Articles per second and per CPU second, and the share of the time spent writing the desk's rows."""
    upgrade(url, revision)
    store = ArchiveStore(make_engine(url))
    started = time.perf_counter()
    cpu = time.process_time()
    _DESK_ROWS.seconds = 0.0
    for start in range(0, len(batch), size):
        store.store_articles(batch[start:start + size])
    wall = time.perf_counter() - started
    store.engine.dispose()
    return (len(batch) / wall, len(batch) / max(time.process_time() - cpu, 1e-9),  # type: ignore[return-value]
            _DESK_ROWS.seconds / wall)


def postgres_database(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"archiver_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite-baseline", help="Also store at this schema revision, alternating; no PostgreSQL.")
    args = parser.parse_args()
    batch = items(args.articles)
    results: dict[str, dict[str, object]] = {}
    if args.sqlite_baseline:
        runs: dict[str, list] = {args.sqlite_baseline: [], "head": []}  # type: ignore[type-arg]
        for _ in range(args.runs):
            for revision, measured in runs.items():
                with tempfile.TemporaryDirectory() as directory:
                    measured.append(store_all(f"sqlite:///{directory}/bench.sqlite3", batch, revision=revision))
        results = {f"sqlite_{revision}": _summary(measured) for revision, measured in runs.items()}
        json.dump({"articles": args.articles, **results}, sys.stdout, indent=1)
        print()
        return
    sqlite_runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as directory:
            sqlite_runs.append(store_all(f"sqlite:///{directory}/bench.sqlite3", batch))
    results["sqlite"] = _summary(sqlite_runs)
    pg_runs = []
    for _ in range(args.runs):
        url, name = postgres_database(args.postgres)
        try:
            pg_runs.append(store_all(url, batch))
        finally:
            drop_postgres(args.postgres, name)
    results["postgresql"] = _summary(pg_runs)
    json.dump({"articles": args.articles, **results}, sys.stdout, indent=1)
    print()


def _summary(runs: list) -> dict[str, object]:  # type: ignore[type-arg]
    wall = [r[0] for r in runs]
    cpu = [r[1] for r in runs]
    return {"articles_per_second": {"median": statistics.median(wall), "min": min(wall), "max": max(wall)},
            "articles_per_cpu_second": statistics.median(cpu),
            "desk_rows_share": statistics.median(r[2] for r in runs)}


if __name__ == "__main__":
    main()
