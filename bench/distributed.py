"""Distributed crawl throughput: 1, 2 and 4 workers (scrapy-redis + PostgreSQL) against one replica.

Run: ``.venv/bin/python bench/distributed.py [--articles 5000] [--runs 2] [--workers 1 2 4]``. Needs the
Redis and PostgreSQL of this machine (ARCHIVER_BENCH_REDIS, ARCHIVER_BENCH_PG). Each run starts N
``archiver crawl --distributed`` processes together into a fresh database and WARC directory; pages/s
is every worker's responses over the wall time from the first start to the last exit, start-up and the
one-second idle close included (fixed costs: at 2,000 articles in a fast spell they were a fifth of a
two-worker run, so the default is the crawl benchmark's 5,000). Beside it, what the cores did: the
workers' CPU per page (reaped children's rusage) and the whole machine's busy cores over the run
(``/proc/stat``: the workers, PostgreSQL, Redis and the server together). Prints JSON.

Beside them, in every round, ``wget --recursive --warc-file`` over the same replica (the issue's reference for two
workers; ``--no-wget`` leaves it out): its pages/s, and per worker count the ratio of pages/s (``vs_wget``) and
of the time each took to archive the whole replica (``site_time_vs_wget``, wget's seconds over the workers'; above
1 the workers were done sooner). The two differ because wget asks for about twice as many URLs: it follows every
listing page and image size, the archiver finds the articles through the sitemaps.

And in every round Scrapy's floor (``--no-floor`` leaves it out): as many processes of ``floor_spider.py``, plain
Scrapy with the same concurrency, fetching the URLs the archiver's first run fetched, split between them, and
doing nothing with the responses: no discovery, capture, extraction, storage or shared queue. Its pages/s is the
most any Scrapy crawler of the same pages could reach here; per worker count ``vs_floor`` is the archiver's
pages/s over the floor's, and the floor's own ``vs_wget`` says what Scrapy alone leaves of the wget target.

``--against DIR``: a checkout of another commit (``git worktree add DIR COMMIT``) runs every worker count
too, against the same replica, the two checkouts alternating in order from round to round; the result has a
``baseline`` beside the figures (the comparison of two commits in one spell of the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from common import (
    BARE_SCRAPY_SETTINGS,
    Checkout,
    add_server_argument,
    checkout,
    children_cpu,
    run_wget,
    spread,
    start_replica,
)
from warcio.archiveiterator import ArchiveIterator

REDIS = os.environ.get("ARCHIVER_BENCH_REDIS", "redis://127.0.0.1:6379/0")
HERE = str(Path(__file__).resolve().parents[1])
PG_ADMIN = os.environ.get("ARCHIVER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
FLOOR_SPIDER = str(Path(__file__).resolve().parent / "floor_spider.py")
# The archiver's speed-ups any Scrapy crawl could have (a misspelt path fails the floor spider's start): its stats
# collector, its garbage-collector threshold (the extension does nothing without ARCHIVER_GC_THRESHOLD, which
# outside the archiver's settings is unset) and its CONCURRENT_ITEMS (Scrapy starts that many tasks for every
# response's output, even an empty one).
FLOOR_SETTINGS = ["-s", "STATS_CLASS=archiver.crawl.stats.PlainStatsCollector",
                  "-s", 'EXTENSIONS={"archiver.crawl.gc_tuning.GarbageCollectorTuning": 0}',
                  "-s", "ARCHIVER_GC_THRESHOLD=7000", "-s", "CONCURRENT_ITEMS=4"]


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (Linux), or None."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def response_urls(warc_dir: Path) -> list[str]:
    """The URL of every response a run archived, robots.txt left out (a crawler asks for it itself)."""
    urls = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                url = record.rec_headers.get_header("WARC-Target-URI")
                # A revisit stands for a response whose payload an earlier record holds.
                if record.rec_type in ("response", "revisit") and not url.endswith("/robots.txt"):
                    urls.append(url)
    return urls


@dataclass(frozen=True)
class Together:
    """Processes started together and waited for: their standard outputs, the wall seconds from the first start
    to the last exit, their CPU seconds and the machine's busy CPU seconds over that time."""

    outputs: list[str]
    seconds: float
    cpu: float
    busy: float | None


