"""Reading articles back in the item shape (docs/schema.md), for export, show, cite and tests.

Versions are read in batches so an export of any archive size streams in constant memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from . import models as m
from .filters import ArticleFilter

Row = dict[str, Any]
BATCH = 200


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_articles(engine: Engine, versions: str = "latest", since: datetime | None = None,
                  with_html: bool = False, article_id: int | None = None,
                  filters: ArticleFilter | None = None) -> Iterator[Row]:
    """Yield one item-shaped dict per article (``latest``) or per stored version (``all``), or one article's;
    `filters` choose the versions (archiver/storage/filters.py)."""
    a, v, s = m.Article.__table__, m.ArticleVersion.__table__, m.Site.__table__
    join_on = (v.c.id == a.c.current_version_id) if versions == "latest" else (v.c.article_id == a.c.id)
    query = (select(a.c.id.label("article_id"), a.c.url, a.c.post_id, a.c.version_count, a.c.removed_at,
                    a.c.removed_status, s.c.host, v)
             .select_from(a.join(s, s.c.id == a.c.site_id).join(v, join_on))
             .order_by(a.c.id, v.c.version))
    if since is not None:
        query = query.where(v.c.published >= since)
    if article_id is not None:
        query = query.where(a.c.id == article_id)
    if filters is not None:
        clauses, params = filters.sql(engine.dialect.name, v="article_versions")
        if clauses:
            query = query.where(text(" AND ".join(clauses)).bindparams(**params))
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for partition in result.mappings().partitions(BATCH):
            yield from _assemble(conn, list(partition), with_html)


def _assemble(conn: Connection, rows: Sequence[Any], with_html: bool) -> Iterator[Row]:
    ids = [r["id"] for r in rows]
    relations = _relations(conn, ids)
    for r in rows:
        vid = r["id"]
        categories = relations["categories"][vid]
        primary = next((c for c in categories if c.pop("_primary")), None) if categories else None
        for c in categories:
            c.pop("_primary", None)
        item: Row = {
            "id": r["article_id"], "version": r["version"], "versions": r["version_count"],
            "url": r["url"], "post_id": r["post_id"], "site": r["host"], "layout": r["layout"],
            "title": r["title"], "lead": r["lead"], "text": r["text"],
            "published": iso(r["published"]), "published_raw": r["published_raw"],
            "modified": iso(r["modified"]), "modified_raw": r["modified_raw"], "language": r["language"],
            "word_count": r["word_count"], "reading_time_minutes": r["reading_time_minutes"],
            "authors": relations["authors"][vid], "primary_category": primary, "categories": categories,
            "tags": relations["tags"][vid], "images": relations["images"][vid],
            "credits": relations["credits"][vid], "comments_url": r["comments_url"],
            "links": {"internal": relations["internal"][vid], "external": relations["external"][vid]},
            "breadcrumb": r["breadcrumb"] or [], "warnings": r["warnings"] or [], "captured_at": iso(r["captured_at"]),
            "extractor": r["extractor"], "field_sources": r["field_sources"] or {},
            "capture": relations["capture"].get(r["capture_id"]),
            # The article's state now (not this version's): null while it is live.
            "removed_at": iso(r["removed_at"]), "removed_status": r["removed_status"],
        }
        if with_html:
            item["html"] = r["html"]
        yield item


def _relations(conn: Connection, version_ids: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {name: defaultdict(list) for name in
                           ("authors", "categories", "tags", "images", "credits", "internal", "external")}
    aa, au = m.ArticleAuthor.__table__, m.Author.__table__
    for r in conn.execute(select(aa.c.version_id, au).join(au, au.c.id == aa.c.author_id)
                          .where(aa.c.version_id.in_(version_ids)).order_by(aa.c.version_id, aa.c.position)).mappings():
        out["authors"][r["version_id"]].append({
            "name": r["name"], "url": r["url"], "site_author_id": r["site_author_id"], "bio": r["bio"],
            "avatar_url": r["avatar_url"], "forum_url": r["forum_url"], "is_organization": bool(r["is_organization"])})
    ac, ca, parent = m.ArticleCategory.__table__, m.Category.__table__, m.Category.__table__.alias("parent")
    for r in conn.execute(select(ac.c.version_id, ac.c.is_primary, ca.c.slug, ca.c.name, ca.c.url,
                                 parent.c.slug.label("parent"))
                          .join(ca, ca.c.id == ac.c.category_id).outerjoin(parent, parent.c.id == ca.c.parent_id)
                          .where(ac.c.version_id.in_(version_ids))
                          .order_by(ac.c.version_id, ac.c.position)).mappings():
        out["categories"][r["version_id"]].append({"name": r["name"], "slug": r["slug"], "url": r["url"],
                                                   "parent": r["parent"], "_primary": bool(r["is_primary"])})
    at, ta = m.ArticleTag.__table__, m.Tag.__table__
    for r in conn.execute(select(at.c.version_id, ta.c.slug, ta.c.name, ta.c.url).join(ta, ta.c.id == at.c.tag_id)
                          .where(at.c.version_id.in_(version_ids))
                          .order_by(at.c.version_id, at.c.position)).mappings():
        out["tags"][r["version_id"]].append({"name": r["name"], "slug": r["slug"], "url": r["url"]})
    cr = m.Credit.__table__
    credits_by_image: dict[tuple[int, str | None], Row] = {}
    for r in conn.execute(select(cr).where(cr.c.version_id.in_(version_ids))
                          .order_by(cr.c.version_id, cr.c.position)).mappings():
        credit = {"raw": r["raw"], "creator": r["creator"], "license": r["license"],
                  "license_url": r["license_url"], "source_url": r["source_url"], "applies_to": r["applies_to"]}
        out["credits"][r["version_id"]].append(credit)
        credits_by_image.setdefault((r["version_id"], r["applies_to"]), credit)
    ai, im = m.ArticleImage.__table__, m.Image.__table__
    for r in conn.execute(select(ai, im.c.url).join(im, im.c.id == ai.c.image_id)
                          .where(ai.c.version_id.in_(version_ids))
                          .order_by(ai.c.version_id, ai.c.position)).mappings():
        out["images"][r["version_id"]].append({
            "url": r["url"], "alt": r["alt"], "caption": r["caption"], "width": r["width"], "height": r["height"],
            "is_lead": bool(r["is_lead"]), "credit": credits_by_image.get((r["version_id"], r["url"]))})
    ln = m.Link.__table__
    for r in conn.execute(select(ln).where(ln.c.version_id.in_(version_ids))
                          .order_by(ln.c.version_id, ln.c.kind, ln.c.position)).mappings():
        out[r["kind"]][r["version_id"]].append(r["url"])
    v, cap = m.ArticleVersion.__table__, m.Capture.__table__
    out["capture"] = {}
    for r in conn.execute(select(cap).join(v, v.c.capture_id == cap.c.id).where(v.c.id.in_(version_ids))).mappings():
        out["capture"][r["id"]] = {"warc_file": r["warc_file"], "offset": r["warc_offset"],
                                   "length": r["warc_length"], "record_id": r["record_id"],
                                   "payload_digest": r["payload_digest"], "fetched_at": iso(r["fetched_at"]),
                                   "url": r["url"]}
    return out
