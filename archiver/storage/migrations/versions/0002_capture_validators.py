"""captures: ETag and Last-Modified of each response, for conditional requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archiver.storage.migrations.schema_0001 import create_search_and_views, drop_search_and_views

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both dialects: a batch (table copy) would break the views that read captures.
    op.add_column("captures", sa.Column("etag", sa.Text(), nullable=True))
    op.add_column("captures", sa.Column("last_modified", sa.Text(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    drop_search_and_views(bind)
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_column("last_modified")
        batch_op.drop_column("etag")
    create_search_and_views(bind)
