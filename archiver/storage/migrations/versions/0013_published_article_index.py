"""article_versions: the published index also holds the article, so counting a date range reads the index only

The desk's year facet click counts the current versions of a year: each version in the range joined to its
article. With the article in the index, the count walks the index and the articles' keys, instead of reading every
version's row (its text and HTML) from the table; an author click on an author of many articles walks it the same
way. The index keeps its name and still answers everything the one on ``published`` alone did (its first column).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_article_versions_published", table_name="article_versions")
    op.create_index("ix_article_versions_published", "article_versions", ["published", "article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_versions_published", table_name="article_versions")
    op.create_index("ix_article_versions_published", "article_versions", ["published"])
