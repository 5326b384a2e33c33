"""Peak RSS of a full archiver crawl of a 5,000- and a 50,000-article replica, side by side.

Run: ``.venv/bin/python bench/crawl_memory.py [--small 5000] [--large 50000] [--runs 3] [--against DIR]``.
Whole processes, peak RSS from wait4; the sizes alternate within each round (one replica per size, started
afresh each round) and the growth is the ratio of the medians: one run's peak moves by several MB. Images
are not fetched (``ARCHIVER_FETCH_IMAGES=False``) to keep the large run near ten minutes; they add
requests, not state that grows.

``--against DIR``: a checkout of another commit (``git worktree add DIR COMMIT``). Each replica is then
crawled by both, this checkout's archiver and DIR's (run in DIR, see common.Checkout), alternating from round to
round, and the result has a ``baseline`` beside the figures: the comparison of two commits in one spell of
the machine, which moves a 50,000-article peak by several MB. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import Checkout, checkout, run_archiver_measured, spread, start_replica

HERE = str(Path(__file__).resolve().parents[1])


def crawl(base_url: str, tree: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        measured, summary = run_archiver_measured("crawl", base_url, directory, "ARCHIVER_FETCH_IMAGES=False",
                                                  code=Checkout(tree))
    return {"responses": summary["responses"], "seconds": measured.seconds, "max_rss_mb": measured.max_rss_mb,
            "pages_per_second": summary["responses"] / measured.seconds}


def summarize(runs: dict[int, list[dict[str, float]]], small: int, large: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for size, articles in (("small", small), ("large", large)):
        measured = runs[articles]
        result[size] = {"articles": articles,
                        "responses": statistics.median(m["responses"] for m in measured),
                        "seconds": statistics.median(m["seconds"] for m in measured),
                        "max_rss_mb": statistics.median(m["max_rss_mb"] for m in measured),
                        "max_rss_mb_spread": spread([m["max_rss_mb"] for m in measured]),
                        "pages_per_second": statistics.median(m["pages_per_second"] for m in measured)}
    result["rss_growth"] = result["large"]["max_rss_mb"] / result["small"]["max_rss_mb"] - 1
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=5000)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--against", help="a checkout of the commit to compare with, crawling the same replicas")
    args = parser.parse_args()
    trees = {"this": HERE}
    if args.against:
        trees["baseline"] = checkout(parser, args.against)
    runs: dict[str, dict[int, list[dict[str, float]]]] = {name: {args.small: [], args.large: []} for name in trees}
    for round_number in range(args.runs):
        for articles in (args.small, args.large):
            server, base_url = start_replica(articles)
            try:
                order = list(trees.items()) if round_number % 2 == 0 else list(trees.items())[::-1]
                for name, tree in order:
                    runs[name][articles].append(crawl(base_url, tree))
            finally:
                server.terminate()
    result = summarize(runs["this"], args.small, args.large)
    if args.against:
        result["baseline"] = {"tree": trees["baseline"], **summarize(runs["baseline"], args.small, args.large)}
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
