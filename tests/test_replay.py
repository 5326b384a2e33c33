"""Replay: the replica crawl's WARC files loaded into pywb give back the original article HTML."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from archiver.replica.app import ReplicaApp
from archiver.storage.db import make_engine
from archiver.storage.reader import iter_articles

from .conftest import CrawledArchive

PYWB = Path(__file__).resolve().parents[1] / ".venv-pywb" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.needs("pywb")
def test_pywb_replays_an_archived_article(crawled: CrawledArchive, tmp_path: Path) -> None:
    subprocess.run([str(PYWB / "wb-manager"), "init", "archive"], cwd=tmp_path, check=True, capture_output=True)
    for warc in crawled.warc_dir.glob("*.warc.gz"):
        shutil.copy(warc, tmp_path)
    subprocess.run([str(PYWB / "wb-manager"), "add", "archive", *map(str, tmp_path.glob("*.warc.gz"))],
                   cwd=tmp_path, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(PYWB / "wayback"), "--bind", "127.0.0.1", "--port", str(port)], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rows = list(iter_articles(make_engine(crawled.db_url, readonly=True)))
        row = next(r for r in rows if r["layout"] == "tk-theme")
        timestamp = row["capture"]["fetched_at"].replace("-", "").replace(":", "").replace("T", "")[:14]
        replay_url = f"http://127.0.0.1:{port}/archive/{timestamp}id_/{row['url']}"
        body = b""
        for _ in range(60):
            try:
                with urllib.request.urlopen(replay_url, timeout=10) as response:
                    body = response.read()
                    break
            except OSError:
                time.sleep(0.5)
        host = row["url"].split("/")[2]
        path = "/" + row["url"].split("/", 3)[3]
        original = ReplicaApp(articles=crawled.replica.articles).handle(path, "", host, False).body
        assert body == original
    finally:
        server.terminate()
        server.wait(timeout=30)
