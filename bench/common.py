"""Helpers shared by the benchmark scripts: a replica server and whole-process archiver runs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any


def start_replica(articles: int) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen([sys.executable, "-m", "archiver", "replica", "serve", "--articles", str(articles)],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def run_archiver(mode: str, base_url: str, directory: str, *settings: str) -> tuple[float, dict[str, Any]]:
    """Wall seconds and the JSON run summary of one ``archiver crawl|update`` process."""
    command = [sys.executable, "-m", "archiver", mode, "tarnkappe", "--base-url", base_url, "--db",
               f"sqlite:///{directory}/a.sqlite3", "--warc-dir", f"{directory}/warc", "--json", "-s",
               "LOG_LEVEL=WARNING"]
    for setting in settings:
        command += ["-s", setting]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return elapsed, json.loads(result.stdout.strip().splitlines()[-1])
