"""articles: indexes on current_version_id, url and post_id (the lookups of a big archive)

Every researcher read joins the current version (``articles.current_version_id``): search, stats, the exports and
the views. ``show`` and ``cite`` find an article by URL or post ID, and an update marks take-downs by URL. Without
these indexes each of those scans the articles table, which at a million articles costs seconds per lookup
(docs/benchmarks.md, "Big archive"). PostgreSQL indexes the URL with a hash index: equality is the only use and a
B-tree entry has a size limit a URL may exceed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_current_version_id", "articles", ["current_version_id"])
    op.create_index("ix_articles_url", "articles", ["url"], postgresql_using="hash")
    op.create_index("ix_articles_post_id", "articles", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_articles_post_id", table_name="articles")
    op.drop_index("ix_articles_url", table_name="articles")
    op.drop_index("ix_articles_current_version_id", table_name="articles")
