"""The WARC writer in a process of its own: the crawler hands each exchange over and goes on crawling.

Building an exchange's records, hashing and compressing them and writing the file cost the crawler a large
share of its time per response (most of all gzip of a page the server sent uncompressed), all on the one core a
Scrapy crawl keeps busy. This module
moves that work to a child process (``python -m archiver.warc.service``) on another core.

The child writes records in the order it receives them, with ``WarcFileWriter``: one gzip member per
record, a flush after every exchange, rotation, crash repair at start-up. For each message it answers
with where the records went, only once they are flushed, so the crawler learns a record's file and
offset from the file itself and the database is never ahead of the WARC files. The crawler side is
``WarcWriterProcess``: its calls return at once, handing over the HTTP client's bytes (``CapturedExchange``,
which the child decodes), and the answers are delivered to callbacks, in order, when the parent reads them
in bulk: once ``MAX_IN_FLIGHT`` exchanges are out, and in ``settle``, which reads all of them (the storage
layer calls it before every database write that points into the WARC files).

Frames on both pipes are a 4-byte big-endian length and a pickle (``frames.py``); both ends are this
module, and the child answers everything it read at once in one frame. The child
ignores SIGINT and SIGTERM (a crawl that is asked to stop still hands over its last exchanges). When its
input ends without a "close" message, the crawler was killed: the child writes what it had received and
exits, leaving the file ``.open`` for the next run to repair, as a writer inside the crawler would have.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import select
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..exceptions import WarcError
from .frames import FrameReader, exchange_from_fields, exchange_message, frame, record_fields, write_all
from .records import CapturedExchange, Exchange
from .writer import WarcFileWriter, WrittenRecord

# Answers the parent has not read yet stay in the child's pipe (64 kB on Linux). An answer is 300–500 bytes,
# so a bound on writes in flight keeps that pipe from filling while the parent is busy writing to the child.
MAX_IN_FLIGHT = 64
# The exchanges' pipe holds this much (Linux allows an unprivileged process 1 MB): with the default 64 kB, three
# pages fill it, and the crawler waits whenever the writer is busy with a large record.
PIPE_SIZE = 1 << 20
START_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h

Written = Callable[[list[WrittenRecord]], None]
_T = TypeVar("_T")


@dataclass(frozen=True)
class WriterSummary:
    files_written: list[str]
    records_written: int
    bytes_written: int

    @classmethod
    def of(cls, writer: WarcFileWriter) -> WriterSummary:
        return cls(writer.files_written, writer.records_written, writer.bytes_written)


# --- the child ----------------------------------------------------------------------------------------------
def serve(reader: FrameReader, output_fd: int, parent: int | None = None) -> int:
    """The child's loop: settings first, then one answer per message, written once its records are flushed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent(parent)
    first = reader.read()
    if not first:
        return 1
    settings, waiting = first[0], first[1:]
    try:
        writer = WarcFileWriter(settings["directory"], prefix=settings["prefix"], max_size=settings["max_size"],
                                warcinfo_fields=settings["warcinfo_fields"])
    except WarcError as error:
        write_all(output_fd, frame([("error", str(error))]))
        return 1
    write_all(output_fd, frame([("ready", writer.repaired)]))
    failed: str | None = None
    try:
        while True:
            messages, waiting = waiting or reader.read(), []
            if messages is None:
                return _crawler_gone()
            # One frame for all the answers to what was read at once: the crawler unpickles it in one call.
            answers: list[tuple[str, Any]] = []
            for message in messages:
                if message[0] == "close":
                    answers.append(_close(writer))
                    write_all(output_fd, frame(answers))
                    return 0 if answers[-1][0] == "closed" else 1
                if failed is None:
                    try:
                        answers.append(("written", _write(writer, message)))
                        continue
                    except WarcError as error:
                        failed = str(error)
                answers.append(("error", failed))
            write_all(output_fd, frame(answers))
    except BrokenPipeError:
        return _crawler_gone()


def _close(writer: WarcFileWriter) -> tuple[str, Any]:
    try:
        writer.close()
    except WarcError as error:
        return ("error", str(error))
    return ("closed", WriterSummary.of(writer))


