"""The WARC writer process: answers in order and only for records on disk, failures heard, a killed crawl's file."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.exceptions import WarcError
from archiver.warc.reader import read_record_at
from archiver.warc.records import CapturedExchange, Exchange
from archiver.warc.repair import repair_open_files
from archiver.warc.service import MAX_IN_FLIGHT, WRITERS, WarcSink, WarcWriterProcess, open_sink
from archiver.warc.verify import verify_file
from archiver.warc.writer import WrittenRecord


def exchange(n: int, body: bytes | None = None) -> Exchange:
    page = body if body is not None else f"<html><body><p>Seite {n} – Grüße</p></body></html>".encode()
    return Exchange(url=f"http://127.0.0.1:8000/artikel/seite-{n}.html", method="GET",
                    request_headers=[("Host", "127.0.0.1:8000"), ("Accept-Encoding", "gzip")], request_body=b"",
                    status=200, response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                                  ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
                    body=page, ip_address="127.0.0.1")


def sink(kind: str, directory: Path, prefix: str = "svc", max_size: int = 1_000_000_000,
         fields: dict[str, str] | None = None) -> WarcSink:
    return open_sink(kind, directory, prefix, max_size, fields or {})


class Answers:
    def __init__(self) -> None:
        self.received: list[tuple[int, list[WrittenRecord]]] = []

    def callback(self, n: int) -> Any:
        return lambda written: self.received.append((n, written))


@pytest.mark.parametrize("kind", WRITERS)
def test_every_answer_points_at_its_records_on_disk_in_order(tmp_path: Path, kind: str) -> None:
    writer = sink(kind, tmp_path, fields={"operator": "test"})
    answers = Answers()
    count = 3 * MAX_IN_FLIGHT  # past the bound on writes in flight: the parent reads answers while it writes
    for n in range(count):
        writer.write_exchange(exchange(n), None, answers.callback(n))
        if n % 10 == 0:
            writer.write_metadata(exchange(n).url, "<urn:uuid:00000000-0000-0000-0000-000000000001>",
                                  {"title": f"Seite {n}"}, answers.callback(-n - 1))
    writer.settle()
    assert [n for n, _ in answers.received if n >= 0] == list(range(count))
    (open_file,) = tmp_path.glob("*.warc.gz.open")
    for n, written in answers.received:  # settled: every answered record is already in the file
        for record in written:
            found = read_record_at(open_file, record.offset)
            assert found.record_id == record.record_id
            assert found.record_type == record.record_type
        if n >= 0:
            response = read_record_at(open_file, written[0].offset)
            assert response.target_uri == exchange(n).url
    summary = writer.close()
    assert not list(tmp_path.glob("*.open"))
    (path,) = tmp_path.glob("*.warc.gz")
    assert summary.files_written == [path.name]
    assert summary.records_written == 1 + 2 * count + len(range(0, count, 10))
    assert summary.bytes_written == path.stat().st_size
    result = verify_file(path)
    assert result.ok, result.problems
    with open(path, "rb") as handle:
        warcinfo = next(iter(ArchiveIterator(handle)))
        assert warcinfo.rec_type == "warcinfo"
        assert b"operator: test" in warcinfo.content_stream().read()


@pytest.mark.parametrize("kind", WRITERS)
def test_the_exchange_is_written_as_given(tmp_path: Path, kind: str) -> None:
    body = gzip.compress(b"<p>schon komprimiert</p>", mtime=0)
    original = exchange(7, body)
    original.response_headers.append(("Content-Encoding", "gzip"))
    original.reason = "Fine"
    original.truncated = "length"
    original.started_at = datetime(2026, 11, 27, 6, 7, 8, 901234, tzinfo=timezone(timedelta(hours=1)))
    writer = sink(kind, tmp_path)
    answers = Answers()
    writer.write_exchange(original, None, answers.callback(7))
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    with open(path, "rb") as handle:
        for response in ArchiveIterator(handle):
            if response.rec_type == "response":
                break
        assert response.http_headers.statusline == "200 Fine"
        assert [v for k, v in response.http_headers.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
        assert response.rec_headers.get_header("WARC-Truncated") == "length"
        assert response.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
        assert response.rec_headers.get_header("WARC-Date") == "2026-11-27T05:07:08.901234Z"
        assert response.raw_stream.read() == body  # still content-encoded
    assert answers.received[0][1][0].payload_digest == response.rec_headers.get_header("WARC-Payload-Digest")


@pytest.mark.parametrize("kind", WRITERS)
def test_a_revisit_is_written_when_asked(tmp_path: Path, kind: str) -> None:
    writer = sink(kind, tmp_path)
    answers = Answers()
    writer.write_exchange(exchange(1), None, answers.callback(1))
    writer.settle()
    first = answers.received[0][1][0]
    assert first.payload_digest is not None
    writer.write_exchange(exchange(1), (first.payload_digest, first.record_id, "2026-11-27T05:00:00.000000Z"),
                          answers.callback(2))
    writer.settle()
    assert answers.received[1][1][0].record_type == "revisit"
    writer.close()


@pytest.mark.parametrize("kind", WRITERS)
def test_a_failed_write_is_raised_and_nothing_after_it_is_answered(tmp_path: Path, kind: str) -> None:
    directory = tmp_path / "warc"
    writer = sink(kind, directory, max_size=1)  # every exchange rotates: closes, then creates
    answers = Answers()
    writer.write_exchange(exchange(1), None, answers.callback(1))
    writer.settle()
    shutil.rmtree(directory)  # the next rotation cannot rename the file it closes
    with pytest.raises(WarcError, match="cannot close"):  # inline at once, a writer process by the settle
        writer.write_exchange(exchange(2), None, answers.callback(2))
        writer.settle()
    assert [n for n, _ in answers.received] == [1]
    with pytest.raises(WarcError, match="cannot close"):
        writer.write_exchange(exchange(3), None, answers.callback(3))
    with pytest.raises(WarcError, match="cannot close"):
        writer.close()
    assert [n for n, _ in answers.received] == [1]
    if isinstance(writer, WarcWriterProcess):
        assert writer.process.poll() is not None


def test_a_writer_that_dies_is_an_error_not_a_hang(tmp_path: Path) -> None:
    writer = WarcWriterProcess(tmp_path, "svc")
    writer.write_exchange(exchange(1), None)
    writer.settle()
    os.kill(writer.pid, signal.SIGKILL)
    writer.process.wait(timeout=10)
    with pytest.raises(WarcError, match="ended unexpectedly"):
        for n in range(2, 2 + 2 * MAX_IN_FLIGHT):
            writer.write_exchange(exchange(n), None)
        writer.settle()
    with pytest.raises(WarcError):
        writer.close()


@pytest.mark.parametrize("kind", WRITERS)
def test_a_directory_that_cannot_be_made_fails_at_start(tmp_path: Path, kind: str) -> None:
    (tmp_path / "taken").write_text("a file, not a directory")
    with pytest.raises(WarcError, match="cannot create WARC directory"):
        sink(kind, tmp_path / "taken" / "warc")


def test_interrupt_and_terminate_do_not_stop_the_writer_before_the_crawler_is_done(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group; the crawler shuts down gracefully and still hands records over."""
    writer = WarcWriterProcess(tmp_path, "svc")
    os.kill(writer.pid, signal.SIGINT)
    os.kill(writer.pid, signal.SIGTERM)
    time.sleep(0.2)
    answers = Answers()
    writer.write_exchange(exchange(1), None, answers.callback(1))
    summary = writer.close()
    assert len(answers.received) == 1 and summary.records_written == 3


