"""Big-archive build speed, this checkout against another (``--against DIR``), side by side.

Run: ``.venv/bin/python bench/big_build_ab.py --against DIR [--articles 20000] [--rounds 2]
[--backends sqlite postgresql] [--pg postgresql+psycopg://postgres@127.0.0.1:5432] [--output FILE]``, DIR a
checkout of the baseline (``git worktree add DIR COMMIT``). Each round builds the archive (no WARC slice) with each
checkout's ``bench/big_archive.py`` and its own ``archiver`` package, alternating which goes first, into a new
SQLite file or a new PostgreSQL database that is dropped afterwards. Prints JSON: every build's figures (seconds
per phase, articles/s, bytes) and, per backend, the medians and the baseline's time over this checkout's.
``python_cpu_seconds`` is the CPU time of the build's Python processes, ``server_cpu_seconds`` that of the
PostgreSQL backends serving its database (sampled from /proc, so a backend's last 0.2 s may be missed): on a
shared machine they move less than the wall time does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PHASES = ("rows_and_load", "indexes_and_search", "total")


def commit_of(checkout: Path) -> str:
    return subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def server_cpu(database: str, done: threading.Event, seen: dict[int, float]) -> None:
    """CPU seconds of the PostgreSQL backends serving ``database``, read from /proc until ``done``: each backend's
    last reading is kept (a backend's figures are gone once it exits)."""
    tick = os.sysconf("SC_CLK_TCK")
    while not done.wait(0.2):
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if f" {database} " not in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode() + " ":
                    continue
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            seen[int(proc.name)] = (int(fields[11]) + int(fields[12])) / tick


def one_build(checkout: Path, backend: str, articles: int, pg: str, scratch: Path, name: str) -> dict[str, Any]:
    if backend == "sqlite":
        url = f"sqlite:///{scratch}/{name}.sqlite3"
    else:
        import psycopg

        with psycopg.connect(pg.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{pg}/{name}"
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    stop, backends = threading.Event(), dict[int, float]()
    sampler = threading.Thread(target=server_cpu, args=(name, stop, backends), daemon=True)
    if backend != "sqlite":
        sampler.start()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "big_archive.py", "--articles", str(articles), "--db", url],
                          cwd=checkout / "bench", env=env, stdout=subprocess.PIPE, text=True, check=True)
    wall = time.perf_counter() - started
    stop.set()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    result = dict(json.loads(done.stdout))
    if backend == "sqlite":
        for path in scratch.glob(f"{name}.sqlite3*"):
            path.unlink()
    else:
        import psycopg

        with psycopg.connect(pg.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {"seconds": result["seconds"], "process_seconds": round(wall, 1), "python_cpu_seconds": round(cpu, 1),
            "server_cpu_seconds": round(sum(backends.values()), 1) if backend != "sqlite" else None,
            "articles_per_second": round(articles / result["seconds"]["total"]), "bytes": result["bytes"],
            "counts": result["counts"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", nargs="*", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--pg", default=os.environ.get("ARCHIVER_BENCH_PG_ADMIN",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432"))
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    sides = {"baseline": args.against.resolve(), "this": HERE.parent}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="big-build-ab-") as scratch:
        for round_ in range(args.rounds):
            for backend in args.backends:
                order = ["baseline", "this"] if round_ % 2 == 0 else ["this", "baseline"]
                for side in order:
                    name = f"big_build_ab_{side}_{os.getpid()}"
                    built = one_build(sides[side], backend, args.articles, args.pg, Path(scratch), name)
                    runs.append({"round": round_, "backend": backend, "side": side, **built})
                    print(f"big_build_ab: round {round_} {backend} {side}: {built['seconds']}", file=sys.stderr,
                          flush=True)
    summary: dict[str, Any] = {}
    for backend in args.backends:
        mine = {side: [r for r in runs if r["backend"] == backend and r["side"] == side] for side in sides}
        medians = {side: {**{phase: statistics.median(r["seconds"][phase] for r in mine[side]) for phase in PHASES},
                          "python_cpu": statistics.median(r["python_cpu_seconds"] for r in mine[side])}
                   for side in sides}
        summary[backend] = {**medians, "speedup_total": round(medians["baseline"]["total"] /
                                                              medians["this"]["total"], 2),
                            "articles_per_second": {side: round(args.articles / medians[side]["total"])
                                                    for side in sides}}
    result = {"finished": datetime.now(UTC).isoformat(), "articles": args.articles, "rounds": args.rounds,
              "baseline": {"dir": str(sides["baseline"]), "commit": commit_of(sides["baseline"])},
              "this": {"commit": commit_of(sides["this"])},
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version(), "load_average_after": os.getloadavg()},
              "summary": summary, "runs": runs}
    text = json.dumps(result, indent=1) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
