"""Peak RSS of a full archiver crawl of a 5,000- and a 50,000-article replica, side by side.

Run: ``.venv/bin/python bench/crawl_memory.py [--small 5000] [--large 50000]``. Whole processes, peak
RSS from wait4. Images are not fetched (``ARCHIVER_FETCH_IMAGES=False``) to keep the large run near
ten minutes; they add requests, not state that grows. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile

from common import run_archiver_measured, start_replica


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
    args = parser.parse_args()
    small, large = crawl(args.small), crawl(args.large)
    json.dump({"small": small, "large": large, "rss_growth": large["max_rss_mb"] / small["max_rss_mb"] - 1},
              sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
