"""The synthetic big archive (bench/big_archive.py) at a tiny size, and the lookups it showed to need indexes.

Never asserts a speed: the figures are in docs/benchmarks.md ("Big archive"), from bench/big_ops.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from archiver.storage.db import make_engine, upgrade
from archiver.storage.queries import find_article
from archiver.storage.search import search_articles
from archiver.warc.reader import read_record_at

BENCH = Path(__file__).resolve().parents[1] / "bench"
ARTICLES = 200


def build(url: str, tmp_path: Path, warc_articles: int = 0, seed: int = 32, inline: bool = False) -> dict[str, Any]:
    command = [sys.executable, "big_archive.py", "--articles", str(ARTICLES), "--db", url, "--seed", str(seed),
               *(["--inline"] if inline else [])]
    if warc_articles:
        command += ["--warc-dir", str(tmp_path / "warc"), "--warc-articles", str(warc_articles)]
    done = subprocess.run(command, cwd=BENCH, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [tuple(row) for row in conn.execute(text(sql))]
    engine.dispose()
    return found


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("big")
    url = f"sqlite:///{directory}/big.sqlite3"
    return {"url": url, "dir": directory, "result": build(url, directory, warc_articles=40)}


def test_the_archive_has_what_a_news_site_has(big: dict[str, Any]) -> None:
    counts = big["result"]["counts"]
    assert counts["articles"] == ARTICLES and big["result"]["bytes"] > 0
    # Edited articles have two to four versions, each with its capture; some articles are taken down.
    assert ARTICLES < counts["article_versions"] == counts["captures"] < 2 * ARTICLES
    assert 0 < counts["multi_version_articles"] < ARTICLES // 4
    assert counts["authors"] > 10 and counts["categories"] > 20 and counts["tags"] > 100
    assert counts["images"] > ARTICLES // 2 and 0 < counts["credits"] <= counts["article_images"]
    assert counts["article_authors"] >= counts["article_versions"]
    url = big["url"]
    assert rows(url, "SELECT count(*) FROM articles WHERE current_version_id IS NULL") == [(0,)]
    assert rows(url, "SELECT count(*) FROM articles a JOIN article_versions v ON v.id = a.current_version_id "
                     "WHERE v.version <> a.version_count") == [(0,)]
    engine = create_engine(url)
    with engine.connect() as conn:  # every foreign key holds though the load ran without checking them
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    engine.dispose()


def test_text_is_varied_german_like_and_searchable(big: dict[str, Any]) -> None:
    texts = [t for (t,) in rows(big["url"], "SELECT text FROM article_versions")]
    words = [w.strip(".") for t in texts for w in t.split()]
    assert len(set(words)) > 3000  # not one repeated lorem
    assert {"der", "die", "und"} <= set(words)
    engine = make_engine(big["url"], readonly=True)
    hits = search_articles(engine, "Telegram", limit=5).hits
    assert hits and all("telegram" in (h.title + h.snippet).lower() or h.snippet for h in hits)
    assert any("[Telegram]" in h.snippet for h in search_articles(engine, "Telegram", limit=50).hits)


def test_the_warc_slice_is_what_the_capture_rows_cite(big: dict[str, Any]) -> None:
    captures = rows(big["url"], "SELECT c.warc_file, c.warc_offset, c.record_id, c.url, c.payload_digest FROM "
                                "captures c JOIN article_versions v ON v.capture_id = c.id WHERE v.article_id <= 40")
    assert captures
    for warc_file, offset, record_id, url, digest in captures:
        record = read_record_at(big["dir"] / "warc" / warc_file, offset)
        assert (record.record_id, record.target_uri, record.record_type) == (record_id, url, "response")
        assert record.payload_digest == digest
    outside = rows(big["url"], "SELECT warc_file FROM captures c JOIN article_versions v ON v.capture_id = c.id "
                               "WHERE v.article_id > 40 LIMIT 1")
    assert outside[0][0].startswith("synthetic-")


def test_reparse_of_the_warc_slice_gives_the_slices_articles(big: dict[str, Any], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/reparsed.sqlite3"
    done = subprocess.run([sys.executable, "-m", "archiver", "reparse", "--warc-dir", str(big["dir"] / "warc"),
                           "--db", url], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    current = ("SELECT a.post_id, v.title, v.version, substr(CAST(v.published AS TEXT), 1, 19), "
               "(SELECT group_concat(au.name, '|') FROM (SELECT au.name FROM article_authors aa JOIN authors au "
               "ON au.id = aa.author_id WHERE aa.version_id = v.id ORDER BY aa.position) au), "
               "(SELECT group_concat(t.slug, '|') FROM (SELECT t.slug FROM article_tags at JOIN tags t "
               "ON t.id = at.tag_id WHERE at.version_id = v.id ORDER BY at.position) t) "
               "FROM articles a JOIN article_versions v ON v.id = a.current_version_id {where} ORDER BY a.post_id")
    assert rows(url, current.format(where="")) == rows(big["url"], current.format(where="WHERE a.id <= 40"))


def test_the_same_seed_builds_the_same_archive(big: dict[str, Any], tmp_path: Path) -> None:
    again = f"sqlite:///{tmp_path}/again.sqlite3"
    build(again, tmp_path, seed=32, inline=True)  # generated in the loading process: the same rows
    other = f"sqlite:///{tmp_path}/other.sqlite3"
    build(other, tmp_path, seed=33)
    sql = "SELECT v.id, v.title, v.text, v.published, c.record_id FROM article_versions v " \
          "JOIN captures c ON c.id = v.capture_id WHERE v.article_id > 40 ORDER BY v.id"
    assert rows(again, sql) == rows(big["url"], sql)
    assert rows(other, sql) != rows(big["url"], sql)


def test_the_search_indexes_hold_what_the_triggers_write(big: dict[str, Any], sqlite_url: str) -> None:
    """The load fills both FTS5 indexes itself (the stemmed documents from stems computed once per word): every
    version is in them as the archive's triggers would have put it, and the triggers are back."""
    import sqlite3

    from archiver.storage.stemming import stem_document

    database = big["url"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:
        versions = conn.execute("SELECT id, title, lead, text FROM article_versions ORDER BY id").fetchall()
        stemmed = conn.execute("SELECT rowid, doc FROM article_search_stemmed ORDER BY rowid").fetchall()
        assert stemmed == [(vid, stem_document(title, lead, body)) for vid, title, lead, body in versions]
        for index in ("article_search", "article_search_stemmed"):  # the index against its content (FTS5's check)
            conn.execute(f"INSERT INTO {index}({index}) VALUES ('integrity-check')")
        build_schema = sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    upgrade(sqlite_url)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        assert build_schema == sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))


