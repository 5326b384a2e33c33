"""Crawl throughput: the full archiver vs a bare Scrapy CrawlSpider vs ``wget --recursive --warc-file``,
and the archiver with WARC capture off, side by side against one replica; optionally a profile.

Run: ``.venv/bin/python bench/crawl.py [--articles 5000] [--runs 3] [--profile]``. Every run is a whole
process into a fresh directory; the variants alternate within each round so that machine noise hits
all of them alike. Same concurrency for the archiver and the bare spider (16 requests, no delays).
Prints JSON: pages/s, CPU seconds per page and peak RSS per variant (median, min, max), and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import (
    BARE_SCRAPY_SETTINGS,
    Measured,
    add_server_argument,
    archiver_command,
    measure,
    run_archiver_measured,
    run_wget,
    spread,
    start_replica,
)

HERE = Path(__file__).resolve().parent


def archiver(base_url: str, directory: str, capture: bool) -> tuple[Measured, int]:
    result, summary = run_archiver_measured("crawl", base_url, directory, f"ARCHIVER_WARC_ENABLED={capture}")
    return result, int(summary["responses"])


def bare_scrapy(base_url: str, directory: str) -> tuple[Measured, int]:
    out = f"{directory}/stats.json"
    result = measure([sys.executable, "-m", "scrapy", "runspider", str(HERE / "bare_spider.py"), "-a",
                      f"base_url={base_url}", "-a", f"out={out}", *BARE_SCRAPY_SETTINGS], cwd=directory)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return result, int(json.loads(Path(out).read_text())["responses"])


VARIANTS = {"archiver": lambda url, d: archiver(url, d, True),
            "archiver_no_capture": lambda url, d: archiver(url, d, False), "bare_scrapy": bare_scrapy, "wget": run_wget}


def profile(base_url: str) -> list[dict[str, Any]]:
    """The archiver's crawl under cProfile, in this process: the top functions by own time."""
    from archiver.cli import main

    with tempfile.TemporaryDirectory() as directory, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        profiler = cProfile.Profile()
        profiler.enable()
        main(archiver_command("crawl", base_url, directory)[3:])
        profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:25]  # type: ignore[attr-defined]
    return [{"function": f"{Path(f).name}:{line}({name})", "own_s": round(own, 3), "share": round(own / total, 4),
             "cumulative_s": round(cumulative, 3)} for (f, line, name), (_, _, own, cumulative, _) in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=list(VARIANTS))
    parser.add_argument("--profile", action="store_true")
    add_server_argument(parser)
    args = parser.parse_args()
    server, base_url = start_replica(args.articles, args.server)
    runs: dict[str, list[tuple[Measured, int]]] = {name: [] for name in args.only}
    try:
        for _ in range(args.runs):
            for name in args.only:
                with tempfile.TemporaryDirectory() as directory:
                    runs[name].append(VARIANTS[name](base_url, directory))
        top = profile(base_url) if args.profile else None
    finally:
        server.terminate()
    result: dict[str, Any] = {"articles": args.articles, "runs": args.runs, "server": server.description,
                              "variants": {}}
    for name, measured in runs.items():
        result["variants"][name] = {
            "pages": statistics.median(pages for _, pages in measured),
            "pages_per_second": spread([pages / m.seconds for m, pages in measured]),
            "cpu_ms_per_page": spread([1000 * m.cpu / pages for m, pages in measured]),
            "max_rss_mb": spread([m.max_rss_mb for m, _ in measured]),
        }
    rate = {name: v["pages_per_second"]["median"] for name, v in result["variants"].items()}
    if "archiver" in rate and "bare_scrapy" in rate:
        result["archiver_vs_bare_scrapy"] = rate["archiver"] / rate["bare_scrapy"]
    if "archiver" in rate and "wget" in rate:
        result["archiver_vs_wget"] = rate["archiver"] / rate["wget"]
    if "archiver" in rate and "archiver_no_capture" in rate:
        result["capture_cost"] = 1 - rate["archiver"] / rate["archiver_no_capture"]
    if top is not None:
        result["profile_top"] = top
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