KILLED_PARENT = """
import sys, time
from archiver.warc.records import Exchange
from archiver.warc.service import WarcWriterProcess
writer = WarcWriterProcess(sys.argv[1], "killed")
for n in range(20):
    writer.write_exchange(Exchange(url=f"http://127.0.0.1/p-{n}.html", method="GET", request_headers=[],
                                   request_body=b"", status=200, response_headers=[], body=b"x" * 5000), None)
writer.settle()
print(writer.pid, flush=True)
time.sleep(60)
"""


def test_a_killed_crawler_takes_its_writer_along_and_leaves_a_repairable_file(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT, str(tmp_path)], stdout=subprocess.PIPE,
                              text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists() and \
            Path(f"/proc/{child}/stat").read_text().split()[2] != "Z":
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists() or Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"
    (open_file,) = tmp_path.glob("*.warc.gz.open")  # left for the next run, as a killed crawler always did
    assert repair_open_files(tmp_path) == [open_file.name.removesuffix(".open")]
    (path,) = tmp_path.glob("*.warc.gz")
    assert verify_file(path).records == 41


def test_the_capture_extension_settles_before_anyone_reads_a_capture(tmp_path: Path) -> None:
    """Captures are filled and capture rows announced when the writer answers; the same URL again while its
    first exchange is still in flight becomes a revisit of it, not a second copy."""
    from scrapy import Request, Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from archiver.crawl import signals as archiver_signals
    from archiver.crawl.capture import WarcCaptureExtension
    from archiver.crawl.settings import archiver_defaults

    crawler = get_crawler(Spider, {**archiver_defaults(), "ARCHIVER_WARC_DIR": str(tmp_path / "warc"),
                                   "ARCHIVER_WARC_REVISITS": False})
    extension = WarcCaptureExtension.from_crawler(crawler)
    announced: list[Any] = []
    crawler.signals.connect(lambda records: announced.extend(records), signal=archiver_signals.captures_archived,
                            weak=False)
    spider = Spider("test")
    captures = []
    for _ in range(2):
        request = Request("http://127.0.0.1:8000/artikel/a-1.html")
        response = HtmlResponse(request.url, status=200, body=b"<p>same</p>", request=request,
                                headers={"Content-Type": "text/html"})
        extension.response_downloaded(response, request, spider)
        captures.append(request.meta["warc_capture"])
    crawler.signals.send_catch_log(archiver_signals.settle_captures)
    assert [c.record_type for c in captures] == ["response", "revisit"]
    assert all(c.record_id and c.warc_file and c.offset is not None for c in captures)
    assert [r.record_id for r in announced] == [c.record_id for c in captures]
    extension.spider_closed(spider, "finished")
    assert crawler.stats.get_value("archiver/warc/run_records") == 5  # type: ignore[union-attr]


