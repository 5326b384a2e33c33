"""An update over an unchanged site next to the full crawl of it: wall time and requests, by kind.

Run: ``.venv/bin/python bench/update.py [--articles 5000] [--runs 3] [--sites tarnkappe wp-classic]``. For each
replica site: one full crawl, then ``--runs`` update runs against the same, unchanged site; whole processes.
``tarnkappe`` is the Yoast-style replica without a REST API (its take-down check answers 404), ``wp-classic``
the stock WordPress replica (REST API, core sitemaps, RSS and Atom feeds), where the update asks the REST API
which known posts are still published (one request per 100) and what changed. Prints JSON; the figure is the
update's requests as a share of the full crawl's (target < 2 %).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from typing import Any

from common import measure
from sqlalchemy import create_engine, text

SPIDERS = {"tarnkappe": "tarnkappe", "wp-classic": "wordpress", "wp-block": "wordpress"}


def request_kind(url: str) -> str:
    """What an update asked for, by URL (the breakdown of its requests)."""
    if "/wp-json/" in url:
        return "rest_check" if "include=" in url else "rest"
    if url.endswith("/robots.txt"):
        return "robots"
    if "/feed" in url:
        return "feed"
    if url.endswith(".xml"):
        return "sitemap"
    return "page"


def requests_by_kind(db_url: str, run_id: int) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            urls = conn.execute(text("SELECT url FROM captures WHERE run_id = :run"), {"run": run_id}).scalars()
            return dict(sorted(Counter(map(request_kind, urls)).items()))
    finally:
        engine.dispose()


def run(mode: str, spider: str, base_url: str, directory: str) -> tuple[float, dict[str, Any]]:
    command = [sys.executable, "-m", "archiver", mode, spider, "--base-url", base_url, "--db",
               f"sqlite:///{directory}/a.sqlite3", "--warc-dir", f"{directory}/warc", "--json",
               "-s", "LOG_LEVEL=WARNING"]
    result = measure(command)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return result.seconds, json.loads(result.stdout.strip().splitlines()[-1])


def compare(spider: str, base_url: str, runs: int) -> dict[str, Any]:
    """One full crawl of the site at ``base_url``, then ``runs`` updates of it: the figures."""
    with tempfile.TemporaryDirectory() as directory:
        full_seconds, full = run("crawl", spider, base_url, directory)
        updates = [run("update", spider, base_url, directory) for _ in range(runs)]
        breakdown = requests_by_kind(f"sqlite:///{directory}/a.sqlite3", updates[-1][1]["run_id"])
    seconds = [u[0] for u in updates]
    requests = statistics.median(int(u[1]["requests"]) for u in updates)
    return {"full_crawl": {"seconds": full_seconds, "requests": int(full["requests"]),
                           "articles": int(full["articles_new"])},
            "update": {"seconds": {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds)},
                       "requests": requests, "requests_by_kind": breakdown,
                       "changed": sum(int(u[1]["articles_changed"]) + int(u[1]["articles_new"]) for u in updates)},
            "request_ratio": requests / int(full["requests"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sites", nargs="+", choices=sorted(SPIDERS), default=["tarnkappe", "wp-classic"])
    args = parser.parse_args()
    results: dict[str, Any] = {"articles": args.articles, "sites": {}}
    for site in args.sites:
        server = subprocess.Popen([sys.executable, "-m", "archiver", "replica", "serve", "--articles",
                                   str(args.articles), "--site", site], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            base_url = server.stdout.readline().strip()
            if not base_url.startswith("http://"):
                raise SystemExit(f"the {site} replica did not start")
            results["sites"][site] = compare(SPIDERS[site], base_url, args.runs)
        finally:
            server.terminate()
            server.wait(timeout=10)
    # The first site's figures where earlier result files had them (docs/benchmarks.md's history).
    first = results["sites"][args.sites[0]]
    results.update({"full_crawl": first["full_crawl"], "update": first["update"],
                    "request_ratio": first["request_ratio"]})
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
