"""articles: removed_at and removed_status, for articles taken down (404, 410, redirected away, unpublished)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archiver.storage.migrations.schema_0001 import create_search_and_views, drop_search_and_views

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both dialects: a batch (table copy) would break the views and FTS triggers.
    op.add_column("articles", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("articles", sa.Column("removed_status", sa.Text(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    drop_search_and_views(bind)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("removed_status")
        batch_op.drop_column("removed_at")
    create_search_and_views(bind)
