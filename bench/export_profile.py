"""Where an article export's time goes: each field's rendering in the database, and the pipeline's stages.

Run: ``.venv/bin/python bench/export_profile.py --db URL [--rows 10000]`` on a big archive (bench/big_archive.py).
Fields: the chunk query of ``archiver export --format jsonl`` (archiver/storage/article_export.py) with only one
field (or group) rendered and the others a constant, over the first ``--rows`` current versions in chunks of
1,000; the figure is that query's time per row over the query with no field rendered (SQLite: this process's CPU
time, the database runs in it; PostgreSQL: wall time, best of three, the server being another process).
Stages: rows/s of the rendering alone (one and two connections) and of ``export`` into /dev/null per format.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text

from archiver.storage import article_export
from archiver.storage.article_sql import NULLABLE, Dialect, fields
from archiver.storage.db import make_engine
from archiver.storage.exporters import export

GROUPS = {"text": ["text"], "title, lead": ["title", "lead"],
          "dates": ["published", "modified", "captured_at", "removed_at"],
          "integers": ["id", "version", "versions", "post_id", "word_count", "reading_time_minutes"],
          "other scalars": ["url", "site", "layout", "published_raw", "modified_raw", "language", "comments_url",
                            "extractor", "removed_status"]}
NESTED = ["authors", "primary_category", "categories", "tags", "images", "credits", "links", "breadcrumb",
          "warnings", "field_sources", "capture"]


def chunk_query(dialect: str, keep: list[str]) -> str:
    """The jsonl chunk query with only the fields in `keep` rendered."""
    d = Dialect(sqlite=dialect == "sqlite")
    pairs = [(key, kind if key in keep else "json", (f"coalesce({expr}, 'null')" if key in NULLABLE else expr)
              if key in keep else "'0'") for key, kind, expr in fields(d)]
    chunk, order = article_export.CHUNK[dialect]
    sql = article_export.RENDER_QUERY.format(columns=d.obj(pairs), chunk=chunk, order=order,
                                             joins=" ".join(d.joins) if keep else "")
    return sql if d.sqlite else sql.replace("%", "%%").replace(":ids", "%(ids)s")


def per_row_us(engine: Engine, chunks: list[list[int]], sql: str) -> float:
    rows = sum(len(ids) for ids in chunks)
    best = float("inf")
    for _ in range(1 if engine.dialect.name == "sqlite" else 3):
        clock = time.process_time if engine.dialect.name == "sqlite" else time.perf_counter
        with engine.connect() as conn:
            started = clock()
            for ids in chunks:
                article_export._run(conn, sql, ids)
            best = min(best, clock() - started)
    return round(best / rows * 1e6, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    engine = make_engine(args.db, readonly=args.db.startswith("sqlite"))
    dialect = engine.dialect.name
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT v.id FROM articles a JOIN article_versions v ON v.id = "
                                     "a.current_version_id ORDER BY a.id LIMIT :n"), {"n": args.rows}).scalars())
    chunks = [ids[start:start + 1000] for start in range(0, len(ids), 1000)]
    loads = [round(x, 2) for x in os.getloadavg()]
    base = per_row_us(engine, chunks, chunk_query(dialect, []))
    every = [key for key, _, _ in fields(Dialect(sqlite=True))]
    field_us = {"none (the joins, the rows)": base,
                "all": round(per_row_us(engine, chunks, chunk_query(dialect, every)) - base, 1)}
    for name, keep in [*GROUPS.items(), *((key, [key]) for key in NESTED)]:
        field_us[name] = round(per_row_us(engine, chunks, chunk_query(dialect, keep)) - base, 1)
    stages: dict[str, Any] = {}
    for workers in (1, 2):
        started = time.perf_counter()
        count = sum(len(rows) for rows in article_export.rendered(engine, "jsonl", limit=args.rows,
                                                                  workers=workers))
        stages[f"rendering alone, {workers} connection(s), rows/s"] = round(count / (time.perf_counter() - started))
    with tempfile.TemporaryDirectory() as directory, open(os.devnull, "w", encoding="utf-8") as sink:
        for fmt in ("jsonl", "csv", "parquet"):
            started = time.perf_counter()
            count = export(engine, "articles", fmt, os.path.join(directory, "o.parquet") if fmt == "parquet"
                           else sink, limit=args.rows)
            stages[f"export {fmt}, rows/s"] = round(count / (time.perf_counter() - started))
    print(json.dumps({"db": args.db.split("@")[-1], "rows": len(ids), "load_average": {
        "start": loads, "end": [round(x, 2) for x in os.getloadavg()]},
        "field_us_per_row": field_us, "stages": stages}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
