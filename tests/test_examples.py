"""docs/examples run on a crawled archive and print what the database holds (read here by hand-written SQL)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.storage.db import make_engine

from .conftest import CrawledArchive, run_cli

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
CURRENT = "FROM articles a JOIN article_versions v ON v.id = a.current_version_id "


@pytest.fixture(scope="module")
def parquet(crawled: CrawledArchive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pyarrow")
    directory = tmp_path_factory.mktemp("examples")
    result = run_cli("export", "--db", crawled.db_url, "--format", "parquet", "-o", str(directory / "articles.parquet"))
    assert result.returncode == 0, result.stderr
    return directory / "articles.parquet"


def database(crawled: CrawledArchive, sql: str) -> list[Any]:
    with make_engine(crawled.db_url, readonly=True).connect() as conn:
        return list(conn.execute(text(sql)).all())


def sections(output: str) -> dict[str, dict[str, int]]:
    """`name:` lines open a section; `  key  count` lines fill it."""
    found: dict[str, dict[str, int]] = {}
    current: dict[str, int] = {}
    for line in output.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            current = found.setdefault(line[:-1], {})
        elif match := re.fullmatch(r"  (.+)  (\d+)", line):
            current[match.group(1)] = int(match.group(2))
    return found


def test_the_pandas_walkthrough(crawled: CrawledArchive, parquet: Path, tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    plot = tmp_path / "per-month.png"
    result = subprocess.run([sys.executable, str(EXAMPLES / "pandas_walkthrough.py"), str(parquet), str(plot)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    printed = sections(result.stdout)
    assert f"articles: {crawled.replica.articles}" in result.stdout.splitlines()
    # SQLite keeps UTC times as text: its first seven characters are the month.
    months = Counter(str(row[0])[:7] for row in database(crawled, "SELECT v.published " + CURRENT))
    assert printed["articles per month"] == dict(months)
    licenses = dict(database(crawled, "SELECT coalesce(cr.license, '(none)'), count(*) FROM credits cr JOIN "
                                      "articles a ON a.current_version_id = cr.version_id GROUP BY 1"))
    assert printed["credits by license"] == licenses and licenses["Pixabay Lizenz"] > 0
    authors = dict(database(crawled, "SELECT au.name, count(*) FROM article_authors aa JOIN authors au ON "
                                     "au.id = aa.author_id JOIN articles a ON a.current_version_id = aa.version_id "
                                     "GROUP BY 1"))
    assert printed["articles by author"] == authors
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 5000


def test_the_duckdb_walkthrough(crawled: CrawledArchive, parquet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    duckdb = pytest.importorskip("duckdb")
    spec = importlib.util.spec_from_file_location("run_duckdb", EXAMPLES / "run_duckdb.py")
    assert spec and spec.loader
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    monkeypatch.chdir(parquet.parent)
    connection = duckdb.connect()
    results = []
    for code in runner.statements(str(EXAMPLES / "duckdb_walkthrough.sql")):
        relation = connection.sql(code)
        if relation is not None and code.upper().startswith("SELECT"):
            results.append(relation.fetchall())
    per_year, licenses, categories, captures = results
    published = database(crawled, "SELECT v.published " + CURRENT)
    assert dict(per_year) == dict(Counter(str(row[0])[:4] for row in published))
    assert dict(licenses) == dict(database(
        crawled, "SELECT coalesce(cr.license, '(none)'), count(*) FROM credits cr JOIN articles a "
                 "ON a.current_version_id = cr.version_id GROUP BY 1"))
    assert dict(categories) == dict(database(
        crawled, "SELECT c.slug, count(*) FROM article_categories ac JOIN categories c ON c.id = ac.category_id "
                 "JOIN articles a ON a.current_version_id = ac.version_id GROUP BY 1"))
    assert captures == database(crawled, "SELECT a.id, cap.warc_file, cap.warc_offset, cap.record_id " + CURRENT
                                + "JOIN captures cap ON cap.id = v.capture_id ORDER BY a.id LIMIT 5")
    script = [sys.executable, str(EXAMPLES / "run_duckdb.py"), str(EXAMPLES / "duckdb_walkthrough.sql")]
    shown = subprocess.run(script, capture_output=True, text=True, timeout=300, cwd=parquet.parent)
    assert shown.returncode == 0 and "Pixabay Lizenz" in shown.stdout, shown.stderr
