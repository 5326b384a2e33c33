"""The research database schema (SQLAlchemy 2.0 typed models). Documented in docs/schema.md.

Every article version owns its links to authors, categories, tags, images, credits and
links, so a changed byline or credit is a new version and the old one stays intact.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, typed as a Table (``__table__`` is declared as a FromClause)."""
    return cast(Table, model.__table__)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    stats: Mapped[dict[str, object] | None] = mapped_column(JSON)
    software: Mapped[dict[str, object] | None] = mapped_column(JSON)
    worker: Mapped[str | None] = mapped_column(String(200))


class Capture(Base):
    """One archived HTTP exchange: where its response (or revisit) record sits in which WARC file."""

    __tablename__ = "captures"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    warc_file: Mapped[str] = mapped_column(String(500))
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[str] = mapped_column(String(100), unique=True)
    record_type: Mapped[str] = mapped_column(String(20))
    payload_digest: Mapped[str | None] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    # Validators of the response, for conditional requests in update runs.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_captures_url_fetched", "url", "fetched_at"),)


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    key: Mapped[str] = mapped_column(String(600))  # "post:<id>" or "url:<canonical url>"
    post_id: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, name="fk_articles_current_version_id_article_versions"))
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    # Taken down: when an update first found it gone, and how ("404", "410", "redirect:<url>", "unpublished").
    # Kept, never deleted; both are cleared when the article answers again (docs/schema.md).
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    removed_status: Mapped[str | None] = mapped_column(Text)

    # Every read of the current version joins on current_version_id; show, cite and take-downs look up by URL
    # or post ID (migration 0009).
    __table_args__ = (UniqueConstraint("site_id", "key", name="uq_articles_site_key"),
                      Index("ix_articles_site_post", "site_id", "post_id"),
                      Index("ix_articles_current_version_id", "current_version_id"),
                      Index("ix_articles_url", "url", postgresql_using="hash"),
                      Index("ix_articles_post_id", "post_id"))

    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", foreign_keys="ArticleVersion.article_id", order_by="ArticleVersion.version")


class ArticleVersion(Base):
    __tablename__ = "article_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    layout: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_raw: Mapped[str | None] = mapped_column(Text)
    modified: Mapped[datetime | None] = mapped_column(UtcDateTime)
    modified_raw: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    word_count: Mapped[int] = mapped_column(Integer)
    reading_time_minutes: Mapped[int | None] = mapped_column(Integer)
    comments_url: Mapped[str | None] = mapped_column(Text)
    breadcrumb: Mapped[list[str] | None] = mapped_column(JSON)
    warnings: Mapped[list[str] | None] = mapped_column(JSON)  # problems that did not stop extraction
    content_hash: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)
    diff: Mapped[dict[str, object] | None] = mapped_column(JSON)  # field-level changes against the previous version
    extractor: Mapped[str | None] = mapped_column(String(80))  # the extractor version that produced the row
    field_sources: Mapped[dict[str, str] | None] = mapped_column(JSON)  # field -> the signal its value came from

    # With the article beside the date, a date range is counted from the index alone (revision 0013).
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),
                      Index("ix_article_versions_published", "published", "article_id"))

    article: Mapped[Article] = relationship(back_populates="versions", foreign_keys=[article_id])


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    key: Mapped[str] = mapped_column(String(600))  # "id:<site author id>", "url:<profile url>" or "name:<name>"
    name: Mapped[str] = mapped_column(Text, index=True)
    url: Mapped[str | None] = mapped_column(Text)
    site_author_id: Mapped[int | None] = mapped_column(Integer)
    bio: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(Text)
    forum_url: Mapped[str | None] = mapped_column(Text)
    is_organization: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("site_id", "key", name="uq_authors_site_key"),)


class ArticleAuthor(Base):
    __tablename__ = "article_authors"
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    slug: Mapped[str] = mapped_column(String(400))
    name: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))

    __table_args__ = (UniqueConstraint("site_id", "slug", name="uq_categories_site_slug"),)


class ArticleCategory(Base):
    __tablename__ = "article_categories"
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True, index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer)


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    slug: Mapped[str] = mapped_column(String(400))
    name: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("site_id", "slug", name="uq_tags_site_slug"),)


class ArticleTag(Base):
    __tablename__ = "article_tags"
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Image(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    url: Mapped[str] = mapped_column(String(2000))

    __table_args__ = (UniqueConstraint("site_id", "url", name="uq_images_site_url"),)


class ArticleImage(Base):
    __tablename__ = "article_images"
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id"), index=True)
    alt: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)


class Credit(Base):
    __tablename__ = "credits"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"), index=True)
    raw: Mapped[str] = mapped_column(Text)
    creator: Mapped[str | None] = mapped_column(Text, index=True)
    license: Mapped[str | None] = mapped_column(Text, index=True)
    license_url: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    applies_to: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_credits_version_license", "version_id", "license"),)


class Link(Base):
    __tablename__ = "links"
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # "internal" | "external"
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    target_post_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class ExtractionFailure(Base):
    __tablename__ = "extraction_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    url: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    layout: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatCount(Base):
    """What ``stats`` reports, kept by the writers (``archiver.storage.counts``)."""

    __tablename__ = "stat_counts"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    item: Mapped[str] = mapped_column(Text, primary_key=True)
    total: Mapped[int] = mapped_column(BigInteger)


class DeskArticle(Base):
    """The desk's row of each article (``v_desk_articles`` reads it), kept by the writers
    (``archiver.storage.desk_rows``)."""

    __tablename__ = "desk_articles"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(Text)  # ISO 8601 UTC, as the desk shows it
    authors: Mapped[str | None] = mapped_column(Text)  # JSON lists of names, in the page's order
    category: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)
    licenses: Mapped[str | None] = mapped_column(Text)
    year: Mapped[str | None] = mapped_column(Text)
    removed: Mapped[str | None] = mapped_column(Text)  # the article's: "yes" while taken down, else "no"
    versions: Mapped[int | None] = mapped_column(Integer)
    site: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    published_key: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the version's stored date, to sort on
    __table_args__ = (Index("ix_desk_articles_published_key", "published_key", "year"),)


class DeskRenamed(Base):
    """Authors, categories and tags renamed since the last write's end: the desk rows naming them are rewritten
    (triggers on their names fill it, ``archiver.storage.desk_rows`` empties it)."""

    __tablename__ = "desk_renamed"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
