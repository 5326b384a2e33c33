"""The WARC writer process's pipes: length-prefixed pickle frames, and exchanges and answers as plain tuples.

Both ends are ``archiver.warc.service``: the crawler's side and the child it starts.
"""

from __future__ import annotations

import os
import pickle
import struct
from typing import Any

from .records import CapturedExchange, Exchange, epoch_us, from_epoch_us
from .writer import WrittenRecord

LENGTH = struct.Struct(">I")
READ_SIZE = 1 << 20


def frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return LENGTH.pack(len(data)) + data


class FrameReader:
    """Complete frames out of the bytes read so far from a pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def read(self) -> list[Any] | None:
        """Block until at least one frame is complete; None once the pipe has ended."""
        while True:
            messages = self._complete()
            if messages:
                return messages
            chunk = os.read(self.fd, READ_SIZE)
            if not chunk:
                return None
            self.buffer += chunk

    def _complete(self) -> list[Any]:
        messages, position, end = [], 0, len(self.buffer)
        while end - position >= LENGTH.size:
            (size,) = LENGTH.unpack_from(self.buffer, position)
            if end - position - LENGTH.size < size:
                break
            start = position + LENGTH.size
            messages.append(pickle.loads(self.buffer[start:start + size]))
            position = start + size
        del self.buffer[:position]
        return messages


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def exchange_fields(exchange: Exchange) -> tuple[Any, ...]:
    """The exchange as a plain tuple, its time as integer microseconds: a dataclass instance, and an aware
    datetime above all (slow through copyreg), pickle several times slower."""
    return (exchange.url, exchange.method, exchange.request_headers, exchange.request_body, exchange.status,
            exchange.response_headers, exchange.body, exchange.protocol, exchange.reason, exchange.ip_address,
            epoch_us(exchange.started_at), exchange.truncated, exchange.dechunked)


def exchange_from_fields(fields: tuple[Any, ...]) -> Exchange:
    return Exchange(*fields[:10], from_epoch_us(fields[10]), *fields[11:])  # type: ignore[misc,call-arg]


def exchange_message(exchange: Exchange | CapturedExchange,
                     revisit_of: tuple[str, str, str] | None) -> tuple[Any, ...]:
    # A captured exchange goes over as the plain tuple it is: pickling the NamedTuple names its class every time.
    if isinstance(exchange, CapturedExchange):
        return ("captured", tuple(exchange), revisit_of)
    return ("exchange", exchange_fields(exchange), revisit_of)


def record_fields(record: WrittenRecord) -> tuple[Any, ...]:
    return (record.record_id, record.record_type, record.warc_file, record.offset, record.length,
            record.payload_digest)
