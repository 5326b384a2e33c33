"""`archiver warc verify|index|wacz` and `archiver reparse` on the shared replica crawl."""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.warc.package import CHUNK

from .conftest import CrawledArchive, assert_reparse_equals_crawl, export_rows, run_cli, start_replica, stop_replica


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


# Packages WARC files in a fresh interpreter and prints its peak resident size in KiB: the VmHWM of
# /proc/self/status, reset by exec. (getrusage's ru_maxrss is not: a child started from pytest starts with pytest's
# own peak, and RUSAGE_CHILDREN is the largest of every child the test run waited for.)
_PACKAGE_SCRIPT = """
import re, sys
from pathlib import Path
from archiver.warc.package import write_wacz
write_wacz(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]], [{"url": "https://example.org/big", "ts": "x"}])
print(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1])
"""


def _big_warc(path: Path, megabytes: int) -> None:
    """A gzipped WARC of 1 MB responses of random (incompressible) bytes: the file is as large as its payloads."""
    rng = random.Random(31)
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        for n in range(megabytes):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "application/octet-stream")], protocol="HTTP/1.1")
            record = writer.create_warc_record(f"https://example.org/big/{n}", "response",
                                               payload=io.BytesIO(rng.randbytes(1 << 20)), http_headers=headers)
            writer.write_record(record)


def _sha256_of(stream: io.BufferedIOBase | zipfile.ZipExtFile) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _peak_kib(*args: str) -> int:
    result = subprocess.run([sys.executable, "-c", _PACKAGE_SCRIPT, *args], capture_output=True, text=True,
                            timeout=300, check=True)
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory read from Linux's /proc")
def test_wacz_streams_large_warc_files(tmp_path: Path) -> None:
    """WARC files are copied into the WACZ in chunks: the packager's memory does not grow with a file's size, and
    datapackage.json's hash and size of each file are those of the file on disk."""
    big, small = tmp_path / "big.warc.gz", tmp_path / "small.warc.gz"
    _big_warc(big, 24)
    _big_warc(small, 2)
    assert big.stat().st_size > 20 * CHUNK
    output = tmp_path / "big.wacz"
    peak = _peak_kib(str(output), str(big), str(small))
    baseline = _peak_kib(str(tmp_path / "small.wacz"), str(small))
    growth = (peak - baseline) * 1024
    print(f"packaging peak {peak} KiB, {baseline} KiB without the big file: {growth / 2**20:.1f} MiB more for a "
          f"{big.stat().st_size / 2**20:.1f} MiB WARC file")
    # Reading the file whole grew the peak by its size at least (24.1 MiB here); streaming by a chunk or two at most.
    assert growth < big.stat().st_size / 3, growth

    with zipfile.ZipFile(output) as archive:
        assert archive.testzip() is None
        package = json.loads(archive.read("datapackage.json"))
        digest = json.loads(archive.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(archive.read("datapackage.json")).hexdigest()
        resources = {r["path"]: r for r in package["resources"]}
        assert set(resources) == {"archive/big.warc.gz", "archive/small.warc.gz", "indexes/index.cdxj",
                                  "pages/pages.jsonl"}
        for warc in (big, small):
            resource = resources[f"archive/{warc.name}"]
            with warc.open("rb") as on_disk:
                disk_hash, disk_size = _sha256_of(on_disk)
            assert disk_size == warc.stat().st_size
            assert (resource["hash"], resource["bytes"]) == ("sha256:" + disk_hash, disk_size)
            info = archive.getinfo(f"archive/{warc.name}")
            assert info.compress_type == zipfile.ZIP_STORED and info.file_size == disk_size
            with archive.open(info) as packed, warc.open("rb") as on_disk:
                while chunk := packed.read(CHUNK):
                    assert chunk == on_disk.read(len(chunk))
                assert on_disk.read(1) == b""
        for name in ("indexes/index.cdxj", "pages/pages.jsonl"):
            data = archive.read(name)
            assert resources[name]["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resources[name]["bytes"] == len(data)
        index = archive.read("indexes/index.cdxj").decode().splitlines()
    assert len(index) == 26 and all(" {" in line for line in index)


def test_reparse_command(crawled: CrawledArchive, tmp_path: Path) -> None:
    warcs = tmp_path / "warc"
    shutil.copytree(crawled.warc_dir, warcs)
    result = run_cli("reparse", "--warc-dir", str(warcs), "--db", f"sqlite:///{tmp_path}/r.sqlite3")
    assert result.returncode == 0, result.stderr
    assert f"{crawled.replica.articles} articles" in result.stderr
    assert run_cli("reparse", "--warc-dir", str(tmp_path / "none"), "--db", "sqlite:///x").returncode == 2


def test_reparse_equals_crawl_on_the_replica(crawled: CrawledArchive, tmp_path: Path) -> None:
    """Everything the crawl derives is derivable from the WARC files alone, the REST answers included."""
    assert assert_reparse_equals_crawl(crawled.db_url, crawled.warc_dir, tmp_path) == crawled.replica.articles


def test_reparse_equals_crawl_on_a_wordpress_replica_with_rest(tmp_path: Path) -> None:
    site = start_replica(40, kind="wp-classic")
    try:
        result = run_cli("crawl", "wordpress", "--base-url", site.base_url, "--db",
                         f"sqlite:///{tmp_path}/c.sqlite3", "--warc-dir", str(tmp_path / "warc"))
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        stop_replica(site)
    assert assert_reparse_equals_crawl(f"sqlite:///{tmp_path}/c.sqlite3", tmp_path / "warc", tmp_path) >= 40


def test_reextract_rewrites_rows_in_place_and_a_second_pass_changes_nothing(crawled: CrawledArchive,
                                                                           tmp_path: Path) -> None:
    """Rows an older extractor got wrong (here: a third of them damaged by hand) are read again from their own
    WARC records; no version is added, and what was right stays as it was."""
    from sqlalchemy import text

    from archiver.pages import EXTRACTOR
    from archiver.storage.db import make_engine

    database = tmp_path / "archive.sqlite3"
    shutil.copy(crawled.db_url.removeprefix("sqlite:///"), database)
    db = f"sqlite:///{database}"
    expected = export_rows(db)
    assert {row["extractor"] for row in expected.values()} == {EXTRACTOR}
    with make_engine(db).begin() as conn:
        damaged = conn.execute(text("UPDATE article_versions SET title = 'kaputt', extractor = '0.0.1' "
                                    "WHERE id % 3 = 0")).rowcount
        conn.execute(text("DELETE FROM article_authors WHERE version_id % 3 = 0"))
    assert damaged > 10 and export_rows(db) != expected
    first = run_cli("reextract", "--warc-dir", str(crawled.warc_dir), "--db", db)
    assert first.returncode == 0, first.stderr
    assert f"re-extracted {len(expected)} versions: {damaged} rewritten, {len(expected) - damaged} unchanged" \
        in first.stderr
    assert export_rows(db) == expected  # every field, versions and version counts included
    second = run_cli("reextract", "--warc-dir", str(crawled.warc_dir), "--db", db)
    assert f"re-extracted {len(expected)} versions: 0 rewritten" in second.stderr
    missing = run_cli("reextract", "--warc-dir", str(crawled.warc_dir), "--db", f"sqlite:///{tmp_path}/none.sqlite3")
    assert missing.returncode == 2 and "no archive database at" in missing.stderr
