"""stat_counts: the counts `stats` and the desk report, kept by the writers instead of counted on every read

One row per (kind, item): articles per published year, category, primary category, author, tag, credit license,
version count and removal month (of their current versions), credits per license, captures per record type (the
desk's landing page reads its row count and facets here too). Filled here from the rows; from then on every write
keeps it (archiver/storage/counts.py), and `archiver stats --recount` counts it again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Frozen copy of archiver/storage/counts.py's EVERYTHING (a migration imports no live code).
BACKFILL = """
INSERT INTO stat_counts (kind, item, total)
SELECT 'year', coalesce(substr(CAST(v.published AS TEXT), 1, 4), ''), count(*)
  FROM articles a JOIN article_versions v ON v.id = a.current_version_id GROUP BY 2
UNION ALL SELECT 'category', CAST(ac.category_id AS TEXT), count(*)
  FROM articles a JOIN article_categories ac ON ac.version_id = a.current_version_id GROUP BY 2
UNION ALL SELECT 'author', CAST(aa.author_id AS TEXT), count(*)
  FROM articles a JOIN article_authors aa ON aa.version_id = a.current_version_id GROUP BY 2
UNION ALL SELECT 'license', coalesce(cr.license, ''), count(*)
  FROM articles a JOIN credits cr ON cr.version_id = a.current_version_id GROUP BY 2
UNION ALL SELECT 'primary_category', CAST(ac.category_id AS TEXT), count(*)
  FROM articles a JOIN article_categories ac ON ac.version_id = a.current_version_id AND ac.is_primary
  GROUP BY 2
UNION ALL SELECT 'tag', CAST(at.tag_id AS TEXT), count(*)
  FROM articles a JOIN article_tags at ON at.version_id = a.current_version_id GROUP BY 2
UNION ALL SELECT 'article_license', cr.license, count(DISTINCT cr.version_id)
  FROM articles a JOIN credits cr ON cr.version_id = a.current_version_id AND cr.license IS NOT NULL
  GROUP BY 2
UNION ALL SELECT 'versions', CAST(a.version_count AS TEXT), count(*) FROM articles a GROUP BY 2
UNION ALL SELECT 'removal_month', substr(CAST(a.removed_at AS TEXT), 1, 7), count(*)
  FROM articles a WHERE a.removed_at IS NOT NULL GROUP BY 2
UNION ALL SELECT 'capture_type', coalesce(record_type, ''), count(*) FROM captures GROUP BY 2
"""


def upgrade() -> None:
    op.create_table(
        "stat_counts",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "item", name="pk_stat_counts"),
    )
    op.get_bind().exec_driver_sql(BACKFILL)


def downgrade() -> None:
    op.drop_table("stat_counts")
