"""article_versions on SQLite: an index of titles, so that "All tables" sorts ``v_articles`` by title from an index

``v_articles`` computes each row's author, category and tag lists. Sorted by a column no index orders, SQLite
computes them for every current version and sorts them all for one page (seconds at a million articles); sorted by
an indexed column it walks the index and stops at the page (revision 0017 for the date). The desk's metadata lets
Datasette sort the view only by such columns (article, post ID, URL, date and, with this index, title).

SQLite only: Datasette serves SQLite archives, and a PostgreSQL b-tree refuses an entry of more than about 2.7 KB,
so a page with an overlong title would fail to be stored.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEX = "ix_article_versions_title"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(INDEX, "article_versions", ["title"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(INDEX, table_name="article_versions")
