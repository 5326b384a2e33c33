"""Hostile input from the replica's fault switches: wrong charsets, compression bombs, slow drips, traps.

Each test injects one fault and asserts what the archiver does with it (docs/reliability.md lists them).
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from archiver.crawl.settings import archiver_defaults
from archiver.items import CaptureRef, ExtractionFailure
from archiver.pages import extract, page_of
from archiver.replica.model import SiteModel
from archiver.replica.truth import GroundTruth
from archiver.storage.db import ensure_schema, make_engine
from archiver.storage.reader import iter_articles
from archiver.storage.repository import ArchiveStore
from spiders.wordpress import WordPressSpider

from .conftest import Replica, crawl_into, start_replica, stop_replica
from .test_capture import ROOT, fetch_command, fetch_with_log


def get(replica: Replica, path: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(replica.base_url + path, timeout=30) as answer:
        return answer.read(), answer.headers.get("Content-Type", "")


@pytest.fixture(scope="module")
def truth(replica: Replica) -> dict[str, Any]:
    site = SiteModel(replica.articles)
    item = GroundTruth(site, replica.base_url).item(site.article(0))
    item.pop("version")
    return item


def charset_cases() -> list[tuple[str, str, str]]:
    cases = [(actual, label, where) for actual in ("utf-8", "cp1252", "latin-1")
             for label in ("utf-8", "cp1252", "latin-1") for where in ("header", "meta")]
    cases += [(actual, "none", "none") for actual in ("utf-8", "cp1252", "latin-1")]
    cases += [("utf-8", "none", "bom")]
    return cases


def label_is_wrong(actual: str, label: str, where: str) -> bool:
    """A wrong label that changes the text: UTF-8 called single-byte, or single-byte called UTF-8.

    Latin-1 and windows-1252 labels are interchangeable (browsers and Scrapy read latin-1 as
    windows-1252, and a latin-1 page holds nothing where they differ).
    """
    if where in ("none", "bom"):
        return False
    return (actual == "utf-8") != (label == "utf-8")


@pytest.mark.parametrize(("actual", "label", "where"), charset_cases())
def test_charset_matrix_text_is_right_or_flagged(replica: Replica, truth: dict[str, Any], actual: str, label: str,
                                                 where: str) -> None:
    body, content_type = get(replica, f"/_faults/charset/{actual}/{label}/{where}")
    response = HtmlResponse(truth["url"], body=body, headers={"Content-Type": content_type})
    page, warning = page_of(response.url, response.body, response.encoding, response.text)
    item = extract(page)
    assert item.to_dict(with_html=False) == truth  # every field, umlauts, quotes and euro signs included
    if label_is_wrong(actual, label, where):
        assert warning is not None and warning.startswith("charset: declared")
        assert ("body is UTF-8" in warning) == (actual == "utf-8")
    else:
        assert warning is None


def test_a_wrong_label_is_stored_as_a_warning_and_the_raw_bytes_are_archived(
        replica: Replica, truth: dict[str, Any], tmp_path: Path) -> None:
    path = "/_faults/charset/utf-8/latin-1/header"
    served, content_type = get(replica, path)
    records = fetch_with_log([replica.base_url + path], tmp_path)[0]
    archived = [r for r in records if r[0] == "response"]
    assert len(archived) == 1 and archived[0][3].endswith(served)  # the bytes as sent, label and all
    response = HtmlResponse(truth["url"], body=served, headers={"Content-Type": content_type})
    page, warning = page_of(response.url, response.body, response.encoding, response.text)
    item = extract(page)
    item.warnings.append(warning or "")
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    ensure_schema(db)
    ArchiveStore(make_engine(db)).store_articles([item])
    stored = next(iter_articles(make_engine(db)))
    assert stored["warnings"] == ["charset: declared cp1252 but the body is UTF-8; decoded as UTF-8"]
    assert stored["title"] == truth["title"]


# Starts the command as its child and writes the child's peak RSS (kB). A child forked straight from the test
# process counts the test process's own pages until it execs (hundreds of MB late in a session): this launcher
# has exec'd first, so the fetch's figure is its own.
LAUNCHER = ("import os, sys\npid = os.fork()\nif pid == 0:\n    os.execv(sys.argv[2], sys.argv[2:])\n"
            "_, status, usage = os.wait4(pid, 0)\nopen(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
            "sys.exit(os.waitstatus_to_exitcode(status))")


def run_fetch(urls: list[str], directory: Path, *settings: str) -> tuple[str, float]:
    """The fetch helper as one process; its log and peak RSS in MB (its own, through LAUNCHER)."""
    args = fetch_command(urls, directory, *settings, "LOG_LEVEL=INFO")
    log, peak = directory / "log.txt", directory / "peak-rss.txt"
    directory.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        done = subprocess.run([sys.executable, "-c", LAUNCHER, str(peak), *args], cwd=ROOT, stdout=handle,
                              stderr=handle)
    assert done.returncode == 0, log.read_text()[-2000:]
    return log.read_text(), int(peak.read_text()) / 1024


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_decompression_bombs_stop_at_the_decoded_limit_with_bounded_memory(
        replica: Replica, tmp_path: Path, encoding: str) -> None:
    # 1 GiB once decoded, about a megabyte on the wire; the decoded limit is 16 MiB.
    url = f"{replica.base_url}/_faults/bomb/{encoding}/1024"
    log, peak_mb = run_fetch([url], tmp_path, f"DOWNLOAD_MAXSIZE={16 * 1024 * 1024}")
    assert "exceeded DOWNLOAD_MAXSIZE" in log and "during decompression" in log
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB: decoding was not bounded"
    from archiver.warc.reader import iter_records

    records = [r for path in sorted((tmp_path / "warc").glob("*.warc.gz")) for r in iter_records(path, False)]
    assert [r.target_uri for r in records if r.record_type == "response"] == [url]  # archived as received


def test_a_bomb_on_an_article_url_is_a_recorded_failure(replica: Replica) -> None:
    """Scrapy's own middleware refuses the bomb; the spider's errback turns that into a recorded failure."""
    body, _ = get(replica, "/_faults/bomb/gzip/64")
    crawler = get_crawler(WordPressSpider, {**archiver_defaults(), "DOWNLOAD_MAXSIZE": 1024 * 1024})
    spider = WordPressSpider.from_crawler(crawler, base_url=replica.base_url)
    crawler.spider = spider
    middleware = HttpCompressionMiddleware.from_crawler(crawler)
    article = SiteModel(replica.articles).article(0)
    request = Request(replica.base_url + article.path, meta={"warc_capture": CaptureRef(record_id="<urn:uuid:x>")})
    response = HtmlResponse(request.url, body=body, request=request,
                            headers={"Content-Encoding": "gzip", "Content-Type": "text/html"})
    with pytest.raises(IgnoreRequest) as refused:
        middleware.process_response(request, response)
    failure = Failure(refused.value)
    failure.request = request  # type: ignore[attr-defined]
    crawler.stats.open_spider()  # type: ignore[union-attr]
    (recorded,) = list(spider.article_error(failure))
    assert isinstance(recorded, ExtractionFailure) and recorded.url == request.url
    assert recorded.reason.startswith("decoded body larger than DOWNLOAD_MAXSIZE") and recorded.capture


def test_an_endless_slow_drip_ends_at_the_download_timeout(replica: Replica, tmp_path: Path) -> None:
    url = f"{replica.base_url}/_faults/drip/200"
    log, _ = run_fetch([url], tmp_path, "DOWNLOAD_TIMEOUT=2")
    assert "took longer than 2.0 seconds" in log
    assert not list((tmp_path / "warc").glob("*.warc.gz")) or "/_faults/drip/" not in "".join(
        p.read_bytes().decode("latin-1") for p in (tmp_path / "warc").glob("*.warc.gz"))


def test_a_redirect_loop_ends_after_the_redirect_limit(replica: Replica, tmp_path: Path) -> None:
    log, _ = run_fetch([f"{replica.base_url}/_faults/redirect-loop/a"], tmp_path, "REDIRECT_MAX_TIMES=5")
    assert "max redirections reached" in log.lower() or "Discarding" in log
    from archiver.warc.reader import iter_records

    records = [r for p in sorted((tmp_path / "warc").glob("*.warc.gz")) for r in iter_records(p, False)]
    assert len([r for r in records if r.record_type == "response"]) == 6  # the first request and 5 redirects


@pytest.fixture(scope="module")
def trap_replica() -> Any:
    server = start_replica(40, traps=True)
    yield server
    stop_replica(server)


def test_crawler_traps_end_with_a_bounded_number_of_requests(trap_replica: Replica, tmp_path: Path) -> None:
    clean = start_replica(40)
    try:
        baseline = crawl_into(clean, tmp_path / "clean").summary
    finally:
        stop_replica(clean)
    trapped = crawl_into(trap_replica, tmp_path / "traps")
    # The same pages as without traps: no calendar month, no reply/share/session variant, no /page/9999/.
    assert trapped.summary["requests"] == baseline["requests"]
    assert trapped.summary["archive"]["articles"] == 40 and trapped.summary["archive"]["versions"] == 40
    with make_engine(trapped.db_url).connect() as conn:
        from sqlalchemy import text

        urls = [row[0] for row in conn.execute(text("SELECT url FROM captures"))]
    for marker in ("replytocom", "share=", "PHPSESSID", "jsessionid", "?m=", "/page/9999", "paged=", "ical"):
        assert not [u for u in urls if marker in u], marker
