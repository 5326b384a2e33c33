"""Alembic environment: migrations ship inside the package and run against any archive URL."""

from __future__ import annotations

from typing import Any

from alembic import context

from archiver.storage.db import make_engine
from archiver.storage.models import Base

# Objects created by hand-written SQL in migrations (full-text search, views): not in the models. search_vector is
# PostgreSQL's stored tsvector column (revision 0008); the dates by version ID (0014) and the titles (0018) are
# indexes on SQLite only.
UNMANAGED_PREFIXES = ("article_search", "v_", "ix_article_versions_search", "search_vector",
                      "ix_article_versions_id_published", "ix_article_versions_title")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (name and name.startswith(UNMANAGED_PREFIXES))


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, include_name=include_name,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
