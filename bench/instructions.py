"""Extraction cost counted in instructions: each layout's page object vs ``trafilatura.extract``, under callgrind.

Run: ``.venv/bin/python bench/instructions.py [--extractions 200] [--page NAME ...] [--side ours trafilatura]``.
Prints JSON. ``bench/extraction.py`` times the same extractions, but a page that takes a third of a millisecond
moves with whatever else this shared machine does (its runs have spread by half on one page). Valgrind's
callgrind counts the instructions a process executes, which the noise does not change: for each page and side,
one process extracts the page once (imports, caches, the parser's first document) and then ``--extractions``
times more, another extracts it once only; their difference over ``--extractions`` is the cost of one
extraction. The two processes of a pair run at the same time, one per core, and read the page from a file the
parent wrote (building the replica's pages under callgrind took longer than a quick run's counting).
``PYTHONHASHSEED`` is fixed; what still varies (addresses, hence some dict layouts) moves a count by well under 1 %.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIDES = ("ours", "trafilatura")
_COLLECTED = re.compile(r"Collected : (\d+)")


def child(page_file: str, side: str, extractions: int) -> None:
    """The process callgrind watches: one warm-up extraction, then ``extractions`` more."""
    url, html, layout = json.loads(Path(page_file).read_text(encoding="utf-8"))
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


def instructions(page: str, page_file: str, side: str, extractions: int) -> int:
    """Instructions the whole process executed with ``extractions`` extractions after the warm-up."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
               "--child", page_file, side, str(extractions)]
    run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    match = _COLLECTED.search(run.stderr)
    if run.returncode != 0 or match is None:
        raise SystemExit(f"callgrind run failed ({page}, {side}): {run.stderr.strip()[-500:]}")
    return int(match[1])


def per_extraction(page: str, page_file: str, side: str, extractions: int) -> float:
    with ThreadPoolExecutor(max_workers=2) as pool:
        warm_only = pool.submit(instructions, page, page_file, side, 0)
        counted = pool.submit(instructions, page, page_file, side, extractions)
        return (counted.result() - warm_only.result()) / extractions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extractions", type=int, default=200)
    parser.add_argument("--page", nargs="*", help="Only these pages (names as bench/extraction.py prints them).")
    parser.add_argument("--side", nargs="*", choices=SIDES, default=list(SIDES))
    parser.add_argument("--child", nargs=3, metavar=("PAGE_FILE", "SIDE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found: `make bench-tools` installs it")
    sys.path.insert(0, str(HERE))
    from extraction import pages

    # The parent builds the pages (two replica sites) and hands each child just the one it extracts: under
    # callgrind, building them and importing the other side's extractor took most of a quick run.
    known = pages()
    for page in args.page or ():  # before any counting: a full run of one page takes minutes
        if page not in known:
            parser.error(f"--page {page!r}: not one of {', '.join(known)}")
    results: dict[str, dict[str, float]] = {}
    for page in args.page or list(known):
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as page_file:
            json.dump(known[page], page_file)
            page_file.flush()
            counts = {f"{side}_instructions_per_page": per_extraction(page, page_file.name, side, args.extractions)
                      for side in args.side}
        if len(args.side) == 2:
            counts["ratio"] = counts["trafilatura_instructions_per_page"] / counts["ours_instructions_per_page"]
        results[page] = counts
    json.dump({"extractions": args.extractions, "pages": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
