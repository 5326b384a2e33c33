"""Capture's cost on the crawler's core: CPU per response of the capture extension alone, with a real writer.

Run: ``.venv/bin/python bench/capture_handover.py [--responses 5000] [--runs 5]``.
Builds real Scrapy requests and responses like those of a crawl of the replica behind nginx (an 18 kB page,
nginx's headers, the wire hook's connection headers), then calls ``WarcCaptureExtension.response_downloaded``
for each and settles, as storage does. The baseline is the same path writing inline, in the crawler's own
process (``ARCHIVER_WARC_WRITER=inline``, what distributed workers do); the two alternate within each round.
Every run is a fresh extension and WARC directory; the crawler's CPU (``time.process_time``) is per response
over the run, the writer child's (reaped, from ``RUSAGE_CHILDREN``) per response over its runs. A crawl
measures capture's whole cost (``crawl.py``); this isolates the per-response path, which a crawl's profile
spreads over signal dispatch and the reactor. Prints JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from ipaddress import ip_address
from typing import Any

from common import children_cpu, spread
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from archiver.crawl import signals as archiver_signals
from archiver.crawl.capture import WarcCaptureExtension
from archiver.crawl.settings import archiver_defaults

BODY = b"<!DOCTYPE html><html><body>" + b"<p>Ein Absatz mit Text.</p>" * 660 + b"</body></html>"
REQUEST_HEADERS = {"User-Agent": "archiver/0.1 (+https://example.org/archiver)",
                   "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                   "Accept-Language": "de", "Accept-Encoding": "gzip, deflate", "Referer": "http://127.0.0.1:8000/"}
RESPONSE_HEADERS = {"Server": "nginx/1.22.1", "Date": "Fri, 27 Nov 2026 11:48:04 GMT",
                    "Content-Type": "text/html; charset=UTF-8", "ETag": '"c91ccfaba03f2ec736a1"',
                    "Last-Modified": "Fri, 27 Nov 2026 11:00:00 GMT"}


def exchanges(count: int) -> list[tuple[HtmlResponse, Request]]:
    pairs = []
    for n in range(count):
        request = Request(f"http://127.0.0.1:8000/artikel/seite-{n}.html", headers=REQUEST_HEADERS)
        request.meta["download_latency"] = 0.01
        request.meta["archiver_wire"] = {"phrase": "OK", "protocol": "HTTP/1.1", "conn_headers": [
            (b"Content-Length", [str(len(BODY)).encode()]), (b"Connection", [b"keep-alive"])]}
        pairs.append((HtmlResponse(request.url, status=200, body=BODY, request=request, headers=RESPONSE_HEADERS,
                                   ip_address=ip_address("127.0.0.1")), request))
    return pairs


def run(pairs: list[tuple[HtmlResponse, Request]], writer: str) -> float:
    """Microseconds of this process's CPU per response: hand-over, answers and capture rows announced."""
    with tempfile.TemporaryDirectory() as directory:
        crawler = get_crawler(Spider, {**archiver_defaults(), "ARCHIVER_WARC_DIR": directory,
                                       "ARCHIVER_WARC_REVISITS": False, "ARCHIVER_WARC_WRITER": writer})
        extension = WarcCaptureExtension.from_crawler(crawler)
        rows: list[Any] = []
        crawler.signals.connect(lambda records: rows.extend(records), signal=archiver_signals.captures_archived,
                                weak=False)
        spider = Spider("bench")
        gc.collect()
        started = time.process_time()
        for response, request in pairs:
            extension.response_downloaded(response, request, spider)
        extension.settle()
        cpu = time.process_time() - started
        extension.spider_closed(spider, "finished")
        if len(rows) != len(pairs) or extension.failed:
            raise SystemExit(f"capture failed: {extension.failed or f'{len(rows)} of {len(pairs)} rows'}")
    return cpu / len(pairs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pairs = exchanges(args.responses)
    crawler_us: dict[str, list[float]] = {"process": [], "inline": []}
    child_seconds = 0.0
    for _ in range(args.runs):
        for writer in crawler_us:
            before = children_cpu()
            crawler_us[writer].append(run(pairs, writer))
            if writer == "process":
                child_seconds += children_cpu() - before
    process, inline = (statistics.median(crawler_us[w]) for w in ("process", "inline"))
    json.dump({"responses": args.responses, "runs": args.runs, "body_bytes": len(BODY),
               "crawler_us_per_response": {w: spread(v) for w, v in crawler_us.items()},
               "writer_child_us_per_response": child_seconds / (args.responses * args.runs) * 1e6,
               "process_vs_inline": process / inline}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
