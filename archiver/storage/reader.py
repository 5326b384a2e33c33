"""Reading articles back in the item shape (docs/schema.md), for export, show, cite and tests.

The versions stream in chunks of ``BATCH`` from one ordered query (a server-side cursor on PostgreSQL); each
related table is then read once per chunk (``version_id IN (…)``) and the items assembled here, so an export
of any size makes a handful of queries per thousand rows and keeps one chunk in memory. The queries are plain
SQL read as tuples: SQLAlchemy's per-row type processing cost more than the queries, so dates and JSON columns
are converted here, to the same values its types give (tests/test_export_pinned.py holds them to an
independent reading).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from . import models as m
from .filters import ArticleFilter

Row = dict[str, Any]
BATCH = 1000

VERSION_COLUMNS = (
    "a.id, a.url, a.post_id, a.version_count, a.removed_at, a.removed_status, s.host, v.id, v.version, v.layout, "
    "v.title, v.lead, v.text, v.published, v.published_raw, v.modified, v.modified_raw, v.language, v.word_count, "
    "v.reading_time_minutes, v.comments_url, v.breadcrumb, v.warnings, v.captured_at, v.extractor, "
    "v.field_sources, c.id, c.warc_file, c.warc_offset, c.warc_length, c.record_id, c.payload_digest, "
    "c.fetched_at, c.url")
VERSIONS_QUERY = ("SELECT {columns} FROM articles a JOIN sites s ON s.id = a.site_id JOIN article_versions v ON {join} "
                  "LEFT JOIN captures c ON c.id = v.capture_id {where} ORDER BY a.id, v.version")
# The chunk's version IDs as one parameter: a JSON array on SQLite, an array on PostgreSQL (an expanded IN
# list of a thousand parameters cost more to compile than the query took).
IDS = "x.version_id {ids}"
CHUNK_IDS = {"sqlite": "IN (SELECT value FROM json_each(:ids))", "postgresql": "= ANY(:ids)"}
RELATION_QUERIES = {
    "authors": ("SELECT x.version_id, au.name, au.url, au.site_author_id, au.bio, au.avatar_url, au.forum_url, "
                "au.is_organization FROM article_authors x JOIN authors au ON au.id = x.author_id "
                f"WHERE {IDS} ORDER BY x.version_id, x.position"),
    "categories": ("SELECT x.version_id, c.name, c.slug, c.url, p.slug, x.is_primary FROM article_categories x "
                   "JOIN categories c ON c.id = x.category_id LEFT JOIN categories p ON p.id = c.parent_id "
                   f"WHERE {IDS} ORDER BY x.version_id, x.position"),
    "tags": ("SELECT x.version_id, t.name, t.slug, t.url FROM article_tags x JOIN tags t ON t.id = x.tag_id "
             f"WHERE {IDS} ORDER BY x.version_id, x.position"),
    "credits": ("SELECT x.version_id, x.raw, x.creator, x.license, x.license_url, x.source_url, x.applies_to "
                f"FROM credits x WHERE {IDS} ORDER BY x.version_id, x.position"),
    "images": ("SELECT x.version_id, im.url, x.alt, x.caption, x.width, x.height, x.is_lead FROM article_images x "
               f"JOIN images im ON im.id = x.image_id WHERE {IDS} ORDER BY x.version_id, x.position"),
    "links": (f"SELECT x.version_id, x.kind, x.url FROM links x WHERE {IDS} "
              "ORDER BY x.version_id, x.kind, x.position"),
}


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_column(value: datetime | str | None) -> str | None:
    """A date column as the driver answers it: a datetime (PostgreSQL) or SQLite's UTC text
    ``YYYY-MM-DD HH:MM:SS[.ffffff]``, which SQLAlchemy would read as a naive UTC datetime."""
    if isinstance(value, str):
        if len(value) >= 19 and value[10] == " " and value[4] == "-" and value[13] == ":":
            return f"{value[:10]}T{value[11:19]}Z"
        return iso(datetime.fromisoformat(value))
    return iso(value)


def json_column(value: Any) -> Any:
    """A JSON column as the driver answers it: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def iter_articles(engine: Engine, versions: str = "latest", since: datetime | None = None,
                  with_html: bool = False, article_id: int | None = None,
                  filters: ArticleFilter | None = None) -> Iterator[Row]:
    """Yield one item-shaped dict per article (``latest``) or per stored version (``all``), or one article's;
    `filters` choose the versions (archiver/storage/filters.py)."""
    join = "v.id = a.current_version_id" if versions == "latest" else "v.article_id = a.id"
    clauses, params = (filters or ArticleFilter()).sql(engine.dialect.name)
    binds = []
    if since is not None:
        clauses.append("v.published >= :r_since")  # typed below: bound as the column stores it
        binds.append(bindparam("r_since", since, type_=m.ArticleVersion.__table__.c.published.type))
    if article_id is not None:
        clauses.append("a.id = :r_article")
        params["r_article"] = article_id
    sql = VERSIONS_QUERY.format(columns=VERSION_COLUMNS + (", v.html" if with_html else ""), join=join,
                                where=("WHERE " + " AND ".join(clauses)) if clauses else "")
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            text(sql).bindparams(*binds), params)
        for chunk in result.partitions(BATCH):
            yield from _assemble(conn, chunk, with_html)


