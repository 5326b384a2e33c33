"""WARC capture against replica pages built for it: encodings, framing, headers, redirects, odd URLs, cuts."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.replica.model import SiteModel
from archiver.warc.verify import verify_file

from .conftest import Replica

ROOT = Path(__file__).resolve().parents[1]


def fetch(urls: list[str], directory: Path, *settings: str) -> list[Any]:
    """Fetch URLs through the archiver's stack; return (type, headers, http headers, raw payload) per record."""
    return fetch_with_log(urls, directory, *settings)[0]


def fetch_command(urls: list[str], directory: Path, *settings: str) -> list[str]:
    """The fetch helper's command line: the archiver's stack, no delays, no retries, nothing stored."""
    scrapy = Path(sys.executable).with_name("scrapy")
    args = [str(scrapy), "runspider", str(ROOT / "tests" / "helpers" / "fetch_spider.py"), "-a",
            f"urls={json.dumps(urls)}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "ROBOTSTXT_OBEY=False", "-s", "RETRY_ENABLED=False", "-s", "LOG_LEVEL=WARNING",
            "-s", f"ARCHIVER_DB_URL=sqlite:///{directory}/a.sqlite3", "-s", f"ARCHIVER_WARC_DIR={directory}/warc",
            "-s", "ITEM_PIPELINES={}", "-s", "ARCHIVER_ALLOWED_HOSTS=127.0.0.1"]
    for setting in settings:
        args += ["-s", setting]
    return args


def fetch_with_log(urls: list[str], directory: Path, *settings: str) -> tuple[list[Any], str]:
    """``fetch``, and the crawl's log."""
    args = fetch_command(urls, directory, *settings)
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    records = []
    for path in sorted((directory / "warc").glob("*.warc.gz")):
        assert verify_file(path).ok, verify_file(path).problems
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, no_record_parse=False):
                raw = record.raw_stream.read()
                records.append((record.rec_type, record.rec_headers, record.http_headers, raw))
    return records, result.stderr


def responses(records: list[Any], suffix: str) -> Iterator[Any]:
    for record in records:
        if record[0] in ("response", "revisit") and record[1].get_header("WARC-Target-URI").endswith(suffix):
            yield record


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


@pytest.fixture(scope="module")
def article(replica: Replica) -> Any:
    site = SiteModel(replica.articles)
    return next(site.article(i) for i in range(site.count) if site.article(i).post_id % 3 == 0)


def test_gzip_stays_gzip_and_the_digest_covers_the_encoded_bytes(replica: Replica, article: Any,
                                                                 tmp_path: Path) -> None:
    records = fetch([replica.base_url + article.path], tmp_path)
    (_, headers, http, raw) = next(responses(records, article.path))
    assert http.get_header("Content-Encoding") == "gzip"
    assert raw.startswith(b"\x1f\x8b")
    assert headers.get_header("WARC-Payload-Digest") == sha1(raw)


def test_chunked_is_stored_dechunked_with_the_header_renamed(replica: Replica, article: Any, tmp_path: Path) -> None:
    records = fetch([replica.base_url + article.path], tmp_path)
    (_, _, http, raw) = next(responses(records, article.path))
    assert http.get_header("X-Crawler-Transfer-Encoding") == "chunked"
    assert http.get_header("Transfer-Encoding") is None
    assert int(http.get_header("Content-Length")) == len(raw)


def test_repeated_headers_survive(replica: Replica, article: Any, tmp_path: Path) -> None:
    records = fetch([replica.base_url + article.path], tmp_path)
    (_, _, http, _) = next(responses(records, article.path))
    links = [value for name, value in http.headers if name.lower() == "link"]
    assert len(links) == 2 and "shortlink" in links[0] and "api.w.org" in links[1]


def test_redirect_chain_gives_two_exchanges(replica: Replica, article: Any, tmp_path: Path) -> None:
    records = fetch([f"{replica.base_url}/?p={article.post_id}"], tmp_path)
    kinds = [(r[0], r[1].get_header("WARC-Target-URI")) for r in records if r[0] in ("request", "response")]
    assert ("response", f"{replica.base_url}/?p={article.post_id}") in kinds
    assert ("request", f"{replica.base_url}/?p={article.post_id}") in kinds
    assert ("response", replica.base_url + article.path) in kinds
    assert ("request", replica.base_url + article.path) in kinds
    (_, _, http, _) = next(responses(records, f"/?p={article.post_id}"))
    assert http.get_statuscode() == "301"


def test_odd_url_is_percent_encoded_with_its_query(replica: Replica, tmp_path: Path) -> None:
    records = fetch([f"{replica.base_url}/suche/Börse Garantex?q=geld wäsche&x=1"], tmp_path)
    targets = {r[1].get_header("WARC-Target-URI") for r in records if r[0] == "request"}
    assert targets == {f"{replica.base_url}/suche/B%C3%B6rse%20Garantex?q=geld%20w%C3%A4sche&x=1"}
    request = next(r for r in records if r[0] == "request")
    request_line = f"{request[2].protocol} {request[2].statusline}"
    assert request_line == "GET /suche/B%C3%B6rse%20Garantex?q=geld%20w%C3%A4sche&x=1 HTTP/1.1"


def test_cut_bodies_carry_warc_truncated(replica: Replica, article: Any, tmp_path: Path) -> None:
    records = fetch([replica.base_url + article.path, f"{replica.base_url}/_faults/truncated"], tmp_path,
                    "ARCHIVER_MAX_BODY_SIZE=2000", "COMPRESSION_ENABLED=False")
    (_, headers, _, raw) = next(responses(records, article.path))
    assert headers.get_header("WARC-Truncated") == "length" and 0 < len(raw) <= 2000 + 65536
    (_, headers, _, raw) = next(responses(records, "/_faults/truncated"))
    assert headers.get_header("WARC-Truncated") == "disconnect" and raw.startswith(b"<html>")