@pytest.mark.postgres
def test_postgres_build_matches_sqlite_and_keeps_its_keys(big: dict[str, Any], pg_url: str,
                                                          tmp_path: Path) -> None:
    result = build(pg_url, tmp_path)
    assert result["counts"] == {**big["result"]["counts"]}
    constraints = ("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = "
                   "'public'::regnamespace")
    indexes = "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"
    fresh = f"{pg_url}_fresh"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                          isolation_level="AUTOCOMMIT")
    name = fresh.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(fresh)
        # The keys and indexes dropped for the load are all back, so every foreign key was validated.
        assert rows(pg_url, constraints) == rows(fresh, constraints)
        assert rows(pg_url, indexes) == rows(fresh, indexes)
    finally:
        create_engine(fresh).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    sql = "SELECT a.id, v.title, a.post_id FROM articles a JOIN article_versions v ON v.id = a.current_version_id " \
          "ORDER BY a.id LIMIT 50"
    assert [tuple(r) for r in rows(pg_url, sql)] == rows(big["url"], sql)


def plan(url: str, sql: str, **params: Any) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = " | ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql), params))
    engine.dispose()
    return found


def test_article_lookups_use_indexes(sqlite_url: str) -> None:
    """A reference by URL or post ID and every join on the current version use an index, not a table scan."""
    upgrade(sqlite_url)
    assert "INDEX ix_articles_url (url=?)" in plan(sqlite_url, "SELECT id FROM articles WHERE url = :u", u="x")
    assert "INDEX ix_articles_post_id (post_id=?)" in plan(sqlite_url, "SELECT id FROM articles WHERE post_id = :p",
                                                           p=1)
    joined = plan(sqlite_url, "SELECT a.id FROM article_search JOIN article_versions v ON v.id = article_search.rowid "
                              "JOIN articles a ON a.current_version_id = v.id WHERE article_search MATCH 'x'")
    assert "INDEX ix_articles_current_version_id (current_version_id=?)" in joined
    # the desk's year click counts a date range of its rows from the index alone (revision 0015)
    year = plan(sqlite_url, "SELECT count(*) FROM v_desk_articles WHERE published_key >= :a AND published_key < :b",
                a="2016-", b="2017-")
    assert "COVERING INDEX ix_desk_articles_published_key (published_key>? AND published_key<?)" in year
    # the desk's search finds each match's stored row by its version (no list computed for any row)
    found = plan(sqlite_url, "SELECT * FROM v_desk_articles WHERE version_id IN (SELECT rowid FROM article_search "
                             "WHERE article_search MATCH 'x') ORDER BY published_key DESC LIMIT 51")
    assert "SEARCH desk_articles USING INDEX" in found and "(version_id=?)" in found and "article_authors" not in found
    with pytest.raises(Exception, match="no article"):
        find_article(make_engine(sqlite_url, readonly=True), "https://nowhere.example/x")
    # a search filtered by date reads each match's date from the index by version ID, not from its row (0014)
    from datetime import UTC, datetime

    from archiver.storage.filters import ArticleFilter
    from archiver.storage.search import _sqlite_matches

    since = ArticleFilter(since=datetime(2020, 1, 1, tzinfo=UTC))
    source, params = _sqlite_matches(since, dates_by_id=True)
    dated = plan(sqlite_url, f"SELECT article_search_stemmed.rowid {source}", query="x", **params)
    assert "COVERING INDEX ix_article_versions_id_published (id=? AND published>?)" in dated
    # an export of the current versions filtered by date takes the range from the published index, then sorts
    from archiver.storage.article_export import ids_query

    sql, params = ids_query(make_engine(sqlite_url), "latest", since)
    assert "COVERING INDEX ix_article_versions_published (published>?)" in plan(sqlite_url, sql, **params)


