"""The researcher's desk over HTTP: landing view, facets, article page, replay from the WARC files, charts; stats."""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archiver.replay import wayback_timestamp
from archiver.storage.timeline import Timeline

from .conftest import CrawledArchive, run_cli

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass
class Desk:
    base: str
    archive: CrawledArchive
    truth: dict[str, Any]

    def get(self, path: str) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read()

    def json(self, path: str) -> Any:
        status, _, body = self.get(path)
        assert status == 200, body[:500]
        return json.loads(body)


def start_desk(archive: CrawledArchive, cache: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    server = subprocess.Popen([sys.executable, "-m", "archiver", "serve", "--db", archive.db_url, "--warc-dir",
                               str(archive.warc_dir), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(base + "/-/versions.json", timeout=5):
                return server, base
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"archiver serve exited with {server.returncode}") from None
            time.sleep(0.5)
    server.terminate()
    raise AssertionError("archiver serve did not answer")


@pytest.fixture(scope="module")
def desk(crawled: CrawledArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    pytest.importorskip("datasette")
    pytest.importorskip("matplotlib")
    server, base = start_desk(crawled, tmp_path_factory.mktemp("desk-cache"))
    try:
        yield Desk(base, crawled, crawled.replica.truth())
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL text Datasette's databases are asked to run, in this test (in process)."""
    pytest.importorskip("datasette")
    from datasette.database import Database

    executed: list[str] = []
    execute = Database.execute

    async def spied(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        executed.append(sql)
        return await execute(self, sql, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", spied)
    return executed


def newest_first(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(truth["items"], key=lambda item: item["published"], reverse=True)


@pytest.mark.needs("pywb")
def test_the_desk_opens_on_the_newest_articles_with_iso_dates(desk: Desk) -> None:
    status, _, body = desk.get("/")
    page = body.decode()
    assert status == 200 and "Newest articles" in page
    rows = desk.json("/archive/v_desk_articles.json?_shape=array&_size=5")
    expected = newest_first(desk.truth)[:5]
    assert [row["title"] for row in rows] == [item["title"] for item in expected]
    assert [row["published"] for row in rows] == [item["published"] for item in expected]
    assert all(ISO_UTC.match(row["published"]) for row in rows)
    assert json.loads(rows[0]["authors"]) == [a["name"] for a in expected[0]["authors"]]
    # Stored timestamps on the plain tables are shown as ISO UTC too (SQLite keeps "YYYY-MM-DD hh:mm:ss.ffffff").
    captures = desk.get("/archive/captures?_size=3")[2].decode()
    assert re.search(r">\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z<", captures)
    assert not re.search(r">\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", captures)


def test_the_views_of_all_tables_sort_only_by_indexed_columns(desk: Desk) -> None:
    """Sorted by title, v_articles lists the titles in order; a sort that would compute every row's lists first is
    refused with Datasette's message, and its column header offers none."""
    rows = desk.json("/archive/v_articles.json?_shape=array&_sort=title&_size=5")
    titles = sorted(item["title"] for item in desk.truth["items"])
    assert [row["title"] for row in rows] == titles[:5]
    status, _, body = desk.get("/archive/v_articles.json?_sort_desc=tags")
    assert status != 200 and b"Cannot sort table by tags" in body  # Datasette answers its own errors with 500
    page = desk.get("/archive/v_articles")[2].decode()
    assert "_sort=title" in page and "_sort=tags" not in page


@pytest.mark.needs("pywb")
def test_facets_and_search_on_the_landing_view(desk: Desk) -> None:
    data = desk.json("/archive/v_desk_articles.json?_size=0")
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"authors", "category", "tags", "licenses", "year", "removed"} <= set(facets)
    years = {item["value"]: item["count"] for item in facets["year"]["results"]}
    truth_years: dict[str, int] = {}
    for item in desk.truth["items"]:
        truth_years[item["published"][:4]] = truth_years.get(item["published"][:4], 0) + 1
    assert years == truth_years
    author = desk.truth["items"][0]["authors"][0]["name"]
    authors = {item["value"]: item["count"] for item in facets["authors"]["results"]}
    assert authors[author] == sum(author in [a["name"] for a in item["authors"]] for item in desk.truth["items"])
    licenses = {item["value"]: item["count"] for item in facets["licenses"]["results"]}
    truth_licenses: dict[str, int] = {}
    for item in desk.truth["items"]:
        for name in {credit["license"] for credit in item["credits"] if credit["license"]}:
            truth_licenses[name] = truth_licenses.get(name, 0) + 1
    assert licenses == truth_licenses and "Pixabay Lizenz" in licenses
    # A value of a list facet narrows the list to the articles that name it.
    narrowed = desk.json("/archive/v_desk_articles.json?_shape=array&_size=max&licenses__arraycontains=Pixabay+Lizenz")
    assert len(narrowed) == truth_licenses["Pixabay Lizenz"]
    assert facets["tags"]["type"] == "list"
    seed = next(item for item in desk.truth["items"] if item["post_id"] == desk.truth["seed_article_post_id"])
    found = desk.json("/archive/v_desk_articles.json?_shape=array&_search=Telegram")
    assert seed["title"] in [row["title"] for row in found]


def test_the_landing_count_and_facets_and_the_year_and_author_clicks_count_what_the_view_holds(desk: Desk) -> None:
    """The landing page's count and facets come from the kept counts, the year and author clicks through extra
    clauses: each equals plain SQL over the view, written here."""
    from urllib.parse import quote

    from sqlalchemy import text

    from archiver.storage.db import make_engine

    with make_engine(desk.archive.db_url, readonly=True).connect() as conn:
        def plain(sql: str, **params: Any) -> list[Any]:
            return list(conn.execute(text(sql), params).all())

        total = plain("SELECT count(*) FROM v_desk_articles")[0][0]
        counts = {column: dict(plain(f"SELECT j.value, count(*) FROM v_desk_articles, json_each({column}) j "
                                     "GROUP BY 1")) for column in ("authors", "tags", "licenses")}
        counts |= {column: dict(plain(f"SELECT {column}, count(*) FROM v_desk_articles WHERE {column} IS NOT NULL "
                                      "GROUP BY 1")) for column in ("category", "year", "removed")}
        data = desk.json("/archive/v_desk_articles.json?_size=0")
        assert data["filtered_table_rows_count"] == total == desk.archive.replica.articles
        facets = data["facet_results"].get("results", data["facet_results"])
        for column, expected in counts.items():
            shown = [(item["value"], item["count"]) for item in facets[column]["results"]]
            best = sorted(expected.items(), key=lambda pair: (-pair[1], pair[0]))
            assert shown == best[:len(shown)] and len(shown) == min(len(best), 30), column

        year = max(counts["year"], key=lambda value: counts["year"][value])
        author = desk.truth["items"][0]["authors"][0]["name"]
        for address, sql, value in (
                (f"year={year}", "year = :v", year),
                (f"authors__arraycontains={quote(author)}", ":v IN (SELECT value FROM json_each(authors))", author)):
            rows = desk.json(f"/archive/v_desk_articles.json?_shape=array&_size=max&{address}")
            expected_ids = [row[0] for row in plain(f"SELECT article_id FROM v_desk_articles WHERE {sql} "
                                                    "ORDER BY published_key DESC", v=value)]
            assert [row["article_id"] for row in rows] == expected_ids and expected_ids, address
            assert desk.json(f"/archive/v_desk_articles.json?_size=0&{address}")["filtered_table_rows_count"] == len(
                expected_ids)


@pytest.mark.needs("pywb")
def test_the_article_page_shows_versions_provenance_and_replay_links(desk: Desk) -> None:
    seed = next(item for item in desk.truth["items"] if item["post_id"] == desk.truth["seed_article_post_id"])
    [row] = desk.json(f"/archive/v_desk_articles.json?_shape=array&url__exact={seed['url']}")
    article_id = row["article_id"]
    capture = desk.json(f"/archive/captures.json?_shape=array&url__exact={seed['url']}")[0]
    status, _, body = desk.get(f"/article/{article_id}")
    page = body.decode()
    assert status == 200
    for author in seed["authors"]:
        assert author["name"] in page and author["bio"][:40] in page
    for credit in seed["credits"]:
        assert credit["license"] is None or credit["license"] in page
    assert "Version 1, captured" in page and capture["record_id"].strip("<>") in page
    assert capture["warc_file"] in page and capture["payload_digest"] in page
    stamp = wayback_timestamp(capture["fetched_at"].replace(" ", "T").split(".")[0] + "+00:00")
    assert f'href="/replay/{stamp}/{seed["url"]}"' in page
    assert desk.get("/article/999999")[0] == 404


@pytest.mark.needs("pywb")
def test_replay_serves_the_archived_page_and_its_images_from_the_warc_files(desk: Desk) -> None:
    seed = next(item for item in desk.truth["items"] if item["post_id"] == desk.truth["seed_article_post_id"])
    capture = desk.json(f"/archive/captures.json?_shape=array&url__exact={seed['url']}")[0]
    stamp = wayback_timestamp(capture["fetched_at"].replace(" ", "T").split(".")[0] + "+00:00")
    status, content_type, body = desk.get(f"/replay/{stamp}mp_/{seed['url']}")
    assert status == 200 and content_type.startswith("text/html")
    page = body.decode()
    assert seed["title"].split(":")[0] in page
    # pywb rewrote the page's own links into the archive (no address of the live site left bare in src=).
    assert f'src="{seed["url"].split("/artikel")[0]}' not in page
    image = seed["images"][0]["url"]
    status, content_type, data = desk.get(f"/replay/{stamp}id_/{image}")
    assert status == 200 and content_type.startswith("image/") and len(data) > 0


@pytest.mark.needs("pywb")
def test_replay_behind_a_tls_proxy_links_to_the_public_address(desk: Desk) -> None:
    seed = next(item for item in desk.truth["items"] if item["post_id"] == desk.truth["seed_article_post_id"])
    capture = desk.json(f"/archive/captures.json?_shape=array&url__exact={seed['url']}")[0]
    stamp = wayback_timestamp(capture["fetched_at"].replace(" ", "T").split(".")[0] + "+00:00")
    request = urllib.request.Request(f"{desk.base}/replay/{stamp}/{seed['url']}",
                                     headers={"Host": "archive.example.org", "X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=30) as response:
        frame = response.read().decode()
    assert 'prefix: "https://archive.example.org/replay/"' in frame
    assert 'staticPrefix: "https://archive.example.org/static"' in frame


@pytest.mark.needs("pywb")
def test_charts_are_svg_drawings_of_the_archive(desk: Desk) -> None:
    status, _, body = desk.get("/charts")
    assert status == 200
    names = re.findall(r'src="/charts/([a-z-]+)\.svg"', body.decode())
    assert len(names) >= 3
    for name in names:
        status, content_type, svg = desk.get(f"/charts/{name}.svg")
        assert status == 200 and content_type.startswith("image/svg+xml") and svg.lstrip().startswith(b"<?xml")
    legend = desk.get("/charts/credits-by-license.svg")[2].decode()
    assert "Pixabay Lizenz" in legend


def test_stats_prints_runs_in_iso_utc_and_plots_a_report(crawled: CrawledArchive, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run_cli("stats", "--db", crawled.db_url)
    assert result.returncode == 0
    runs = [line for line in result.stdout.splitlines() if line.startswith("  run ")]
    assert runs and all(re.search(r"started \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z, finished "
                                  r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \(finished\)", line) for line in runs)
    assert "{" not in result.stdout
    for suffix, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG")):
        output = tmp_path / f"report{suffix}"
        assert run_cli("stats", "--db", crawled.db_url, "--plot", str(output)).returncode == 0
        assert output.read_bytes().startswith(magic)
    bad = run_cli("stats", "--db", crawled.db_url, "--plot", str(tmp_path / "report.pdf"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.needs("pywb")
def test_stopping_serve_stops_its_pywb(crawled: CrawledArchive, tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    server, _ = start_desk(crawled, tmp_path)
    children_file = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    children = [int(pid) for pid in children_file.read_text().split()]
    assert children, "serve started no pywb"
    server.terminate()
    assert server.wait(timeout=30) == 0
    for child in children:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)


def test_charts_count_per_year_over_three_years_of_months() -> None:
    pytest.importorskip("matplotlib")
    from archiver.desk.charts import render_chart

    months = [f"{year}-{month:02d}" for year in (2019, 2020, 2021, 2022) for month in range(1, 13)]
    long = Timeline(articles_per_month={m: {"Internet": 1} for m in months})
    short = Timeline(articles_per_month={m: {"Internet": 1} for m in months[:12]})
    long_svg = render_chart("articles-per-month", long).decode()
    assert "Articles per year (UTC)" in long_svg and ">2022<" in long_svg and ">2022-05<" not in long_svg
    assert "Articles per month (UTC)" in render_chart("articles-per-month", short).decode()
    assert render_chart("credits-by-license", Timeline(credits_by_license={"CC BY 2.0": 3}), "png")[:4] == b"\x89PNG"


def desk_rows(db_url: str) -> list[dict[str, Any]]:
    from sqlalchemy import text

    from archiver.storage.db import make_engine

    with make_engine(db_url, readonly=True).connect() as conn:
        rows = conn.execute(text("SELECT * FROM v_desk_articles ORDER BY published_key DESC, url")).mappings()
        out = []
        for row in rows:
            item = {k: v for k, v in row.items() if k not in ("article_id", "version_id", "published_key")}
            for name in ("authors", "categories", "tags"):
                item[name] = json.loads(item[name])
            item["licenses"] = sorted(json.loads(item["licenses"]))  # a set: no order on either side
            out.append(item)
        return out


@pytest.mark.postgres
def test_the_desk_view_reads_the_same_on_postgresql(crawled: CrawledArchive, pg_url: str, tmp_path: Path) -> None:
    from .conftest import crawl_into

    crawl_into(crawled.replica, tmp_path, db_url=pg_url)
    sqlite_rows, postgres_rows = desk_rows(crawled.db_url), desk_rows(pg_url)
    assert len(sqlite_rows) == crawled.replica.articles
    assert sqlite_rows == postgres_rows
    newest = newest_first(crawled.replica.truth())[0]
    assert (postgres_rows[0]["title"], postgres_rows[0]["published"]) == (newest["title"], newest["published"])


@pytest.mark.needs("pywb")
def test_an_edited_article_shows_both_versions_its_diff_and_replays_each(tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    from .conftest import crawl_into, start_replica, stop_replica

    day0 = start_replica(20, day=0)
    port = int(day0.base_url.rsplit(":", 1)[1])
    try:
        crawl_into(day0, tmp_path)
    finally:
        stop_replica(day0)
    day1 = start_replica(20, day=1, port=port)
    try:
        archive = crawl_into(day1, tmp_path)
        truth = day1.truth()
    finally:
        stop_replica(day1)  # the site is gone: whatever the desk shows comes from the archive
    [edited] = truth["edited_today"]
    url = next(item["url"] for item in truth["items"] if item["post_id"] == edited)
    server, base = start_desk(archive, tmp_path / "cache")
    try:
        desk = Desk(base, archive, truth)
        [row] = desk.json(f"/archive/v_desk_articles.json?_shape=array&url__exact={url}")
        assert row["versions"] == 2
        page = desk.get(f"/article/{row['article_id']}")[2].decode()
        assert "Version 2, captured" in page and "Version 1, captured" in page
        changed = re.search(r"Changed: ([^.]*)\.", page)
        assert changed and "text" in changed.group(1).split(", ")
        diff = re.search(r"<pre>(.*?)</pre>", page, re.S)
        assert diff and any(line.startswith("+") and "Update vom Tag 1" in line for line in diff.group(1).splitlines())
        replays = re.findall(r'class="desk-version-replay" href="(/replay/\d{14})/([^"]+)"', page)
        assert len(replays) == 2 and replays[0][0] != replays[1][0]
        newer, older = (desk.get(f"{stamp}mp_/{target}")[2].decode() for stamp, target in replays)
        assert "Update vom Tag 1" in newer and "Update vom Tag 1" not in older
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_change_to_the_archive_shows_on_the_next_page_load(crawled: CrawledArchive, tmp_path: Path) -> None:
    """Not immutable: the list shows a change at once, so do the landing page's facets (the counts its writer
    keeps); a filtered page's facet counts, kept per page, follow once recomputed."""
    pytest.importorskip("datasette")
    import sqlite3
    from datetime import UTC, datetime

    from archiver.storage.db import make_engine
    from archiver.storage.repository import ArchiveStore

    copy = tmp_path / "archive.sqlite3"
    source, target = sqlite3.connect(crawled.db_url.removeprefix("sqlite:///")), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    archive = CrawledArchive(crawled.replica, tmp_path, f"sqlite:///{copy}", crawled.warc_dir, crawled.result,
                             crawled.summary)
    server, base = start_desk(archive, tmp_path / "cache")
    try:
        desk = Desk(base, archive, {})

        host = crawled.replica.base_url.removeprefix("http://")

        def removed_facet(filtered: bool = False) -> dict[str, int]:
            facets = desk.json("/archive/v_desk_articles.json?_size=0" + (f"&site={host}" if filtered else ""))
            facets = facets["facet_results"].get("results", facets["facet_results"])
            return {item["value"]: item["count"] for item in facets["removed"]["results"]}

        assert removed_facet() == removed_facet(True) == {"no": crawled.replica.articles}
        assert removed_facet(True) == {"no": crawled.replica.articles}  # from the cache now
        url = target.execute("SELECT url FROM articles WHERE id = (SELECT min(id) FROM articles)").fetchone()[0]
        ArchiveStore(make_engine(archive.db_url)).mark_removed([(url, "410", datetime(2026, 12, 1, tzinfo=UTC))])
        [row] = desk.json("/archive/v_desk_articles.json?_shape=array&removed=yes")
        assert "Taken down: found 410 on 2026-12-01T00:00:00Z" in desk.get(f"/article/{row['article_id']}")[2].decode()
        expected = {"no": crawled.replica.articles - 1, "yes": 1}
        assert removed_facet() == expected
        for _ in range(100):
            if removed_facet(True) == expected:
                break
            time.sleep(0.2)
        assert removed_facet(True) == expected
    finally:
        target.close()
        server.terminate()
        server.wait(timeout=30)


def articles_per_year(crawled: CrawledArchive) -> dict[str, int]:
    """The replica's articles per year of publication, from its own truth."""
    years: dict[str, int] = {}
    for item in crawled.replica.truth()["items"]:
        years[item["published"][:4]] = years.get(item["published"][:4], 0) + 1
    return years


def _facets_first_and_later(crawled: CrawledArchive, monkeypatch: pytest.MonkeyPatch
                            ) -> tuple[set[str], dict[str, int]]:
    """The facets a filtered page shows on its first load, and its year facet once the background has counted."""
    import asyncio

    from archiver.desk import facets, server

    monkeypatch.setattr(facets, "_one_at_a_time", None)  # an asyncio lock belongs to the loop it was first used in
    facets._cache.clear()

    async def run() -> tuple[set[str], dict[str, int]]:
        datasette = server.build_datasette(Path(crawled.db_url.removeprefix("sqlite:///")), crawled.db_url, None)
        await datasette.invoke_startup()

        async def shown() -> dict[str, Any]:  # a filtered page: the landing page's facets are kept counts
            data = (await datasette.client.get("/archive/v_desk_articles.json?_size=0&_nocount=1&removed=no")).json()
            return dict(data["facet_results"].get("results", data["facet_results"]))

        first = set(await shown())
        for _ in range(300):
            if not facets._running:
                break
            await asyncio.sleep(0.1)
        later = await shown()
        return first, {item["value"]: item["count"] for item in later["year"]["results"]}

    return asyncio.run(run())


def test_facets_over_the_time_limit_come_from_the_background_on_the_next_load(
        crawled: CrawledArchive, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("datasette")
    from archiver.desk import server

    # Every facet runs out of time in the request (the setting is read when the desk is built).
    monkeypatch.setitem(server.SETTINGS, "facet_time_limit_ms", 0.001)
    first, years = _facets_first_and_later(crawled, monkeypatch)
    assert first == set()
    assert years == articles_per_year(crawled)


def test_a_pages_facets_share_one_budget_and_the_rest_come_from_the_background(
        crawled: CrawledArchive, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each facet alone is well within its own time limit: the page's budget, spent, sends them all to the
    background (on a big archive, six facets each just under the limit would hold the page for six limits)."""
    pytest.importorskip("datasette")
    from archiver.desk import facets

    monkeypatch.setattr(facets, "FACETS_PER_PAGE_MS", 0.0)
    first, years = _facets_first_and_later(crawled, monkeypatch)
    assert first == set()
    assert years == articles_per_year(crawled)


def test_a_pages_facets_end_a_fixed_time_after_the_request_started(
        crawled: CrawledArchive, monkeypatch: pytest.MonkeyPatch) -> None:
    """However much of their own budget is left, the facets stop at the page's time, counted from the request's
    start (where a slow list and count left nothing, they come from the background on the next load)."""
    pytest.importorskip("datasette")
    from archiver.desk import facets

    monkeypatch.setattr(facets, "FACETS_PER_PAGE_MS", 60_000.0)
    monkeypatch.setattr(facets, "PAGE_MS", 0.0)
    first, years = _facets_first_and_later(crawled, monkeypatch)
    assert first == set()
    assert years == articles_per_year(crawled)


def test_the_unfiltered_views_count_from_the_kept_counts(crawled: CrawledArchive, ran: list[str]) -> None:
    """v_desk_articles, v_articles and v_credits unfiltered: the row count is read from stat_counts (a count of the
    whole view took Datasette's 3 s limit at a million articles), and equals a count of the view."""
    pytest.importorskip("datasette")
    import asyncio

    from sqlalchemy import text

    from archiver.desk import server
    from archiver.storage.db import make_engine

    views = ("v_desk_articles", "v_articles", "v_credits")

    async def counts() -> dict[str, int]:
        datasette = server.build_datasette(Path(crawled.db_url.removeprefix("sqlite:///")), crawled.db_url, None)
        return {view: (await datasette.client.get(f"/archive/{view}.json?_size=0&_nofacet=1")).json()[
            "filtered_table_rows_count"] for view in views}

    shown = asyncio.run(counts())
    with make_engine(crawled.db_url, readonly=True).connect() as conn:
        plain = {view: conn.execute(text(f"SELECT count(*) FROM {view}")).scalar_one() for view in views}
    assert shown == plain and all(plain.values())
    assert not [sql for sql in ran if sql.startswith("select count(*) from v_")]
    assert sum(sql in server.KEPT_COUNTS.values() for sql in ran) == 3


def test_a_search_of_many_matches_walks_the_date_index_and_lists_the_same(
        crawled: CrawledArchive, ran: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Many matches: the search's list walks the date index ("+"), few: it reads the matches and sorts them; the
    rows and the count are the same either way, and equal plain SQL over the view."""
    pytest.importorskip("datasette")
    import asyncio

    from sqlalchemy import text

    from archiver.desk import clauses, server
    from archiver.storage.db import make_engine


    async def page() -> tuple[list[int], int]:
        datasette = server.build_datasette(Path(crawled.db_url.removeprefix("sqlite:///")), crawled.db_url, None)
        answer = (await datasette.client.get(
            "/archive/v_desk_articles.json?_shape=objects&_nofacet=1&_size=max&_search=Telegram")).json()
        return [row["article_id"] for row in answer["rows"]], answer["filtered_table_rows_count"]

    with make_engine(crawled.db_url, readonly=True).connect() as conn:
        expected = [row[0] for row in conn.execute(text(
            "SELECT article_id FROM v_desk_articles WHERE version_id IN (SELECT rowid FROM article_search "
            "WHERE article_search MATCH 'Telegram') ORDER BY published_key DESC"))]
    assert expected
    for factor, walked in ((0.0, True), (1e12, False)):
        monkeypatch.setattr(clauses, "WALK_FACTOR", factor)
        ran.clear()
        assert asyncio.run(page()) == (expected, len(expected))
        lists = [sql for sql in ran if "article_search match" in sql and "order by published_key" in sql]
        assert lists and all(("+version_id in (select rowid" in sql) == walked for sql in lists)
        assert clauses.SEARCH_MATCHES in ran

    async def matches() -> int:  # what the plan is decided on: the index's own count of the matches
        datasette = server.build_datasette(Path(crawled.db_url.removeprefix("sqlite:///")), crawled.db_url, None)
        return int((await datasette.get_database("archive").execute(clauses.SEARCH_MATCHES,
                                                                    {"search": "Telegram"})).first()[0])

    with make_engine(crawled.db_url, readonly=True).connect() as conn:
        assert asyncio.run(matches()) == conn.execute(text(
            "SELECT count(*) FROM article_search WHERE article_search MATCH 'Telegram'")).scalar_one() > 0


def test_search_plans_by_matches_rows_and_the_page_reached() -> None:
    """The walk pays where the matches are many against the rows and the rows the page reaches; never where an
    author's clause walks already. Figures at 1M: a very common word walks, a rare one does not, nor a deep page."""
    from archiver.desk.clauses import author_clause, planned, search_planned

    searched = ("select article_id from v_desk_articles where version_id in (select rowid from article_search where "
                "article_search match escape_fts(:search)) order by published_key desc limit 51")
    walked = planned(searched)
    assert walked.endswith("order by published_key desc, year desc, article_id desc limit 51")
    assert "+version_id in" in search_planned(walked, 313_659, 1_000_000)
    assert "+version_id in" in search_planned(walked, 11_509, 1_000_000)
    assert "+version_id in" not in search_planned(walked, 3_530, 1_000_000)
    assert "+version_id in" not in search_planned(planned(searched + " offset 900000"), 313_659, 1_000_000)
    with_author = searched.replace("where ", f"where {author_clause(0, True)} and ", 1)
    assert "+version_id in (select rowid" not in search_planned(planned(with_author), 313_659, 1_000_000)
    ascending = planned(searched.replace(" desc", "") + " offset 50")
    assert ascending.endswith("order by published_key, year, article_id limit 51 offset 50")


def test_pages_of_tied_dates_are_the_same_whichever_plan_lists_them(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Articles published at the same second (and one without a date), whose article and current version IDs run
    in different orders: page after page, in either direction, the walk and the sort list the same rows, those of
    plain SQL with ties broken by the article."""
    pytest.importorskip("datasette")
    import asyncio

    from sqlalchemy import text

    from archiver.desk import clauses, server
    from archiver.storage.db import make_engine, upgrade
    from archiver.storage.repository import ArchiveStore

    from .test_storage import items

    url = f"sqlite:///{tmp_path}/a.sqlite3"
    upgrade(url)
    store = ArchiveStore(make_engine(url))
    batch = items(range(8))
    for n, item in enumerate(batch):
        item.published = None if n == 7 else "2020-05-01T10:00:00+00:00" if n % 2 else "2020-05-02T10:00:00+00:00"
        item.text = (item.text or "") + " Gleichstand"
    store.store_articles(batch)
    edited = copy.deepcopy(batch[0])  # the first article's current version is now the newest version
    edited.title += " (korrigiert)"
    store.store_articles([edited])
    with store.engine.connect() as conn:
        plain = {direction: [row[0] for row in conn.execute(text(
            "SELECT article_id FROM v_desk_articles WHERE version_id IN (SELECT rowid FROM article_search WHERE "
            f"article_search MATCH 'Gleichstand') ORDER BY published_key {direction}, year {direction}, "
            f"article_id {direction}"))] for direction in ("DESC", "ASC")}
    store.engine.dispose()
    assert len(plain["DESC"]) == 8

    async def pages(sort: str) -> list[int]:
        datasette = server.build_datasette(tmp_path / "a.sqlite3", url, None)
        listed: list[int] = []
        for offset in range(0, 8, 3):
            answer = (await datasette.client.get(f"/archive/v_desk_articles.json?_shape=objects&_nofacet=1&_size=3"
                                                 f"&_search=Gleichstand&{sort}=published_key&_next={offset}")).json()
            listed += [row["article_id"] for row in answer["rows"]]
        return listed

    for factor in (0.0, 1e12):
        monkeypatch.setattr(clauses, "WALK_FACTOR", factor)
        assert asyncio.run(pages("_sort_desc")) == plain["DESC"]
        assert asyncio.run(pages("_sort")) == plain["ASC"]


def test_each_facet_query_gets_what_the_pages_budget_has_left_when_it_starts() -> None:
    """A list facet runs one query per column: the second gets what the first left, not the budget the facet
    started with; a spent budget interrupts at once (a limit of 0 would be Datasette's "no limit")."""
    pytest.importorskip("datasette")
    from archiver.desk.facets import _Budgeted

    class Settings:
        def setting(self, name: str) -> float:
            return {"facet_time_limit_ms": 500.0, "sql_time_limit_ms": 3000.0}[name]

    left = [180.0]
    budgeted = _Budgeted(Settings(), lambda: left[0])
    assert budgeted.setting("facet_time_limit_ms") == 180
    left[0] = 20.0
    assert budgeted.setting("facet_time_limit_ms") == 20
    left[0] = -5.0
    assert 0 < budgeted.setting("facet_time_limit_ms") < 0.01
    left[0] = 900.0
    assert budgeted.setting("facet_time_limit_ms") == 500 and budgeted.setting("sql_time_limit_ms") == 3000


def test_an_author_click_looks_up_an_author_of_few_articles_by_id(crawled: CrawledArchive,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Few articles (by the kept counts): the author's versions by ID, so that the count reads only them. Many: the
    list walks the date index (the "+" keeps SQLite off the ID lookup)."""
    pytest.importorskip("datasette")
    import asyncio
    from urllib.parse import quote

    from datasette.utils.asgi import Request

    from archiver.desk import plugin, server

    author = crawled.replica.truth()["items"][0]["authors"][0]["name"]
    request = Request.fake(f"/archive/v_desk_articles?authors__arraycontains={quote(author)}")

    async def clauses() -> list[str]:
        datasette = server.build_datasette(Path(crawled.db_url.removeprefix("sqlite:///")), crawled.db_url, None)
        await datasette.invoke_startup()
        arguments = await plugin.filters_from_request(request, "v_desk_articles", "archive", datasette)()
        return list(arguments.where_clauses)

    [few] = asyncio.run(clauses())
    assert few.startswith("version_id IN (")
    monkeypatch.setattr(plugin, "FEW_ARTICLES", 0)
    [many] = asyncio.run(clauses())
    assert many == "+" + few


def test_an_authors_page_counts_namesakes_once_and_lists_as_the_view(
        tmp_path: Path, ran: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An author's page takes its count from the kept counts, less the articles two namesakes share; the list and
    the count equal plain SQL over the view, for an author of few articles and one of many (the "+" clause, which
    only the list sorted by date keeps)."""
    pytest.importorskip("datasette")
    import asyncio
    from urllib.parse import quote

    from sqlalchemy import text

    from archiver.desk import clauses, plugin, server
    from archiver.items import Author
    from archiver.storage.db import make_engine, upgrade
    from archiver.storage.repository import ArchiveStore

    from .test_storage import items

    url = f"sqlite:///{tmp_path}/a.sqlite3"
    upgrade(url)
    store = ArchiveStore(make_engine(url))
    batch = items(range(10))
    name = "Alex Namensvetter"
    first, second, third = (Author(name=name, site_author_id=n) for n in (900, 901, 902))
    for item, authors in zip(batch, ([first, second], [first], [second], [third, Author("Kim Anders", 903)],
                                     [first, second, third], [first]), strict=False):
        item.authors = authors
    store.store_articles(batch)
    edited = copy.deepcopy(batch[5])  # its current version no longer names the author; its first still does
    edited.title += " (korrigiert)"
    edited.authors = [Author("Kim Anders", 903)]
    store.store_articles([edited])
    with store.engine.connect() as conn:
        expected = [row[0] for row in conn.execute(text(
            "SELECT article_id FROM v_desk_articles WHERE :n IN (SELECT value FROM json_each(authors)) "
            "ORDER BY published_key DESC"), {"n": name})]
        kept = conn.execute(text("SELECT sum(total) FROM stat_counts WHERE kind = 'author' AND item IN "
                                 "(SELECT CAST(id AS TEXT) FROM authors WHERE name = :n)"), {"n": name}).scalar_one()
    store.engine.dispose()
    assert len(expected) == 5 and kept == 8  # namesakes on one article: once on the page, once each kept


    async def page() -> tuple[list[int], int]:
        datasette = server.build_datasette(tmp_path / "a.sqlite3", url, None)
        answer = (await datasette.client.get(
            f"/archive/v_desk_articles.json?_shape=objects&_nofacet=1&authors__arraycontains={quote(name)}")).json()
        return [row["article_id"] for row in answer["rows"]], answer["filtered_table_rows_count"]

    for few in (10**6, 0):
        monkeypatch.setattr(plugin, "FEW_ARTICLES", few)
        ran.clear()
        assert asyncio.run(page()) == (expected, len(expected))
        assert clauses.KEPT_AUTHOR_COUNT in ran
        walked = [sql for sql in ran if "+version_id IN" in sql]
        assert all("order by published_key" in sql for sql in walked) and bool(walked) == (few == 0)


def test_stored_times_are_shown_as_iso_utc_and_printed_dates_as_printed() -> None:
    pytest.importorskip("datasette")
    from archiver.desk.plugin import render_cell

    def shown(column: str, value: str) -> Any:
        return render_cell(row={}, value=value, column=column, table="captures", database="archive", datasette=None)

    assert shown("fetched_at", "2026-12-06 06:09:57.123456") == "2026-12-06T06:09:57Z"
    assert shown("published", "2019-03-14 13:21:07") == "2019-03-14T13:21:07Z"
    assert shown("published_raw", "2019-03-14 14:21:07") is None  # left to Datasette: as the page printed it
    assert shown("title", "Telegram gewinnt") is None
