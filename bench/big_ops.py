"""A researcher's operations on a big archive, timed: search, show, cite, stats, export, and the served pages.

Run: ``.venv/bin/python bench/big_ops.py --db URL [--rounds 20] [--export-rows 100000]``. The library calls are
timed in this process (search, show and cite: p50/p95 over ``--rounds`` references each; stats: median of three;
export: rows/s over the first ``--export-rows`` rows of every table, format and filter); a few commands run end to
end as whole processes (``archiver search``, ``show``, ``stats``, ``export`` with its peak RSS); on SQLite,
``archiver serve`` (Datasette) is started and every page of ``PAGES`` fetched. PostgreSQL has no Datasette.
Prints JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from big_text import vocabulary
from sqlalchemy import Engine, text

from archiver.citations import load_citation, render
from archiver.storage.db import make_engine
from archiver.storage.exporters import export
from archiver.storage.filters import ArticleFilter
from archiver.storage.queries import archive_statistics, article_versions, find_article, version_diffs
from archiver.storage.search import search_articles
from archiver.storage.stemming import stem_words

# The served pages, one row each: (name, path). "{db}" is the database's name in Datasette (the file's stem),
# "{article}" an article ID, "{author}" an author's name. Point new rows at the pages the UI grows.
PAGES: list[tuple[str, str]] = [
    # The researcher's desk (archiver serve): its landing view, a facet click on the computed year, a search, an
    # article page; "list and count" and "list only" show what the landing page's time is made of.
    ("landing (list, count, facets)", "/archive/v_desk_articles"),
    ("list and count, no facets", "/archive/v_desk_articles.json?_nofacet=1"),
    ("list only", "/archive/v_desk_articles.json?_nofacet=1&_nocount=1"),
    ("facet click (year)", "/archive/v_desk_articles?year={year}"),
    ("facet click (author)", "/archive/v_desk_articles?authors__arraycontains={author}"),
    ("facet click (most prolific author)", "/archive/v_desk_articles?authors__arraycontains={prolific}"),
    ("search", "/archive/v_desk_articles?_search={word}"),
    ("search (very common word)", "/archive/v_desk_articles?_search={common}"),
    ("article page", "/article/{article}"),
    # Two of "All tables": the views researchers open beside the desk's list.
    ("v_articles (all tables)", "/archive/v_articles"),
    ("v_articles sorted by date", "/archive/v_articles?_sort_desc=published"),
    ("v_articles sorted by title", "/archive/v_articles?_sort=title"),
    ("v_credits (all tables)", "/archive/v_credits"),
]
# Words by their rank in the archive's Zipf vocabulary (bench/big_text.py): about 25 %, 2.5 %, 0.25 % and
# 0.05 % of the articles hold them. "@name" values are picked from the archive by sample().
SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("very common word (~25 %)", {"query": "@rank100"}),
    ("common word (~2.5 %)", {"query": "@rank1000"}),
    ("less common word (~0.25 %)", {"query": "@rank10000"}),
    ("rare word", {"query": "@rank50000"}),
    ("two words", {"query": "@two"}),
    ("phrase", {"query": "@phrase"}),
    ("OR", {"query": "@either"}),
    ("common word, author filter", {"query": "@rank1000", "author": "@author"}),
    ("common word, category filter", {"query": "@rank1000", "category": "@category"}),
    ("common word, one year", {"query": "@rank1000", "since": datetime(2020, 1, 1, tzinfo=UTC),
                               "until": datetime(2021, 1, 1, tzinfo=UTC)}),
]
HERE = Path(__file__).resolve().parent


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "n": len(ordered)}


def timed(call: Callable[[], Any], rounds: int) -> tuple[dict[str, float], Any]:
    samples, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - started)
    return percentiles(samples), result


def sample(engine: Engine, rounds: int, seed: int = 7, seed_of_archive: int = 32) -> dict[str, Any]:
    """Article references, an author and a category to look up, chosen at random from the archive."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        top = int(conn.execute(text("SELECT max(id) FROM articles")).scalar_one())
        ids = [rng.randint(1, top) for _ in range(rounds)]
        post_ids = [int(conn.execute(text("SELECT post_id FROM articles WHERE id = :i"), {"i": i}).scalar_one())
                    for i in ids]
        urls = [str(conn.execute(text("SELECT url FROM articles WHERE id = :i"), {"i": i}).scalar_one())
                for i in ids]
        author = conn.execute(text("SELECT name FROM authors WHERE id = 5")).scalar_one()
        # The author of the most articles (a quarter of the 1M archive's): the desk's worst author page.
        prolific = conn.execute(text("SELECT au.name FROM authors au JOIN article_authors aa ON aa.author_id = au.id "
                                     "GROUP BY au.name ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        category = conn.execute(text("SELECT slug FROM categories WHERE id = 3")).scalar_one()
        published = conn.execute(text("SELECT v.published FROM articles a JOIN article_versions v ON v.id = "
                                      "a.current_version_id WHERE a.id = :i"), {"i": ids[0]}).scalar_one()
        body = str(conn.execute(text("SELECT text FROM article_versions WHERE id = :i"), {"i": ids[0]}).scalar_one())
    words = vocabulary(60_000, random.Random(f"{seed_of_archive}:entities"))
    first = body.replace(".", " ").split()
    # A phrase from the text's fourth word on whose second word is searchable (a phrase of stop words is refused).
    at = next((n for n in range(3, len(first) - 1) if stem_words([first[n + 1]])), 3)
    return {"ids": ids, "post_ids": post_ids, "urls": urls, "author": author, "prolific": prolific,
            "category": category,
            "year": str(published)[:4],
            "rank100": words[100], "rank1000": words[1000], "rank10000": words[10_000], "rank50000": words[50_000],
            "two": f"{words[1000]} {words[3000]}", "either": f"{words[1000]} OR {words[3000]}",
            "phrase": f'"{first[at]} {first[at + 1]}"'}


def measure_search(engine: Engine, picks: dict[str, Any], rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, arguments in SEARCHES:
        kwargs = {key: picks[value[1:]] if isinstance(value, str) and value.startswith("@") else value
                  for key, value in arguments.items()}
        query = kwargs.pop("query")
        figures, result = timed(lambda query=query, kwargs=kwargs: search_articles(
            engine, query, limit=20, filters=ArticleFilter(**kwargs)), rounds)
        hits = result.hits
        kwargs["query"] = query
        out[name] = {**figures, "hits": len(hits), "query": kwargs["query"]}
    return out


def measure_show_and_cite(engine: Engine, picks: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, references in (("id", [str(i) for i in picks["ids"]]), ("post", [f"post:{p}" for p in picks["post_ids"]]),
                             ("url", picks["urls"])):
        show, cite = [], []
        for reference in references:
            started = time.perf_counter()
            article = find_article(engine, reference)
            versions = article_versions(engine, article)
            version_diffs(engine, article)
            show.append(time.perf_counter() - started)
            started = time.perf_counter()
            render(load_citation(engine, reference), "text")
            cite.append(time.perf_counter() - started)
            assert versions
        out[f"show by {kind}"] = percentiles(show)
        out[f"cite by {kind}"] = percentiles(cite)
    return out


def measure_stats(engine: Engine) -> dict[str, Any]:
    figures, report = timed(lambda: archive_statistics(engine), 3)
    per_query = {}
    from archiver.storage.queries import COUNTS_QUERIES

    with engine.connect() as conn:
        for name, sql in COUNTS_QUERIES.items():
            started = time.perf_counter()
            conn.execute(text(sql)).all()
            per_query[name] = round((time.perf_counter() - started) * 1000, 1)
    return {**figures, "per_query_ms": per_query, "categories": len(report["articles_per_category"])}


def measure_export(engine: Engine, limit: int) -> dict[str, Any]:
    since = datetime(2024, 1, 1, tzinfo=UTC)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        for table in ("articles", "authors", "credits", "images"):
            choices: tuple[tuple[str, dict[str, Any]], ...] = (
                ("all", {}), ("since 2024", {"filters": ArticleFilter(since=since)}),
                ("all versions", {"versions": "all"}))
            for label, kwargs in choices:
                if label == "all versions" and table != "articles":
                    continue
                if label == "since 2024" and table == "authors":
                    continue
                for fmt in ("jsonl", "csv", "parquet"):
                    started = time.perf_counter()
                    target = os.path.join(directory, "out.parquet") if fmt == "parquet" else io.StringIO()
                    count = export(engine, table, fmt, target, limit=limit, **kwargs)
                    seconds = time.perf_counter() - started
                    out[f"{table} {label} {fmt}"] = {"rows": count, "seconds": round(seconds, 2),
                                                     "rows_per_second": round(count / seconds) if seconds else None}
    return out


def run_cli(arguments: list[str]) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "archiver", *arguments], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": round(seconds, 2), "exit": done.returncode, "error": done.stderr.strip()[-300:] or None,
            "peak_rss_mb_upper_bound": round(max(before, after) / 1024, 1)}


def measure_cli(url: str, picks: dict[str, Any], export_all: bool) -> dict[str, Any]:
    out = {
        "archiver search (common word)": run_cli(["search", picks["rank1000"], "--db", url]),
        "archiver search (common word) --author": run_cli(["search", picks["rank1000"], "--author", picks["author"],
                                                            "--db", url]),
        f"archiver show {picks['ids'][0]}": run_cli(["show", str(picks["ids"][0]), "--db", url]),
        f"archiver cite post:{picks['post_ids'][0]}": run_cli(["cite", f"post:{picks['post_ids'][0]}", "--db", url]),
        "archiver stats": run_cli(["stats", "--db", url]),
    }
    if export_all:
        out["archiver export --format jsonl (whole archive)"] = run_cli(["export", "--db", url, "-o", os.devnull])
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_pages(url: str, picks: dict[str, Any], rounds: int) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "archiver", "serve", "--db", url, "--port", str(port),
                               "--no-replay"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        values = {"article": picks["ids"][0], "author": urllib.request.quote(picks["author"]),
                  "prolific": urllib.request.quote(picks["prolific"]), "common": urllib.request.quote(picks["rank100"]),
                  "year": picks["year"], "word": urllib.request.quote(picks["rank1000"])}
        out: dict[str, Any] = {}
        for name, path in PAGES:
            address = base + path.format(**values)
            samples, status = [], 200
            for _ in range(rounds):
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(address, timeout=60) as response:
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                samples.append(time.perf_counter() - started)
            # The first fetch is cold (the desk computes its facets in the background, then serves them): it is
            # reported apart, the percentiles are the warm fetches'.
            out[name] = {**percentiles(samples[1:] or samples), "first_ms": round(samples[0] * 1000, 1),
                         "status": status, "path": path.format(**values)}
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--export-all", action="store_true", help="Also export the whole archive end to end.")
    parser.add_argument("--skip", nargs="*", default=[], choices=["search", "show", "stats", "export", "cli", "pages"])
    args = parser.parse_args(argv)
    engine = make_engine(args.db, readonly=True)
    picks = sample(engine, args.rounds)
    result: dict[str, Any] = {"db": args.db.split("@")[-1], "rounds": args.rounds}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("search", lambda: measure_search(engine, picks, args.rounds)),
        ("show", lambda: measure_show_and_cite(engine, picks)),
        ("stats", lambda: measure_stats(engine)),
        ("export", lambda: measure_export(engine, args.export_rows)),
        ("cli", lambda: measure_cli(args.db, picks, args.export_all)),
    ]
    if engine.dialect.name == "sqlite":
        steps.append(("pages", lambda: measure_pages(args.db, picks, max(4, args.rounds // 4 + 1))))
    else:
        result["pages"] = "PostgreSQL has no Datasette: archiver serve reads SQLite files only"
    for name, step in steps:
        if name in args.skip:
            continue
        print(f"big_ops: {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result[name] = step()
        result.setdefault("step_seconds", {})[name] = round(time.perf_counter() - started, 1)
    json.dump(result, sys.stdout, indent=1, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
