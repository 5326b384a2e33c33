"""desk_articles: the desk's rows stored, one per article, kept by the writers

``v_desk_articles`` computed each article's author, category, tag and license lists with subqueries for every row.
A page sorted by date computed a page of them; a search, or an author's page, computed every matching row before
sorting it (seconds at a million articles). Its rows are now stored in ``desk_articles`` and the view reads them;
its columns and their values do not change. ``v_desk_articles_computed`` keeps the definition (0007's view): the
writers rewrite the rows of the articles they change from it (archiver/storage/desk_rows.py). A renamed author,
category or tag changes the rows of every article naming it: triggers note the renamed entity in ``desk_renamed``,
and the writer's commit rewrites those rows too.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Frozen here (a migration imports no live code): 0007's view, which computed every row.
SQLITE_VIEW = """
CREATE VIEW {name} AS SELECT
  a.id AS article_id, v.id AS version_id, v.title,
  strftime('%Y-%m-%dT%H:%M:%SZ', v.published) AS published,
  (SELECT json_group_array(x.name) FROM (SELECT au.name FROM article_authors aa JOIN authors au
     ON au.id = aa.author_id WHERE aa.version_id = v.id ORDER BY aa.position) x) AS authors,
  (SELECT coalesce(c.name, c.slug) FROM article_categories ac JOIN categories c ON c.id = ac.category_id
     WHERE ac.version_id = v.id AND ac.is_primary = 1) AS category,
  v.lead,
  (SELECT json_group_array(x.name) FROM (SELECT coalesce(c.name, c.slug) AS name FROM article_categories ac
     JOIN categories c ON c.id = ac.category_id WHERE ac.version_id = v.id ORDER BY ac.position) x) AS categories,
  (SELECT json_group_array(x.name) FROM (SELECT coalesce(t.name, t.slug) AS name FROM article_tags at
     JOIN tags t ON t.id = at.tag_id WHERE at.version_id = v.id ORDER BY at.position) x) AS tags,
  (SELECT json_group_array(DISTINCT cr.license) FROM credits cr
     WHERE cr.version_id = v.id AND cr.license IS NOT NULL) AS licenses,
  strftime('%Y', v.published) AS year,
  CASE WHEN a.removed_at IS NULL THEN 'no' ELSE 'yes' END AS removed,
  a.version_count AS versions, s.host AS site, a.url, v.published AS published_key
