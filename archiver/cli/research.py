"""Researcher commands: ``search``, ``show``, ``cite``, ``stats``, ``serve``. All open the database read-only."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, text

from ..exceptions import ConfigurationError
from ..storage.db import make_engine, resolve_db_url
from ..storage.reader import iter_articles
from ..storage.search import search_articles

DB_OPTION = click.option("--db", "db_url", envvar="ARCHIVER_DB_URL", help="Database URL [env ARCHIVER_DB_URL].")


def _engine(db_url: str | None) -> Engine:
    return make_engine(resolve_db_url(db_url), readonly=True)


def _date(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a date like 2019-03-14, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


SEARCH_HELP = """\b
Query syntax (SQLite FTS5): words (all must match), "a phrase", OR, NOT, prefix* ;
PostgreSQL: words, "a phrase", OR, -word (German stemming).
\b
Example:
  archiver search 'Telegram OR WhatsApp' --since 2019-01-01 --author Antonia --limit 5"""


@click.command(epilog=SEARCH_HELP)
@click.argument("query")
@DB_OPTION
@click.option("--author", help="Author name (exact, case-insensitive).")
@click.option("--category", help="Category slug.")
@click.option("--tag", help="Tag slug.")
@click.option("--since", help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Published before this date (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
def search(query: str, db_url: str | None, author: str | None, category: str | None, tag: str | None,
           since: str | None, until: str | None, limit: int, as_json: bool) -> int:
    """Full-text search over title, lead and text of the current versions, best match first."""
    hits = search_articles(_engine(db_url), query, limit, author, category, tag, _date(since, "--since"),
                           _date(until, "--until"))
    for hit in hits:
        if as_json:
            click.echo(json.dumps(hit.__dict__, ensure_ascii=False))
        else:
            snippet = " ".join(hit.snippet.split())
            click.echo(f"{(hit.published or '')[:10]}  {hit.title}\n            {', '.join(hit.authors)} · {hit.url}"
                       f"\n            {snippet}\n")
    if not hits and not as_json:
        click.echo("no matches", err=True)
    return 0


def find_article(engine: Engine, reference: str) -> int:
    """Article ID from an ID, a URL or a WordPress post ID (``post:311235`` or a bare number)."""
    with engine.connect() as conn:
        if reference.startswith(("http://", "https://")):
            found = conn.execute(text("SELECT id FROM articles WHERE url = :u"), {"u": reference}).scalar()
        elif reference.startswith("post:") and reference[5:].isdigit():
            found = conn.execute(text("SELECT id FROM articles WHERE post_id = :p"),
                                 {"p": int(reference[5:])}).scalar()
        elif reference.isdigit():
            found = conn.execute(text("SELECT id FROM articles WHERE id = :i OR post_id = :i ORDER BY "
                                      "CASE WHEN id = :i THEN 0 ELSE 1 END"), {"i": int(reference)}).scalar()
        else:
            raise ConfigurationError(f"ARTICLE must be an ID, a post ID or a URL, got {reference!r}")
    if found is None:
        raise ConfigurationError(f"no article {reference!r} in the archive")
    return int(found)


def _versions(engine: Engine, article_id: int) -> list[dict[str, Any]]:
    return [row for row in iter_articles(engine, versions="all") if row["id"] == article_id]


@click.command(epilog="\b\nExample:\n  archiver show 311235\n  archiver show https://tarnkappe.info/artikel/x-311235.html")
@click.argument("article")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True)
def show(article: str, db_url: str | None, as_json: bool) -> int:
    """An article's current version with authors, credits, images, categories, tags and its version history."""
    engine = _engine(db_url)
    article_id = find_article(engine, article)
    versions = _versions(engine, article_id)
    with engine.connect() as conn:
        diffs: dict[int, Any] = {
            version: json.loads(diff) if isinstance(diff, str) else diff
            for version, diff in conn.execute(text("SELECT version, diff FROM article_versions WHERE article_id = :a"),
                                              {"a": article_id})}
    current = versions[-1]
    history = [{"version": v["version"], "captured_at": v["captured_at"], "title": v["title"],
                "diff": diffs[v["version"]]} for v in versions]
    if as_json:
        click.echo(json.dumps({"article": current, "history": history}, ensure_ascii=False))
        return 0
    lines = [current["title"], current["url"],
             f"published {current['published']} · {', '.join(a['name'] for a in current['authors'])} · "
             f"version {current['version']} of {current['versions']}",
             "categories: " + ", ".join(c["slug"] for c in current["categories"]),
             "tags: " + ", ".join(t["slug"] for t in current["tags"])]
    lines += [f"image: {i['url']} ({i['caption'] or i['alt'] or ''})" for i in current["images"]]
    lines += [f"credit: {c['raw']} → creator {c['creator']}, license {c['license']}" for c in current["credits"]]
    lines.append("")
    lines.append(current["text"])
    lines.append("")
    for entry in history:
        changed = ", ".join(sorted(entry["diff"] or {})) or "first capture"
        lines.append(f"version {entry['version']} captured {entry['captured_at']}: {changed}")
        if entry["diff"] and "text" in entry["diff"]:
            lines.append(entry["diff"]["text"]["unified"])
    click.echo("\n".join(lines))
    return 0


