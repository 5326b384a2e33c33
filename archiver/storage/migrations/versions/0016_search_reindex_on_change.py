"""SQLite: the full-text indexes re-index a version only when its title, lead or text changed

``article_search_au`` re-indexed a version on any update of its row, and ``article_search_stemmed_au`` on any
update that named title, lead or text, whether their values changed or not. ``archiver reextract`` after an
extractor upgrade rewrites every row it re-reads, most with the same text: each was taken out of both indexes and
put back, stemmed again on the way. Both triggers now fire only when one of the three values differs. PostgreSQL's
search vector is a generated column: nothing to change there.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CHANGED = "WHEN old.title IS NOT new.title OR old.lead IS NOT new.lead OR old.text IS NOT new.text"
# archiver_stem_de(title, lead, text) is registered on every SQLite connection the archive opens
# (archiver.storage.db); this revision names it only in SQL, so it imports nothing of the live code.
PLAIN = (
    "CREATE TRIGGER article_search_au AFTER UPDATE {of} ON article_versions {when} BEGIN "
    "INSERT INTO article_search(article_search, rowid, title, lead, text) "
    "VALUES ('delete', old.id, old.title, coalesce(old.lead, ''), old.text); "
    "INSERT INTO article_search(rowid, title, lead, text) "
    "VALUES (new.id, new.title, coalesce(new.lead, ''), new.text); END"
)
STEMMED = (
    "CREATE TRIGGER article_search_stemmed_au AFTER UPDATE OF title, lead, text ON article_versions {when} BEGIN "
    "DELETE FROM article_search_stemmed WHERE rowid = old.id; "
    "INSERT INTO article_search_stemmed(rowid, doc) "
    "VALUES (new.id, archiver_stem_de(new.title, new.lead, new.text)); END"
)


def _replace(plain_of: str, when: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("DROP TRIGGER IF EXISTS article_search_au")
    bind.exec_driver_sql("DROP TRIGGER IF EXISTS article_search_stemmed_au")
    bind.exec_driver_sql(PLAIN.format(of=plain_of, when=when))
    bind.exec_driver_sql(STEMMED.format(when=when))


def upgrade() -> None:
    _replace("OF title, lead, text", CHANGED)


def downgrade() -> None:
    _replace("", "")  # 0001's and 0008's triggers