def _die_with_parent(parent: int | None) -> None:
    """Linux: SIGKILL this process when the crawler dies, so that a killed crawl leaves the WARC file exactly as
    a killed single process did, with no writer still appending while the next run repairs it. (Elsewhere the
    child notices at the end of its input.)"""
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent:  # the crawler died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)


def _crawler_gone() -> int:
    """The crawler died without closing (killed): leave the file ``.open``, exactly as a writer inside the crawler
    would have left it, for the next run to repair. Every record answered for is flushed already, and closing here
    could race with that next run's repair."""
    return 3


def _write(writer: WarcFileWriter, message: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if message[0] == "captured":
        exchange = CapturedExchange(*message[1]).decoded()
        return [record_fields(r) for r in writer.write_exchange(exchange, message[2])]
    if message[0] == "exchange":
        return [record_fields(r) for r in writer.write_exchange(exchange_from_fields(message[1]), message[2])]
    if message[0] == "metadata":
        return [record_fields(writer.write_metadata(message[1], message[2], message[3]))]
    raise WarcError(f"unknown message to the WARC writer: {message[0]!r}")


# --- the crawler's side -------------------------------------------------------------------------------------
WRITERS = ("process", "inline")


class WarcSink(Protocol):
    """What the capture extension writes through: a writer process, or a writer in the crawler's own process."""

    repaired: list[str]

    def write_exchange(self, exchange: Exchange | CapturedExchange, revisit_of: tuple[str, str, str] | None,
                       written: Written | None = None) -> None: ...

    def write_metadata(self, target_uri: str, concurrent_to: str, fields: dict[str, str],
                       written: Written | None = None) -> None: ...

    def settle(self) -> None: ...

    def close(self) -> WriterSummary: ...


def open_sink(kind: str, directory: str | Path, prefix: str, max_size: int,
              warcinfo_fields: dict[str, str]) -> WarcSink:
    if kind == "process":
        return WarcWriterProcess(directory, prefix, max_size, warcinfo_fields)
    if kind == "inline":
        return InlineWarcWriter(directory, prefix, max_size, warcinfo_fields)
    raise WarcError(f"unknown WARC writer {kind!r}: {' or '.join(WRITERS)}")


class InlineWarcWriter:
    """The same interface over a ``WarcFileWriter`` in the crawler's own process, answering at once.

    For machines whose cores are all crawling (distributed workers, one per core): there a writer process has
    no idle core to run on and only adds the cost of the hand-over on each side.
    """

    def __init__(self, directory: str | Path, prefix: str = "archiver", max_size: int = 1_000_000_000,
                 warcinfo_fields: dict[str, str] | None = None) -> None:
        self.writer = WarcFileWriter(directory, prefix=prefix, max_size=max_size, warcinfo_fields=warcinfo_fields)
        self.repaired = self.writer.repaired
        self.failed: str | None = None  # after a failed write the file's state is unknown: nothing more is written

    def write_exchange(self, exchange: Exchange | CapturedExchange, revisit_of: tuple[str, str, str] | None,
                       written: Written | None = None) -> None:
        decoded = exchange.decoded() if isinstance(exchange, CapturedExchange) else exchange
        records = self._guarded(lambda: self.writer.write_exchange(decoded, revisit_of))
        if written is not None:
            written(records)

    def write_metadata(self, target_uri: str, concurrent_to: str, fields: dict[str, str],
                       written: Written | None = None) -> None:
        record = self._guarded(lambda: self.writer.write_metadata(target_uri, concurrent_to, fields))
        if written is not None:
            written([record])

    def settle(self) -> None:
        """Nothing to wait for: every write is on disk when it returns."""

    def close(self) -> WriterSummary:
        self._guarded(self.writer.close)
        return WriterSummary.of(self.writer)

    def _guarded(self, write: Callable[[], _T]) -> _T:
        if self.failed is not None:
            raise WarcError(self.failed)
        try:
            return write()
        except WarcError as error:
            self.failed = str(error)
            raise


class WarcWriterProcess:
    """Hands records to a writer child; answers reach the callbacks in order (``settle`` waits for all)."""

    def __init__(self, directory: str | Path, prefix: str = "archiver", max_size: int = 1_000_000_000,
                 warcinfo_fields: dict[str, str] | None = None, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.max_in_flight = max_in_flight
        self.pending: deque[Written | None] = deque()
        self._answered: deque[tuple[str, Any]] = deque()
        self.failed: str | None = None
        self.summary: WriterSummary | None = None
        settings = {"directory": str(directory), "prefix": prefix, "max_size": max_size,
                    "warcinfo_fields": dict(warcinfo_fields or {})}
        # -c rather than -m: under -m this module would run as __main__ and pickle its classes under that name.
        # The child finds this very package first, wherever the parent imported it from.
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root,
                                                                         os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from archiver.warc.service import main; sys.exit(main())",
             str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, env=env)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._out = self.process.stdin.fileno()
        # Not on Linux, or over /proc/sys/fs/pipe-max-size: the default size will do.
        with contextlib.suppress(AttributeError, OSError):
            fcntl.fcntl(self._out, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        self._answers = FrameReader(self.process.stdout.fileno())
        self._send(frame(settings))
        ready, _, _ = select.select([self._answers.fd], [], [], START_TIMEOUT)
        first = self._answers.read() if ready else None
        if not first or first[0][0][0] != "ready":
            reason = first[0][0][1] if first else "it did not start"
            self._stop_child()
            raise WarcError(reason)
        self.repaired: list[str] = first[0][0][1]

    @property
    def pid(self) -> int:
        return self.process.pid

    def write_exchange(self, exchange: Exchange | CapturedExchange, revisit_of: tuple[str, str, str] | None,
                       written: Written | None = None) -> None:
        self._submit(exchange_message(exchange, revisit_of), written)

    def write_metadata(self, target_uri: str, concurrent_to: str, fields: dict[str, str],
                       written: Written | None = None) -> None:
        self._submit(("metadata", target_uri, concurrent_to, fields), written)

    def _submit(self, message: tuple[Any, ...], written: Written | None) -> None:
        if self.failed is not None:
            raise WarcError(self.failed)
        # Answers are read in bulk, here and in settle: looking for them after every message cost a select and a
        # read per response. A failed write is heard of within MAX_IN_FLIGHT messages, or at the next settle.
        if len(self.pending) >= self.max_in_flight:
            self._receive(until=self.max_in_flight // 2)
        self.pending.append(written)
        self._send(frame(message))

    def settle(self) -> None:
        """Wait for every answer and deliver it: afterwards every record handed over is flushed to disk."""
        self._receive(until=0)

    def _receive(self, until: int) -> None:
        # One answer at a time, each paired with the oldest callback: a callback that itself settles (a database
        # write) takes the next answers in the same order. Answers read already are delivered too.
        while len(self.pending) > until or (self._answered and self.pending):
            if not self._answered:
                self._read_answers()
            kind, value = self._answered.popleft()
            callback = self.pending.popleft()
            if kind == "error":
                self.failed = value
                raise WarcError(value)
            if callback is not None:
                callback([WrittenRecord(*fields) for fields in value])

    def _read_answers(self) -> None:
        frames = self._answers.read()
        if frames is None:
            self._lost()
        for answers in frames:  # type: ignore[union-attr]
            self._answered.extend(answers)

    def close(self) -> WriterSummary:
        """Settle, close the current file and end the child; raises WarcError if any write failed."""
        if self.summary is not None:
            return self.summary
        try:
            if self.failed is not None:
                raise WarcError(self.failed)
            self.settle()
            self._send(frame(("close",)))
            frames = self._answers.read()
            if not frames:
                self._lost()
            kind, value = frames[0][0]  # type: ignore[index]
            if kind != "closed":
                self.failed = value
                raise WarcError(value)
            summary: WriterSummary = value
            self.summary = summary
            return summary
        finally:
            self._stop_child()

    def _send(self, data: bytes) -> None:
        try:
            write_all(self._out, data)
        except BrokenPipeError:
            self._lost()

    def _lost(self) -> None:
        code = self.process.wait(timeout=10)
        self.failed = f"the WARC writer process ended unexpectedly (exit code {code})"
        raise WarcError(self.failed)

    def _stop_child(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> int:
    """The child: ``python -c '…main()' PARENT_PID``, frames on stdin and stdout."""
    parent = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else None
    return serve(FrameReader(0), 1, parent)
