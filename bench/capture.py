"""Crawl throughput with WARC capture on vs off, side by side against one replica.

Run: ``.venv/bin/python bench/capture.py [--articles 2000] [--runs 3]``. Each run is a whole
``archiver crawl`` process into a fresh directory; runs alternate on/off. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile

from common import run_archiver, start_replica


def crawl(base_url: str, capture: bool) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as directory:
        seconds, summary = run_archiver("crawl", base_url, directory, f"ARCHIVER_WARC_ENABLED={capture}")
        return seconds, int(summary["requests"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server, base_url = start_replica(args.articles)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for _ in range(args.runs):
            for mode in ("on", "off"):
                seconds, requests = crawl(base_url, mode == "on")
                rates[mode].append(requests / seconds)
    finally:
        server.terminate()
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    json.dump({"articles": args.articles, "pages_per_second": {k: {"median": statistics.median(v), "min": min(v),
                                                                   "max": max(v)} for k, v in rates.items()},
               "capture_cost": 1 - on / off}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