def run_together(commands: list[list[str]], what: str, cwd: str, env: dict[str, str] | None = None) -> Together:
    started, cpu_before, busy_before = time.perf_counter(), children_cpu(), machine_busy_seconds()
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                                  env=env) for command in commands]
    outputs = [process.communicate() for process in processes]
    elapsed = time.perf_counter() - started
    cpu, busy_after = children_cpu() - cpu_before, machine_busy_seconds()
    for process, (_, err) in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise SystemExit(f"{what} failed (exit {process.returncode}): {err[-2000:]}")
    busy = busy_after - busy_before if busy_after is not None and busy_before is not None else None
    return Together([out for out, _ in outputs], elapsed, cpu, busy)


def run(base_url: str, workers: int, code: Checkout,
        urls_file: Path | None = None) -> tuple[float, int, float, float | None]:
    """Wall seconds, responses, the workers' CPU seconds and the machine's busy CPU seconds of one run; with
    ``urls_file``, the URLs it fetched are written there, one per line."""
    name = f"archiver_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        with tempfile.TemporaryDirectory() as directory:
            done = run_together(
                [[sys.executable, "-m", "archiver", "crawl", "tarnkappe", "--base-url", base_url, "--db", db,
                  "--warc-dir", f"{directory}/warc", "--distributed", "--redis-url", REDIS, "--worker-id", f"b{i}",
                  "--json", "-s", "LOG_LEVEL=WARNING", "-s", "ARCHIVER_IDLE_CLOSE=1"] for i in range(workers)],
                "a worker", code.cwd, {**os.environ, **code.env})
            responses = sum(json.loads(out.strip().splitlines()[-1])["responses"] for out in done.outputs)
            if urls_file is not None:
                urls_file.write_text("".join(url + "\n" for url in response_urls(Path(directory, "warc"))))
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return done.seconds, responses, done.cpu, done.busy


def run_floor(urls_file: Path, processes: int) -> tuple[float, int, float, float | None]:
    """The same four figures for ``processes`` floor spiders fetching every URL of ``urls_file`` between them."""
    with tempfile.TemporaryDirectory() as directory:
        # From an empty directory: no scrapy.cfg, so Scrapy's defaults and the settings given here, which include
        # the archiver's speed-ups any Scrapy crawl could have (FLOOR_SETTINGS), so that the floor is a ceiling
        # on speed.
        done = run_together(
            [[sys.executable, "-m", "scrapy", "runspider", FLOOR_SPIDER, "-a", f"urls={urls_file}", "-a",
              f"out={directory}/{i}.json", "-a", f"part={i}", "-a", f"parts={processes}", *BARE_SCRAPY_SETTINGS,
              "-s", "REMOTE_CONTROL_ENABLED=False", *FLOOR_SETTINGS] for i in range(processes)],
            "the floor spider", directory)
        responses = sum(json.loads(Path(directory, f"{i}.json").read_text())["responses"] for i in range(processes))
    return done.seconds, responses, done.cpu, done.busy


