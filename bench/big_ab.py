"""SQLite search and stats on a big archive: the plain queries against the ones archiver.storage uses, side by side.

Run: ``.venv/bin/python bench/big_ab.py --db sqlite:////work/bigdata/big-100k.sqlite3 [--rounds 9]``. Each round
runs the plain form and the archive's form one after the other (their order alternating), so a slow spell of the
shared machine costs both; prints JSON with each one's median and the ratio plain / archive. The plain search is
the stemmed index joined to every match's version row and sorted; the plain stats are ``STATS_QUERIES``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from big_ops import sample
from sqlalchemy import Engine, text

from archiver.storage.db import make_engine
from archiver.storage.queries import SQLITE_STATS_QUERIES, STATS_QUERIES
from archiver.storage.query_syntax import parse
from archiver.storage.search import _authors, search_articles

# main's SQLite search before the ranking read the index alone: every match joined to its version row, then sorted.
PLAIN_SOURCE = ("FROM article_search_stemmed JOIN article_versions v ON v.id = article_search_stemmed.rowid "
                "JOIN articles a ON a.current_version_id = v.id WHERE article_search_stemmed MATCH :query")
PLAIN_SEARCH = ("SELECT a.id, a.url, v.title, v.published, bm25(article_search_stemmed) AS rank, "
                "coalesce((SELECT snippet(article_search, 2, '[', ']', '…', 20) FROM article_search "
                "WHERE article_search MATCH :highlight AND article_search.rowid = v.id), substr(v.text, 1, 200)) "
                f"AS snippet {PLAIN_SOURCE} ORDER BY rank, v.published DESC, a.id LIMIT 20")


def paired(plain: Callable[[], Any], ours: Callable[[], Any], rounds: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"plain": [], "archive": []}
    for n in range(rounds):
        order = [("plain", plain), ("archive", ours)]
        for name, call in order if n % 2 == 0 else reversed(order):
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    p, o = statistics.median(times["plain"]), statistics.median(times["archive"])
    return {"plain_p50_ms": round(p * 1000, 1), "archive_p50_ms": round(o * 1000, 1),
            "ratio": round(p / o, 2) if o else None}


def plain_search(engine: Engine, query: str) -> None:
    parsed = parse(query)
    params = {"query": parsed.fts5(), "highlight": parsed.highlight_fts5()}
    with engine.connect() as conn:
        rows = conn.execute(text(PLAIN_SEARCH), params).all()
        if len(rows) == 20:
            conn.execute(text(f"SELECT count(*) {PLAIN_SOURCE}"), params).scalar_one()
        _authors(conn, [row.id for row in rows])


def run_all(engine: Engine, queries: dict[str, str]) -> None:
    with engine.connect() as conn:
        for sql in queries.values():
            conn.execute(text(sql)).all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    engine = make_engine(args.db, readonly=True)
    picks = sample(engine, 3)
    result: dict[str, Any] = {"db": args.db, "rounds": args.rounds, "search": {}, "stats": {}}
    for name, key in (("very common word (~25 %)", "rank100"), ("common word (~2.5 %)", "rank1000"),
                      ("less common word (~0.25 %)", "rank10000"), ("OR", "either")):
        query = picks[key]
        print(f"big_ab: search {name} …", file=sys.stderr, flush=True)
        result["search"][name] = {"query": query, **paired(
            lambda query=query: plain_search(engine, query),
            lambda query=query: search_articles(engine, query, limit=20), args.rounds)}
    print("big_ab: stats …", file=sys.stderr, flush=True)
    for name, sql in SQLITE_STATS_QUERIES.items():
        result["stats"][name] = paired(lambda name=name: run_all(engine, {name: STATS_QUERIES[name]}),
                                       lambda sql=sql: run_all(engine, {"q": sql}), max(3, args.rounds // 3))
    result["stats"]["all (archive_statistics' queries)"] = paired(
        lambda: run_all(engine, STATS_QUERIES), lambda: run_all(engine, STATS_QUERIES | SQLITE_STATS_QUERIES),
        max(3, args.rounds // 3))
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
