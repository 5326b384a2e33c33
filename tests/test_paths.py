"""No file name is built from a URL, a title or an argument without sanitizing: whatever the input, every
file lands inside the directory it belongs to, with a short, printable name."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.crawl.lock import RunLock
from archiver.warc.records import Exchange
from archiver.warc.writer import WarcFileWriter, safe_name_part

from .conftest import run_cli

HOSTILE = ["../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc", "..\\..\\windows", "a\x00b", "x" * 300, "/absolute/path",
           "name with spaces/and/slashes", "ümlaut/..", "", ".", "..", "\u202eexe.txt"]


@pytest.mark.parametrize("value", HOSTILE)
def test_warc_files_from_hostile_prefixes_and_hosts_stay_in_their_directory(value: str, tmp_path: Path) -> None:
    directory = tmp_path / "warc"
    writer = WarcFileWriter(directory, prefix=value, host=value)
    writer.write_exchange(Exchange(url="http://127.0.0.1/", method="GET", request_headers=[], request_body=b"",
                                   status=200, response_headers=[("Content-Type", "text/html")], body=b"<p>x</p>"))
    writer.close()
    (written,) = list(directory.iterdir())
    assert written.parent == directory and written.name.endswith(".warc.gz")
    assert len(written.name) < 255 and written.name.isascii() and written.name.isprintable()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [written]  # nothing anywhere else


@given(st.text(max_size=400))
def test_safe_name_part_is_a_single_short_harmless_component(value: str) -> None:
    name = safe_name_part(value)
    assert 0 < len(name) <= 80 and name not in (".", "..")
    assert all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name)


@pytest.mark.parametrize("value", HOSTILE[:5])
def test_lock_files_named_after_a_worker_stay_in_the_warc_directory(value: str, tmp_path: Path) -> None:
    name = f".archiver-{safe_name_part(value)}.lock"
    with RunLock(tmp_path, "test", name=name) as lock:
        assert lock.path.parent == tmp_path and lock.path.exists()


def test_worker_id_outside_a_distributed_run_is_refused(tmp_path: Path) -> None:
    result = run_cli("crawl", "tarnkappe", "--base-url", "http://127.0.0.1:9", "--worker-id", "../../x",
                     "--warc-dir", str(tmp_path / "warc"), "--db", f"sqlite:///{tmp_path}/a.sqlite3")
    assert result.returncode == 2 and "--worker-id only applies to --distributed" in result.stderr
    assert not (tmp_path / "warc").exists()
