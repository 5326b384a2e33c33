"""`archiver reparse` and `reextract` with several worker processes write what one process writes.

The archive: a replica crawled on day 0 and again on day 3 (new articles, edited ones: several versions of one
article in different WARC files), plus a WARC file with an "article" response no layout reads (an extraction
failure). Workers read record ranges of the files (archiver.warc.ranges); the ranges are checked against warcio's
own reading of the whole file.
"""

from __future__ import annotations

import io
import os
import random
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.exceptions import RecordRangeMismatch, WarcFormatError, WorkerCrashed
from archiver.parallel import WORKER_NICENESS, default_workers, ordered_map
from archiver.warc.ranges import RecordRange, member_start_at_or_after, plan, split
from archiver.warc.reader import iter_records, warc_files

from .conftest import (
    PG_ADMIN_URL,
    _pg_available,
    crawl_into,
    export_rows,
    run_cli,
    skip_or_fail,
    start_replica,
    stop_replica,
)

ARTICLES = 60
NOT_AN_ARTICLE = b"<html><head><title>Kein Artikel</title></head><body><p>Nur ein Satz.</p></body></html>"


def _failing_page_warc(path: Path, url: str) -> None:
    """A response the crawl had stored as an article (a metadata record names it) that no layout reads."""
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        response = writer.create_warc_record(url, "response", payload=io.BytesIO(NOT_AN_ARTICLE),
                                             http_headers=headers)
        writer.write_record(response)
        metadata = writer.create_warc_record(url, "metadata", payload=io.BytesIO(b"article: yes\r\n"),
                                             warc_content_type="application/warc-fields",
                                             warc_headers_dict={"WARC-Concurrent-To":
                                                                response.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(metadata)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The WARC directory of two crawls of one site, days apart, and the failing page."""
    directory = tmp_path_factory.mktemp("two-days")
    day0 = start_replica(ARTICLES, day=0)
    port = int(day0.base_url.rsplit(":", 1)[1])
    try:
        crawl_into(day0, directory)
    finally:
        stop_replica(day0)
    day3 = start_replica(ARTICLES, day=3, port=port)
    try:
        second = crawl_into(day3, directory)
    finally:
        stop_replica(day3)
    assert second.summary["articles_changed"] >= 2  # versions 2 of some articles, in the second WARC file
    _failing_page_warc(directory / "warc" / "zz-failing.warc.gz", f"{day3.base_url}/artikel/kein-artikel-1.html")
    return directory / "warc"


def _table(url: str, query: str) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    from archiver.storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()


CAPTURES = ("SELECT id, url, status, fetched_at, warc_file, warc_offset, warc_length, record_id, record_type, "
            "payload_digest, content_type, run_id FROM captures ORDER BY id")
FAILURES = "SELECT run_id, capture_id, url, reason, layout FROM extraction_failures ORDER BY id"
STEMS = "SELECT rowid, doc FROM article_search_stemmed ORDER BY rowid"


def assert_same_archive(one: str, many: str) -> dict[tuple[str, int], dict[str, Any]]:
    """Field by field: every exported version, every capture row, every extraction failure."""
    first, second = export_rows(one), export_rows(many)
    assert sorted(first) == sorted(second)
    differences = [(key, field, row[field], second[key].get(field)) for key, row in first.items()
                   for field in row if row[field] != second[key].get(field)]
    assert not differences, f"{len(differences)} fields differ, e.g. {differences[:3]}"
    assert _table(one, CAPTURES) == _table(many, CAPTURES)
    assert _table(one, FAILURES) == _table(many, FAILURES)
    if one.startswith("sqlite"):  # stemmed by the writer's triggers in one, by the workers in the other
        stems = _table(one, STEMS)
        assert len(stems) == len(first) and stems == _table(many, STEMS)
    return first


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/one.sqlite3", f"sqlite:///{tmp_path}/many.sqlite3"
        return
    reason = _pg_available()
    if reason:
        skip_or_fail(reason)
    import psycopg

    names = [f"archiver_test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}" for name in names)  # type: ignore[misc]
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_reparse_and_reextract_with_workers_write_what_one_process_writes(archive: Path,
                                                                          two_databases: tuple[str, str]) -> None:
    one, many = two_databases
    assert len(plan(warc_files(archive), 2)) >= 4  # the crawls' WARC files are read in several ranges
    single = run_cli("reparse", "--warc-dir", str(archive), "--db", one, "--workers", "1")
    parallel = run_cli("reparse", "--warc-dir", str(archive), "--db", many, "--workers", "2")
    assert single.returncode == 0 and parallel.returncode == 0, single.stderr + parallel.stderr
    assert single.stderr == parallel.stderr and "1 extraction failures" in single.stderr
    rows = assert_same_archive(one, many)
    assert len(rows) > ARTICLES + 2 and max(key[1] for key in rows) == 2  # new articles and second versions
    [(_, _, url, reason, layout)] = _table(one, FAILURES)
    assert url.endswith("/artikel/kein-artikel-1.html") and (reason, layout) == ("the page matches no article layout",
                                                                                 None)

    # An older extractor's rows, damaged alike in both; each re-extraction puts back what reparse wrote.
    for url in (one, many):
        _damage(url)
    assert export_rows(one) != rows
    single = run_cli("reextract", "--warc-dir", str(archive), "--db", one, "--workers", "1")
    parallel = run_cli("reextract", "--warc-dir", str(archive), "--db", many, "--workers", "2")
    assert single.returncode == 0 and parallel.returncode == 0, single.stderr + parallel.stderr
    assert single.stderr == parallel.stderr and " 0 rewritten" not in single.stderr
    assert assert_same_archive(one, many) == rows


def test_with_workers_the_writer_stems_nothing(archive: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The workers are forked from this process: what they stem is counted in their copy of the list, not in ours.
    from archiver import reextract, reparse
    from archiver.storage import stemming

    stemmed: list[int] = []

    def counted(*parts: str | None) -> str:
        stemmed.append(1)
        return stem(*parts)

    stem = stemming.stem_document
    monkeypatch.setattr(stemming, "stem_document", counted)
    url = f"sqlite:///{tmp_path}/a.sqlite3"
    assert reparse.reparse(archive, url, workers=2).articles > ARTICLES
    assert not stemmed
    _damage(url)  # its UPDATE of the titles is stemmed here, by the triggers
    stemmed.clear()
    assert reextract.reextract(archive, url, workers=2).rewritten > 0
    assert not stemmed
    # What the workers stemmed is what the stemmer gives for each row as stored.
    rows = _table(url, "SELECT v.title, v.lead, v.text, s.doc FROM article_versions v "
                       "JOIN article_search_stemmed s ON s.rowid = v.id")
    assert len(rows) > ARTICLES and all(doc == stem(title, lead, body) for title, lead, body, doc in rows)
    _damage(url)
    stemmed.clear()
    assert reextract.reextract(archive, url, workers=1).rewritten > 0 and stemmed  # one process stems as it writes


def test_reextract_workers_stem_only_the_documents_that_changed(archive: Path, tmp_path: Path) -> None:
    """A rewrite with the same title, lead and text re-indexes nothing (revision 0016): stemming it ahead is waste."""
    from archiver import reextract, reparse
    from archiver.pages.rest import RestIndex
    from archiver.storage.stemming import stem_document

    url = f"sqlite:///{tmp_path}/a.sqlite3"
    reparse.reparse(archive, url, workers=1)
    _damage(url)
    batch = [(version_id, target, archive / warc_file, offset, content_type)
             for version_id, target, warc_file, offset, content_type in _table(
                 url, "SELECT v.id, c.url, c.warc_file, c.warc_offset, c.content_type FROM article_versions v "
                      "JOIN captures c ON c.id = v.capture_id ORDER BY v.id LIMIT 12")]
    reextract._share(RestIndex(), reextract.StoredDocuments(url))
    try:
        read = reextract._read(batch)
    finally:
        reextract._share(RestIndex(), None)
    stemmed = {version_id for version_id, _, _, stems in read if stems is not None}
    assert stemmed == {version_id for version_id, *_ in batch if version_id % 3 == 0}  # the damaged titles
    for _, item, _, stems in read:
        if stems is not None:
            assert not isinstance(item, str) and stems == ((item.title, item.lead, item.text),
                                                           stem_document(item.title, item.lead, item.text))


def _damage(url: str) -> None:
    from sqlalchemy import text

    from archiver.storage.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE article_versions SET title = 'kaputt', extractor = '0.0.1' WHERE id % 3 = 0"))
        conn.execute(text("DELETE FROM article_authors WHERE version_id % 3 = 0"))
        conn.execute(text("DELETE FROM article_tags WHERE version_id % 3 = 0"))
    engine.dispose()


def test_ranges_read_the_records_warcio_reads(archive: Path) -> None:
    for path in warc_files(archive):
        truth = []
        with path.open("rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                truth.append((iterator.get_record_offset(), record_id))
        parts = split(path, 64 << 10)
        assert len(parts) > 1 or path.stat().st_size < 64 << 10
        read = [(record.offset, record.record_id) for part in parts
                for record in iter_records(part.path, False, part.start, part.end)]
        assert read == truth


def _nested_warc(path: Path, seed: int = 0) -> tuple[int, int]:
    """A WARC file one of whose responses is itself a .warc.gz (stored, as incompressible payloads are): a gzip
    member that inflates to WARC/ starts inside a record. Returns that record's offset and the nested member's.
    Every byte from ``seed`` (payloads, record IDs, one date): whether the records read from the nested member on
    are well-formed depends on where the outer member's stored blocks cut them."""
    noise = random.Random(seed)

    def fixed() -> dict[str, str]:
        return {"WARC-Record-ID": f"<urn:uuid:{uuid.UUID(int=noise.getrandbits(128))}>",
                "WARC-Date": "2026-01-01T00:00:00Z"}

    inner = io.BytesIO()
    inner_writer = WARCWriter(inner, gzip=True)
    for n in range(5):  # large enough that the outer member stores most of them as they are
        inner_writer.write_record(inner_writer.create_warc_record(
            f"https://example.org/inner/{n}", "resource", payload=io.BytesIO(noise.randbytes(40_000)),
            warc_content_type="application/octet-stream", warc_headers_dict=fixed()))
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        for n, payload in enumerate([b"first", inner.getvalue(), b"last"]):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "application/warc")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(f"https://example.org/{n}.warc.gz", "response",
                                                          payload=io.BytesIO(payload), http_headers=headers,
                                                          warc_headers_dict=fixed()))
    offsets = [record.offset for record in iter_records(path, False)]
    nested = member_start_at_or_after(path, offsets[1] + 1, path.stat().st_size)
    assert nested is not None and offsets[1] < nested < offsets[2], "the nested member is not visible in the file"
    return offsets[1], nested


