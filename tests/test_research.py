"""Researcher commands on the replica archive: search, export in three formats, show, cite, stats, serve."""

from __future__ import annotations

import csv
import io
import json
import re
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
    pandas = pytest.importorskip("pandas")
    jsonl = [json.loads(line) for line in cli(archive, "export", "--format", "jsonl").stdout.splitlines()]
    rows = list(csv.DictReader(io.StringIO(cli(archive, "export", "--format", "csv").stdout)))
    assert cli(archive, "export", "--format", "parquet", "-o", str(tmp_path / "a.parquet")).returncode == 0
    table = pyarrow.read_table(tmp_path / "a.parquet")
    assert str(table.schema.field("authors").type).startswith("list<element: struct<name: string")
    assert str(table.schema.field("capture").type).startswith("struct<warc_file: string, offset: int64")
    frame = pandas.read_parquet(tmp_path / "a.parquet")
    assert len(jsonl) == len(rows) == len(frame) == archive["crawled"].replica.articles
    for record, row, parquet in zip(jsonl, rows, frame.to_dict("records"), strict=True):
        assert str(record["id"]) == row["id"] and record["id"] == parquet["id"]
        expected_title = "'" + record["title"] if record["title"].startswith("=") else record["title"]
        assert row["title"] == expected_title and parquet["title"] == record["title"]
        assert row["text"] == record["text"] == parquet["text"]
        # CSV: a nested cell is JSON text; Parquet: lists of dicts as pandas reads them, no json.loads.
        assert json.loads(row["authors"]) == record["authors"] == [dict(a) for a in parquet["authors"]]
        assert [c["slug"] for c in record["categories"]] == [c["slug"] for c in parquet["categories"]]
        assert [i["url"] for i in record["images"]] == [i["url"] for i in parquet["images"]]
        assert [c["license"] for c in record["credits"]] == [c["license"] for c in parquet["credits"]]
        assert dict(parquet["field_sources"]) == record["field_sources"]
        assert row["published"] == record["published"]
        assert parquet["published"].strftime("%Y-%m-%dT%H:%M:%SZ") == record["published"]
        capture = dict(parquet["capture"])
        assert record["capture"]["record_id"] and capture["record_id"] == record["capture"]["record_id"]
        assert capture["offset"] == record["capture"]["offset"]
        assert capture["fetched_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == record["capture"]["fetched_at"]
    assert any(r["title"] == "'" + HYPERLINK for r in rows)


def truth(archive: dict[str, Any], sql: str, **params: Any) -> set[int]:
    """Article IDs straight from the database, by hand-written SQL (not the exporter's)."""
    with make_engine(archive["db"], readonly=True).connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT DISTINCT a.id " + sql), params)}


CURRENT = "FROM articles a JOIN article_versions v ON v.id = a.current_version_id "


def exported_ids(archive: dict[str, Any], *args: str) -> set[int]:
    result = cli(archive, "export", *args)
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}


def test_export_filters(archive: dict[str, Any]) -> None:
    antonia = truth(archive, CURRENT + "JOIN article_authors aa ON aa.version_id = v.id JOIN authors au ON "
                    "au.id = aa.author_id WHERE au.name = 'Antonia' AND v.published < '2020-01-01'")
    assert antonia and exported_ids(archive, "--author", "antonia", "--until", "2019-12-31") == antonia
    internet = truth(archive, CURRENT + "JOIN article_categories ac ON ac.version_id = v.id JOIN categories c "
                     "ON c.id = ac.category_id WHERE c.slug = 'internet'")
    assert internet and exported_ids(archive, "--category", "Internet") == internet == \
        exported_ids(archive, "--category", "internet")
    telegram = truth(archive, CURRENT + "JOIN article_tags at ON at.version_id = v.id JOIN tags t ON "
                     "t.id = at.tag_id WHERE t.slug = 'telegram'")
    assert telegram and exported_ids(archive, "--tag", "Telegram") == telegram
    pixabay = truth(archive, CURRENT + "JOIN credits cr ON cr.version_id = v.id WHERE cr.license = 'Pixabay Lizenz'")
    assert pixabay and exported_ids(archive, "--license", "Pixabay Lizenz") == pixabay
    since = truth(archive, CURRENT + "WHERE v.published >= '2021-01-01'")
    assert since and exported_ids(archive, "--since", "2021-01-01") == since
    with make_engine(archive["db"], readonly=True).connect() as conn:
        razzi = {row[0] for row in conn.execute(text("SELECT a.id, v.title, v.lead, v.text " + CURRENT))
                 if re.search(r"\brazzi", " ".join(filter(None, row[1:])), re.IGNORECASE)}
    assert razzi and exported_ids(archive, "--query", "Razzien") == razzi
    assert cli(archive, "export", "--until", "31.12.2019").returncode == 2


