"""Researcher commands: ``search``, ``show``, ``cite``. All open the database read-only (``stats`` and ``serve``:
``desk.py``)."""

from __future__ import annotations

import json

import click

from .options import DB_OPTION, archive_engine
from .selection import FORMATS, article_filter, export_rows, filter_options

SEARCH_HELP = """\b
Query syntax, the same on SQLite and PostgreSQL: words (all must match), "a phrase", OR,
-word or NOT word (exclude), prefix* . Words are stemmed (German, as PostgreSQL's german
configuration) and match every word that begins with the stem: Razzien finds Razzia, Netz
finds Netzpolitik. Stop words (und, die, ...) are ignored.
--author, --category and --tag take a name or a slug, case-insensitively.
\b
Examples:
  archiver search 'Telegram OR WhatsApp' --since 2019-01-01 --author Antonia --limit 5
  archiver search Razzien --category Internet --export csv -o razzien.csv"""


@click.command(epilog=SEARCH_HELP)
@click.argument("query")
@DB_OPTION
@filter_options
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit (the total goes to stderr).")
@click.option("--export", "export_format", type=click.Choice(FORMATS),
              help="Write every match (not only --limit) as 'archiver export --query QUERY' with the same "
                   "filters would, instead of listing hits.")
@click.option("-o", "--output", default="-", show_default=True, help="With --export: output file, or -.")
def search(query: str, db_url: str | None, since: str | None, until: str | None, author: str | None,
           category: str | None, tag: str | None, license_name: str | None, limit: int, as_json: bool,
           export_format: str | None, output: str) -> int:
    """Full-text search over title, lead and text of the current versions, best match first."""
    from ..storage.search import search_articles

    engine = archive_engine(db_url)
    selection = article_filter(since, until, author, category, tag, license_name)
    if export_format:
        from dataclasses import replace

        export_rows(engine, "articles", export_format, output, "latest", replace(selection, query=query))
        return 0
    result = search_articles(engine, query, limit, selection)
    summary = f"{result.total} match{'es' if result.total != 1 else ''}, showing {len(result.hits)}"
    click.echo(summary, err=as_json or not result.hits)
    for hit in result.hits:
        if as_json:
            click.echo(json.dumps(hit.__dict__, ensure_ascii=False))
        else:
            snippet = " ".join(hit.snippet.split())
            click.echo(f"\n#{hit.article_id}  {(hit.published or '')[:10]}  {hit.title}\n"
                       f"            {', '.join(hit.authors)} · {hit.url}\n            {snippet}")
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


CITE_FORMATS = ("text", "bibtex", "json", "ris", "csl-json")  # archiver.citations.FORMATS (tests/test_cli.py)


@click.command(epilog="\b\nExamples:\n  archiver cite 311235 --format bibtex\n"
                      "  archiver cite 311235 --version 1 --format ris --public-url https://archive.example.org")
@click.argument("article")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(CITE_FORMATS), default="text", show_default=True)
@click.option("--version", "version", type=click.IntRange(min=1),
              help="Cite this version (1 = first capture; 'archiver show' lists them) [default: the current one].")
@click.option("--public-url", help="Base URL where 'archiver serve' is reachable, for an absolute replay "
                                   "address [env ARCHIVER_PUBLIC_URL].")
def cite(article: str, db_url: str | None, fmt: str, version: int | None, public_url: str | None) -> int:
    """A citation that finds the exact archived page again (WARC record, digest, replay address)."""
    from ..citations import load_citation, render

    click.echo(render(load_citation(archive_engine(db_url), article, version, public_url), fmt))
    return 0
