"""An update over an unchanged replica next to the full crawl of it: wall time and requests.

Run: ``.venv/bin/python bench/update.py [--articles 5000] [--runs 3]``. One full crawl, then ``--runs``
update runs against the same, unchanged replica; whole processes. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile

from common import run_archiver, start_replica


def run(mode: str, base_url: str, directory: str) -> tuple[float, int]:
    seconds, summary = run_archiver(mode, base_url, directory)
    return seconds, int(summary["requests"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server, base_url = start_replica(args.articles)
    try:
        with tempfile.TemporaryDirectory() as directory:
            full_seconds, full_requests = run("crawl", base_url, directory)
            updates = [run("update", base_url, directory) for _ in range(args.runs)]
    finally:
        server.terminate()
    seconds = [u[0] for u in updates]
    json.dump({"articles": args.articles, "full_crawl": {"seconds": full_seconds, "requests": full_requests},
               "update": {"seconds": {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds)},
                          "requests": statistics.median(u[1] for u in updates)},
               "request_ratio": statistics.median(u[1] for u in updates) / full_requests}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
