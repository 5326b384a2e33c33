"""``v_articles`` reads the versions first, so that a sort by date walks the date index

0001's view joined each article to its current version (``FROM articles a … JOIN article_versions v ON v.id =
a.current_version_id``). Sorted by ``published``, as a researcher sorts it in "All tables", SQLite scanned the
articles, computed every row's author, category and tag lists and sorted them all for one page: 0.9 s at 100,000
articles, ten times that at a million. Read from the versions (``FROM article_versions v JOIN articles a ON a.id =
v.article_id AND a.current_version_id = v.id``, the join ``v_desk_articles`` uses), the same sort walks
``ix_article_versions_published`` and stops at the page. Columns, values and rows are 0001's
(``schema_0017.py``); unsorted, the rows come in the versions' order instead of the articles'.

PostgreSQL replaces the view in place (its columns do not change), so grants on it and views built on it stay;
SQLite has no ``CREATE OR REPLACE VIEW``.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from archiver.storage.migrations.schema_0001 import _views
from archiver.storage.migrations.schema_0017 import v_articles

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _replace(view: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(view.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
    else:
        bind.exec_driver_sql("DROP VIEW v_articles")
        bind.exec_driver_sql(view)


def upgrade() -> None:
    _replace(v_articles(op.get_bind().dialect.name))


def downgrade() -> None:
    _replace(_views(op.get_bind().dialect.name)[0])  # 0001's v_articles
