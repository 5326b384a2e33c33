"""Every export table × format × filter of the crawled replica, held to an independent reading of the database.

The expected rows are read here with the standard library's sqlite3, one version and one relation at a time, in
the shapes docs/schema.md gives; the exporters' batched reading must give the same rows, field for field, and
the same bytes in JSONL and CSV (Parquet read back with pyarrow) — both from the dict writers and from
``export``, whose article rows the database renders (archiver/storage/article_sql.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archiver.storage import article_export
from archiver.storage.db import make_engine, upgrade
from archiver.storage.exporters import TABLES, export, iter_rows, write_csv, write_jsonl, write_parquet
from archiver.storage.filters import ArticleFilter

from .conftest import CrawledArchive

Row = dict[str, Any]
# Each filter as the export takes it, and as SQL on the version row `v` (and its article `a`) written here.
FILTERS: dict[str, tuple[ArticleFilter, str]] = {
    "none": (ArticleFilter(), "1 = 1"),
    "since": (ArticleFilter(since=datetime(2021, 1, 1, tzinfo=UTC)), "v.published >= '2021-01-01'"),
    "until": (ArticleFilter(until=datetime(2020, 1, 1, tzinfo=UTC)), "v.published < '2020-01-01'"),
    "author": (ArticleFilter(author="antonia"), "v.id IN (SELECT aa.version_id FROM article_authors aa JOIN "
               "authors au ON au.id = aa.author_id WHERE au.name = 'Antonia')"),
    "category": (ArticleFilter(category="Internet"), "v.id IN (SELECT ac.version_id FROM article_categories ac "
                 "JOIN categories c ON c.id = ac.category_id WHERE c.slug = 'internet')"),
    "tag": (ArticleFilter(tag="Telegram"), "v.id IN (SELECT at.version_id FROM article_tags at JOIN tags t "
            "ON t.id = at.tag_id WHERE t.slug = 'telegram')"),
    "license": (ArticleFilter(license="Pixabay Lizenz"), "v.id IN (SELECT version_id FROM credits "
                "WHERE license = 'Pixabay Lizenz')"),
    "query": (ArticleFilter(query="Razzien"), "razzi"),  # stemmed: the word's stem in title, lead or text
}


def iso(value: str | None) -> str | None:
    """SQLite holds UTC times as 'YYYY-MM-DD HH:MM:SS[.ffffff]'; the export writes ISO 8601 with a Z."""
    return None if value is None else datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_column(value: str | None) -> Any:
    """A JSON column as SQLite holds it: JSON text, 'null' for an empty value."""
    return None if value is None else json.loads(value)


class Truth:
    """The archive read naively: one query per version and relation."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row

    def all(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        return self.db.execute(sql, params).fetchall()

    def versions(self, versions: str, name: str) -> list[sqlite3.Row]:
        join = "a.current_version_id = v.id" if versions == "latest" else "a.id = v.article_id"
        condition = FILTERS[name][1]
        rows = self.all(f"SELECT v.*, a.id AS aid, a.url AS aurl, a.post_id, a.version_count, a.removed_at, "
                        f"a.removed_status, s.host FROM articles a JOIN sites s ON s.id = a.site_id JOIN "
                        f"article_versions v ON {join} WHERE {condition if name != 'query' else '1 = 1'} "
                        "ORDER BY a.id, v.version")
        if name == "query":
            stem = re.compile(rf"\b{condition}", re.IGNORECASE)
            rows = [r for r in rows if stem.search(" ".join(filter(None, (r["title"], r["lead"], r["text"]))))]
        return rows

    def article(self, v: sqlite3.Row) -> Row:
        vid = v["id"]
        authors = [{"name": r["name"], "url": r["url"], "site_author_id": r["site_author_id"], "bio": r["bio"],
                    "avatar_url": r["avatar_url"], "forum_url": r["forum_url"],
                    "is_organization": bool(r["is_organization"])}
                   for r in self.all("SELECT au.* FROM article_authors x JOIN authors au ON au.id = x.author_id "
                                     "WHERE x.version_id = ? ORDER BY x.position", vid)]
        categories, primary = [], None
        for r in self.all("SELECT c.slug, c.name, c.url, p.slug AS parent, x.is_primary FROM article_categories x "
                          "JOIN categories c ON c.id = x.category_id LEFT JOIN categories p ON p.id = c.parent_id "
                          "WHERE x.version_id = ? ORDER BY x.position", vid):
            category = {"name": r["name"], "slug": r["slug"], "url": r["url"], "parent": r["parent"]}
            categories.append(category)
            if r["is_primary"] and primary is None:
                primary = category
        tags = [{"name": r["name"], "slug": r["slug"], "url": r["url"]} for r in self.all(
            "SELECT t.* FROM article_tags x JOIN tags t ON t.id = x.tag_id WHERE x.version_id = ? ORDER BY x.position",
            vid)]
        credits = [{"raw": r["raw"], "creator": r["creator"], "license": r["license"],
                    "license_url": r["license_url"], "source_url": r["source_url"], "applies_to": r["applies_to"]}
                   for r in self.all("SELECT * FROM credits WHERE version_id = ? ORDER BY position", vid)]
        images = [{"url": r["url"], "alt": r["alt"], "caption": r["caption"], "width": r["width"],
                   "height": r["height"], "is_lead": bool(r["is_lead"]),
                   # An image's credit: the first of the version's credits that names the image's URL.
                   "credit": next((c for c in credits if c["applies_to"] == r["url"]), None)}
                  for r in self.all("SELECT x.*, im.url FROM article_images x JOIN images im ON im.id = x.image_id "
                                    "WHERE x.version_id = ? ORDER BY x.position", vid)]
        links = {kind: [r["url"] for r in self.all("SELECT url FROM links WHERE version_id = ? AND kind = ? "
                                                   "ORDER BY position", vid, kind)]
                 for kind in ("internal", "external")}
        capture = None
        for r in self.all("SELECT * FROM captures WHERE id = ?", v["capture_id"]):
            capture = {"warc_file": r["warc_file"], "offset": r["warc_offset"], "length": r["warc_length"],
                       "record_id": r["record_id"], "payload_digest": r["payload_digest"],
                       "fetched_at": iso(r["fetched_at"]), "url": r["url"]}
        return {
            "id": v["aid"], "version": v["version"], "versions": v["version_count"], "url": v["aurl"],
            "post_id": v["post_id"], "site": v["host"], "layout": v["layout"], "title": v["title"],
            "lead": v["lead"], "text": v["text"], "published": iso(v["published"]),
            "published_raw": v["published_raw"], "modified": iso(v["modified"]), "modified_raw": v["modified_raw"],
            "language": v["language"], "word_count": v["word_count"],
            "reading_time_minutes": v["reading_time_minutes"], "authors": authors, "primary_category": primary,
            "categories": categories, "tags": tags, "images": images, "credits": credits,
            "comments_url": v["comments_url"], "links": links,
            "breadcrumb": json_column(v["breadcrumb"]) or [], "warnings": json_column(v["warnings"]) or [],
            "captured_at": iso(v["captured_at"]), "extractor": v["extractor"],
            "field_sources": json_column(v["field_sources"]) or {}, "capture": capture,
            "removed_at": iso(v["removed_at"]), "removed_status": v["removed_status"],
        }

    def companions(self, table: str, chosen: list[sqlite3.Row]) -> Iterator[Row]:
        for v in chosen:
            key = {"article_id": v["aid"], "version": v["version"]}
            vid = v["id"]
            if table == "article_authors":
                for r in self.all("SELECT x.position, au.id, au.name, au.url FROM article_authors x JOIN authors au "
                                  "ON au.id = x.author_id WHERE x.version_id = ? ORDER BY x.position", vid):
                    yield key | {"position": r["position"], "author_id": r["id"], "name": r["name"],
                                 "url": r["url"]}
            elif table == "categories":
                for r in self.all("SELECT x.position, c.slug, c.name, c.url, p.slug AS parent, x.is_primary FROM "
                                  "article_categories x JOIN categories c ON c.id = x.category_id LEFT JOIN "
                                  "categories p ON p.id = c.parent_id WHERE x.version_id = ? ORDER BY x.position",
                                  vid):
                    yield key | {"position": r["position"], "slug": r["slug"], "name": r["name"], "url": r["url"],
                                 "parent": r["parent"], "is_primary": bool(r["is_primary"])}
            elif table == "tags":
                for r in self.all("SELECT x.position, t.slug, t.name, t.url FROM article_tags x JOIN tags t "
                                  "ON t.id = x.tag_id WHERE x.version_id = ? ORDER BY x.position", vid):
                    yield key | dict(r)
            elif table == "images":
                for r in self.all("SELECT x.position, im.id, im.url, x.alt, x.caption, x.width, x.height, x.is_lead "
                                  "FROM article_images x JOIN images im ON im.id = x.image_id WHERE x.version_id = ? "
                                  "ORDER BY x.position", vid):
                    yield key | {"position": r["position"], "image_id": r["id"], "article_url": v["aurl"],
                                 "url": r["url"], "alt": r["alt"], "caption": r["caption"], "width": r["width"],
                                 "height": r["height"], "is_lead": bool(r["is_lead"])}
            elif table == "credits":
                for r in self.all("SELECT * FROM credits WHERE version_id = ? ORDER BY position", vid):
                    yield key | {"position": r["position"], "id": r["id"], "article_url": v["aurl"],
                                 "article_title": v["title"], "published": iso(v["published"]), "raw": r["raw"],
                                 "creator": r["creator"], "license": r["license"], "license_url": r["license_url"],
                                 "source_url": r["source_url"], "applies_to": r["applies_to"]}
            else:
                for r in self.all("SELECT kind, position, url, target_post_id FROM links WHERE version_id = ? "
                                  "ORDER BY kind, position", vid):
                    yield key | dict(r)

    def authors(self, chosen: list[sqlite3.Row] | None) -> Iterator[Row]:
        wanted = None if chosen is None else {r["author_id"] for v in chosen for r in self.all(
            "SELECT author_id FROM article_authors WHERE version_id = ?", v["id"])}
        for r in self.all("SELECT au.*, s.host FROM authors au JOIN sites s ON s.id = au.site_id ORDER BY au.id"):
            if wanted is not None and r["id"] not in wanted:
                continue
            current = self.all("SELECT DISTINCT a.id FROM articles a JOIN article_authors x ON x.version_id = "
                               "a.current_version_id WHERE x.author_id = ?", r["id"])
            yield {"id": r["id"], "site": r["host"], "name": r["name"], "url": r["url"],
                   "site_author_id": r["site_author_id"], "bio": r["bio"], "avatar_url": r["avatar_url"],
                   "forum_url": r["forum_url"], "is_organization": bool(r["is_organization"]),
                   "articles": len(current)}

    def rows(self, table: str, versions: str, name: str) -> list[Row]:
        chosen = self.versions(versions, name)
        if table == "articles":
            return [self.article(v) for v in chosen]
        if table == "authors":
            return list(self.authors(None if name == "none" else chosen))
        return list(self.companions(table, chosen))


def csv_text(rows: list[Row]) -> str:
    """CSV as docs/schema.md describes it: the row's keys as header, nested cells as JSON with sorted keys,
    empty for null, true/false, and a leading apostrophe before a cell a spreadsheet would run."""
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, (dict, list)) \
            else str(value)
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    out = io.StringIO()
    if rows:
        writer = csv.writer(out)
        writer.writerow(list(rows[0]))
        writer.writerows([cell(value) for value in row.values()] for row in rows)
    return out.getvalue()


