"""Crawl throughput with WARC capture on vs off, side by side against one replica.

Run: ``.venv/bin/python bench/capture.py [--articles 2000] [--runs 3]``. Each run is a whole
``archiver crawl`` process into a fresh directory; runs alternate on/off. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time


def crawl(base_url: str, capture: bool) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "archiver", "crawl", "tarnkappe", "--base-url", base_url, "--db",
             f"sqlite:///{directory}/a.sqlite3", "--warc-dir", f"{directory}/warc", "--json", "-s",
             "LOG_LEVEL=WARNING", "-s", f"ARCHIVER_WARC_ENABLED={capture}"], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(result.stderr[-2000:])
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        return elapsed, int(summary["requests"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "archiver", "replica", "serve", "--articles",
                               str(args.articles)], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
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
