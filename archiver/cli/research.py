"""Researcher commands: ``search``, ``show``, ``cite``. All open the database read-only (``stats`` and ``serve``:
``desk.py``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from ..exceptions import ConfigurationError
from .options import DB_OPTION, archive_engine


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
    from ..storage.search import search_articles

    hits = search_articles(archive_engine(db_url), query, limit, author, category, tag, _date(since, "--since"),
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


@click.command(epilog="\b\nExample:\n  archiver show 311235\n  archiver show https://tarnkappe.info/artikel/x-311235.html")
@click.argument("article")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True)
def show(article: str, db_url: str | None, as_json: bool) -> int:
    """An article's current version with authors, credits, images, categories, tags and its version history."""
    from ..storage.queries import article_versions, find_article, version_diffs

    engine = archive_engine(db_url)
    article_id = find_article(engine, article)
    versions = article_versions(engine, article_id)
    diffs = version_diffs(engine, article_id)
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
    if current["removed_at"]:
        lines.insert(2, f"removed {current['removed_at']} ({current['removed_status']}); the archived copy stays")
    lines += [f"image: {i['url']} ({i['caption'] or i['alt'] or ''})" for i in current["images"]]
    lines += [f"credit: {c['raw']} → creator {c['creator']}, license {c['license']}" for c in current["credits"]]
    lines.append("")
    lines.append(current["text"])
    lines.append("")
    for entry in history:
        changed = ", ".join(sorted(entry["diff"] or {})) or "first capture"
        if entry["diff"] and "restored" in entry["diff"]:
            gone = entry["diff"]["restored"]
            changed += f" (back after removal {gone['removed_at']}, {gone['removed_status']})"
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
    from ..storage.queries import article_versions, find_article

    engine = archive_engine(db_url)
    current = article_versions(engine, find_article(engine, article))[-1]
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
