"""`make bench-big`: build the big archives (10k / 100k / 1M articles, SQLite and PostgreSQL) and time the
researcher operations on each (bench/big_ops.py), one result file per size.

Run: ``.venv/bin/python bench/big_run.py [--sizes 10000 100000 1000000] [--backends sqlite postgresql]
[--dir /work/bigdata] [--pg postgresql+psycopg://postgres@127.0.0.1:5432] [--build-only]``. An archive already
built (its build JSON beside it) is reused; ``--rebuild`` builds it again; ``--build-only`` builds and stops. The
WARC slice is built with the SQLite archive: every article of the 10k and 100k archives, the first 100,000 of the
1M. Writes
``bench/results/<UTC date>-big-<size>.json`` with each backend's build figures and operation figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WARC_SLICE = 100_000


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size >= 1_000_000 and size % 1_000_000 == 0 else f"{size // 1000}k"


def run_json(command: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, *command], cwd=HERE, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"big_run: {' '.join(command)} failed (exit {done.returncode})")
    return dict(json.loads(done.stdout))


def postgres_database(admin: str, name: str, fresh: bool) -> str:
    import psycopg

    with psycopg.connect(admin.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or fresh:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin}/{name}"


def archive(size: int, backend: str, args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    tag = label(size)
    built = args.dir / f"build-{backend}-{tag}.json"
    if backend == "sqlite":
        path = args.dir / f"big-{tag}.sqlite3"
        url = f"sqlite:///{path}"
        if args.rebuild or not built.exists():
            for stale in args.dir.glob(f"big-{tag}.sqlite3*"):
                stale.unlink()
            shutil.rmtree(args.dir / f"warc-{tag}", ignore_errors=True)
    else:
        url = postgres_database(args.pg, f"archiver_big_{tag}", args.rebuild or not built.exists())
    if args.rebuild or not built.exists():
        command = ["big_archive.py", "--articles", str(size), "--db", url]
        if backend == "sqlite":
            command += ["--warc-dir", str(args.dir / f"warc-{tag}"), "--warc-articles", str(min(size, WARC_SLICE))]
        print(f"big_run: building {tag} on {backend} …", file=sys.stderr, flush=True)
        built.write_text(json.dumps(run_json(command), indent=1) + "\n")
    # A build made before a migration was added gets it as an operator's archive would: archiver db upgrade.
    subprocess.run([sys.executable, "-m", "archiver", "db", "upgrade", "--db", url], check=True,
                   stderr=subprocess.DEVNULL)
    return url, json.loads(built.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--backends", nargs="*", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("ARCHIVER_BIG_DIR", "/work/bigdata")))
    parser.add_argument("--pg", default=os.environ.get("ARCHIVER_BENCH_PG_ADMIN",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true",
                        help="Build the archives (and their build JSON) and stop: no operations, no result file.")
    parser.add_argument("--output-dir", type=Path, default=HERE / "results")
    parser.add_argument("--skip", nargs="*", default=[], choices=["search", "show", "stats", "export", "cli", "pages"],
                        help="Operations big_ops.py leaves out (their cells stay empty in the tables).")
    parser.add_argument("--suffix", default="", help="Added to the result file's name (runs of one size side by "
                        "side, one backend each; bench/big_table.py merges them).")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        result: dict[str, Any] = {
            "started": datetime.now(UTC).isoformat(), "articles": size,
            "command": " ".join([".venv/bin/python", "bench/big_run.py", *(sys.argv[1:] if argv is None else argv)]),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        }
        for backend in args.backends:
            url, build = archive(size, backend, args)
            if args.build_only:
                print(f"big_run: built {label(size)} {backend}: {json.dumps(build['seconds'])}, "
                      f"{build['bytes']:,} bytes", file=sys.stderr, flush=True)
                continue
            print(f"big_run: operations on {label(size)} {backend} …", file=sys.stderr, flush=True)
            ops = run_json(["big_ops.py", "--db", url, "--rounds", str(args.rounds),
                            "--export-rows", str(args.export_rows), "--export-all",
                            *(["--skip", *args.skip] if args.skip else [])])
            result[backend] = {"build": build, "operations": ops}
        if args.build_only:
            continue
        output = args.output_dir / f"{datetime.now(UTC):%Y-%m-%d}-big-{label(size)}{args.suffix}.json"
        output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"big_run: results in {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
