"""``v_articles`` as revision 0017 creates it: 0001's columns and values, read from the versions first.

Frozen, like ``schema_0001.py``: a later revision that changes this view writes its own snapshot.
"""

from __future__ import annotations

_LISTS = {
    "sqlite": {"agg": "group_concat({}, '; ')", "true": "1"},
    "postgresql": {"agg": "string_agg({}, '; ' ORDER BY {})", "true": "true"},
}


def v_articles(dialect: str) -> str:
    names = _LISTS["postgresql" if dialect == "postgresql" else "sqlite"]

    def agg(expression: str) -> str:
        return names["agg"].format(expression, "x.position")

    return (
        "CREATE VIEW v_articles AS SELECT a.id AS article_id, s.host AS site, a.post_id, a.url, v.version, "
        "a.version_count, v.title, v.lead, v.published, v.modified, v.language, v.word_count, "
        f"(SELECT {agg('x.name')} FROM (SELECT au.name, aa.position FROM article_authors aa JOIN authors au "
        "ON au.id = aa.author_id WHERE aa.version_id = v.id ORDER BY aa.position) x) AS authors, "
        "(SELECT c.slug FROM article_categories ac JOIN categories c ON c.id = ac.category_id "
        f"WHERE ac.version_id = v.id AND ac.is_primary = {names['true']}) AS primary_category, "
        f"(SELECT {agg('x.slug')} FROM (SELECT c.slug, ac.position FROM article_categories ac JOIN categories c "
        "ON c.id = ac.category_id WHERE ac.version_id = v.id ORDER BY ac.position) x) AS categories, "
        f"(SELECT {agg('x.slug')} FROM (SELECT t.slug, at.position FROM article_tags at JOIN tags t "
        "ON t.id = at.tag_id WHERE at.version_id = v.id ORDER BY at.position) x) AS tags, "
        "cap.warc_file, cap.warc_offset, cap.record_id AS warc_record_id, cap.payload_digest, v.captured_at "
        "FROM article_versions v JOIN articles a ON a.id = v.article_id AND a.current_version_id = v.id "
        "JOIN sites s ON s.id = a.site_id LEFT JOIN captures cap ON cap.id = v.capture_id"
    )
