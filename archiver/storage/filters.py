"""Which article versions a search or an export takes: one set of filters, rendered as SQL for both backends.

Author, category and tag are found by name or by slug (an author's slug is the last part of the profile URL,
``/author/antonia/``), case-insensitively (on SQLite for ASCII letters only; an exact spelling always matches).
Each filter is a condition on the version row, written so the database resolves the names once (a sub-select on
the small entity table) and then walks its indexes; every value is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from .query_syntax import ParsedQuery, parse

# PostgreSQL's stored German tsvector of title, lead and text (a generated column with its GIN index): matching and
# ranking read it instead of stemming every matching text again.
PG_DOCUMENT = "{v}.search_vector"
# SQLite (revision 0014): each version's date by its ID. A version's row holds ``published`` behind its text and
# HTML (overflow pages); a search or an export filtered by date that reaches versions by ID reads this index
# instead when it names it (``INDEXED BY``: SQLite would look an ID up in the table, the rowid being its key).
SQLITE_DATES_BY_ID = "ix_article_versions_id_published"


def has_dates_by_id(conn: Connection) -> bool:
    """Whether this SQLite archive has the index of dates by ID (read commands work on archives not upgraded)."""
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :n"),
                        {"n": SQLITE_DATES_BY_ID}).first() is not None


def _like_literal(value: str) -> str:
    return value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _moment(value: datetime, dialect: str) -> datetime | str:
    """SQLite keeps UTC times as text in SQLAlchemy's format: compare with the same text, not sqlite3's own."""
    if dialect != "sqlite":
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class ArticleFilter:
    since: datetime | None = None
    until: datetime | None = None
    author: str | None = None
    category: str | None = None
    tag: str | None = None
    license: str | None = None
    query: str | None = None

    def parsed_query(self) -> ParsedQuery | None:
        return parse(self.query) if self.query is not None else None

    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    def sql(self, dialect: str, v: str = "v", version_id: str | None = None) -> tuple[list[str], dict[str, Any]]:
        """Conditions on the version table (aliased `v`) and their parameters. `version_id` is the expression
        for the version's ID if not ``{v}.id`` (a search ranking from its index alone gives the index's rowid;
        the date filters still read ``{v}.published``)."""
        vid = version_id or f"{v}.id"
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.since is not None:
            clauses.append(f"{v}.published >= :f_since")
            params["f_since"] = _moment(self.since, dialect)
        if self.until is not None:
            clauses.append(f"{v}.published < :f_until")
            params["f_until"] = _moment(self.until, dialect)
        if self.author:
            slug = _like_literal(self.author)
            clauses.append(
                f"EXISTS (SELECT 1 FROM article_authors f_aa WHERE f_aa.version_id = {vid} AND f_aa.author_id IN "
                "(SELECT f_au.id FROM authors f_au WHERE f_au.name = :f_author OR lower(f_au.name) = lower(:f_author) "
                "OR lower(f_au.url) LIKE :f_author_url ESCAPE '\\' OR lower(f_au.url) LIKE :f_author_url_slash "
                "ESCAPE '\\'))")
            params |= {"f_author": self.author, "f_author_url": f"%/author/{slug}",
                       "f_author_url_slash": f"%/author/{slug}/"}
        if self.category:
            clauses.append(
                f"EXISTS (SELECT 1 FROM article_categories f_ac WHERE f_ac.version_id = {vid} AND f_ac.category_id "
                "IN (SELECT f_c.id FROM categories f_c WHERE lower(f_c.slug) = lower(:f_category) "
                "OR f_c.name = :f_category OR lower(f_c.name) = lower(:f_category)))")
            params["f_category"] = self.category
        if self.tag:
            clauses.append(
                f"EXISTS (SELECT 1 FROM article_tags f_at WHERE f_at.version_id = {vid} AND f_at.tag_id IN "
                "(SELECT f_t.id FROM tags f_t WHERE lower(f_t.slug) = lower(:f_tag) OR f_t.name = :f_tag "
                "OR lower(f_t.name) = lower(:f_tag)))")
            params["f_tag"] = self.tag
        if self.license:
            clauses.append(f"EXISTS (SELECT 1 FROM credits f_cr WHERE f_cr.version_id = {vid} AND "
                           "(f_cr.license = :f_license OR lower(f_cr.license) = lower(:f_license)))")
            params["f_license"] = self.license
        parsed = self.parsed_query()
        if parsed is not None:
            if dialect == "postgresql":
                clauses.append(f"{PG_DOCUMENT.format(v=v)} @@ to_tsquery('simple', :f_query)")
                params["f_query"] = parsed.tsquery()
            else:
                clauses.append(f"{vid} IN (SELECT rowid FROM article_search_stemmed WHERE article_search_stemmed "
                               "MATCH :f_query)")
                params["f_query"] = parsed.fts5()
        return clauses, params