def version_item(conn: Connection, version_id: int) -> Row:
    """One stored version's item."""
    sql = VERSIONS_QUERY.format(columns=VERSION_COLUMNS, join="v.article_id = a.id", where="WHERE v.id = :r_version")
    return next(_assemble(conn, conn.execute(text(sql), {"r_version": version_id}).fetchall(), False))


def _assemble(conn: Connection, rows: Sequence[Any], with_html: bool) -> Iterator[Row]:
    related = _relations(conn, [r[7] for r in rows])
    authors, categories, primaries, tags, images, credits, internal, external = related
    for r in rows:
        vid = r[7]
        item: Row = {
            "id": r[0], "version": r[8], "versions": r[3], "url": r[1], "post_id": r[2], "site": r[6],
            "layout": r[9], "title": r[10], "lead": r[11], "text": r[12], "published": iso_column(r[13]),
            "published_raw": r[14], "modified": iso_column(r[15]), "modified_raw": r[16], "language": r[17],
            "word_count": r[18], "reading_time_minutes": r[19], "authors": authors[vid],
            "primary_category": primaries.get(vid), "categories": categories[vid],
            "tags": tags[vid], "images": images[vid], "credits": credits[vid],
            "comments_url": r[20],
            "links": {"internal": internal[vid], "external": external[vid]},
            "breadcrumb": json_column(r[21]) or [], "warnings": json_column(r[22]) or [],
            "captured_at": iso_column(r[23]), "extractor": r[24], "field_sources": json_column(r[25]) or {},
            "capture": None if r[26] is None else {
                "warc_file": r[27], "offset": r[28], "length": r[29], "record_id": r[30], "payload_digest": r[31],
                "fetched_at": iso_column(r[32]), "url": r[33]},
            # The article's state now (not this version's): null while it is live.
            "removed_at": iso_column(r[4]), "removed_status": r[5],
        }
        if with_html:
            item["html"] = r[34]
        yield item


Grouped = dict[int, list[Any]]


def _relations(conn: Connection, version_ids: list[int]) -> tuple[Grouped, Grouped, dict[int, Row], Grouped,
                                                                   Grouped, Grouped, Grouped, Grouped]:
    """Each related table read once for the chunk, grouped by version in position order."""
    sqlite = conn.dialect.name == "sqlite"
    ids = json.dumps(version_ids) if sqlite else version_ids
    chunk_ids = CHUNK_IDS["sqlite" if sqlite else "postgresql"]

    def query(name: str) -> Sequence[Any]:
        return conn.execute(text(RELATION_QUERIES[name].format(ids=chunk_ids)), {"ids": ids}).fetchall()

    authors: Grouped = defaultdict(list)
    for vid, name, url, site_author_id, bio, avatar, forum, organization in query("authors"):
        authors[vid].append({"name": name, "url": url, "site_author_id": site_author_id, "bio": bio,
                             "avatar_url": avatar, "forum_url": forum, "is_organization": bool(organization)})
    categories: Grouped = defaultdict(list)
    primaries: dict[int, Row] = {}
    for vid, name, slug, url, parent, is_primary in query("categories"):
        category = {"name": name, "slug": slug, "url": url, "parent": parent}
        categories[vid].append(category)
        if is_primary and vid not in primaries:
            primaries[vid] = category
    tags: Grouped = defaultdict(list)
    for vid, name, slug, url in query("tags"):
        tags[vid].append({"name": name, "slug": slug, "url": url})
    credits: Grouped = defaultdict(list)
    credits_by_image: dict[tuple[int, str | None], Row] = {}
    for vid, raw, creator, license_name, license_url, source_url, applies_to in query("credits"):
        credit = {"raw": raw, "creator": creator, "license": license_name, "license_url": license_url,
                  "source_url": source_url, "applies_to": applies_to}
        credits[vid].append(credit)
        credits_by_image.setdefault((vid, applies_to), credit)  # an image's credit: the first naming it
    images: Grouped = defaultdict(list)
    for vid, url, alt, caption, width, height, is_lead in query("images"):
        images[vid].append({"url": url, "alt": alt, "caption": caption, "width": width, "height": height,
                            "is_lead": bool(is_lead), "credit": credits_by_image.get((vid, url))})
    links: dict[str, Grouped] = {"internal": defaultdict(list), "external": defaultdict(list)}
    for vid, kind, url in query("links"):
        links[kind][vid].append(url)
    return authors, categories, primaries, tags, images, credits, links["internal"], links["external"]