def parquet_value(value: Any, key: str | None = None) -> Any:
    """What pyarrow reads back for an exported value: UTC datetimes for dates, a map as its item list."""
    if isinstance(value, dict):
        if key == "field_sources":
            return list(value.items())
        return {k: parquet_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [parquet_value(v) for v in value]
    if key in ("published", "modified", "captured_at", "removed_at", "fetched_at") and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


@pytest.fixture(scope="module")
def truth(crawled: CrawledArchive) -> Truth:
    return Truth(crawled.db_url.removeprefix("sqlite:///"))


def test_the_filters_choose_something(truth: Truth) -> None:
    for versions in ("latest", "all"):
        every = truth.versions(versions, "none")
        for name in FILTERS:
            chosen = truth.versions(versions, name)
            assert chosen and (name == "none" or len(chosen) < len(every)), (versions, name)


@pytest.mark.parametrize("versions", ["latest", "all"])
@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("table", TABLES)
def test_export_equals_an_independent_reading(crawled: CrawledArchive, truth: Truth, tmp_path: Path, table: str,
                                              name: str, versions: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = truth.rows(table, versions, name)
    assert expected
    engine = make_engine(crawled.db_url, readonly=True)
    # Chunks of 7 article rows: several chunks rendered at once on the workers' connections, put back in order.
    monkeypatch.setattr(article_export, "BATCH", 7)

    def exported() -> Iterator[Row]:
        return iter_rows(engine, table, versions, FILTERS[name][0])

    rows = list(exported())
    assert [list(row) for row in rows] == [list(row) for row in expected]  # the keys, in order
    assert rows == expected
    jsonl = io.StringIO()
    assert write_jsonl(exported(), jsonl) == len(expected)
    assert jsonl.getvalue() == "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"
                                       for row in expected)
    text = io.StringIO()
    assert write_csv(exported(), text) == len(expected)
    assert text.getvalue() == csv_text(expected)
    pyarrow = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "out.parquet"
    assert write_parquet(exported(), str(path), table, batch=7) == len(expected)
    assert pyarrow.read_table(path).to_pylist() == [{k: parquet_value(v, k) for k, v in row.items()}
                                                    for row in expected]
    assert_export_writes(engine, table, versions, FILTERS[name][0], expected, tmp_path)


def assert_export_writes(engine: Any, table: str, versions: str, chosen: ArticleFilter, expected: list[Row],
                         tmp_path: Path, parquet: bool = True) -> None:
    """``export`` (what ``archiver export`` runs) writes the expected rows in the documented bytes."""
    jsonl = io.StringIO()
    assert export(engine, table, "jsonl", jsonl, versions, chosen) == len(expected)
    assert jsonl.getvalue() == "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"
                                       for row in expected)
    text = io.StringIO()
    assert export(engine, table, "csv", text, versions, chosen) == len(expected)
    assert text.getvalue() == csv_text(expected)
    assert export(engine, table, "jsonl", io.StringIO(), versions, chosen, limit=2) == min(2, len(expected))
    if not parquet:
        return
    pyarrow = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "export.parquet"
    assert export(engine, table, "parquet", str(path), versions, chosen) == len(expected)
    assert pyarrow.read_table(path).to_pylist() == [{k: parquet_value(v, k) for k, v in row.items()}
                                                    for row in expected]