@dataclass
class Series:
    """One checkout's runs (or the floor's), per worker count."""

    rates: dict[int, list[float]] = field(default_factory=dict)
    pages: dict[int, list[int]] = field(default_factory=dict)
    cpu: dict[int, list[float]] = field(default_factory=dict)  # the workers' CPU-ms per page
    cores: dict[int, list[float]] = field(default_factory=dict)  # the machine's busy cores
    seconds: dict[int, list[float]] = field(default_factory=dict)

    def add(self, workers: int, elapsed: float, responses: int, workers_cpu: float, busy: float | None) -> None:
        self.rates.setdefault(workers, []).append(responses / elapsed)
        self.pages.setdefault(workers, []).append(responses)
        self.cpu.setdefault(workers, []).append(1000 * workers_cpu / responses)
        self.seconds.setdefault(workers, []).append(elapsed)
        if busy is not None:
            self.cores.setdefault(workers, []).append(busy / elapsed)

    def summary(self, wget: dict[str, Any] | None, floor: Series | None = None) -> dict[str, Any]:
        one = statistics.median(next(iter(self.rates.values())))
        figures: dict[str, Any] = {}
        for n, v in self.rates.items():
            cores = self.cores.get(n)
            figures[str(n)] = {"pages_per_second": spread(v), "pages": statistics.median(self.pages[n]),
                               "speedup": statistics.median(v) / one, "seconds": spread(self.seconds[n]),
                               "worker_cpu_ms_per_page": spread(self.cpu[n]),
                               "machine_cores_busy": spread(cores) if cores else None}
            if wget is not None:
                figures[str(n)]["vs_wget"] = statistics.median(v) / wget["pages_per_second"]["median"]
                figures[str(n)]["site_time_vs_wget"] = wget["seconds"]["median"] / statistics.median(self.seconds[n])
            if floor is not None and n in floor.rates:
                figures[str(n)]["vs_floor"] = statistics.median(v) / statistics.median(floor.rates[n])
        return figures


def run_wget_measured(base_url: str) -> tuple[float, int, float]:
    """Wall seconds, responses and CPU seconds of one wget run over the replica."""
    with tempfile.TemporaryDirectory() as directory:
        measured, responses = run_wget(base_url, directory)
    return measured.seconds, responses, measured.cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--against", help="a checkout of the commit to compare with, crawling the same replica")
    parser.add_argument("--no-wget", dest="wget", action="store_false", help="leave out the wget baseline")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="leave out Scrapy's floor (bare spiders fetching the archiver's URLs)")
    add_server_argument(parser)
    args = parser.parse_args()
    trees = {"this": HERE}
    if args.against:
        trees["baseline"] = checkout(parser, args.against)
    server, base_url = start_replica(args.articles, args.server)
    figures = {name: Series() for name in trees}
    floor = Series() if args.floor else None
    wget_runs: list[tuple[float, int, float]] = []
    scratch = tempfile.TemporaryDirectory()
    urls_file = Path(scratch.name, "urls.txt")
    try:
        for round_number in range(args.runs):
            even = round_number % 2 == 0
            if args.wget and even:
                wget_runs.append(run_wget_measured(base_url))
            for workers in args.workers:
                # The floor fetches what the very first archiver run fetched, so it comes after the archiver in
                # even rounds (the first included) and before it in odd ones.
                if floor is not None and not even:
                    floor.add(workers, *run_floor(urls_file, workers))
                for name, tree in list(trees.items()) if even else list(trees.items())[::-1]:
                    record = urls_file if floor is not None and not urls_file.exists() else None
                    figures[name].add(workers, *run(base_url, workers, Checkout(tree), record))
                if floor is not None and even:
                    floor.add(workers, *run_floor(urls_file, workers))
            if args.wget and not even:
                wget_runs.append(run_wget_measured(base_url))
    finally:
        server.terminate()
        scratch.cleanup()
    wget = None
    if wget_runs:
        wget = {"pages_per_second": spread([p / t for t, p, _ in wget_runs]),
                "pages": statistics.median(p for _, p, _ in wget_runs), "seconds": spread([t for t, _, _ in wget_runs]),
                "cpu_ms_per_page": spread([1000 * c / p for _, p, c in wget_runs])}
    result: dict[str, Any] = {"articles": args.articles, "cpus": os.cpu_count(), "server": server.description,
                              "workers": figures["this"].summary(wget, floor)}
    if wget is not None:
        result["wget"] = wget
    if floor is not None:
        result["floor"] = floor.summary(wget)
    if args.against:
        result["baseline"] = {"tree": trees["baseline"], "workers": figures["baseline"].summary(wget, floor)}
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
