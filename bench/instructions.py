"""Extraction cost counted in instructions: each layout's page object vs ``trafilatura.extract``, under callgrind.

Run: ``.venv/bin/python bench/instructions.py [--extractions 200] [--page NAME ...] [--side ours trafilatura]``.
Prints JSON. ``bench/extraction.py`` times the same extractions, but a page that takes a third of a millisecond
moves with whatever else this shared machine does (its runs have spread by half on one page). Valgrind's
callgrind counts the instructions a process executes, which the noise does not change: for each page and side,
one process extracts the page once (imports, caches, the parser's first document) and then ``--extractions``
times more, another extracts it once only; their difference over ``--extractions`` is the cost of one
extraction. The two processes of a pair run at the same time, one per core. ``PYTHONHASHSEED`` is fixed; what
still varies (addresses, hence some dict layouts) moves a count by well under 1 %.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIDES = ("ours", "trafilatura")
_COLLECTED = re.compile(r"Collected : (\d+)")


def child(page: str, side: str, extractions: int) -> None:
    """The process callgrind watches: one warm-up extraction, then ``extractions`` more."""
    sys.path.insert(0, str(HERE))
    from extraction import pages

    url, html, layout = pages()[page]
    if side == "ours":
        from archiver.pages import Page, extract

        def once() -> object:
            return extract(Page(url, html), layout=layout)
    else:
        import trafilatura

        def once() -> object:
            return trafilatura.extract(html, url=url)
    once()
    for _ in range(extractions):
        once()


def instructions(page: str, side: str, extractions: int) -> int:
    """Instructions the whole process executed with ``extractions`` extractions after the warm-up."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
               "--child", page, side, str(extractions)]
    run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    match = _COLLECTED.search(run.stderr)
    if run.returncode != 0 or match is None:
        raise SystemExit(f"callgrind run failed ({page}, {side}): {run.stderr.strip()[-500:]}")
    return int(match[1])


def per_extraction(page: str, side: str, extractions: int) -> float:
    with ThreadPoolExecutor(max_workers=2) as pool:
        warm_only = pool.submit(instructions, page, side, 0)
        counted = pool.submit(instructions, page, side, extractions)
        return (counted.result() - warm_only.result()) / extractions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extractions", type=int, default=200)
    parser.add_argument("--page", nargs="*", help="Only these pages (names as bench/extraction.py prints them).")
    parser.add_argument("--side", nargs="*", choices=SIDES, default=list(SIDES))
    parser.add_argument("--child", nargs=3, metavar=("PAGE", "SIDE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found: `make bench-tools` installs it")
    sys.path.insert(0, str(HERE))
    from extraction import pages

    results: dict[str, dict[str, float]] = {}
    for page in args.page or list(pages()):
        counts = {f"{side}_instructions_per_page": per_extraction(page, side, args.extractions) for side in args.side}
        if len(args.side) == 2:
            counts["ratio"] = counts["trafilatura_instructions_per_page"] / counts["ours_instructions_per_page"]
        results[page] = counts
    json.dump({"extractions": args.extractions, "pages": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
