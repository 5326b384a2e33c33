"""``archiver reparse`` and ``reextract`` on every core against one process, on the same WARC files.

Run: ``.venv/bin/python bench/reparse.py [--articles 2000] [--runs 3] [--workers N]
[--databases sqlite postgresql] [--archive DIR] [--against CHECKOUT]``.

One crawl of the replica (or an earlier one: ``--archive``);
then, per run and database, ``reparse --workers 1`` and ``--workers N`` (default: the machine's cores) side by side
into fresh databases, and ``reextract`` with each over a copy of the archive whose rows all name an older extractor
(so every row is rewritten, as after an upgrade). Whole processes; articles per second are stored versions over wall
seconds; the speed-up is the median of each pair's ratio. With ``--against`` (another checkout, e.g. ``git worktree
add CHECKOUT COMMIT``) each run is made by both, alternately, the order swapped every run, and each operation's
figures are given per checkout ("this", "baseline"). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from common import Measured, measure, run_archiver, spread, start_replica
from storage import drop_postgres, postgres_database

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
Run = Callable[[int, str], "Split"]  # (workers, checkout) -> the measured process


# ``archiver ARGS`` that prints, last on stderr, the CPU seconds of its own process (the writer) and of its workers.
WITH_WRITER_CPU = """
import json, resource, sys
from archiver.cli import main
code = main(sys.argv[1:])
own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"writer_cpu": own.ru_utime + own.ru_stime, "workers_cpu": workers.ru_utime + workers.ru_stime}),
      file=sys.stderr)
sys.exit(code)
"""


@dataclass
class Split:
    run: Measured
    writer_cpu: float  # the command's own process: start-up, the first pass's gathering, every write
    workers_cpu: float


def archiver(checkout: str, *args: str) -> Split:
    """``archiver ARGS`` of the checkout (``python -c`` imports the package of its working directory first)."""
    result = measure([sys.executable, "-c", WITH_WRITER_CPU, *args], cwd=checkout)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    cpu = json.loads(result.stderr.strip().splitlines()[-1])
    return Split(result, cpu["writer_cpu"], cpu["workers_cpu"])


def side_by_side(run: Run, workers: int, runs: int, articles: int, checkouts: dict[str, str]) -> dict[str, object]:
    measured: dict[str, tuple[list[Split], list[Split]]] = {name: ([], []) for name in checkouts}
    for n in range(runs):  # alternated, so that a slow spell of this shared machine hits both sides
        for name in (list(checkouts) if n % 2 == 0 else list(reversed(checkouts))):
            one, many = measured[name]
            one.append(run(1, checkouts[name]))
            many.append(run(workers, checkouts[name]))
    figures = {name: _figures(one, many, workers, articles) for name, (one, many) in measured.items()}
    return figures["this"] if len(figures) == 1 else figures


def _figures(one: list[Split], many: list[Split], workers: int, articles: int) -> dict[str, object]:
    return {
        "one_process_articles_per_second": spread([articles / m.run.seconds for m in one]),
        f"{workers}_workers_articles_per_second": spread([articles / m.run.seconds for m in many]),
        "speedup": spread([a.run.seconds / b.run.seconds for a, b in zip(one, many, strict=True)]),
        # CPU of the whole process tree (workers included): what splitting the work costs on top
        "cpu_ms_per_article": {"one_process": spread([1000 * m.run.cpu / articles for m in one]),
                               f"{workers}_workers": spread([1000 * m.run.cpu / articles for m in many]),
                               f"{workers}_workers_writer": spread([1000 * m.writer_cpu / articles for m in many])},
        # The wall time the CPU allows on idle cores: all the work spread over the cores, or the writer's share
        # if that is longer. On a machine shared with other sessions, the scheduler gives a session's processes
        # one share together (autogroup), so the measured speed-up above cannot exceed 1 while others are busy.
        "speedup_the_cpu_allows": spread([a.run.cpu / max(b.writer_cpu, b.run.cpu / workers)
                                          for a, b in zip(one, many, strict=True)]),
    }


def fresh(target: str) -> None:
    """No database at ``target``: a WAL file left beside it would be replayed into the next database there."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(target + suffix):
            os.unlink(target + suffix)


