"""credits: an index on (version_id, license), so counting licenses over current versions reads the index only

``archiver stats`` counts credits per license over every current version, and the desk's ``v_desk_articles``
lists each version's licenses. With the index both walk (version, license) pairs in version order beside the
articles' ``current_version_id`` index, instead of reading every credit row (its raw text and URLs) from the table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_credits_version_license", "credits", ["version_id", "license"])


def downgrade() -> None:
    op.drop_index("ix_credits_version_license", table_name="credits")
