"""Researcher commands on the replica archive: search, export in three formats, show, cite, stats, serve."""

from __future__ import annotations

import csv
import io
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from html import escape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from warcio.archiveiterator import ArchiveIterator

from archiver.storage.db import make_engine

from .conftest import CrawledArchive, run_cli

HYPERLINK = '=HYPERLINK("http://evil.example","klick")'


@pytest.fixture(scope="module")
def archive(crawled: CrawledArchive, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the shared crawl with one title that a spreadsheet would run as a formula."""
    directory = tmp_path_factory.mktemp("research")
    database = directory / "archive.sqlite3"
    source = sqlite3.connect(crawled.db_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(database)
    source.backup(target)  # a consistent copy, WAL included
    source.close()
    target.close()
    url = f"sqlite:///{database}"
    with make_engine(url).begin() as conn:
        target = conn.execute(text("SELECT current_version_id FROM articles ORDER BY id LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE article_versions SET title = :t WHERE id = :v"), {"t": HYPERLINK, "v": target})
    return {"db": url, "crawled": crawled, "dir": directory}


def cli(archive: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--db", archive["db"])


def test_search_telegram_finds_the_seed_first(archive: dict[str, Any]) -> None:
    result = cli(archive, "search", "Telegram", "--json")
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and hits[0]["title"].startswith("Telegram gewinnt")
    assert hits[0]["authors"] == ["Antonia"] and "[Telegram]" in hits[0]["snippet"]
    combined = cli(archive, "search", "Telegram", "--author", "Antonia", "--category", "internet",
                   "--since", "2019-01-01", "--until", "2019-12-31", "--json")
    assert [json.loads(line)["url"] for line in combined.stdout.splitlines()] == [hits[0]["url"]]
    assert cli(archive, "search", "Telegram", "--author", "Sunny", "--since", "2019-03-15", "--until",
               "2019-03-16").stdout == ""


@pytest.mark.parametrize("query", ["'; DROP TABLE articles; --", "%", "a\x00b", "x" * 10_000, '"unterminated',
                                   "AND OR NOT", "title:*"])
def test_hostile_queries_are_answered_safely(archive: dict[str, Any], query: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    if "\x00" in query:  # no operating system passes a NUL in an argument: call the command in-process
        from archiver.cli import main

        code = main(["search", query, "--db", archive["db"]])
        stderr = capsys.readouterr().err
    else:
        result = cli(archive, "search", query)
        code, stderr = result.returncode, result.stderr
    assert code in (0, 2), stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) <= 1
    with make_engine(archive["db"], readonly=True).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == archive["crawled"].replica.articles


def test_jsonl_csv_and_parquet_agree(archive: dict[str, Any], tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow.parquet")
    jsonl = [json.loads(line) for line in cli(archive, "export", "--format", "jsonl").stdout.splitlines()]
    rows = list(csv.DictReader(io.StringIO(cli(archive, "export", "--format", "csv").stdout)))
    assert cli(archive, "export", "--format", "parquet", "-o", str(tmp_path / "a.parquet")).returncode == 0
    table = pyarrow.read_table(tmp_path / "a.parquet").to_pylist()
    assert len(jsonl) == len(rows) == len(table) == archive["crawled"].replica.articles
    for record, row, parquet in zip(jsonl, rows, table, strict=True):
        assert str(record["id"]) == row["id"] and record["id"] == parquet["id"]
        expected_title = "'" + record["title"] if record["title"].startswith("=") else record["title"]
        assert row["title"] == expected_title and parquet["title"] == record["title"]
        assert row["text"] == record["text"] == parquet["text"]
        assert json.loads(row["authors"]) == record["authors"] == json.loads(parquet["authors"])
        assert row["published"] == record["published"]
        assert parquet["published"].strftime("%Y-%m-%dT%H:%M:%SZ") == record["published"]
        assert record["capture"]["record_id"] and json.loads(parquet["capture"]) == record["capture"]
    assert any(r["title"] == "'" + HYPERLINK for r in rows)


@pytest.mark.parametrize("table", ["authors", "credits", "images"])
def test_flat_tables_export(archive: dict[str, Any], table: str) -> None:
    rows = [json.loads(line) for line in cli(archive, "export", "--table", table).stdout.splitlines()]
    assert rows
    if table == "credits":
        assert any(r["license"] == "Pixabay Lizenz" and r["creator"] == "LoboStudioHamburg" for r in rows)
    if table == "authors":
        assert {r["name"] for r in rows} >= {"Antonia", "Sunny"} and all(r["articles"] > 0 for r in rows)


def test_cite_resolves_to_the_archived_record(archive: dict[str, Any]) -> None:
    seed = json.loads(cli(archive, "search", "Telegram gewinnt", "--json").stdout.splitlines()[0])
    data = json.loads(cli(archive, "cite", seed["url"], "--format", "json").stdout)
    with open(archive["crawled"].warc_dir / data["warc_file"], "rb") as handle:
        handle.seek(data["warc_offset"])
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Record-ID") == data["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == data["payload_digest"]
        assert data["title"] in record.content_stream().read().decode("utf-8")
    assert data["replay"].startswith("/archive/") and data["replay"].endswith(seed["url"])
    assert "@online{" in cli(archive, "cite", str(seed["article_id"]), "--format", "bibtex").stdout
    assert "Antonia: Telegram gewinnt" in cli(archive, "cite", seed["url"]).stdout


def test_show_and_stats(archive: dict[str, Any]) -> None:
    seed = json.loads(cli(archive, "search", "Telegram gewinnt", "--json").stdout.splitlines()[0])
    shown = json.loads(cli(archive, "show", seed["url"], "--json").stdout)
    assert shown["article"]["credits"][0]["creator"] == "LoboStudioHamburg"
    assert shown["history"][0]["version"] == 1
    assert cli(archive, "show", "no-such-thing").returncode == 2
    report = json.loads(cli(archive, "stats", "--json").stdout)
    assert sum(report["articles_per_year"].values()) == archive["crawled"].replica.articles
    assert report["credits_by_license"]["Pixabay Lizenz"] >= 1 and report["last_runs"]


def test_serve_answers_over_http_read_only(archive: dict[str, Any]) -> None:
    pytest.importorskip("datasette")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "archiver", "serve", "--db", archive["db"], "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = None
        for _ in range(60):
            try:
                url = f"http://127.0.0.1:{port}/archive/article_versions.json?_search=Telegram&_shape=array"
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert body and any(row["title"].startswith("Telegram gewinnt") for row in body)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive.json", timeout=5) as response:
            assert "article_versions" in response.read().decode()
        # Archived HTML is data here, never markup: on this origin it is shown escaped, so none of the
        # archived site's scripts or styles can run next to the archive's own pages.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/article_versions/1.json?_shape=objects",
                                    timeout=5) as response:
            html = json.loads(response.read())["rows"][0]["html"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/article_versions/1", timeout=5) as response:
            page = response.read().decode()
        assert "<" in html[:200] and html[:200] not in page and escape(html[:200], quote=False) in page
    finally:
        server.terminate()
        server.wait(timeout=30)