def citation(row: dict[str, Any], collection: str) -> dict[str, Any]:
    capture = row["capture"] or {}
    stamp = (capture.get("fetched_at") or row["captured_at"] or "").replace("-", "").replace(":", "").replace("T", "")
    return {"url": row["url"], "title": row["title"], "authors": [a["name"] for a in row["authors"]],
            "published": row["published"], "captured_at": capture.get("fetched_at") or row["captured_at"],
            "warc_file": capture.get("warc_file"), "warc_offset": capture.get("offset"),
            "warc_record_id": capture.get("record_id"), "payload_digest": capture.get("payload_digest"),
            "replay": f"/{collection}/{stamp[:14]}/{row['url']}", "site": row["site"]}


@click.command(epilog="\b\nExample:\n  archiver cite 311235 --format bibtex")
@click.argument("article")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "bibtex", "json"]), default="text", show_default=True)
@click.option("--collection", default="archive", show_default=True, help="pywb collection name for the replay path.")
def cite(article: str, db_url: str | None, fmt: str, collection: str) -> int:
    """A citation that finds the exact archived page again (WARC record, digest, replay address)."""
    engine = _engine(db_url)
    current = _versions(engine, find_article(engine, article))[-1]
    data = citation(current, collection)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False))
    elif fmt == "bibtex":
        site = data["site"].split(".")[0].split(":")[0]
        key = f"{site}{(data['published'] or '')[:4]}{current['post_id'] or current['id']}"
        click.echo(f"@online{{{key},\n  title = {{{data['title']}}},\n  author = {{{' and '.join(data['authors'])}}},\n"
                   f"  date = {{{(data['published'] or '')[:10]}}},\n  url = {{{data['url']}}},\n"
                   f"  urldate = {{{(data['captured_at'] or '')[:10]}}},\n"
                   f"  note = {{Archived: {data['warc_file']}, offset {data['warc_offset']}, "
                   f"record {data['warc_record_id']}, {data['payload_digest']}; replay {data['replay']}}}\n}}")
    else:
        click.echo(f"{', '.join(data['authors'])}: {data['title']}. {data['site']}, {(data['published'] or '')[:10]}. "
                   f"{data['url']} (archived {data['captured_at']}; WARC {data['warc_file']} @ {data['warc_offset']}, "
                   f"{data['warc_record_id']}, {data['payload_digest']}; replay {data['replay']})")
    return 0


STATS_QUERIES = {
    "articles_per_year": "SELECT substr(CAST(v.published AS TEXT), 1, 4) AS year, count(*) FROM articles a JOIN "
                         "article_versions v ON v.id = a.current_version_id GROUP BY 1 ORDER BY 1",
    "articles_per_category": "SELECT c.slug, count(*) FROM article_categories ac JOIN categories c ON c.id = "
                             "ac.category_id JOIN articles a ON a.current_version_id = ac.version_id GROUP BY 1 "
                             "ORDER BY 2 DESC, 1",
    "authors_by_articles": "SELECT au.name, count(*) FROM article_authors aa JOIN authors au ON au.id = aa.author_id "
                           "JOIN articles a ON a.current_version_id = aa.version_id GROUP BY 1 ORDER BY 2 DESC, 1",
    "credits_by_license": "SELECT coalesce(cr.license, '(none)'), count(*) FROM credits cr JOIN articles a ON "
                          "a.current_version_id = cr.version_id GROUP BY 1 ORDER BY 2 DESC, 1",
    "captures_by_type": "SELECT record_type, count(*) FROM captures GROUP BY 1 ORDER BY 1",
    "versions_per_article": "SELECT version_count, count(*) FROM articles GROUP BY 1 ORDER BY 1",
}


@click.command(epilog="\b\nExample:\n  archiver stats --json | jq .credits_by_license")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True)
def stats(db_url: str | None, as_json: bool) -> int:
    """Articles per year and category, authors by article count, credits by license, captures, versions, runs."""
    engine = _engine(db_url)
    report: dict[str, Any] = {}
    with engine.connect() as conn:
        for name, sql in STATS_QUERIES.items():
            report[name] = {str(key): count for key, count in conn.execute(text(sql))}
        report["last_runs"] = [
            {"id": r[0], "spider": r[1], "mode": r[2], "started_at": str(r[3]), "finish_reason": r[4]}
            for r in conn.execute(text("SELECT id, spider, mode, started_at, finish_reason FROM crawl_runs "
                                       "ORDER BY id DESC LIMIT 5"))]
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return 0
    for name, values in report.items():
        click.echo(name.replace("_", " ") + ":")
        for entry in values if isinstance(values, list) else values.items():
            click.echo(f"  {entry}" if isinstance(values, list) else f"  {entry[0]}: {entry[1]}")
    return 0


@click.command(epilog="\b\nExample:\n  archiver serve --port 8001   # then open http://127.0.0.1:8001/")
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8001, show_default=True)
def serve(db_url: str | None, host: str, port: int) -> int:
    """Browse the SQLite archive with Datasette, read-only, with the documented schema and full-text search."""
    url = resolve_db_url(db_url)
    if not url.startswith("sqlite:///"):
        raise ConfigurationError("archiver serve works on a SQLite archive (Datasette reads SQLite files)")
    database = url.removeprefix("sqlite:///")
    if not Path(database).exists():
        raise ConfigurationError(f"no archive database at {database}")
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise ConfigurationError("archiver serve needs Datasette: pip install 'archiver[serve]'") from None
    metadata = Path(__file__).resolve().parents[1] / "storage" / "datasette-metadata.json"
    # --immutable opens the file read-only; the replica's own pages are never served from this origin.
    command = [sys.executable, "-m", "datasette", "serve", "--immutable", database, "--metadata", str(metadata),
               "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "3000"]
    # Become Datasette (exec): a supervisor's SIGTERM then stops the server itself, leaving no orphan behind.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)
