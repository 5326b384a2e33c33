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
import multiprocessing
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from typing import Any

from big_encode import Encoded, encode
from big_load import loader
from big_rows import BigArchiveRows, Rows
from big_warc import WarcSlice
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from archiver.storage.counts import refresh_counts
from archiver.storage.db import make_engine, upgrade

COUNTED = ("articles", "article_versions", "captures", "authors", "categories", "tags", "images", "credits",
           "article_authors", "article_categories", "article_tags", "article_images", "links")


def build(url: str, articles: int, seed: int = 32, warc_dir: Path | None = None,
          warc_articles: int = 0, inline: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    upgrade(url)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    rows = BigArchiveRows(articles, seed, stemmed=backend == "sqlite")
    entities = rows.entities()
    slice_ = (warc_dir, warc_articles, entities) if warc_dir is not None and warc_articles else None
    # The generator is forked before the loader opens its connections and starts its threads.
    chunks = generate(rows, backend, slice_) if inline else generated_aside(rows, backend, slice_)
    target = loader(url)
    target.load(encode(entities, backend))
    for chunk in chunks:
        target.load(chunk)
    target.flush()
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
        "articles_per_second": round(articles / max(finished - started, 1e-9)),
        "counts": counts(url), "bytes": database_bytes(url)}
    if slice_ is not None and warc_dir is not None:
        files = sorted(warc_dir.glob("*.warc.gz"))
        result["warc"] = {"articles": min(warc_articles, articles), "files": len(files),
                          "bytes": sum(f.stat().st_size for f in files)}
    return result


WarcArgs = tuple[Path, int, Rows] | None


def generate(rows: BigArchiveRows, backend: str, slice_: WarcArgs) -> Iterator[Encoded]:
    """The articles' rows in 2,000-article chunks, encoded; the WARC slice written on the way."""
    warcs = WarcSlice(slice_[0], slice_[1], slice_[2], rows.seed) if slice_ is not None else None
    try:
        for chunk in rows.chunks(1, rows.sizes.articles, 1):
            if warcs is not None:
                warcs.write(chunk)
            yield encode(chunk, backend)
    finally:
        if warcs is not None:
            warcs.close()


def _produce(rows: BigArchiveRows, backend: str, slice_: WarcArgs, queue: Any) -> None:
    try:
        for chunk in generate(rows, backend, slice_):
            queue.put(chunk)
        queue.put(None)
    except BaseException:
        queue.put(traceback.format_exc())
        raise


def generated_aside(rows: BigArchiveRows, backend: str, slice_: WarcArgs) -> Iterator[Encoded]:
    """``generate`` in a second process (forked, so it starts from this one's state), while this one loads.

    One generator keeps the rows those of the seed alone; the two processes overlap generation and loading.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)
    process = context.Process(target=_produce, args=(rows, backend, slice_, queue), daemon=True)
    process.start()
    return _received(process, queue)


def _received(process: Any, queue: Any) -> Iterator[Encoded]:
    try:
        while True:
            try:
                item = queue.get(timeout=10)
            except Empty:
                if not process.is_alive():
                    raise RuntimeError(f"big_archive: the generator exited ({process.exitcode})") from None
                continue
            if item is None:
                break
            if isinstance(item, str):
                raise RuntimeError(f"big_archive: the generator failed:\n{item}")
            yield item
    finally:
        process.join(timeout=60)
        if process.is_alive():
            process.kill()


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
    parser.add_argument("--inline", action="store_true",
                        help="Generate in this process, not in a second one (the same rows; for profiling).")
    args = parser.parse_args(argv)
    if args.db.startswith("sqlite:///") and Path(args.db.removeprefix("sqlite:///")).exists():
        print(f"big_archive: {args.db} exists; give a new file", file=sys.stderr)
        return 2
    result = build(args.db, args.articles, args.seed, args.warc_dir, args.warc_articles, args.inline)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