@pytest.mark.parametrize("table", ["article_authors", "categories", "tags", "images", "credits", "links"])
def test_companion_tables_join_to_the_article_rows(archive: dict[str, Any], table: str) -> None:
    articles = [json.loads(line) for line in cli(archive, "export", "--versions", "all").stdout.splitlines()]
    result = cli(archive, "export", "--table", table, "--versions", "all", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and list(rows[0])[:2] == ["article_id", "version"]
    grouped: dict[tuple[int, int], list[dict[str, str]]] = {}
    for row in rows:
        grouped.setdefault((int(row["article_id"]), int(row["version"])), []).append(row)
    for article in articles:
        mine = grouped.get((article["id"], article["version"]), [])
        if table == "article_authors":
            assert [r["name"] for r in mine] == [a["name"] for a in article["authors"]]
        elif table in ("categories", "tags"):
            assert [r["slug"] for r in mine] == [c["slug"] for c in article[table]]
        elif table == "images":
            assert [r["url"] for r in mine] == [i["url"] for i in article["images"]]
        elif table == "credits":
            assert [r["raw"] for r in mine] == [c["raw"] for c in article["credits"]]
        else:
            assert [r["url"] for r in mine if r["kind"] == "internal"] == article["links"]["internal"]
    if table == "categories":
        primary = {(int(r["article_id"]), int(r["version"])): r["slug"] for r in rows if r["is_primary"] == "true"}
        assert all(primary.get((a["id"], a["version"])) == (a["primary_category"] or {}).get("slug")
                   for a in articles)


@pytest.mark.parametrize("table", ["authors", "credits", "images"])
def test_flat_tables_export(archive: dict[str, Any], table: str) -> None:
    rows = [json.loads(line) for line in cli(archive, "export", "--table", table).stdout.splitlines()]
    assert rows
    if table == "credits":
        assert any(r["license"] == "Pixabay Lizenz" and r["creator"] == "LoboStudioHamburg" for r in rows)
    if table == "authors":
        assert {r["name"] for r in rows} >= {"Antonia", "Sunny"} and all(r["articles"] > 0 for r in rows)
        only = [json.loads(line) for line in cli(archive, "export", "--table", "authors", "--author", "Sunny")
                .stdout.splitlines()]
        with make_engine(archive["db"], readonly=True).connect() as conn:
            # Sunny and whoever shares a byline with Sunny: the authors of the chosen articles.
            bylines = set(conn.execute(text(
                "SELECT DISTINCT au.name FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
                "JOIN articles a ON a.current_version_id = aa.version_id WHERE aa.version_id IN (SELECT x.version_id "
                "FROM article_authors x JOIN authors s ON s.id = x.author_id WHERE s.name = 'Sunny')")).scalars())
        assert "Sunny" in bylines and {r["name"] for r in only} == bylines


def test_an_export_of_no_rows_is_a_file_with_the_columns(archive: dict[str, Any], tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow.parquet")
    for table, key in (("articles", "authors"), ("credits", "article_id")):
        path = tmp_path / f"{table}.parquet"
        assert cli(archive, "export", "--table", table, "--format", "parquet", "--author", "Nobody", "-o",
                   str(path)).returncode == 0
        read = pyarrow.read_table(path)
        assert read.num_rows == 0 and key in read.schema.names


def test_search_totals_ids_and_exports(archive: dict[str, Any], tmp_path: Path) -> None:
    expected = truth(archive, CURRENT + "JOIN article_categories ac ON ac.version_id = v.id JOIN categories c "
                     "ON c.id = ac.category_id WHERE c.slug = 'internet'")
    with make_engine(archive["db"], readonly=True).connect() as conn:
        nutzer = {row[0] for row in conn.execute(text("SELECT a.id, v.title, v.lead, v.text " + CURRENT))
                  if re.search(r"\bnutz", " ".join(filter(None, row[1:])), re.IGNORECASE)} & expected
    assert len(nutzer) > 2
    result = cli(archive, "search", "Nutzer", "--category", "Internet", "--limit", "2")
    assert result.stdout.splitlines()[0] == f"{len(nutzer)} matches, showing 2"
    shown = {int(match) for match in re.findall(r"^#(\d+) ", result.stdout, re.MULTILINE)}
    assert len(shown) == 2 and shown <= nutzer
    exported = cli(archive, "search", "Nutzer", "--category", "Internet", "--export", "jsonl")
    assert [json.loads(line) for line in exported.stdout.splitlines()] == \
        [json.loads(line) for line in cli(archive, "export", "--query", "Nutzer", "--category", "Internet")
         .stdout.splitlines()]
    assert {json.loads(line)["id"] for line in exported.stdout.splitlines()} == nutzer
    assert cli(archive, "search", "Nutzer", "--export", "parquet", "-o", str(tmp_path / "n.parquet")).returncode == 0
    assert "--category" in (help_text := cli(archive, "search", "--help").stdout) and "slug" in help_text


def test_cite_resolves_to_the_archived_record(archive: dict[str, Any]) -> None:
    seed = json.loads(cli(archive, "search", "Telegram gewinnt", "--json").stdout.splitlines()[0])
    data = json.loads(cli(archive, "cite", seed["url"], "--format", "json").stdout)
    with open(archive["crawled"].warc_dir / data["warc_file"], "rb") as handle:
        handle.seek(data["warc_offset"])
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Record-ID") == data["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == data["payload_digest"]
        assert data["title"] in record.content_stream().read().decode("utf-8")
        stamp = record.rec_headers.get_header("WARC-Date")[:19]  # the database keeps whole seconds
    assert data["captured_at"] == stamp + "Z"
    assert data["replay"] == f"/replay/{re.sub(r'[^0-9]', '', stamp)}/{seed['url']}"
    post_id = int(seed["url"].rsplit("-", 1)[1].removesuffix(".html"))
    assert data["key"] == f"site1-{post_id}-v1" and "127" not in data["key"]
    for fmt in ("text", "bibtex", "ris", "csl-json"):
        result = cli(archive, "cite", str(seed["article_id"]), "--format", fmt, "--version", "1",
                     "--public-url", "https://archive.example.org/")
        assert result.returncode == 0, result.stderr
        for value in (data["warc_file"], str(data["warc_offset"]), data["warc_record_id"], data["payload_digest"],
                      data["captured_at"], "https://archive.example.org" + data["replay"]):
            assert value in result.stdout, (fmt, value)
    assert "Antonia: Telegram gewinnt" in cli(archive, "cite", seed["url"]).stdout
    refused = cli(archive, "cite", seed["url"], "--version", "9")
    assert refused.returncode == 2 and "versions 1 to 1" in refused.stderr


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
