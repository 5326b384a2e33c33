"""Writes to the archive database: idempotent upserts on natural keys, one transaction per article.

``INSERT … ON CONFLICT`` is used on both dialects so concurrent writers never create
duplicates. A re-crawl of an unchanged article adds no version (content hash); a changed
one adds a version with a field-level diff and leaves the old versions intact.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..exceptions import StorageError
from ..items import ArticleItem, ExtractionFailure
from ..normalize.urls import post_id_from_url
from . import models as m

DIFF_FIELDS = ("title", "lead", "text", "published", "modified", "authors", "categories", "tags", "images",
               "credits")


@dataclass(frozen=True)
class CaptureRecord:
    """Where one archived exchange sits in the WARC files (produced by the WARC writer)."""

    url: str
    status: int
    fetched_at: datetime
    warc_file: str
    warc_offset: int
    warc_length: int
    record_id: str
    record_type: str
    payload_digest: str | None
    content_type: str | None = None
    worker: str | None = None


@dataclass(frozen=True)
class StoreResult:
    article_id: int
    version: int
    status: str  # "new" | "changed" | "unchanged"


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def content_hash(item: ArticleItem) -> str:
    data = item.to_dict(with_html=False)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def summary(item: ArticleItem) -> dict[str, Any]:
    """The fields a version diff compares, in comparable form."""
    return {
        "title": item.title, "lead": item.lead, "text": item.text, "published": item.published,
        "modified": item.modified, "authors": [a.name for a in item.authors],
        "categories": [c.slug for c in item.categories], "tags": [t.slug for t in item.tags],
        "images": [i.url for i in item.images], "credits": [c.raw for c in item.credits],
    }


def field_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name in DIFF_FIELDS:
        if old.get(name) == new.get(name):
            continue
        if name == "text":
            lines = difflib.unified_diff((old.get(name) or "").split("\n\n"), (new.get(name) or "").split("\n\n"),
                                         "old", "new", lineterm="", n=0)
            diff[name] = {"unified": "\n".join(lines)}
        else:
            diff[name] = {"old": old.get(name), "new": new.get(name)}
    return diff


class ArchiveStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self._site_ids: dict[str, int] = {}

    # --- generic upsert ---------------------------------------------------------------------------
    def _upsert(self, conn: Connection, table: Table, values: dict[str, Any], keys: list[str],
                keep_existing: tuple[str, ...] = (), preserve: tuple[str, ...] = ()) -> int:
        """Insert or update on the natural key.

        Columns in ``keep_existing`` are only filled, never blanked by a NULL; columns in
        ``preserve`` keep the stored value (first_seen, created_at).
        """
        statement = self._insert(table).values(**values)
        updates: dict[str, Any] = {}
        for name in values:
            if name in keys or name in preserve:
                continue
            column = statement.excluded[name]
            updates[name] = func.coalesce(column, table.c[name]) if name in keep_existing else column
        if not updates:
            updates = {keys[0]: statement.excluded[keys[0]]}
        statement = statement.on_conflict_do_update(index_elements=keys, set_=updates).returning(table.c.id)
        return int(conn.execute(statement).scalar_one())

    def site_id(self, conn: Connection, host: str) -> int:
        if host not in self._site_ids:
            self._site_ids[host] = self._upsert(conn, m.Site.__table__, {"host": host, "created_at": _now()},
                                                ["host"], preserve=("created_at",))
        return self._site_ids[host]

    # --- runs and captures ------------------------------------------------------------------------
    def start_run(self, spider: str, mode: str, software: dict[str, Any], worker: str | None = None) -> int:
        with self._begin() as conn:
            result = conn.execute(m.CrawlRun.__table__.insert().values(
                spider=spider, mode=mode, started_at=_now(), software=software, worker=worker
            ).returning(m.CrawlRun.__table__.c.id))
            return int(result.scalar_one())

    def finish_run(self, run_id: int, reason: str, stats: dict[str, Any]) -> None:
        with self._begin() as conn:
            conn.execute(update(m.CrawlRun.__table__).where(m.CrawlRun.__table__.c.id == run_id).values(
                finished_at=_now(), finish_reason=reason, stats=json.loads(json.dumps(stats, default=str))))

    def record_captures(self, records: list[CaptureRecord], run_id: int | None) -> dict[str, int]:
        ids: dict[str, int] = {}
        if not records:
            return ids
        with self._begin() as conn:
            for record in records:
                values = asdict(record) | {"run_id": run_id}
                ids[record.record_id] = self._upsert(conn, m.Capture.__table__, values, ["record_id"])
        return ids

    def capture_id(self, conn: Connection, record_id: str | None) -> int | None:
        if record_id is None:
            return None
        table = m.Capture.__table__
        return conn.execute(select(table.c.id).where(table.c.record_id == record_id)).scalar_one_or_none()

    def record_failure(self, failure: ExtractionFailure, run_id: int | None) -> None:
        with self._begin() as conn:
            capture_id = self.capture_id(conn, (failure.capture or {}).get("record_id"))
            conn.execute(m.ExtractionFailure.__table__.insert().values(
                run_id=run_id, capture_id=capture_id, url=failure.url, reason=failure.reason,
                layout=failure.layout, created_at=_now()))

    # --- articles ---------------------------------------------------------------------------------
    def store_articles(self, items: list[ArticleItem]) -> list[StoreResult]:
        """Store a batch: one transaction, one savepoint per article so a bad one spoils nothing else."""
        results: list[StoreResult] = []
        with self._begin() as conn:
            for item in items:
                with conn.begin_nested():
                    results.append(self._store_article(conn, item))
        return results

    def store_article(self, item: ArticleItem) -> StoreResult:
        return self.store_articles([item])[0]

    def _store_article(self, conn: Connection, item: ArticleItem) -> StoreResult:
        site_id = self.site_id(conn, item.site)
        now = _now()
        key = f"post:{item.post_id}" if item.post_id is not None else f"url:{item.url}"
        articles = m.Article.__table__
        article_id = self._upsert(conn, articles, {"site_id": site_id, "key": key, "post_id": item.post_id,
                                                   "url": item.url, "first_seen": now, "last_seen": now,
                                                   "version_count": 0},
                                  ["site_id", "key"], preserve=("first_seen", "version_count"))
        row = conn.execute(select(articles.c.current_version_id, articles.c.version_count)
                           .where(articles.c.id == article_id)).one()
        digest = content_hash(item)
        versions = m.ArticleVersion.__table__
        previous = None
        if row.current_version_id is not None:
            previous = conn.execute(select(versions.c.id, versions.c.content_hash, versions.c.version)
                                    .where(versions.c.id == row.current_version_id)).one()
            if previous.content_hash == digest:
                return StoreResult(article_id, previous.version, "unchanged")
        version = (previous.version if previous else 0) + 1
        capture_id = self.capture_id(conn, (item.capture or {}).get("record_id"))
        captured_at = parse_iso((item.capture or {}).get("fetched_at")) or now
        diff = field_diff(self.version_summary(conn, previous.id), summary(item)) if previous else None
        version_id = int(conn.execute(versions.insert().values(
            article_id=article_id, version=version, layout=item.layout, title=item.title, lead=item.lead,
            text=item.text, html=item.html, published=parse_iso(item.published), published_raw=item.published_raw,
            modified=parse_iso(item.modified), modified_raw=item.modified_raw, language=item.language,
            word_count=item.word_count, reading_time_minutes=item.reading_time_minutes,
            comments_url=item.comments_url, breadcrumb=item.breadcrumb, content_hash=digest,
            captured_at=captured_at, capture_id=capture_id, diff=diff,
        ).returning(versions.c.id)).scalar_one())
        self._store_relations(conn, site_id, version_id, item)
        conn.execute(update(articles).where(articles.c.id == article_id).values(
            current_version_id=version_id, version_count=version, url=item.url, last_seen=now))
        return StoreResult(article_id, version, "changed" if previous else "new")

    def _store_relations(self, conn: Connection, site_id: int, version_id: int, item: ArticleItem) -> None:
        for position, author in enumerate(item.authors):
            key = (f"id:{author.site_author_id}" if author.site_author_id is not None
                   else f"url:{author.url}" if author.url else f"name:{author.name}")
            author_id = self._upsert(conn, m.Author.__table__, {
                "site_id": site_id, "key": key, "name": author.name, "url": author.url,
                "site_author_id": author.site_author_id, "bio": author.bio, "avatar_url": author.avatar_url,
                "forum_url": author.forum_url, "is_organization": author.is_organization,
            }, ["site_id", "key"], keep_existing=("url", "site_author_id", "bio", "avatar_url", "forum_url"))
            conn.execute(m.ArticleAuthor.__table__.insert().values(version_id=version_id, author_id=author_id,
                                                                   position=position))
        primary = item.primary_category.slug if item.primary_category else None
        for position, category in enumerate(item.categories):
            parent_id = None
            if category.parent:
                parent_id = self._upsert(conn, m.Category.__table__, {"site_id": site_id, "slug": category.parent},
                                         ["site_id", "slug"])
            category_id = self._upsert(conn, m.Category.__table__, {
                "site_id": site_id, "slug": category.slug, "name": category.name, "url": category.url,
                "parent_id": parent_id}, ["site_id", "slug"], keep_existing=("name", "url", "parent_id"))
            conn.execute(m.ArticleCategory.__table__.insert().values(
                version_id=version_id, category_id=category_id, is_primary=category.slug == primary,
                position=position))
        for position, tag in enumerate(item.tags):
            tag_id = self._upsert(conn, m.Tag.__table__, {"site_id": site_id, "slug": tag.slug, "name": tag.name,
                                                          "url": tag.url}, ["site_id", "slug"],
                                  keep_existing=("name", "url"))
            conn.execute(m.ArticleTag.__table__.insert().values(version_id=version_id, tag_id=tag_id,
                                                                position=position))
        image_ids: dict[str, int] = {}
        for position, image in enumerate(item.images):
            image_id = image_ids.get(image.url) or self._upsert(
                conn, m.Image.__table__, {"site_id": site_id, "url": image.url}, ["site_id", "url"])
            image_ids[image.url] = image_id
            conn.execute(m.ArticleImage.__table__.insert().values(
                version_id=version_id, position=position, image_id=image_id, alt=image.alt, caption=image.caption,
                width=image.width, height=image.height, is_lead=image.is_lead))
        for position, credit in enumerate(item.credits):
            conn.execute(m.Credit.__table__.insert().values(
                version_id=version_id, position=position, image_id=image_ids.get(credit.applies_to or ""),
                raw=credit.raw, creator=credit.creator, license=credit.license, license_url=credit.license_url,
                source_url=credit.source_url, applies_to=credit.applies_to))
        for kind, urls in (("internal", item.links.internal), ("external", item.links.external)):
            for position, url in enumerate(urls):
                conn.execute(m.Link.__table__.insert().values(
                    version_id=version_id, kind=kind, position=position, url=url,
                    target_post_id=post_id_from_url(url) if kind == "internal" else None))

    def version_summary(self, conn: Connection, version_id: int) -> dict[str, Any]:
        v = m.ArticleVersion.__table__
        row = conn.execute(select(v.c.title, v.c.lead, v.c.text, v.c.published, v.c.modified)
                           .where(v.c.id == version_id)).one()
        aa, au = m.ArticleAuthor.__table__, m.Author.__table__
        ac, ca = m.ArticleCategory.__table__, m.Category.__table__
        at, ta = m.ArticleTag.__table__, m.Tag.__table__
        ai, im = m.ArticleImage.__table__, m.Image.__table__
        cr = m.Credit.__table__
        return {
            "title": row.title, "lead": row.lead, "text": row.text,
            "published": _iso(row.published), "modified": _iso(row.modified),
            "authors": list(conn.execute(select(au.c.name).join(aa, aa.c.author_id == au.c.id)
                                         .where(aa.c.version_id == version_id).order_by(aa.c.position)).scalars()),
            "categories": list(conn.execute(select(ca.c.slug).join(ac, ac.c.category_id == ca.c.id)
                                            .where(ac.c.version_id == version_id).order_by(ac.c.position)).scalars()),
            "tags": list(conn.execute(select(ta.c.slug).join(at, at.c.tag_id == ta.c.id)
                                      .where(at.c.version_id == version_id).order_by(at.c.position)).scalars()),
            "images": list(conn.execute(select(im.c.url).join(ai, ai.c.image_id == im.c.id)
                                        .where(ai.c.version_id == version_id).order_by(ai.c.position)).scalars()),
            "credits": list(conn.execute(select(cr.c.raw).where(cr.c.version_id == version_id)
                                         .order_by(cr.c.position)).scalars()),
        }

    # --- plumbing ---------------------------------------------------------------------------------
    def _begin(self) -> Any:
        return _Transaction(self.engine)


class _Transaction:
    """``engine.begin()`` that turns driver errors into ``StorageError`` with a one-line reason."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Connection:
        try:
            self.context = self.engine.begin()
            return self.context.__enter__()
        except SQLAlchemyError as error:
            raise StorageError(_one_line(error)) from error

    def __exit__(self, *exc: Any) -> None:
        try:
            self.context.__exit__(*exc)
        except SQLAlchemyError as error:
            raise StorageError(_one_line(error)) from error
        if exc[0] is not None and isinstance(exc[1], SQLAlchemyError):
            raise StorageError(_one_line(exc[1])) from exc[1]


def _one_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip().splitlines()
    return f"database error: {text[0] if text else type(error).__name__}"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> datetime:
    return datetime.now(UTC)
