"""Hand-written DDL the models cannot express, as revision 0001 created it: full-text search and researcher views,
per dialect.

Part of the migrations, never of the live code: a migration must create the same schema whenever it runs, so this
file is frozen. A revision that changes the search index or the views writes its own snapshot beside it
(``schema_NNNN.py``) and leaves this one as it is. Revisions 0002 and 0003 drop and recreate these objects around
their table changes.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE article_search USING fts5(title, lead, text, content='article_versions', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER article_search_ai AFTER INSERT ON article_versions BEGIN "
    "INSERT INTO article_search(rowid, title, lead, text) "
    "VALUES (new.id, new.title, coalesce(new.lead, ''), new.text); "
    "END",
    "CREATE TRIGGER article_search_ad AFTER DELETE ON article_versions BEGIN "
    "INSERT INTO article_search(article_search, rowid, title, lead, text) "
    "VALUES ('delete', old.id, old.title, coalesce(old.lead, ''), old.text); END",
    "CREATE TRIGGER article_search_au AFTER UPDATE ON article_versions BEGIN "
    "INSERT INTO article_search(article_search, rowid, title, lead, text) "
    "VALUES ('delete', old.id, old.title, coalesce(old.lead, ''), old.text); "
    "INSERT INTO article_search(rowid, title, lead, text) "
    "VALUES (new.id, new.title, coalesce(new.lead, ''), new.text); "
    "END",
    # Index whatever the table already holds (a downgrade and upgrade recreates the index).
    "INSERT INTO article_search(article_search) VALUES ('rebuild')",
]
POSTGRES_SEARCH = [
    "CREATE INDEX ix_article_versions_search ON article_versions USING GIN "
    "(to_tsvector('german', coalesce(title, '') || ' ' || coalesce(lead, '') || ' ' || coalesce(text, '')))",
]
POSTGRES_SEARCH_VECTOR = (
    "to_tsvector('german', coalesce(v.title, '') || ' ' || coalesce(v.lead, '') || ' ' || coalesce(v.text, ''))"
)


def _agg(dialect: str, expression: str, order: str) -> str:
    if dialect == "postgresql":
        return f"string_agg({expression}, '; ' ORDER BY {order})"
    return f"group_concat({expression}, '; ')"


def _views(dialect: str) -> list[str]:
    true = "true" if dialect == "postgresql" else "1"
    authors = (f"(SELECT {_agg(dialect, 'x.name', 'x.position')} FROM (SELECT au.name, aa.position FROM "
               "article_authors aa JOIN authors au ON au.id = aa.author_id WHERE aa.version_id = v.id "
               "ORDER BY aa.position) x)")
    categories = (f"(SELECT {_agg(dialect, 'x.slug', 'x.position')} FROM (SELECT c.slug, ac.position FROM "
                  "article_categories ac JOIN categories c ON c.id = ac.category_id WHERE ac.version_id = v.id "
                  "ORDER BY ac.position) x)")
    tags = (f"(SELECT {_agg(dialect, 'x.slug', 'x.position')} FROM (SELECT t.slug, at.position FROM "
            "article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.version_id = v.id ORDER BY at.position) x)")
    primary = ("(SELECT c.slug FROM article_categories ac JOIN categories c ON c.id = ac.category_id "
               f"WHERE ac.version_id = v.id AND ac.is_primary = {true})")
    return [
        "CREATE VIEW v_articles AS SELECT a.id AS article_id, s.host AS site, a.post_id, a.url, v.version, "
        "a.version_count, v.title, v.lead, v.published, v.modified, v.language, v.word_count, "
        f"{authors} AS authors, {primary} AS primary_category, {categories} AS categories, {tags} AS tags, "
        "cap.warc_file, cap.warc_offset, cap.record_id AS warc_record_id, cap.payload_digest, "
        "v.captured_at FROM articles a JOIN sites s ON s.id = a.site_id "
        "JOIN article_versions v ON v.id = a.current_version_id LEFT JOIN captures cap ON cap.id = v.capture_id",
        "CREATE VIEW v_credits AS SELECT cr.id AS credit_id, a.id AS article_id, a.url AS article_url, v.title, "
        "v.published, cr.raw, cr.creator, cr.license, cr.license_url, cr.source_url, cr.applies_to "
        "FROM credits cr JOIN article_versions v ON v.id = cr.version_id JOIN articles a "
        "ON a.current_version_id = v.id",
    ]


def create_search_and_views(conn: Connection) -> None:
    dialect = conn.dialect.name
    statements = (POSTGRES_SEARCH if dialect == "postgresql" else SQLITE_SEARCH) + _views(dialect)
    for statement in statements:
        conn.exec_driver_sql(statement)


def drop_search_and_views(conn: Connection) -> None:
    conn.exec_driver_sql("DROP VIEW IF EXISTS v_credits")
    conn.exec_driver_sql("DROP VIEW IF EXISTS v_articles")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_article_versions_search")
    else:
        for trigger in ("article_search_ai", "article_search_ad", "article_search_au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.exec_driver_sql("DROP TABLE IF EXISTS article_search")
