"""End to end: `archiver crawl tarnkappe` against the replica stores exactly the ground truth's articles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.storage.db import make_engine
from archiver.storage.reader import iter_articles
from archiver.warc.verify import verify_file

from .conftest import CrawledArchive, Replica, crawl_into

VERSION_FIELDS = ["url", "post_id", "site", "layout", "title", "lead", "text", "published", "published_raw",
                  "modified", "modified_raw", "language", "word_count", "reading_time_minutes", "images", "credits",
                  "comments_url", "links", "breadcrumb"]


@pytest.fixture(scope="module")
def stored(crawled: CrawledArchive) -> dict[str, dict[str, Any]]:
    return {row["url"]: row for row in iter_articles(make_engine(crawled.db_url, readonly=True))}


@pytest.fixture(scope="module")
def truth(crawled: CrawledArchive) -> list[dict[str, Any]]:
    return list(crawled.replica.truth()["items"])


def test_exactly_the_ground_truth_articles_are_stored(stored: dict[str, Any], truth: list[dict[str, Any]]) -> None:
    assert sorted(stored) == sorted(item["url"] for item in truth)


def test_every_stored_field_matches(stored: dict[str, Any], truth: list[dict[str, Any]]) -> None:
    for expected in truth:
        row = stored[expected["url"]]
        for field in VERSION_FIELDS:
            assert row[field] == expected[field], (expected["url"], field)
        assert [a["name"] for a in row["authors"]] == [a["name"] for a in expected["authors"]]
        for got, want in zip(row["authors"], expected["authors"], strict=True):
            for key in ("url", "site_author_id", "bio", "avatar_url"):
                assert got[key] == want[key]
        assert [c["slug"] for c in row["categories"]] == [c["slug"] for c in expected["categories"]]
        assert row["primary_category"]["slug"] == expected["primary_category"]["slug"]
        assert row["primary_category"]["name"] == expected["primary_category"]["name"]
        assert [t["slug"] for t in row["tags"]] == [t["slug"] for t in expected["tags"]]
        assert row["version"] == 1 and row["versions"] == 1


def test_seed_article_with_author_bio_and_credit(stored: dict[str, Any], crawled: CrawledArchive) -> None:
    truth = crawled.replica.truth()
    seed = next(row for row in stored.values() if row["post_id"] == truth["seed_article_post_id"])
    (author,) = seed["authors"]
    assert author["name"] == "Antonia"
    assert author["bio"].startswith("Antonia ist bereits seit Januar 2016 Autorin bei der Tarnkappe.")
    (credit,) = seed["credits"]
    assert (credit["creator"], credit["license"]) == ("LoboStudioHamburg", "Pixabay Lizenz")
    assert "LoboStudioHamburg" not in seed["text"]
    assert "Antonia ist bereits" not in seed["text"]


def test_summary_matches_database_and_warc(crawled: CrawledArchive) -> None:
    summary = crawled.summary
    assert summary["finish_reason"] == "finished"
    assert summary["articles_new"] == crawled.replica.articles
    engine = make_engine(crawled.db_url, readonly=True)
    with engine.connect() as conn:
        assert summary["archive"]["articles"] == conn.execute(text("SELECT count(*) FROM articles")).scalar()
        assert summary["archive"]["authors"] == conn.execute(text("SELECT count(*) FROM authors")).scalar()
        captures = conn.execute(text("SELECT count(*) FROM captures")).scalar()
    files = sorted(crawled.warc_dir.glob("*.warc.gz"))
    assert summary["warc_files"] == len(files) >= 1
    results = [verify_file(f) for f in files]
    assert all(r.ok for r in results), [r.problems for r in results]
    assert summary["warc_run_records"] == sum(r.records for r in results)  # a first run into an empty directory
    assert summary["warc_bytes"] == sum(f.stat().st_size for f in files) == summary["warc_run_bytes"]
    # every exchange has a response (or revisit) and a request record, plus warcinfo and article metadata
    assert summary["warc_run_records"] == 2 * captures + len(files) + summary["articles_new"]


def test_the_summary_does_not_read_the_archives_warc_files(replica: Replica, tmp_path: Path) -> None:
    """It used to count every record of every file: the whole archive read (into memory) at the end of each
    run, 520 MB peak after a 50,000-article crawl, and a crash on a file being copied in."""
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "incoming-copy.warc.gz").write_bytes(b"\x1f\x8b not a finished copy yet" * 1000)
    archive = crawl_into(replica, tmp_path, "-s", "CLOSESPIDER_ITEMCOUNT=5")
    files = list(warc_dir.glob("*.warc.gz"))
    assert archive.summary["warc_files"] == len(files) == 2
    assert archive.summary["warc_bytes"] == sum(f.stat().st_size for f in files)


def test_warcio_check_accepts_every_file(crawled: CrawledArchive) -> None:
    for path in crawled.warc_dir.glob("*.warc.gz"):
        warcio = Path(sys.executable).with_name("warcio")
        result = subprocess.run([str(warcio), "check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_page_type_was_archived(crawled: CrawledArchive) -> None:
    engine = make_engine(crawled.db_url, readonly=True)
    with engine.connect() as conn:
        urls = [row[0] for row in conn.execute(text("SELECT url FROM captures"))]
        statuses = {row[0] for row in conn.execute(text("SELECT DISTINCT status FROM captures"))}
    base = crawled.replica.base_url
    assert f"{base}/robots.txt" in urls
    assert f"{base}/sitemap_index.xml" in urls and f"{base}/post-sitemap.xml" in urls
    assert f"{base}/feed" in urls and f"{base}/" in urls
    assert any("/wpimg/" in u or "/wp-content/uploads/" in u for u in urls)
    assert 301 in statuses and 200 in statuses


def test_capture_pointers_read_back_matching_records(crawled: CrawledArchive,
                                                      stored: dict[str, dict[str, Any]]) -> None:
    from warcio.archiveiterator import ArchiveIterator

    for row in list(stored.values())[:25]:
        capture = row["capture"]
        with open(crawled.warc_dir / capture["warc_file"], "rb") as handle:
            handle.seek(capture["offset"])
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_headers.get_header("WARC-Record-ID") == capture["record_id"]
            assert record.rec_headers.get_header("WARC-Payload-Digest") == capture["payload_digest"]
            assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
            html = record.content_stream().read().decode("utf-8")
            assert f"postid-{row['post_id']}" in html
            assert record.http_headers.get_statuscode() == "200"


def test_reparse_rebuilds_the_same_export_from_warc_alone(crawled: CrawledArchive, tmp_path: Path) -> None:
    from archiver.reparse import reparse

    rebuilt = f"sqlite:///{tmp_path}/rebuilt.sqlite3"
    result = reparse(crawled.warc_dir, rebuilt)
    assert result.articles == crawled.replica.articles and result.failures == 0

    def rows(url: str) -> list[dict[str, Any]]:
        return sorted(({k: v for k, v in r.items() if k != "id"} for r in iter_articles(make_engine(url))),
                      key=lambda r: r["url"])

    assert rows(rebuilt) == rows(crawled.db_url)


def test_second_crawl_adds_no_articles_and_no_versions(crawled: CrawledArchive, tmp_path: Any) -> None:
    from .conftest import crawl_into

    again = crawl_into(crawled.replica, crawled.directory)
    assert again.summary["articles_new"] == 0
    assert again.summary["articles_unchanged"] == crawled.replica.articles
    assert again.summary["archive"]["versions"] == crawled.replica.articles
    # The unchanged replica is archived as revisits (identical payload), not as second copies.
    engine = make_engine(crawled.db_url, readonly=True)
    with engine.connect() as conn:
        kinds = dict(conn.execute(text(
            "SELECT record_type, count(*) FROM captures WHERE status = 200 AND run_id = :run GROUP BY record_type"),
            {"run": again.summary["run_id"]}).all())
    assert kinds.get("revisit", 0) > 0 and kinds.get("response", 0) == 0, kinds
    for path in crawled.warc_dir.glob("*.warc.gz"):
        assert verify_file(path).ok


def test_scrapy_crawl_command_runs_the_same_spider(replica: Any, tmp_path: Path) -> None:
    """`scrapy crawl tarnkappe -a base_url=…` from the project root (scrapy.cfg) archives and stores too."""
    root = Path(__file__).resolve().parents[1]
    scrapy = Path(sys.executable).with_name("scrapy")
    result = subprocess.run(
        [str(scrapy), "crawl", "tarnkappe", "-a", f"base_url={replica.base_url}", "-s", "CLOSESPIDER_ITEMCOUNT=5",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING",
         "-s", f"ARCHIVER_DB_URL=sqlite:///{tmp_path}/a.sqlite3", "-s", f"ARCHIVER_WARC_DIR={tmp_path}/warc"],
        cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    engine = make_engine(f"sqlite:///{tmp_path}/a.sqlite3", readonly=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() >= 5
    assert all(verify_file(f).ok for f in (tmp_path / "warc").glob("*.warc.gz"))
