"""article_versions: field_sources (for each field, the signal its value came from)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archiver.storage.migrations.schema_0001 import create_search_and_views, drop_search_and_views

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both dialects: a batch (table copy) would break the views and FTS triggers.
    op.add_column("article_versions", sa.Column("field_sources", sa.JSON(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    drop_search_and_views(bind)
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.drop_column("field_sources")
    create_search_and_views(bind)