def test_rows_the_database_cannot_render_are_rendered_in_python(crawled: CrawledArchive, tmp_path: Path) -> None:
    """A JSON column holding something else than strings (not what the archive writes, but what the column
    allows) comes out in JSONL and CSV as Python encodes it (Parquet's string columns refuse it, as before)."""
    path = tmp_path / "copy.sqlite3"
    with sqlite3.connect(crawled.db_url.removeprefix("sqlite:///")) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
        copy.execute("""UPDATE article_versions SET breadcrumb = '["Start", 2, null]',
                        warnings = '[{"b": 1, "a": 2}]', field_sources = '{"title": 3, "lead": "meta"}'
                        WHERE id = (SELECT min(id) FROM article_versions)""")
    truth = Truth(str(path))
    expected = truth.rows("articles", "all", "none")
    assert any(row["breadcrumb"] == ["Start", 2, None] for row in expected)
    assert_export_writes(make_engine(f"sqlite:///{path}", readonly=True), "articles", "all", ArticleFilter(),
                         expected, tmp_path, parquet=False)


@pytest.mark.postgres
def test_postgresql_renders_the_bytes_python_writes(pg_url: str, tmp_path: Path) -> None:
    """The PostgreSQL rendering of article rows: the bytes the dict writers give the rows its reader reads
    (that reader is held to the independent reading above on SQLite)."""
    from archiver.storage.repository import ArchiveStore

    from .test_storage import items

    upgrade(pg_url)
    ArchiveStore(make_engine(pg_url)).store_articles(items(list(range(40))))
    engine = make_engine(pg_url, readonly=True)
    for versions, chosen in (("latest", ArticleFilter()), ("all", FILTERS["tag"][0]), ("latest", FILTERS["since"][0])):
        expected = list(iter_rows(engine, "articles", versions, chosen))
        assert expected
        assert_export_writes(engine, "articles", versions, chosen, expected, tmp_path)


