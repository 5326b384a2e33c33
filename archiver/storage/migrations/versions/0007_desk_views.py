"""views for the researcher's desk: v_desk_articles (ISO 8601 UTC dates, JSON lists to facet on, a sort key)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen here (a migration imports no live code). No ORDER BY in the view: SQLite then flattens it into the outer
# query, so a count or a facet computes only the columns it names. Sorted on published_key (the stored value),
# the outer query walks the published index newest first and joins each version to its article by primary key:
# the desk's first page reads a page's worth of rows, not the archive.
SQLITE = """
CREATE VIEW v_desk_articles AS SELECT
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

POSTGRES_DATE = """to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
POSTGRES = f"""
CREATE VIEW v_desk_articles AS SELECT
  a.id AS article_id, v.id AS version_id, v.title,
  {POSTGRES_DATE.format(column="v.published")} AS published,
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


def upgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(POSTGRES if bind.dialect.name == "postgresql" else SQLITE)


def downgrade() -> None:
    op.get_bind().exec_driver_sql("DROP VIEW IF EXISTS v_desk_articles")
