"""Export rows/s of this checkout against another, side by side: every table, format and filter of big_ops.

Run: ``.venv/bin/python bench/export_speed.py --db URL [--against DIR] [--rows 3000] [--rounds 3]`` on a big
archive (bench/big_archive.py). Each round runs one child process per checkout, alternating which goes first;
a child times the first ``--rows`` rows of every case as ``archiver export`` writes them in that checkout
(``exporters.export``, or ``iter_rows`` into the writers before it; Parquet into a file) and prints them.
The result holds each case's rows/s per round, the medians and, with ``--against`` (another checkout,
``git worktree add DIR COMMIT``), this checkout's median over the baseline's, and the load average at the
start and end. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
# (table, label, versions, since 2024?) × format: the grid big_ops.measure_export times.
CASES = [("articles", "all", "latest", False), ("articles", "since 2024", "latest", True),
         ("articles", "all versions", "all", False), ("authors", "all", "latest", False),
         ("credits", "all", "latest", False), ("credits", "since 2024", "latest", True),
         ("images", "all", "latest", False), ("images", "since 2024", "latest", True)]
FORMATS = ("jsonl", "csv", "parquet")


def child(url: str, rows: int, checkout: str) -> dict[str, float]:
    """Time every case with the archiver package of `checkout` (this venv's editable install set aside)."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if "editable" not in repr(finder).lower()]
    sys.path.insert(0, checkout)
    from archiver.storage.db import make_engine
    from archiver.storage.filters import ArticleFilter

    engine = make_engine(url, readonly=url.startswith("sqlite"))
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as directory, open(os.devnull, "w", encoding="utf-8") as sink:
        # Warm-up, untimed: each table's first query, pyarrow's import and every writer's first call.
        parquet = os.path.join(directory, "out.parquet")
        for table in dict.fromkeys(case[0] for case in CASES):
            for fmt in FORMATS:
                write(engine, table, fmt, parquet if fmt == "parquet" else sink, "latest", None, 1)
        for table, label, versions, since in CASES:
            chosen = ArticleFilter(since=datetime(2024, 1, 1, tzinfo=UTC)) if since else None
            for fmt in FORMATS:
                started = time.perf_counter()
                count = write(engine, table, fmt, parquet if fmt == "parquet" else sink, versions, chosen, rows)
                out[f"{table} {label} {fmt}"] = count / (time.perf_counter() - started)
    return out


def write(engine: Any, table: str, fmt: str, out: Any, versions: str, chosen: Any, rows: int) -> int:
    """The first `rows` rows of one case, as ``archiver export`` writes them in the checkout at hand (before
    ``exporters.export``, the CLI streamed ``iter_rows`` into the writers)."""
    from archiver.storage import exporters

    if hasattr(exporters, "export"):
        return int(exporters.export(engine, table, fmt, out, versions, chosen, limit=rows))
    selected = islice(exporters.iter_rows(engine, table, versions, chosen), rows)
    if fmt == "parquet":
        return int(exporters.write_parquet(selected, out, table))
    return int((exporters.write_csv if fmt == "csv" else exporters.write_jsonl)(selected, out))


def run_child(url: str, rows: int, checkout: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--db", url, "--rows", str(rows), "--child", str(checkout)],
                          capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--against", type=Path, help="A baseline checkout to run alternately with this one.")
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.db, args.rows, args.child)))
        return 0
    load_start = [round(x, 2) for x in os.getloadavg()]
    checkouts = {"this": HERE} | ({"baseline": args.against.resolve()} if args.against else {})
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    for round_number in range(args.rounds):
        order = list(checkouts) if round_number % 2 == 0 else list(reversed(checkouts))
        for name in order:
            rounds[name].append(run_child(args.db, args.rows, checkouts[name]))
    cases: dict[str, Any] = {}
    for key in rounds["this"][0]:
        case: dict[str, Any] = {}
        for name in checkouts:
            values = [measured[key] for measured in rounds[name]]
            case[name] = {"rows_per_second": [round(v) for v in values], "median": round(statistics.median(values))}
        if "baseline" in case:
            case["ratio"] = round(case["this"]["median"] / case["baseline"]["median"], 2)
        cases[key] = case
    print(json.dumps({"db": args.db.split("@")[-1], "rows": args.rows, "rounds": args.rounds,
                      "load_average": {"start": load_start, "end": [round(x, 2) for x in os.getloadavg()]},
                      "checkouts": {name: str(path) for name, path in checkouts.items()},
                      "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "cases": cases}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