def test_date_and_json_columns_read_as_sqlalchemy_types_read_them(crawled: CrawledArchive) -> None:
    """The reader converts the driver's values itself (for speed): the same values SQLAlchemy's types give."""
    from sqlalchemy import select, text

    from archiver.storage import models as m
    from archiver.storage.reader import iso, iso_column, json_column

    v, c = m.ArticleVersion.__table__, m.Capture.__table__
    engine = make_engine(crawled.db_url, readonly=True)
    with engine.connect() as conn:
        typed = conn.execute(select(v.c.published, v.c.modified, v.c.captured_at, v.c.breadcrumb, v.c.warnings,
                                    v.c.field_sources).order_by(v.c.id)).all()
        raw = conn.execute(text("SELECT published, modified, captured_at, breadcrumb, warnings, field_sources "
                                "FROM article_versions ORDER BY id")).all()
        fetched = conn.execute(select(c.c.fetched_at).order_by(c.c.id)).scalars().all()
        fetched_raw = conn.execute(text("SELECT fetched_at FROM captures ORDER BY id")).scalars().all()
    assert typed and len(typed) == len(raw) and any(row[3] for row in typed)
    for typed_row, raw_row in zip(typed, raw, strict=True):
        assert [iso(value) for value in typed_row[:3]] == [iso_column(value) for value in raw_row[:3]]
        assert list(typed_row[3:]) == [json_column(value) for value in raw_row[3:]]
    assert [iso(value) for value in fetched] == [iso_column(value) for value in fetched_raw]
    # Other spellings SQLite may hold, and the driver's datetimes, go through datetime parsing.
    assert iso_column("2019-03-15 10:00:00") == iso_column("2019-03-15T10:00:00") == "2019-03-15T10:00:00Z"
    assert iso_column("2019-03-15") == "2019-03-15T00:00:00Z"
    assert iso_column(datetime(2019, 3, 15, 11, tzinfo=UTC)) == "2019-03-15T11:00:00Z"
    assert iso_column(None) is None