def rows_with(url: str, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    engine = make_engine(url, readonly=True)
    with engine.connect() as conn:
        found = [tuple(row) for row in conn.execute(text(sql), params)]
    engine.dispose()
    return found


def test_articles_per_year_counts_current_versions(big: dict[str, Any]) -> None:
    from archiver.storage.queries import archive_statistics

    plain = rows(big["url"], "SELECT substr(CAST(v.published AS TEXT), 1, 4), count(*) FROM articles a "
                             "JOIN article_versions v ON v.id = a.current_version_id GROUP BY 1 ORDER BY 1")
    found = archive_statistics(make_engine(big["url"], readonly=True))["articles_per_year"]
    assert list(found.items()) == [(year, count) for year, count in plain]
    assert sum(found.values()) == ARTICLES


@pytest.mark.postgres
def test_postgres_search_ranks_the_stored_vector(pg_url: str) -> None:
    """Ranking reads article_versions.search_vector (computed when the row is written), not to_tsvector again."""
    upgrade(pg_url)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        generated = conn.execute(text("SELECT generation_expression FROM information_schema.columns WHERE "
                                      "table_name = 'article_versions' AND column_name = 'search_vector'")).scalar()
        assert generated and "to_tsvector('german'" in generated
        conn.execute(text("SET enable_seqscan = off"))
        explained = " ".join(r[0] for r in conn.execute(text(
            "EXPLAIN SELECT v.id FROM article_versions v "
            "WHERE v.search_vector @@ websearch_to_tsquery('german', 'x')")))
        assert "ix_article_versions_search_vector" in explained
    engine.dispose()


def test_reextract_reads_the_warc_slice_back_to_the_same_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/whole.sqlite3"
    build(url, tmp_path, warc_articles=ARTICLES)
    fields = "SELECT v.id, v.title, v.text, v.published, v.word_count FROM article_versions v ORDER BY v.id"
    before = rows(url, fields)
    done = subprocess.run([sys.executable, "-m", "archiver", "reextract", "--warc-dir", str(tmp_path / "warc"),
                           "--db", url], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    # Every version was read from its WARC record and extracted again by the wordpress page object.
    assert rows(url, "SELECT count(*) FROM article_versions WHERE extractor = '0.1.0+bigarchive'") == [(0,)]
    assert rows(url, "SELECT count(DISTINCT layout) FROM article_versions") == [(1,)]
    assert rows(url, fields) == before


PLAIN_SEARCH = (
    # The plain form of the SQLite search (every match joined to its version row, then sorted): the ranked-from-
    # the-index form in archiver.storage.search must give the same hits in the same order.
    "SELECT a.id FROM article_search_stemmed JOIN article_versions v ON v.id = article_search_stemmed.rowid "
    "JOIN articles a ON a.current_version_id = v.id WHERE article_search_stemmed MATCH :query{where} "
    "ORDER BY bm25(article_search_stemmed), v.published DESC, a.id LIMIT :limit")


def searchable(words: list[str]) -> list[str]:
    """The words a query can be made of (stop words are not indexed)."""
    from archiver.storage.query_syntax import BadQuery, parse

    kept = []
    for word in words:
        try:
            parse(word)
        except BadQuery:
            continue
        kept.append(word)
    return kept


def plain_search(url: str, query: str, limit: int, filters: Any) -> tuple[list[int], int]:
    from archiver.storage.query_syntax import parse

    clauses, params = filters.sql("sqlite")
    where = "".join(f" AND {c}" for c in clauses)
    params |= {"query": parse(query).fts5(), "limit": limit}
    hits = [r[0] for r in rows_with(url, PLAIN_SEARCH.format(where=where), params)]
    total = rows_with(url, PLAIN_SEARCH.format(where=where).split(" ORDER BY")[0].replace("SELECT a.id", "SELECT "
                      "count(*)", 1), {k: v for k, v in params.items() if k != "limit"})[0][0]
    return hits, int(total)


@pytest.fixture(scope="module")
def tied(big: dict[str, Any]) -> str:
    """The big archive with eight current versions given one text, so bm25 ranks them equal and only the date
    (then the ID) orders them: a limit inside the tie must still pick the newest."""
    import shutil

    source = Path(big["url"].removeprefix("sqlite:///"))
    copy = source.with_name("tied.sqlite3")
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT current_version_id FROM articles ORDER BY id LIMIT 8"))]
        for n, version_id in enumerate(ids):
            conn.execute(text("UPDATE article_versions SET title = 'Gleichstand', lead = '', text = :t, "
                              "published = :p WHERE id = :i"),
                         {"t": "Zwillingsmeldung über den Gleichstand der Kaninchenzüchter.", "i": version_id,
                          "p": f"20{10 + (n * 5) % 8:02d}-03-01 00:00:00.000000"})
    engine.dispose()
    return url


@pytest.mark.parametrize("limit", [1, 3, 7, 20])
def test_sqlite_search_ranks_as_the_plain_query_does(big: dict[str, Any], tied: str, limit: int) -> None:
    from datetime import UTC, datetime

    from archiver.storage.filters import ArticleFilter

    author = rows(big["url"], "SELECT name FROM authors WHERE id = 2")[0][0]
    category = rows(big["url"], "SELECT c.slug FROM categories c JOIN article_categories ac ON ac.category_id = c.id "
                                "GROUP BY c.slug ORDER BY count(*) DESC LIMIT 1")[0][0]
    words = searchable([w for (t,) in rows(big["url"], "SELECT text FROM article_versions WHERE id <= 30")
                        for w in t.replace(".", " ").split()])
    filters = [ArticleFilter(), ArticleFilter(author=author), ArticleFilter(category=category),
               ArticleFilter(since=datetime(2015, 1, 1, tzinfo=UTC)),
               ArticleFilter(author=author, until=datetime(2020, 1, 1, tzinfo=UTC))]
    compared = ties = 0
    common = [w for w, _ in Counter(words).most_common(4)]
    for url, queries in [(big["url"], [*common, f"{common[0]} OR {common[1]}", f"{common[2]} {common[3]}",
                                       f'"{words[0]} {words[1]}"', *words[-6:]]),
                         (tied, ["Gleichstand", "Kaninchenzüchter", "Zwillingsmeldung OR der"])]:
        engine = make_engine(url, readonly=True)
        for query in queries:
            for article_filter in filters:
                expected, total = plain_search(url, query, limit, article_filter)
                found = search_articles(engine, query, limit=limit, filters=article_filter)
                assert [h.article_id for h in found.hits] == expected, (query, article_filter)
                assert found.total == total, (query, article_filter)
                compared += bool(expected)
                ties += url == tied and total > limit and bool(expected)
        engine.dispose()
    assert compared > 40
    assert ties > 0 or limit >= 8


def test_a_search_by_date_answers_alike_without_the_index_of_dates_by_id(big: dict[str, Any], tmp_path: Path) -> None:
    """An archive not yet upgraded to 0014 (read commands do not upgrade) searches and exports by date from the
    version rows."""
    import shutil
    from datetime import UTC, datetime

    from archiver.storage.filters import ArticleFilter

    older = tmp_path / "older.sqlite3"
    shutil.copy(big["url"].removeprefix("sqlite:///"), older)
    engine = make_engine(f"sqlite:///{older}")
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_article_versions_id_published"))
    words = searchable([w for (t,) in rows(big["url"], "SELECT text FROM article_versions WHERE id <= 10")
                        for w in t.replace(".", " ").split()])
    common = [w for w, _ in Counter(words).most_common(3)]
    head = make_engine(big["url"], readonly=True)
    from archiver.storage.article_export import rendered

    for since, until in [(datetime(2015, 1, 1, tzinfo=UTC), None), (None, datetime(2019, 1, 1, tzinfo=UTC))]:
        dated = ArticleFilter(since=since, until=until)
        for word in common:
            found, expected = search_articles(engine, word, 5, dated), search_articles(head, word, 5, dated)
            assert found == expected and found.total > 0
        lines = [line for chunk in rendered(engine, "jsonl", "latest", dated) for line in chunk]
        assert lines == [line for chunk in rendered(head, "jsonl", "latest", dated) for line in chunk]
        assert 0 < len(lines) < ARTICLES
    engine.dispose()
    head.dispose()


def test_big_ops_runs_every_operation_and_the_desk_pages(big: dict[str, Any]) -> None:
    """bench/big_ops.py end to end on the tiny archive (no timings judged): every step answers, and every desk
    page it fetches is served (200), so the benchmark cannot quietly time error pages."""
    done = subprocess.run([sys.executable, "big_ops.py", "--db", big["url"], "--rounds", "2", "--export-rows", "50",
                           "--skip", "cli"], cwd=BENCH, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert {"search", "show", "stats", "export", "pages"} <= set(result)
    assert result["search"]["common word (~2.5 %)"]["n"] == 2
    pages = result["pages"]
    assert {"landing (list, count, facets)", "facet click (year)", "article page"} <= set(pages)
    assert {name: page["status"] for name, page in pages.items()} == {name: 200 for name in pages}


def test_sqlite_stats_count_what_the_plain_joins_count(big: dict[str, Any]) -> None:
    """The statistics (kept counts, filled by the builder's recount) and the SQLite recount (walked from the
    articles' index) count the same current versions as the plain joins do, on an archive where one article in ten
    has older versions with other relations."""
    from archiver.storage.queries import SQLITE_STATS_QUERIES, STATS_QUERIES, archive_statistics

    found = archive_statistics(make_engine(big["url"], readonly=True))
    recounted = archive_statistics(make_engine(big["url"], readonly=True), recounted=True)
    for name in STATS_QUERIES:
        plain = {str(key): count for key, count in rows(big["url"], STATS_QUERIES[name])}
        assert found[name] == recounted[name] == plain, name
        if name in SQLITE_STATS_QUERIES:
            assert list(found[name].values()) == sorted(found[name].values(), reverse=True)
    assert sum(found["articles_per_category"].values()) == rows(
        big["url"], "SELECT count(*) FROM article_categories ac JOIN articles a ON a.current_version_id = ac.version_id"
    )[0][0] > ARTICLES