def test_the_writer_is_a_process_unless_the_crawl_is_a_distributed_worker() -> None:
    from scrapy.settings import Settings

    from archiver.crawl.capture import warc_writer_kind
    from archiver.exceptions import ConfigurationError

    assert warc_writer_kind(Settings()) == "process"
    assert warc_writer_kind(Settings({"ARCHIVER_DISTRIBUTED_RUN": "run-1"})) == "inline"
    assert warc_writer_kind(Settings({"ARCHIVER_REDIS_URL": "redis://127.0.0.1:6379/0"})) == "inline"
    assert warc_writer_kind(Settings({"ARCHIVER_REDIS_URL": "redis://x", "ARCHIVER_WARC_WRITER": "process"})) == \
        "process"
    with pytest.raises(ConfigurationError, match="ARCHIVER_WARC_WRITER must be process or inline, got 'thread'"):
        warc_writer_kind(Settings({"ARCHIVER_WARC_WRITER": "thread"}))


def test_a_bad_writer_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from .conftest import run_cli

    result = run_cli("crawl", "tarnkappe", "--base-url", "http://127.0.0.1:9/", "--db",
                     f"sqlite:///{tmp_path}/a.sqlite3", "--warc-dir", str(tmp_path / "warc"), "-s",
                     "ARCHIVER_WARC_WRITER=thread")
    assert result.returncode == 2, result.stderr
    assert "ARCHIVER_WARC_WRITER must be process or inline" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def records_on_disk(directory: Path) -> int:
    """Records in the open file so far; one the child is still writing ends the count (read mid-write, its gzip
    member is cut short)."""
    files = list(directory.glob("*.open"))
    if not files:
        return 0
    count = 0
    with open(files[0], "rb") as handle:
        try:
            for _ in ArchiveIterator(handle):
                count += 1
        except (ArchiveLoadFailed, EOFError, zlib.error):
            pass
    return count