FROM article_versions v
JOIN articles a ON a.id = v.article_id AND a.current_version_id = v.id
JOIN sites s ON s.id = a.site_id
"""

POSTGRES_VIEW = """
CREATE VIEW {name} AS SELECT
  a.id AS article_id, v.id AS version_id, v.title,
  to_char(v.published AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS published,
  (SELECT coalesce(json_agg(au.name ORDER BY aa.position), '[]'::json) FROM article_authors aa JOIN authors au
     ON au.id = aa.author_id WHERE aa.version_id = v.id)::text AS authors,
  (SELECT coalesce(c.name, c.slug) FROM article_categories ac JOIN categories c ON c.id = ac.category_id
     WHERE ac.version_id = v.id AND ac.is_primary LIMIT 1) AS category,
  v.lead,
  (SELECT coalesce(json_agg(coalesce(c.name, c.slug) ORDER BY ac.position), '[]'::json) FROM article_categories ac
     JOIN categories c ON c.id = ac.category_id WHERE ac.version_id = v.id)::text AS categories,
  (SELECT coalesce(json_agg(coalesce(t.name, t.slug) ORDER BY at.position), '[]'::json) FROM article_tags at
     JOIN tags t ON t.id = at.tag_id WHERE at.version_id = v.id)::text AS tags,
  (SELECT coalesce(json_agg(DISTINCT cr.license), '[]'::json) FROM credits cr
     WHERE cr.version_id = v.id AND cr.license IS NOT NULL)::text AS licenses,
  to_char(v.published AT TIME ZONE 'UTC', 'YYYY') AS year,
  CASE WHEN a.removed_at IS NULL THEN 'no' ELSE 'yes' END AS removed,
  a.version_count AS versions, s.host AS site, a.url, v.published AS published_key
FROM article_versions v
JOIN articles a ON a.id = v.article_id AND a.current_version_id = v.id
JOIN sites s ON s.id = a.site_id
"""

COLUMNS = ("article_id, version_id, title, published, authors, category, lead, categories, tags, licenses, year, "
           "removed, versions, site, url, published_key")
# The same columns in the same order as 0007's view; no ORDER BY (SQLite flattens it into the outer query, so a sort
# on published_key walks the table's index).
STORED = f"CREATE VIEW v_desk_articles AS SELECT {COLUMNS} FROM desk_articles"
BACKFILL = f"INSERT INTO desk_articles ({COLUMNS}) SELECT {COLUMNS} FROM v_desk_articles_computed"

# (table, kind, the name the desk shows): a rename is a change of that name.
RENAMED = (("authors", "author", "{row}.name"), ("categories", "category", "coalesce({row}.name, {row}.slug)"),
           ("tags", "tag", "coalesce({row}.name, {row}.slug)"))
SQLITE_TRIGGER = """
CREATE TRIGGER {table}_desk_renamed AFTER UPDATE ON {table}
WHEN {old} IS NOT {new}
BEGIN INSERT OR IGNORE INTO desk_renamed (kind, entity_id) VALUES ('{kind}', new.id); END
"""
POSTGRES_FUNCTION = """
CREATE FUNCTION desk_renamed_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO desk_renamed (kind, entity_id) VALUES (TG_ARGV[0], NEW.id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER {table}_desk_renamed AFTER UPDATE ON {table} FOR EACH ROW
WHEN ({old} IS DISTINCT FROM {new}) EXECUTE FUNCTION desk_renamed_note('{kind}')
"""



def view_0007(postgres: bool, name: str) -> str:
    return (POSTGRES_VIEW if postgres else SQLITE_VIEW).format(name=name)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.create_table(
        "desk_articles",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published", sa.Text(), nullable=True),
        sa.Column("authors", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("lead", sa.Text(), nullable=True),
        sa.Column("categories", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("licenses", sa.Text(), nullable=True),
        sa.Column("year", sa.Text(), nullable=True),
        sa.Column("removed", sa.Text(), nullable=True),
        sa.Column("versions", sa.Integer(), nullable=True),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("published_key", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_desk_articles_article_id_articles",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["article_versions.id"],
                                name="fk_desk_articles_version_id_article_versions", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", name="pk_desk_articles"),
        sa.UniqueConstraint("version_id", name="uq_desk_articles_version_id"),
    )
    op.create_table(
        "desk_renamed",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("kind", "entity_id", name="pk_desk_renamed"),
    )
    bind.exec_driver_sql(view_0007(postgres, "v_desk_articles_computed"))
    bind.exec_driver_sql(BACKFILL)
    # Made after the backfill: one sort instead of an index kept row by row. The year beside the date: a click on a
    # year filters on both (archiver/desk/plugin.py), and its count then reads the index alone.
    op.create_index("ix_desk_articles_published_key", "desk_articles", ["published_key", "year"])
    bind.exec_driver_sql("DROP VIEW v_desk_articles")
    bind.exec_driver_sql(STORED)
    if postgres:
        bind.exec_driver_sql(POSTGRES_FUNCTION)
    for table, kind, name in RENAMED:
        bind.exec_driver_sql((POSTGRES_TRIGGER if postgres else SQLITE_TRIGGER).format(
            table=table, kind=kind, old=name.format(row="OLD"), new=name.format(row="NEW")))
    if postgres:
        bind.exec_driver_sql("ANALYZE desk_articles")


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    for table, _, _ in RENAMED:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_desk_renamed" + (f" ON {table}" if postgres else ""))
    if postgres:
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS desk_renamed_note()")
    bind.exec_driver_sql("DROP VIEW IF EXISTS v_desk_articles")
    bind.exec_driver_sql("DROP VIEW IF EXISTS v_desk_articles_computed")
    op.drop_table("desk_renamed")
    op.drop_table("desk_articles")
    bind.exec_driver_sql(view_0007(postgres, "v_desk_articles"))
