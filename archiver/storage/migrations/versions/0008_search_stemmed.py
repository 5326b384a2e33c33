"""SQLite: article_search_stemmed, a full-text table of German-stemmed title, lead and text, filled for every
existing version and kept by triggers (PostgreSQL stems with its german configuration and needs nothing)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# archiver_stem_de(title, lead, text) is registered on every SQLite connection the archive opens
# (archiver.storage.db); this revision names it only in SQL, so it imports nothing of the live code.
STEM = "archiver_stem_de({row}.title, {row}.lead, {row}.text)"
STATEMENTS = [
    # The stemmed text is stored (not contentless): a row is deleted by its rowid, never by re-stemming the old
    # text, so a later stemmer release cannot leave stale terms behind.
    "CREATE VIRTUAL TABLE article_search_stemmed USING fts5(doc, tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER article_search_stemmed_ai AFTER INSERT ON article_versions BEGIN "
    f"INSERT INTO article_search_stemmed(rowid, doc) VALUES (new.id, {STEM.format(row='new')}); END",
    "CREATE TRIGGER article_search_stemmed_ad AFTER DELETE ON article_versions BEGIN "
    "DELETE FROM article_search_stemmed WHERE rowid = old.id; END",
    "CREATE TRIGGER article_search_stemmed_au AFTER UPDATE OF title, lead, text ON article_versions BEGIN "
    "DELETE FROM article_search_stemmed WHERE rowid = old.id; "
    f"INSERT INTO article_search_stemmed(rowid, doc) VALUES (new.id, {STEM.format(row='new')}); END",
    f"INSERT INTO article_search_stemmed(rowid, doc) SELECT v.id, {STEM.format(row='v')} FROM article_versions v",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for trigger in ("article_search_stemmed_ai", "article_search_stemmed_ad", "article_search_stemmed_au"):
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    bind.exec_driver_sql("DROP TABLE IF EXISTS article_search_stemmed")