def test_answers_are_read_in_bulk_when_the_bound_on_writes_in_flight_is_reached(tmp_path: Path) -> None:
    """No read per hand-over (a select and a read per response cost the crawler's core): the answers wait in the
    pipe until max_in_flight exchanges are out, and then every answer there is delivered, in order."""
    writer = WarcWriterProcess(tmp_path, "svc", max_in_flight=8)
    answers = Answers()
    for n in range(8):
        writer.write_exchange(exchange(n), None, answers.callback(n))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and records_on_disk(tmp_path) < 17:
        time.sleep(0.05)  # warcinfo and eight exchanges on disk: the child has answered for all of them
    time.sleep(0.1)
    assert answers.received == []
    writer.write_exchange(exchange(8), None, answers.callback(8))
    assert [n for n, _ in answers.received] == list(range(8))
    writer.settle()
    assert [n for n, _ in answers.received] == list(range(9))
    writer.close()


@pytest.mark.parametrize("kind", WRITERS)
def test_a_captured_exchange_is_decoded_by_the_writer(tmp_path: Path, kind: str) -> None:
    """The crawler hands over the HTTP client's bytes; the writer (in its process, or inline) adds the Host
    header, appends the connection headers, notices a chunked body and dates the records from epoch µs."""
    captured = CapturedExchange(
        url="http://127.0.0.1:8000/artikel/grüße.html?a=1", method="GET",
        request_headers=[(b"User-Agent", [b"archiver-test"]), (b"Accept-Language", [b"de"])], request_body=b"",
        status=200, response_headers=[(b"Content-Type", [b"text/html; charset=utf-8"]),
                                      (b"Set-Cookie", [b"a=1", b"b=\xe4"])],
        connection_headers=[(b"Transfer-Encoding", [b"chunked"]), (b"Connection", [b"keep-alive"])],
        body=b"<p>gekocht</p>", protocol="HTTP/1.1", reason="OK", ip_address="127.0.0.1",
        started_us=1_795_741_628_901_234, truncated=None)
    writer = sink(kind, tmp_path)
    answers = Answers()
    writer.write_exchange(captured, None, answers.callback(1))
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    with open(path, "rb") as handle:
        records = {r.rec_type: (r.rec_headers, r.http_headers, r.content_stream().read())
                   for r in ArchiveIterator(handle)}
    warc, http, body = records["response"]
    assert http.headers == [("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "a=1"),
                            ("Set-Cookie", "b=\xe4"), ("X-Crawler-Transfer-Encoding", "chunked"),
                            ("Connection", "keep-alive"), ("Content-Length", "14")]
    assert body == b"<p>gekocht</p>"
    assert warc.get_header("WARC-Date") == "2026-11-27T01:07:08.901234Z"
    assert warc.get_header("WARC-IP-Address") == "127.0.0.1"
    warc, http, _ = records["request"]
    assert http.protocol == "GET" and http.statusline.startswith("/artikel/")
    assert http.headers == [("Host", "127.0.0.1:8000"), ("User-Agent", "archiver-test"),
                            ("Accept-Language", "de")]
    assert [n for n, _ in answers.received] == [1]