def sqlite_runs(warc_dir: str, crawl_db: str, directory: str) -> tuple[Run, Run]:
    def reparse(workers: int, checkout: str) -> Split:
        target = f"{directory}/reparsed.sqlite3"
        fresh(target)
        return archiver(checkout, "reparse", "--warc-dir", warc_dir, "--db", f"sqlite:///{target}", "--workers",
                        str(workers))

    def reextract(workers: int, checkout: str) -> Split:
        target = f"{directory}/reextracted.sqlite3"
        fresh(target)
        with sqlite3.connect(crawl_db) as source, sqlite3.connect(target) as conn:
            source.backup(conn)  # what a WAL file of the crawl's still holds included
            conn.execute("UPDATE article_versions SET extractor = '0.0.1'")
        return archiver(checkout, "reextract", "--warc-dir", warc_dir, "--db", f"sqlite:///{target}", "--workers",
                        str(workers))

    return reparse, reextract


def postgres_runs(warc_dir: str, admin: str) -> tuple[Run, Run]:
    def reparse(workers: int, checkout: str) -> Split:
        url, name = postgres_database(admin)
        try:
            return archiver(checkout, "reparse", "--warc-dir", warc_dir, "--db", url, "--workers", str(workers))
        finally:
            drop_postgres(admin, name)

    def reextract(workers: int, checkout: str) -> Split:
        url, name = postgres_database(admin)
        try:
            archiver(checkout, "reparse", "--warc-dir", warc_dir, "--db", url, "--workers", str(workers))
            import psycopg

            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute("UPDATE article_versions SET extractor = '0.0.1'")
            return archiver(checkout, "reextract", "--warc-dir", warc_dir, "--db", url, "--workers", str(workers))
        finally:
            drop_postgres(admin, name)

    return reparse, reextract


def _commit(checkout: str) -> str:
    return subprocess.run(["git", "-C", checkout, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--archive", help="A directory holding an earlier crawl (warc/ and a.sqlite3) to use instead "
                                          "of crawling the replica.")
    parser.add_argument("--against", help="Another checkout (a git worktree) to run alternately with this one.")
    args = parser.parse_args()
    checkouts = {"this": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    if args.against:
        checkouts["baseline"] = os.path.abspath(args.against)
    results: dict[str, object] = {"articles": args.articles, "workers": args.workers,
                                  "checkouts": {name: _commit(path) for name, path in checkouts.items()}}
    with tempfile.TemporaryDirectory() as directory:
        if args.archive:
            archive = os.path.abspath(args.archive)
            warc_dir, crawl_db = f"{archive}/warc", f"{archive}/a.sqlite3"
        else:
            server, base_url = start_replica(args.articles)
            try:
                run_archiver("crawl", base_url, directory)
            finally:
                server.terminate()
            warc_dir, crawl_db = f"{directory}/warc", f"{directory}/a.sqlite3"
        with sqlite3.connect(crawl_db) as conn:
            results["articles"] = articles = conn.execute("SELECT count(*) FROM article_versions").fetchone()[0]
            results["captures"] = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        results["warc_bytes"] = sum(entry.stat().st_size for entry in os.scandir(warc_dir))
        for database in args.databases:
            reparse, reextract = (sqlite_runs(warc_dir, crawl_db, directory) if database == "sqlite"
                                  else postgres_runs(warc_dir, args.postgres))
            results[database] = {"reparse": side_by_side(reparse, args.workers, args.runs, articles, checkouts),
                                 "reextract": side_by_side(reextract, args.workers, args.runs, articles, checkouts)}
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
