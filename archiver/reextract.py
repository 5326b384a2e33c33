"""``archiver reextract``: the current extractor over every stored capture of an archive, rows updated in place.

After an upgrade of the extractor (a fixed selector, a new layout), the archive's articles are read again from
their own WARC records, completed from the archived REST answers as the crawl completes them, and each version row
is rewritten with what the current extractor finds (``ArchiveStore.rewrite_version``). Nothing is fetched;
re-extraction never creates a version (the site did not change, the reading did), and a second pass changes
nothing. Every row records the extractor version that produced it (``article_versions.extractor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from .exceptions import ExtractionError, WarcError
from .normalize.charset import decode_page
from .pages import Page, extract
from .pages.rest import complete_from_rest
from .reparse import REST_ROUTE, rest_index
from .storage import models as m
from .storage.db import make_engine
from .storage.repository import ArchiveStore
from .warc.reader import read_record_at


@dataclass
class ReextractResult:
    versions: int = 0  # stored versions with a capture to read
    rewritten: int = 0  # whose row the current extractor changed
    failed: int = 0  # whose capture the current extractor cannot read as an article (left as they were)
    missing: int = 0  # whose WARC record is not in the WARC directory (left as they were)


def reextract(warc_dir: str | Path, db_url: str) -> ReextractResult:
    directory = Path(warc_dir)
    store = ArchiveStore(make_engine(db_url))
    versions, captures = m.ArticleVersion.__table__, m.Capture.__table__
    result = ReextractResult()
    with store.engine.connect() as conn:
        rest_answers = [(directory / file, offset, route[1]) for url, file, offset in conn.execute(
            select(captures.c.url, captures.c.warc_file, captures.c.warc_offset)
            .where(captures.c.status == 200, captures.c.record_type == "response"))
            if (route := REST_ROUTE.search(url)) is not None and (directory / file).exists()]
        stored = conn.execute(select(versions.c.id, captures.c.url, captures.c.warc_file, captures.c.warc_offset,
                                     captures.c.content_type)
                              .select_from(versions.join(captures, captures.c.id == versions.c.capture_id))
                              .order_by(versions.c.id)).all()
    rest = rest_index(rest_answers)
    for version_id, url, warc_file, offset, content_type in stored:
        result.versions += 1
        path = directory / warc_file
        try:
            record = read_record_at(path, offset)
        except (OSError, WarcError):
            result.missing += 1
            continue
        html, warning = decode_page(record.body or b"", content_type)
        try:
            item = extract(Page(url, html))
        except ExtractionError:
            result.failed += 1
            continue
        if warning:
            item.warnings.append(warning)
        if rest:
            complete_from_rest(item, rest)
        result.rewritten += store.rewrite_version(version_id, item)
    store.engine.dispose()
    return result
