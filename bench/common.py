"""Helpers shared by the benchmark scripts: a replica server and whole-process runs with their CPU and RSS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

# The archiver's own profile for a server on this machine (archiver.crawl.runner.LOCAL_PROFILE): baselines
# run with the same concurrency.
CONCURRENCY = ["-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "DOWNLOAD_DELAY=0",
               "-s", "AUTOTHROTTLE_ENABLED=False"]


def start_replica(articles: int) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen([sys.executable, "-m", "archiver", "replica", "serve", "--articles", str(articles)],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


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


def archiver_command(mode: str, base_url: str, directory: str, *settings: str, db_url: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "archiver", mode, "tarnkappe", "--base-url", base_url, "--db",
               db_url or f"sqlite:///{directory}/a.sqlite3", "--warc-dir", f"{directory}/warc", "--json", "-s",
               "LOG_LEVEL=WARNING"]
    for setting in settings:
        command += ["-s", setting]
    return command


def run_archiver_measured(mode: str, base_url: str, directory: str, *settings: str) -> tuple[Measured, dict[str, Any]]:
    result = measure(archiver_command(mode, base_url, directory, *settings))
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return result, json.loads(result.stdout.strip().splitlines()[-1])


def run_archiver(mode: str, base_url: str, directory: str, *settings: str) -> tuple[float, dict[str, Any]]:
    """Wall seconds and the JSON run summary of one ``archiver crawl|update`` process."""
    result, summary = run_archiver_measured(mode, base_url, directory, *settings)
    return result.seconds, summary


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}
