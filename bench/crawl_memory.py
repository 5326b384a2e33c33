"""Peak RSS of a full archiver crawl of a 5,000- and a 50,000-article replica, side by side.

Run: ``.venv/bin/python bench/crawl_memory.py [--small 5000] [--large 50000] [--runs 3]``. Whole
processes, peak RSS from wait4; the sizes alternate within each round (one replica per size, started
afresh each round) and the growth is the ratio of the medians: one run's peak moves by several MB. Images
are not fetched (``ARCHIVER_FETCH_IMAGES=False``) to keep the large run near ten minutes; they add
requests, not state that grows. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile

from common import run_archiver_measured, spread, start_replica


def crawl(articles: int) -> dict[str, float]:
    server, base_url = start_replica(articles)
    try:
        with tempfile.TemporaryDirectory() as directory:
            measured, summary = run_archiver_measured("crawl", base_url, directory, "ARCHIVER_FETCH_IMAGES=False")
    finally:
        server.terminate()
    return {"articles": articles, "responses": summary["responses"], "seconds": measured.seconds,
            "max_rss_mb": measured.max_rss_mb, "pages_per_second": summary["responses"] / measured.seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=5000)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"small": [], "large": []}
    for _ in range(args.runs):
        runs["small"].append(crawl(args.small))
        runs["large"].append(crawl(args.large))
    result: dict[str, object] = {}
    for size, measured in runs.items():
        result[size] = {"articles": measured[0]["articles"],
                        "responses": statistics.median(m["responses"] for m in measured),
                        "seconds": statistics.median(m["seconds"] for m in measured),
                        "max_rss_mb": statistics.median(m["max_rss_mb"] for m in measured),
                        "max_rss_mb_spread": spread([m["max_rss_mb"] for m in measured]),
                        "pages_per_second": statistics.median(m["pages_per_second"] for m in measured)}
    small, large = (statistics.median(m["max_rss_mb"] for m in runs[size]) for size in ("small", "large"))
    result["rss_growth"] = large / small - 1
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
