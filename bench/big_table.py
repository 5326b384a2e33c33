"""The scaling table of docs/benchmarks.md ("Big archive") from bench/big_run.py's result files.

Run: ``.venv/bin/python bench/big_table.py bench/results/2026-12-06-big-10k.json bench/results/…-big-100k.json``.
Prints Markdown: one row per operation, SQLite and PostgreSQL side by side for each size.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

BACKENDS = ("sqlite", "postgresql")


def label(articles: int) -> str:
    return f"{articles // 1_000_000}M" if articles >= 1_000_000 else f"{articles // 1000}k"


def figure(ops: dict[str, Any], path: tuple[str, ...], key: str) -> str:
    value: Any = {**ops, "cli": {re.sub(r"[0-9]+", "N", k): v for k, v in ops.get("cli", {}).items()}}
    if path[0] == "cli":
        path = ("cli", re.sub(r"[0-9]+", "N", path[1]))
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return "–"
        value = value[part]
    if isinstance(value, str):
        return "n/a"
    found = value.get(key) if isinstance(value, dict) else value
    if found is None:
        return "–"
    if key == "rows_per_second":
        return f"{found:,.0f}"
    if key == "seconds":
        return f"{found:.1f} s"
    return f"{found:,.0f}" if found >= 100 else f"{found:.1f}"


def rows(results: list[dict[str, Any]]) -> list[tuple[str, tuple[str, ...], str]]:
    names: list[tuple[str, tuple[str, ...], str]] = []
    first = next(r[b]["operations"] for r in results for b in BACKENDS if b in r)
    for name in first.get("search", {}):
        names.append((f"search: {name}, p95 ms", ("search", name), "p95_ms"))
    for name in first.get("show", {}):
        names.append((f"{name}, p95 ms", ("show", name), "p95_ms"))
    names.append(("stats, median ms", ("stats",), "p50_ms"))
    for name in first.get("export", {}):
        names.append((f"export {name}, rows/s", ("export", name), "rows_per_second"))
    for name in first.get("cli", {}):
        names.append((f"`{re.sub(r'[0-9]+', 'N', name)}` end to end", ("cli", name), "seconds"))
    for backend in BACKENDS:
        pages = next((r[backend]["operations"].get("pages") for r in results if backend in r), None)
        if isinstance(pages, dict):
            for name in pages:
                names.append((f"serve: {name}, warm p95 ms", ("pages", name), "p95_ms"))
                if "first_ms" in pages[name]:
                    names.append((f"serve: {name}, first (cold) ms", ("pages", name), "first_ms"))
    return names


def main(paths: list[str]) -> int:
    merged: dict[int, dict[str, Any]] = {}
    for path in paths:  # one file per size, or one per size and backend (big_run.py --suffix)
        result = json.loads(Path(path).read_text())
        merged.setdefault(result["articles"], {}).update(result)
    results = [merged[size] for size in sorted(merged)]
    header = ["operation"] + [f"{label(r['articles'])} {'SQLite' if b == 'sqlite' else 'PostgreSQL'}"
                              for r in results for b in BACKENDS]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for title, path, key in rows(results):
        cells = [figure(r[b]["operations"], path, key) if b in r else "–" for r in results for b in BACKENDS]
        print(f"| {title} | " + " | ".join(cells) + " |")
    print()
    print("| build | " + " | ".join(header[1:]) + " |")
    print("|" + "---|" * len(header))
    for title, key in (("generation and load, s", "rows_and_load"), ("indexes and search index, s",
                                                                     "indexes_and_search"), ("total, s", "total")):
        cells = [f"{r[b]['build']['seconds'][key]:,.0f}" if b in r else "–" for r in results for b in BACKENDS]
        print(f"| {title} | " + " | ".join(cells) + " |")
    cells = [f"{r[b]['build']['bytes'] / 2**20:,.0f} MiB" if b in r else "–" for r in results for b in BACKENDS]
    print("| database on disk | " + " | ".join(cells) + " |")
    cells = [f"{r[b]['build']['warc']['bytes'] / 2**20:,.0f} MiB ({r[b]['build']['warc']['articles']:,} articles)"
             if b in r and "warc" in r[b]["build"] else "–" for r in results for b in BACKENDS]
    print("| WARC slice | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
