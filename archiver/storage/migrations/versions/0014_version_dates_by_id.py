"""article_versions on SQLite: an index of each version's date by its ID, for searches filtered by date

A search ranks its matches from the full-text index, whose rowid is the version's ID. A date filter then needs each
match's ``published``, which sits behind the version's text and HTML in its row (overflow pages): for a common word
that is one long read per match, most of them from disk on a big archive. This index answers the date from the ID
alone. PostgreSQL reads the date from its heap tuple (the text is TOASTed apart) and gets no such index.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_article_versions_id_published"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(INDEX, "article_versions", ["id", "published"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(INDEX, table_name="article_versions")
