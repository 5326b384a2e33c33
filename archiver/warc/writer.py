"""Crash-safe WARC files: one gzip member per record, ``.open`` while written, rotation by size.

A file is written as ``NAME.warc.gz.open``, flushed after every exchange (its response and request
records together) and every other record, fsynced and renamed
to ``NAME.warc.gz`` on close. A left-over ``.open`` file from a killed process is repaired on
start-up (cut back to its last complete record) and closed (see ``repair.py``).
"""

from __future__ import annotations

import os
import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..exceptions import WarcError
from .records import Exchange, RecordFactory, warc_date
from .repair import repair_open_files

DEFAULT_MAX_SIZE = 1_000_000_000
GZIP_LEVEL = 6  # as small as warcio's level 9 on HTML, and markedly faster
# A payload the server already compressed (Content-Encoding, JPEG…) does not shrink again: compressing it
# spends time to save almost nothing. Such records are stored (level 0) in their gzip member: still one valid
# member per record, at a small fraction of the cost.
STORED_LEVEL = 0
COMPRESSED_ENCODINGS = frozenset({"gzip", "x-gzip", "br", "deflate", "zstd", "compress"})
COMPRESSED_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "video/", "audio/",
                    "application/zip", "application/gzip", "application/x-gzip", "font/woff")


@dataclass(frozen=True)
class WrittenRecord:
    record_id: str
    record_type: str
    warc_file: str  # file name relative to the WARC directory, as it will be after closing
    offset: int
    length: int
    payload_digest: str | None


def gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def payload_is_compressed(exchange: Exchange) -> bool:
    """Whether the response body is already compressed (content-encoded, or a compressed media type)."""
    for name, value in exchange.response_headers:
        lowered = name.lower()
        if lowered == "content-encoding" and value.strip().lower() in COMPRESSED_ENCODINGS:
            return True
        if lowered == "content-type" and value.strip().lower().startswith(COMPRESSED_TYPES):
            return True
    return False


def safe_name_part(value: str) -> str:
    """File name component from free text: no separators, no dot-dot, bounded length."""
    cleaned = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "-" for ch in value)
    return cleaned.strip("-")[:80] or "x"


class WarcFileWriter:
    """Writes records to rotating WARC files in one directory; thread-safe, one per process."""

    def __init__(self, directory: str | Path, prefix: str = "archiver", max_size: int = DEFAULT_MAX_SIZE,
                 warcinfo_fields: dict[str, str] | None = None, factory: RecordFactory | None = None,
                 clock: Callable[[], datetime] | None = None, host: str | None = None) -> None:
        self.directory = Path(directory)
        self.prefix = safe_name_part(prefix)
        self.max_size = max_size
        self.warcinfo_fields = dict(warcinfo_fields or {})
        self.factory = factory or RecordFactory()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.host = safe_name_part(host or socket.gethostname())
        self.serial = 0
        self.files_written: list[str] = []
        self.bytes_written = 0
        self.records_written = 0
        self._lock = threading.Lock()
        self._handle: object = None
        self._name: str | None = None
        self._size = 0
        self._warcinfo_id: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WarcError(f"cannot create WARC directory {self.directory}: {error.strerror}") from error
        # Only this prefix's files: other writers (workers of a distributed run) may share the directory.
        self.repaired = repair_open_files(self.directory, self.prefix)

    # --- files ------------------------------------------------------------------------------------
    def _open_new(self) -> None:
        self.serial += 1
        stamp = self.clock().strftime("%Y%m%d%H%M%S%f")[:17]
        self._name = f"{self.prefix}-{stamp}-{self.serial:05d}-{self.host}.warc.gz"
        path = self.directory / (self._name + ".open")
        try:
            self._handle = open(path, "xb")  # noqa: SIM115 - kept open across records on purpose
        except OSError as error:
            raise WarcError(f"cannot create {path}: {error.strerror}") from error
        self._size = 0
        fields = {"software": "archiver", "format": "WARC File Format 1.1",
                  "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"}
        fields |= self.warcinfo_fields
        record_id, data = self.factory.warcinfo(self._name, fields, self.clock())
        self._warcinfo_id = record_id
        self._append(data)
        self._flush()

    def _append(self, data: bytes, level: int = GZIP_LEVEL) -> tuple[int, int]:
        """One record as one gzip member, into the file's buffer: callers flush once the records that belong
        together are all written, before anyone hears of them."""
        member = gzip_member(data, level)
        handle = self._handle
        assert handle is not None
        offset = self._size
        try:
            handle.write(member)  # type: ignore[attr-defined]
        except OSError as error:
            raise WarcError(f"cannot write {self._name}: {error.strerror}") from error
        self._size += len(member)
        self.bytes_written += len(member)
        self.records_written += 1
        return offset, len(member)

    def _flush(self) -> None:
        try:
            self._handle.flush()  # type: ignore[attr-defined]
        except OSError as error:
            raise WarcError(f"cannot write {self._name}: {error.strerror}") from error

    def _ensure_open(self) -> None:
        if self._handle is None or self._size >= self.max_size:
            self._close_current()
            self._open_new()

    def _close_current(self) -> None:
        if self._handle is None or self._name is None:
            return
        handle = self._handle
        try:
            handle.flush()  # type: ignore[attr-defined]
            os.fsync(handle.fileno())  # type: ignore[attr-defined]
            handle.close()  # type: ignore[attr-defined]
            os.replace(self.directory / (self._name + ".open"), self.directory / self._name)
        except OSError as error:
            raise WarcError(f"cannot close {self._name}: {error.strerror}") from error
        self.files_written.append(self._name)
        self._handle = None
        self._name = None

    def close(self) -> None:
        with self._lock:
            self._close_current()

    # --- records ----------------------------------------------------------------------------------
    def write_exchange(self, exchange: Exchange,
                       revisit_of: tuple[str, str, str] | None = None) -> list[WrittenRecord]:
        """Write the response (or revisit) and request records of one exchange; response first."""
        with self._lock:
            self._ensure_open()
            written = []
            body_level = STORED_LEVEL if payload_is_compressed(exchange) else GZIP_LEVEL
            for record_id, record_type, data, digest in self.factory.exchange(exchange, self._warcinfo_id,
                                                                               revisit_of):
                # Only a response record carries the body; revisit and request records are all headers.
                offset, length = self._append(data, body_level if record_type == "response" else GZIP_LEVEL)
                assert self._name is not None
                written.append(WrittenRecord(record_id, record_type, self._name, offset, length, digest))
            self._flush()  # both records of the exchange in one write
            return written

    def write_metadata(self, target_uri: str, concurrent_to: str, fields: dict[str, str]) -> WrittenRecord:
        with self._lock:
            self._ensure_open()
            record_id, data = self.factory.metadata(target_uri, concurrent_to, fields, self.clock(),
                                                    self._warcinfo_id)
            offset, length = self._append(data)
            self._flush()
            assert self._name is not None
            return WrittenRecord(record_id, "metadata", self._name, offset, length, None)


__all__ = ["Exchange", "WarcFileWriter", "WrittenRecord", "warc_date"]
