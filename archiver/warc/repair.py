"""Repair WARC files left ``.open`` by a killed process: keep every complete record, drop the rest."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .verify import iter_members


def complete_members_end(path: Path) -> int:
    """Byte offset just past the last complete gzip member that holds a WARC record."""
    good_end = 0
    try:
        for offset, length, content in iter_members(path.read_bytes()):
            if not content.startswith(b"WARC/"):
                break
            good_end = offset + length
    except ValueError:
        pass  # the broken or cut member and everything after it is dropped
    return good_end


def repair_open_files(directory: Path, prefix: str | None = None) -> list[str]:
    """Cut every ``*.warc.gz.open`` (of one writer prefix, if given) back to its last complete record and
    close it. Returns the names."""
    repaired = []
    # Writer file names are PREFIX-STAMP(17 digits)-SERIAL-HOST.warc.gz: prefix "archiver" must not match
    # "archiver-worker1-…".
    own = re.compile(re.escape(prefix) + r"-\d{17}-\d{5}-") if prefix else None
    for path in sorted(directory.glob("*.warc.gz.open")):
        if own is not None and not own.match(path.name):
            continue
        end = complete_members_end(path)
        final = path.with_name(path.name.removesuffix(".open"))
        if end == 0:
            path.unlink()  # not even the warcinfo record made it: nothing to keep
            continue
        with open(path, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(path, final)
        repaired.append(final.name)
    return repaired
