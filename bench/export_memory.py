"""Peak memory of `archiver export` at 5,000 vs 50,000 articles (it streams: it should stay flat).

Run: ``.venv/bin/python bench/export_memory.py [--small 5000] [--large 50000] [--format jsonl|csv|parquet]``.
500 replica pages are extracted once and stored again under new post IDs until each archive has its size; then
``archiver export --format FORMAT -o /dev/null`` (Parquet: a file) runs as a whole process and its peak RSS
(``ru_maxrss`` of the child) is read. Prints JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import tempfile
import time

from storage import items

from archiver.storage.db import make_engine, upgrade
from archiver.storage.repository import ArchiveStore


def build(url: str, size: int, base: list) -> None:  # type: ignore[type-arg]
    upgrade(url)
    store = ArchiveStore(make_engine(url))
    batch = []
    for n in range(size):
        item = copy.copy(base[n % len(base)])
        item.post_id = 10_000_000 + n
        item.url = f"{item.url}?copy={n}"
        batch.append(item)
        if len(batch) == 500:
            store.store_articles(batch)
            batch = []
    if batch:
        store.store_articles(batch)
    store.engine.dispose()


def peak_rss_mb(url: str, fmt: str, output: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "archiver", "export", "--db", url, "--format", fmt, "-o", output],
                   check=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=5000)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--format", choices=["jsonl", "csv", "parquet"], default="jsonl")
    args = parser.parse_args()
    base = items(500)
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for size in (args.small, args.large):  # small first: ru_maxrss of children only grows
            url = f"sqlite:///{directory}/a{size}.sqlite3"
            build(url, size, base)
            # Parquet needs a file it can seek in; JSONL and CSV stream to /dev/null.
            output = f"{directory}/out.parquet" if args.format == "parquet" else "/dev/null"
            rss, seconds = peak_rss_mb(url, args.format, output)
            results[str(size)] = {"peak_rss_mb": round(rss, 1), "seconds": round(seconds, 1)}
    results["ratio"] = results[str(args.large)]["peak_rss_mb"] / results[str(args.small)]["peak_rss_mb"]
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
