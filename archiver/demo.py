"""``make demo``: start the replica on 127.0.0.1, crawl it with the tarnkappe spider, verify, summarize.

The replica listens on a fixed port (``--port``, default 8642) so that repeating the demo
re-crawls the same site: the second run adds no articles and no versions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from .cli import main as cli_main
from .locations import DEFAULT_DB_URL
from .warc.verify import verify_file


def start_replica(articles: int, port: int, day: int = 0) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver", "replica", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--articles", str(articles), "--day", str(day)],
        stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http://"):
        process.kill()
        raise SystemExit(f"the replica did not start (port {port} busy?)")
    return process, base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--port", type=int, default=8642)
    parser.add_argument("--archive", default="archive")
    args = parser.parse_args(argv)
    archive = Path(args.archive)
    started = time.monotonic()
    replica, base_url = start_replica(args.articles, args.port)
    try:
        print(f"replica of tarnkappe.info with {args.articles} articles at {base_url}", file=sys.stderr)
        code = cli_main(["crawl", "tarnkappe", "--base-url", base_url, "--db",
                         f"sqlite:///{archive}/archive.sqlite3", "--warc-dir", str(archive / "warc"),
                         "-s", "LOG_LEVEL=WARNING"])
    finally:
        replica.terminate()
        replica.wait(timeout=30)
    problems = 0
    files = sorted((archive / "warc").glob("*.warc.gz"))
    for path in files:
        result = verify_file(path)
        if not result.ok:
            problems += 1
            print(f"WARC problem in {path.name}: {result.problems[0]}", file=sys.stderr)
    print(f"verified {len(files)} WARC files: {'all valid' if not problems else f'{problems} with problems'}",
          file=sys.stderr)
    print(f"demo finished in {time.monotonic() - started:.1f} s; database {archive}/archive.sqlite3, "
          f"WARC files in {archive}/warc", file=sys.stderr)
    print(f"browse the archive with: {serve_command(archive)}", file=sys.stderr)
    return code or (1 if problems else 0)


def serve_command(archive: Path) -> str:
    """The command that browses this archive, as it can be pasted into the shell make demo ran in."""
    script = Path(sys.executable).parent / "archiver"
    try:
        program = str(script.relative_to(Path.cwd()))
    except ValueError:
        program = str(script)
    database = f"sqlite:///{archive}/archive.sqlite3"
    return f"{program} serve" + ("" if database == DEFAULT_DB_URL else f" --db {database}")


if __name__ == "__main__":
    sys.exit(main())