def test_a_dated_export_of_a_flat_table_reads_the_dates_from_their_index(sqlite_url: str) -> None:
    """A version's date sits behind its text and HTML: an export filtered by date reads it from the index of dates
    by version ID, so the versions outside the dates are skipped without reading their rows."""
    from sqlalchemy import event

    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    seen: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, parameters, *rest: seen.append((statement, parameters)))
    choices = [(ArticleFilter(since=datetime(2024, 1, 1, tzinfo=UTC)), "latest"), (ArticleFilter(author="x"), "all"),
               (ArticleFilter(until=datetime(2020, 1, 1, tzinfo=UTC)), "all")]
    for table in ("credits", "images"):
        for chosen, versions in choices:
            list(iter_rows(engine, table, versions, chosen))
    exports = [(statement, parameters) for statement, parameters in seen
               if "FROM credits x" in statement or "FROM article_images x" in statement]
    assert len(exports) == 6
    with engine.connect() as conn:
        plans = [[row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                 for statement, parameters in exports]
    by_date = " v USING INDEX ix_article_versions_id_published"
    assert [any(by_date in step for step in plan) for plan in plans] == [True, False, True] * 2, plans
    for plan in (plans[0], plans[2], plans[3], plans[5]):
        # The date is tested before the table's rows of the version are read.
        steps = [step.split()[1] for step in plan if step.startswith(("SCAN", "SEARCH"))]
        assert steps.index("v") < steps.index("x"), plan
    engine.dispose()