@pytest.mark.parametrize(("seed", "after_the_cut"), [(0, "well-formed"), (133, "malformed")])
def test_a_cut_inside_a_record_is_found_and_the_file_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                seed: int, after_the_cut: str) -> None:
    from archiver import reparse

    path = tmp_path / "nested.warc.gz"
    _, nested = _nested_warc(path, seed)
    with pytest.raises(RecordRangeMismatch):
        list(iter_records(path, False, 0, nested))
    if after_the_cut == "malformed":  # the range from the false boundary on fails before the one ahead reports
        with pytest.raises(WarcFormatError):
            list(iter_records(path, False, nested, None))
    else:
        assert list(iter_records(path, False, nested, None))
    monkeypatch.setattr(reparse, "plan", lambda files, workers: [RecordRange(path, 0, nested),
                                                                 RecordRange(path, nested, None)])
    meanwhile: list[int] = []
    parts, _, _, _ = reparse._scan_all([path], 2, lambda: meanwhile.append(1))
    assert parts == [RecordRange(path)] and meanwhile == [1]


def test_a_malformed_range_is_read_again_whole_unless_it_starts_the_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from archiver import reparse

    def malformed(*_: Any) -> Iterator[Any]:
        raise WarcFormatError("broken.warc.gz: not a well-formed WARC file")
        yield

    monkeypatch.setattr(reparse, "iter_records", malformed)
    assert reparse._scan(RecordRange(tmp_path / "broken.warc.gz", 4096, None)) is None
    with pytest.raises(WarcFormatError):
        reparse._scan(RecordRange(tmp_path / "broken.warc.gz", 0, 4096))


