"""Counts of what an archive holds, for run summaries and ``stats``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from . import models as m


def archive_counts(engine: Engine) -> dict[str, int]:
    tables = {"articles": m.Article, "versions": m.ArticleVersion, "authors": m.Author, "credits": m.Credit,
              "images": m.Image, "captures": m.Capture, "extraction_failures": m.ExtractionFailure}
    with engine.connect() as conn:
        counts = {name: int(conn.execute(select(func.count()).select_from(model.__table__)).scalar_one())
                  for name, model in tables.items()}
        current_credits = select(func.count()).select_from(m.Credit.__table__.join(
            m.Article.__table__, m.Article.__table__.c.current_version_id == m.Credit.__table__.c.version_id))
        counts["current_credits"] = int(conn.execute(current_credits).scalar_one())
    return counts


def newest_publication(engine: Engine) -> datetime | None:
    """Publication date of the newest article in the archive (for the staleness quality gate)."""
    with engine.connect() as conn:
        value = conn.execute(select(func.max(m.ArticleVersion.__table__.c.published))).scalar_one_or_none()
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
