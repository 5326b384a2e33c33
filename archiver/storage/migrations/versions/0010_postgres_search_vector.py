"""article_versions.search_vector on PostgreSQL: the German tsvector stored, and the full-text index on it

Search ranks every match with ts_rank, which needs the document's tsvector. The GIN index of revision 0001 was on
an expression, so the vector was computed again (German stemming of the whole text) for every matching version on
every search: seconds for a common word in a big archive (docs/benchmarks.md, "Big archive"). A stored generated
column is computed once, when the row is written. SQLite is unchanged (FTS5 keeps its own index).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DOCUMENT = "coalesce(title, '') || ' ' || coalesce(lead, '') || ' ' || coalesce(text, '')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE article_versions ADD COLUMN search_vector tsvector "
               f"GENERATED ALWAYS AS (to_tsvector('german', {DOCUMENT})) STORED")
    op.execute("DROP INDEX IF EXISTS ix_article_versions_search")
    op.execute("CREATE INDEX ix_article_versions_search_vector ON article_versions USING GIN (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_article_versions_search_vector")
    op.execute("ALTER TABLE article_versions DROP COLUMN search_vector")
    op.execute(f"CREATE INDEX ix_article_versions_search ON article_versions USING GIN (to_tsvector('german', {DOCUMENT}))")
