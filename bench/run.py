"""`make bench`: run the benchmark scripts side by side and keep their results.

Run: ``.venv/bin/python bench/run.py [--quick]``. Writes ``bench/results/<UTC date>.json`` with every
script's JSON output, the machine and the software versions. ``--quick`` uses small sizes (a smoke run
of the harness, under two minutes; its figures are not benchmarks). ``--against DIR`` (a checkout of another
commit) makes the benchmarks that can compare checkouts run that commit's archiver beside this one's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL = {
    "extraction": ["extraction.py", "--runs", "5", "--seconds", "2"],
    "extraction_instructions": ["instructions.py", "--extractions", "200"],
    "storage": ["storage.py", "--articles", "1000", "--runs", "3"],
    "crawl": ["crawl.py", "--articles", "5000", "--runs", "3", "--profile"],
    "capture_handover": ["capture_handover.py", "--responses", "5000", "--runs", "5"],
    "update": ["update.py", "--articles", "5000", "--runs", "3"],
    "update_wordpress": ["update_wordpress.py", "--posts", "1500", "--runs", "3"],
    "distributed": ["distributed.py", "--articles", "5000", "--runs", "2", "--workers", "1", "2", "4"],
    "crawl_memory": ["crawl_memory.py", "--small", "5000", "--large", "50000", "--runs", "3"],
    "export_memory": ["export_memory.py", "--small", "5000", "--large", "50000"],
    "cli_startup": ["cli_startup.py", "--runs", "30"],
    "desk": ["desk.py", "--articles", "100000", "--runs", "5"],
    "reparse": ["reparse.py", "--articles", "2000", "--runs", "3"],
}
QUICK = {
    "extraction": ["extraction.py", "--runs", "1", "--seconds", "0.3"],
    "extraction_instructions": ["instructions.py", "--extractions", "1", "--side", "ours",
                                "--page", "wordpress (replica, Twenty Twenty-One)"],
    "storage": ["storage.py", "--articles", "100", "--runs", "1"],
    "crawl": ["crawl.py", "--articles", "30", "--runs", "1"],
    "capture_handover": ["capture_handover.py", "--responses", "100", "--runs", "1"],
    "update": ["update.py", "--articles", "50", "--runs", "1"],
    "update_wordpress": ["update_wordpress.py", "--posts", "10", "--runs", "1"],
    "distributed": ["distributed.py", "--articles", "20", "--runs", "1", "--workers", "1", "2"],
    "crawl_memory": ["crawl_memory.py", "--small", "30", "--large", "100"],
    "export_memory": ["export_memory.py", "--small", "200", "--large", "1000"],
    "cli_startup": ["cli_startup.py", "--runs", "2"],
    "desk": ["desk.py", "--articles", "400", "--runs", "1"],
    "reparse": ["reparse.py", "--articles", "30", "--runs", "1", "--databases", "sqlite"],
}
# Benchmarks that can crawl with another commit's checkout beside this one (``--against DIR``).
COMPARES_CHECKOUTS = {"crawl_memory", "distributed"}


def _commit() -> str | None:
    """The checkout's commit, marked when the tree holds uncommitted changes; None outside a git checkout."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    if head.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=HERE, capture_output=True,
                           text=True).stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", help="Run only these benchmarks.")
    parser.add_argument("--output", help="Result file (default bench/results/<date>.json).")
    parser.add_argument("--against", help="A checkout of another commit (git worktree add DIR COMMIT) that "
                        f"{', '.join(sorted(COMPARES_CHECKOUTS))} also run(s), alternating with this one.")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    results: dict[str, object] = {
        "started": datetime.now(UTC).isoformat(), "quick": args.quick, "commit": _commit(),
        "command": " ".join([".venv/bin/python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)]),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": json.loads(subprocess.run([sys.executable, "-c", "import json, archiver.versions as v; "
                                               "print(json.dumps(v.software_versions()))"],
                                              capture_output=True, text=True, check=True).stdout),
    }
    for name, command in plan.items():
        if args.only and name not in args.only:
            continue
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        if args.against and name in COMPARES_CHECKOUTS:
            command = [*command, "--against", str(Path(args.against).resolve())]
        run = subprocess.run([sys.executable, *command], cwd=HERE, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stderr[-2000:], file=sys.stderr)
            results[name] = {"error": run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "failed"}
            continue
        results[name] = json.loads(run.stdout)
    name = f"{datetime.now(UTC):%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    output = Path(args.output) if args.output else HERE / "results" / name
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"bench: results in {output}", file=sys.stderr)
    return 1 if any(isinstance(v, dict) and "error" in v for v in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
