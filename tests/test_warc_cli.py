"""`archiver warc verify|index|wacz` and `archiver reparse` on the shared replica crawl."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from .conftest import CrawledArchive, run_cli


def test_verify_passes_good_files_and_fails_a_damaged_one(crawled: CrawledArchive, tmp_path: Path) -> None:
    result = run_cli("warc", "verify", str(crawled.warc_dir))
    assert result.returncode == 0 and result.stdout.startswith("ok")
    source = next(crawled.warc_dir.glob("*.warc.gz"))
    damaged = tmp_path / source.name
    data = source.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    result = run_cli("warc", "verify", str(damaged), str(source))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("FAILED") and "cut short" in result.stdout
    assert result.stdout.splitlines()[1].startswith("ok")


def test_index_is_sorted_cdxj(crawled: CrawledArchive) -> None:
    result = run_cli("warc", "index", "--warc-dir", str(crawled.warc_dir))
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines == sorted(lines)
    entry = json.loads(lines[0].split(" ", 2)[2])
    assert {"url", "digest", "offset", "length", "filename"} <= set(entry)


def test_wacz_lists_every_article(crawled: CrawledArchive, tmp_path: Path) -> None:
    output = tmp_path / "archive.wacz"
    result = run_cli("warc", "wacz", "-o", str(output), "--warc-dir", str(crawled.warc_dir), "--db", crawled.db_url)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdxj", "pages/pages.jsonl"} <= names
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").decode().splitlines()[1:]]
        package = json.loads(archive.read("datapackage.json"))
    assert len(pages) == crawled.replica.articles
    assert all(p["title"] and p["published"] and p["authors"] for p in pages)
    assert {r["path"] for r in package["resources"]} >= {f"archive/{p.name}" for p in crawled.warc_dir.glob("*.gz")}


def test_reparse_command(crawled: CrawledArchive, tmp_path: Path) -> None:
    warcs = tmp_path / "warc"
    shutil.copytree(crawled.warc_dir, warcs)
    result = run_cli("reparse", "--warc-dir", str(warcs), "--db", f"sqlite:///{tmp_path}/r.sqlite3")
    assert result.returncode == 0, result.stderr
    assert f"{crawled.replica.articles} articles" in result.stderr
    assert run_cli("reparse", "--warc-dir", str(tmp_path / "none"), "--db", "sqlite:///x").returncode == 2
