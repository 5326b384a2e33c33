"""Build a synthetic big archive without crawling: the database (SQLite or PostgreSQL) and a WARC slice.

Run: ``.venv/bin/python bench/big_archive.py --articles 100000 --db sqlite:////work/bigdata/a100k.sqlite3
[--warc-dir DIR --warc-articles 100000] [--seed 32]``. The schema comes from the project's own migrations
(``archiver db upgrade``); the rows (bench/big_rows.py) are bulk-loaded (bench/big_load.py), not stored through the
item pipelines. The WARC slice (bench/big_warc.py) holds real records for the first ``--warc-articles`` articles,
and their capture rows point at them. Prints JSON: the counts, the generation time and the size on disk.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from big_load import loader
from big_rows import BigArchiveRows
from big_warc import WarcSlice
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from archiver.storage.counts import refresh_counts
from archiver.storage.db import make_engine, upgrade

COUNTED = ("articles", "article_versions", "captures", "authors", "categories", "tags", "images", "credits",
           "article_authors", "article_categories", "article_tags", "article_images", "links")


def build(url: str, articles: int, seed: int = 32, warc_dir: Path | None = None,
          warc_articles: int = 0) -> dict[str, Any]:
    started = time.perf_counter()
    upgrade(url)
    rows = BigArchiveRows(articles, seed)
    target = loader(url)
    entities = rows.entities()
    target.load(entities)
    warcs = WarcSlice(warc_dir, warc_articles, entities, seed) if warc_dir is not None and warc_articles else None
    try:
        for chunk in rows.chunks(1, articles, 1):
            if warcs is not None:
                warcs.write(chunk)
            target.load(chunk)
    finally:
        if warcs is not None:
            warcs.close()
    loaded = time.perf_counter()
    target.finish()
    indexed = time.perf_counter()
    # The bulk load bypasses the writers that keep stats' counts: counted once here, as `stats --recount` does.
    counting = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    refresh_counts(counting)
    counting.dispose()
    finished = time.perf_counter()
    result: dict[str, Any] = {
        "articles": articles, "seed": seed, "backend": make_url(url).get_backend_name(),
        "seconds": {"rows_and_load": round(loaded - started, 1), "indexes_and_search": round(indexed - loaded, 1),
                    "counts": round(finished - indexed, 1), "total": round(finished - started, 1)},
        "counts": counts(url), "bytes": database_bytes(url)}
    if warcs is not None and warc_dir is not None:
        files = sorted(warc_dir.glob("*.warc.gz"))
        result["warc"] = {"articles": min(warc_articles, articles), "files": len(files),
                          "bytes": sum(f.stat().st_size for f in files)}
    return result


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        found = {name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()) for name in COUNTED}
        found["removed"] = int(conn.execute(text("SELECT count(*) FROM articles WHERE removed_at IS NOT NULL"))
                               .scalar_one())
        found["multi_version_articles"] = int(conn.execute(text("SELECT count(*) FROM articles "
                                                                "WHERE version_count > 1")).scalar_one())
    engine.dispose()
    return found


def database_bytes(url: str) -> int:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        return sum(p.stat().st_size for p in Path(parsed.database).parent.glob(Path(parsed.database).name + "*")
                   if not p.name.endswith("lock"))
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        size = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    engine.dispose()
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--db", required=True, help="sqlite:///FILE (new) or postgresql+psycopg://…/DB (empty)")
    parser.add_argument("--seed", type=int, default=32)
    parser.add_argument("--warc-dir", type=Path)
    parser.add_argument("--warc-articles", type=int, default=0)
    args = parser.parse_args(argv)
    if args.db.startswith("sqlite:///") and Path(args.db.removeprefix("sqlite:///")).exists():
        print(f"big_archive: {args.db} exists; give a new file", file=sys.stderr)
        return 2
    result = build(args.db, args.articles, args.seed, args.warc_dir, args.warc_articles)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
