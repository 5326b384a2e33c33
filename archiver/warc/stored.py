"""A WARC record as the archive's readers give it: its headers, its place in its file, its decoded entity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class StoredRecord:
    warc_file: str
    offset: int
    length: int
    record_type: str
    record_id: str
    target_uri: str
    date: datetime
    payload_digest: str | None
    concurrent_to: str | None
    refers_to: str | None
    status: int | None
    content_type: str | None
    body: bytes | None  # decoded HTTP entity (transfer- and content-decoding undone) of responses
    location: str | None = None  # a response's Location header, as sent (a redirect's target)
