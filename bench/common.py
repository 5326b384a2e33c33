"""Helpers shared by the benchmark scripts: a replica server and whole-process runs with their CPU and RSS."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from front import NginxFront
from warcio.archiveiterator import ArchiveIterator

# The archiver's own profile for a server on this machine (archiver.crawl.runner.LOCAL_PROFILE): baselines
# run with the same concurrency.
CONCURRENCY = ["-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "DOWNLOAD_DELAY=0",
               "-s", "AUTOTHROTTLE_ENABLED=False"]
# The bare Scrapy spiders the archiver is measured against (bench/bare_spider.py, bench/floor_spider.py): quiet,
# robots.txt obeyed as the archiver obeys it, no telnet console, the archiver's concurrency.
BARE_SCRAPY_SETTINGS = ["-s", "LOG_LEVEL=WARNING", "-s", "ROBOTSTXT_OBEY=True", "-s", "TELNETCONSOLE_ENABLED=False",
                        *CONCURRENCY]


SERVERS = ("nginx", "replica")


def add_server_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", choices=SERVERS, default="nginx",
                        help="nginx caching the replica (the issue's setup) or the Python replica itself.")


class Replica:
    """The replica site for a benchmark: ``server="nginx"`` puts the Python replica behind a warmed nginx cache
    (front.py); ``server="replica"`` crawls the Python replica directly (it renders every page afresh: about 0.9
    CPU-ms per page taken from the crawlers on this 2-core machine).
    """

    def __init__(self, articles: int, server: str) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", "archiver", "replica", "serve", "--articles",
                                          str(articles)], stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            # Its own one-line error (a bad --articles, say) is on stderr already; nginx would only add a
            # confusing complaint about its upstream.
            code = self._process.wait(timeout=30)
            raise SystemExit(f"the replica did not start (exit {code}): see its error above")
        self._front: NginxFront | None = None
        self.description = "Python replica (archiver replica serve)"
        if server == "nginx":
            try:
                self._front = NginxFront(self.base_url)
                warmed = self._front.warm()
            except BaseException:
                self.terminate()
                raise
            self.base_url = self._front.base_url
            self.description = f"nginx {self._front.version} caching the Python replica ({warmed} URLs warmed)"
        elif server != "replica":
            self.terminate()
            raise SystemExit(f"unknown server {server!r}: {' or '.join(SERVERS)}")

    def terminate(self) -> None:
        if self._front is not None:
            self._front.terminate()
        self._process.terminate()
        self._process.wait(timeout=10)


def start_replica(articles: int, server: str = "replica") -> tuple[Replica, str]:
    replica = Replica(articles, server)
    return replica, replica.base_url


@dataclass
class Measured:
    seconds: float  # wall
    cpu: float  # user + system seconds of the process
    max_rss_mb: float
    stdout: str
    stderr: str
    returncode: int


def measure(command: list[str], cwd: str | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run one process; wall time, its own CPU time and peak RSS (wait4), and its output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read(), err.read(),
                        process.returncode)


def run_wget(base_url: str, directory: str) -> tuple[Measured, int]:
    """``wget --recursive --warc-file`` over the replica, the archivists' reference: the run and its responses."""
    binary = shutil.which("wget")
    if binary is None:
        raise SystemExit("wget is not installed (make bench installs it: apt-get install wget)")
    result = measure([binary, "--recursive", "--level=inf", "--no-parent", "--no-verbose", "--execute", "robots=on",
                      f"--warc-file={directory}/wget", "--directory-prefix", f"{directory}/files", base_url + "/"])
    # wget exits 8 when a page answered with an error status (the replica's 404s) and 3 when a local file
    # name clashes with a directory ("/artikel" and "/artikel/page/2/"); its WARC file is complete either way.
    if result.returncode not in (0, 3, 8):
        raise SystemExit(f"wget exited {result.returncode}: {result.stderr[-2000:]}")
    responses = 0
    with open(f"{directory}/wget.warc.gz", "rb") as handle:
        for record in ArchiveIterator(handle):
            responses += record.rec_type == "response"
    return result, responses


def archiver_command(mode: str, base_url: str, directory: str, *settings: str, db_url: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "archiver", mode, "tarnkappe", "--base-url", base_url, "--db",
               db_url or f"sqlite:///{directory}/a.sqlite3", "--warc-dir", f"{directory}/warc", "--json", "-s",
               "LOG_LEVEL=WARNING"]
    for setting in settings:
        command += ["-s", setting]
    return command


def run_archiver_measured(mode: str, base_url: str, directory: str, *settings: str,
                          code: Checkout | None = None) -> tuple[Measured, dict[str, Any]]:
    """One ``archiver crawl|update`` process, of ``code``'s checkout when given (else whatever is installed)."""
    result = measure(archiver_command(mode, base_url, directory, *settings), cwd=code.cwd if code else None,
                     env=code.env if code else None)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return result, json.loads(result.stdout.strip().splitlines()[-1])


def run_archiver(mode: str, base_url: str, directory: str, *settings: str) -> tuple[float, dict[str, Any]]:
    """Wall seconds and the JSON run summary of one ``archiver crawl|update`` process."""
    result, summary = run_archiver_measured(mode, base_url, directory, *settings)
    return result.seconds, summary


def checkout(parser: argparse.ArgumentParser, directory: str) -> str:
    """The absolute path of ``--against DIR``, a checkout of another commit; a usage error if it is not one."""
    if not Path(directory, "archiver", "__init__.py").exists():
        parser.error(f"--against {directory}: not a checkout of the archiver")
    return str(Path(directory).resolve())


@dataclass(frozen=True)
class Checkout:
    """Where and how ``python -m archiver`` runs a checkout's code: in its directory (``-m`` puts the working
    directory first on ``sys.path``, before PYTHONPATH and this venv's editable install), with this venv's
    libraries."""

    tree: str

    @property
    def cwd(self) -> str:
        return self.tree

    @property
    def env(self) -> dict[str, str]:
        paths = [self.tree] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        return {"PYTHONPATH": os.pathsep.join(paths)}


def children_cpu() -> float:
    """User + system CPU seconds of this process's reaped children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}
