"""Rebuild the database from the WARC files alone, with no network.

The crawl writes a ``metadata`` record for every stored article (``WARC-Concurrent-To`` its response);
those records say which responses were articles. Every response and revisit becomes a capture row;
every article response is extracted again with the current page objects and stored, in writing order; the
answers that showed an article taken down mark it removed again (``reparse_removals``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .crawl.capture import software_versions
from .exceptions import ExtractionError
from .items import ArticleItem, CaptureRef, ExtractionFailure
from .normalize.charset import decode_page
from .pages import Page, extract
from .pages.rest import RestIndex, complete_from_rest, rest_records_in
from .reparse_removals import RemovalReplay
from .storage.db import ensure_schema, make_engine
from .storage.repository import ArchiveStore, CaptureRecord
from .warc.reader import iter_records, read_record_at, warc_files

logger = logging.getLogger(__name__)
BATCH = 50
# The REST collections the crawl reads (archiver.crawl.rest and the spiders' REST posts).
REST_ROUTE = re.compile(r"/wp-json/wp/v2/(users|categories|tags|posts)\?")


@dataclass
class ReparseResult:
    files: int = 0
    captures: int = 0
    articles: int = 0
    failures: int = 0


def rest_index(responses: list[tuple[Path, int, str]]) -> RestIndex:
    """The REST records the crawl read (users, categories, tags, posts), from their archived responses."""
    index = RestIndex()
    for path, offset, route in responses:
        # An error page the site answered with 200 is no list: the crawl could not use it either.
        records = rest_records_in(read_record_at(path, offset).body or b"")
        if records is not None:
            index.add(route, records)
    return index


def reparse(warc_dir: str | Path, db_url: str) -> ReparseResult:
    files = warc_files(warc_dir)
    result = ReparseResult(files=len(files))
    article_records: set[str] = set()
    rest_responses: list[tuple[Path, int, str]] = []
    replay = RemovalReplay()
    for path in files:  # first pass: which responses were articles (metadata records), where the REST answers are
        for record in iter_records(path, with_bodies=False):
            replay.first_pass(record)
            if record.record_type == "metadata" and record.concurrent_to:
                article_records.add(record.concurrent_to)
            elif record.record_type == "response" and record.status == 200 and \
                    (route := REST_ROUTE.search(record.target_uri)) is not None:
                rest_responses.append((path, record.offset, route[1]))
    rest = rest_index(rest_responses)
    replay.articles_known(article_records)
    ensure_schema(db_url)
    store = ArchiveStore(make_engine(db_url))
    run_id = store.start_run("reparse", "reparse", dict(software_versions()))
    pending: list[ArticleItem] = []
    for path in files:
        captures: list[CaptureRecord] = []
        for record in iter_records(path):
            if record.record_type not in ("response", "revisit"):
                continue
            captures.append(CaptureRecord(
                url=record.target_uri, status=record.status or 0, fetched_at=record.date, warc_file=record.warc_file,
                warc_offset=record.offset, warc_length=record.length, record_id=record.record_id,
                record_type=record.record_type, payload_digest=record.payload_digest,
                content_type=record.content_type))
            result.captures += 1
            if (removed := replay.removal(record)) is not None:  # after what the replay stored so far
                store.record_captures(captures, run_id)
                captures = []
                if pending:
                    result.articles += len(store.store_articles(pending))
                    pending = []
                store.mark_removed([removed])
                continue
            replay.locate(path, record)
            if record.record_type == "revisit" and (restored := replay.restored_body(record)) is not None:
                record.body = restored  # an article back as it was: the restore is a version
            elif record.record_type != "response" or record.record_id not in article_records or record.body is None:
                continue  # a revisit of an article repeats a payload already stored: it adds no version
            capture = CaptureRef(status=record.status, record_id=record.record_id, record_type=record.record_type,
                                 warc_file=record.warc_file, offset=record.offset, length=record.length,
                                 payload_digest=record.payload_digest, fetched_at=record.date.isoformat())
            html, warning = decode_page(record.body, record.content_type)
            try:
                item = extract(Page(record.target_uri, html))
                if warning:
                    item.warnings.append(warning)
            except ExtractionError as error:
                store.record_captures(captures, run_id)
                captures = []
                store.record_failure(ExtractionFailure(record.target_uri, error.reason, error.layout, capture), run_id)
                result.failures += 1
                continue
            if rest:
                complete_from_rest(item, rest)  # as the crawl's RestCompletionPipeline does
            item.fetched_url, item.capture = record.target_uri, capture
            replay.stored(item)
            pending.append(item)
            if len(pending) >= BATCH:
                store.record_captures(captures, run_id)
                captures = []
                result.articles += len(store.store_articles(pending))
                pending = []
        store.record_captures(captures, run_id)
    if pending:
        result.articles += len(store.store_articles(pending))
    store.finish_run(run_id, "finished", {"articles": result.articles, "failures": result.failures,
                                          "files": result.files})
    store.engine.dispose()
    return result