def test_a_malformed_record_past_the_first_range_still_fails_the_scan(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a range's own cut is forgiven: the file read whole still meets a record that is really malformed."""
    from archiver import reparse

    path = tmp_path / "broken.warc.gz"
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        for n in range(3):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/plain")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(f"https://example.org/{n}", "response",
                                                          payload=io.BytesIO(b"x" * 1000), http_headers=headers))
    offsets = [record.offset for record in iter_records(path, False)]
    data = bytearray(path.read_bytes())
    data[offsets[2] + 30:offsets[2] + 40] = b"\xff" * 10  # inside the last record's deflate stream
    path.write_bytes(bytes(data))
    monkeypatch.setattr(reparse, "plan", lambda files, workers: [RecordRange(path, 0, offsets[1]),
                                                                 RecordRange(path, offsets[1], None)])
    with pytest.raises(WarcFormatError, match=r"broken\.warc\.gz"):
        reparse._scan_all([path], 2, lambda: None)


def _square(number: int) -> int:
    return number * number


def _fail_on_three(number: int) -> int:
    if number == 3:
        raise ValueError("three")
    return number


def _die_on_three(number: int) -> int:
    if number == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return number


def _niceness(_: int) -> int:
    return os.nice(0)


def test_workers_run_nicer_than_the_writer() -> None:
    """The writer is the one process every result passes through: the workers must not hold it back."""
    writer = os.nice(0)
    if writer >= 19:
        pytest.skip("the tests run at the lowest priority already: no worker can be nicer than this process")
    workers = set(ordered_map(_niceness, range(4), 2, "test"))
    assert workers == {min(writer + WORKER_NICENESS, 19)} and min(workers) > writer
    assert os.nice(0) == writer


