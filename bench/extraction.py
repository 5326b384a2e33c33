"""Extraction speed per core: each layout's page object vs ``trafilatura.extract`` on the same page.

Run: ``.venv/bin/python bench/extraction.py [--runs 5] [--seconds 2]``. Prints JSON. Each run times as
many extractions as fit in ``--seconds`` on one core, ours and trafilatura's runs alternating; the figures
are the medians over runs, their ratio, and the median of each pair's ratio.

The pages: the real sample page (tarnkappe.info, a WordPress site) read by the tk-theme layout as the
tarnkappe spider does (layout chosen by markup) and by the generic WordPress layout as the WordPress spider
pointed at the site would (``layout="wordpress"``); and the replica's pages of the layouts the real page
does not have (Hueman, the seed article; stock Twenty Twenty-One, a small 6 kB page).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from archiver.pages import Page, extract
from archiver.replica.app import ReplicaApp
from archiver.replica.wordpress import wp_path

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tarnkappe" / "live-approx-311235.html"


def pages() -> dict[str, tuple[str, str, str]]:
    """page -> (url, html, layout given to ``extract``)."""
    sample = SAMPLE.read_text(encoding="utf-8")
    tk = ReplicaApp(articles=300)
    seed = tk.site.article(tk.site.seed_index)
    wp = ReplicaApp(articles=300, kind="wp-classic")
    article = wp.site.article(250)
    sample_url = ("https://tarnkappe.info/artikel/krypto/"
                  "krypto-boerse-garantex-keine-geldwaesche-mehr-fuer-ganoven-311235.html")
    return {
        "tk-theme (real sample page)": (sample_url, sample, "auto"),
        "wordpress (real sample page)": (sample_url, sample, "wordpress"),
        "hueman (replica seed article)": ("http://h" + seed.path, tk.handle(seed.path, "", "h", False).body.decode(),
                                          "auto"),
        "wordpress (replica, Twenty Twenty-One)": ("http://h" + wp_path(article),
                                                   wp.handle(wp_path(article), "", "h", False).body.decode(), "auto"),
    }


def rate(function: Callable[[], object], seconds: float) -> float:
    function()  # warm-up: imports and caches
    count, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        function()
        count += 1
    return count / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    results = {}
    for name, (url, html, layout) in pages().items():
        def ours_once(url: str = url, html: str = html, layout: str = layout) -> object:
            return extract(Page(url, html), layout=layout)

        def theirs_once(url: str = url, html: str = html) -> object:
            return trafilatura.extract(html, url=url)

        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(args.runs):  # alternated, so that a slow spell of this shared machine hits both sides
            ours.append(rate(ours_once, args.seconds))
            theirs.append(rate(theirs_once, args.seconds))
        paired = [a / b for a, b in zip(ours, theirs, strict=True)]
        results[name] = {
            "archiver_pages_per_cpu_second": {"median": statistics.median(ours), "min": min(ours), "max": max(ours)},
            "trafilatura_pages_per_cpu_second": {"median": statistics.median(theirs), "min": min(theirs),
                                                 "max": max(theirs)},
            "ratio": statistics.median(ours) / statistics.median(theirs),
            # each run's ratio to the trafilatura run right after it: a spell of the machine that lasts a pair of
            # runs moves both of its rates, which the ratio of two medians taken apart does not cancel
            "paired_ratio": {"median": statistics.median(paired), "min": min(paired), "max": max(paired)},
        }
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
