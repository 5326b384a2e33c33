"""``v_articles`` reads the versions first, so that a sort by date walks the date index

0001's view joined each article to its current version (``FROM articles a … JOIN article_versions v ON v.id =
a.current_version_id``). Sorted by ``published``, as a researcher sorts it in "All tables", SQLite scanned the
articles, computed every row's author, category and tag lists and sorted them all for one page: 0.9 s at 100,000
articles, ten times that at a million. Read from the versions (``FROM article_versions v JOIN articles a ON a.id =
v.article_id AND a.current_version_id = v.id``, the join ``v_desk_articles`` uses), the same sort walks
``ix_article_versions_published`` and stops at the page. Columns, values and rows are 0001's.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from archiver.storage.migrations.schema_0001 import _views

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BY_ARTICLE = ("FROM articles a JOIN sites s ON s.id = a.site_id "
              "JOIN article_versions v ON v.id = a.current_version_id LEFT JOIN captures cap ON cap.id = v.capture_id")
BY_VERSION = ("FROM article_versions v JOIN articles a ON a.id = v.article_id AND a.current_version_id = v.id "
              "JOIN sites s ON s.id = a.site_id LEFT JOIN captures cap ON cap.id = v.capture_id")


def _view_0001(dialect: str) -> str:
    view = _views(dialect)[0]
    if not view.startswith("CREATE VIEW v_articles ") or BY_ARTICLE not in view:
        raise RuntimeError("revision 0017 expects 0001's v_articles")
    return view


def upgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql("DROP VIEW v_articles")
    bind.exec_driver_sql(_view_0001(bind.dialect.name).replace(BY_ARTICLE, BY_VERSION))


def downgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql("DROP VIEW v_articles")
    bind.exec_driver_sql(_view_0001(bind.dialect.name))