def test_ordered_map_keeps_task_order_and_passes_errors_on() -> None:
    assert list(ordered_map(_square, range(50), 2, "test")) == [n * n for n in range(50)]
    with pytest.raises(ValueError, match="three"):
        list(ordered_map(_fail_on_three, range(10), 2, "test"))
    with pytest.raises(WorkerCrashed, match="test: a worker process died"):
        list(ordered_map(_die_on_three, range(10), 2, "test"))
    assert default_workers() == len(os.sched_getaffinity(0))


def test_a_crashed_worker_fails_reparse_with_one_line(archive: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from archiver import reparse
    from archiver.cli import main

    def die(*_: object) -> None:  # the workers are forked from this process: they run this instead
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(reparse, "read_article", die)
    code = main(["reparse", "--warc-dir", str(archive), "--db", f"sqlite:///{tmp_path}/x.sqlite3", "--workers", "2"])
    assert code == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("archiver: error: reparse: a worker process died"), error


def test_workers_must_be_positive(archive: Path, tmp_path: Path) -> None:
    result = run_cli("reparse", "--warc-dir", str(archive), "--db", f"sqlite:///{tmp_path}/x.sqlite3",
                     "--workers", "0")
    assert result.returncode == 2 and result.stderr.strip() == "archiver: error: --workers must be 1 or more, got 0"
    assert not (tmp_path / "x.sqlite3").exists()
