"""Rebuild the database from the WARC files alone, with no network.

The crawl writes a ``metadata`` record for every stored article (``WARC-Concurrent-To`` its response);
those records say which responses were articles. Every response and revisit becomes a capture row;
every article response is extracted again with the current page objects and stored, in writing order; the
answers that showed an article taken down mark it removed again (``reparse_removals``, judged in this process, in
writing order, after what was stored before them).
With several workers (``archiver.parallel``), worker processes read and extract ranges of the WARC files
(``archiver.warc.ranges``) and this process stores what they return in the same order, in the same batches.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy.engine import make_url

from .exceptions import ExtractionError, RecordRangeMismatch, WarcFormatError
from .items import ArticleItem, CaptureRef, ExtractionFailure
from .normalize.charset import decode_page
from .pages import Page, extract
from .pages.rest import RestIndex, complete_from_rest, rest_records_in
from .parallel import ordered_map
from .reparse_removals import RemovalReplay
from .storage.db import ensure_schema, make_engine
from .storage.repository import ArchiveStore, CaptureRecord
from .storage.stemming import Document, stem_document, stems_given
from .storage.versions import content_hash
from .versions import software_versions
from .warc.ranges import RecordRange, plan
from .warc.reader import StoredRecord, iter_records, read_record_at, warc_files

logger = logging.getLogger(__name__)
BATCH = 50
# The REST collections the crawl reads (archiver.crawl.rest and the spiders' REST posts and their media).
REST_ROUTE = re.compile(r"/wp-json/wp/v2/(users|categories|tags|posts|media)\?")


@dataclass
class ReparseResult:
    files: int = 0
    captures: int = 0
    articles: int = 0
    failures: int = 0


def rest_index(responses: list[tuple[Path, int, str]]) -> RestIndex:
    """The REST records the crawl read (users, categories, tags, posts, media), from their archived responses."""
    index = RestIndex()
    for path, offset, route in responses:
        # An error page the site answered with 200 is no list: the crawl could not use it either.
        answer = read_record_at(path, offset)
        records = rest_records_in(answer.body or b"")
        if records is not None:
            index.add(route, records, answer.date)
    return index


@dataclass
class _Shared:
    """What every worker reads: which responses were articles, the REST index, and whether to stem what it
    extracted for the writer (set by ``_share``)."""

    articles: set[str]
    rest: RestIndex
    stems: bool = False


_shared = _Shared(set(), RestIndex())


def _share(articles: set[str], rest: RestIndex, stems: bool) -> None:
    global _shared
    _shared = _Shared(articles, rest, stems)


def stems_ahead(db_url: str, workers: int) -> bool:
    """Whether workers should stem what they extract: only SQLite stems in the writer (the full-text triggers),
    and only with workers is there another process to do it."""
    return workers > 1 and make_url(db_url).get_backend_name() == "sqlite"


def stem_of(item: ArticleItem) -> tuple[Document, str]:
    """An extracted article's document as the full-text triggers will be passed it, with its stems."""
    document = (item.title, item.lead, item.text)
    return document, stem_document(*document)


Scan = tuple[set[str], list[tuple[Path, int, str]], dict[str, str]]


def _scan(part: RecordRange) -> Scan | None:
    """First pass over a range: which responses were articles (metadata records), where the REST answers are, which
    record each revisit repeats; None when the range was cut where no record starts.
    A range after the file's first may start at a false boundary (a member nested in a record's payload), where
    what follows need not be well-formed: it too is None, and the file read whole decides whether it is malformed."""
    articles: set[str] = set()
    rest_responses: list[tuple[Path, int, str]] = []
    revisits: dict[str, str] = {}
    try:
        for record in iter_records(part.path, False, part.start, part.end):
            if record.record_type == "revisit" and record.refers_to:
                revisits[record.record_id] = record.refers_to
            elif record.record_type == "metadata" and record.concurrent_to:
                articles.add(record.concurrent_to)
            elif record.record_type == "response" and record.status == 200 and \
                    (route := REST_ROUTE.search(record.target_uri)) is not None:
                rest_responses.append((part.path, record.offset, route[1]))
    except RecordRangeMismatch:
        return None
    except WarcFormatError:
        if part.start == 0:
            raise
        return None
    return articles, rest_responses, revisits


def read_article(record: StoredRecord, rest: RestIndex) -> ArticleItem | ExtractionFailure:
    """An article response extracted again with the current page objects and completed from the REST index."""
    capture = CaptureRef(status=record.status, record_id=record.record_id, record_type=record.record_type,
                         warc_file=record.warc_file, offset=record.offset, length=record.length,
                         payload_digest=record.payload_digest, fetched_at=record.date.isoformat())
    html, warning = decode_page(record.body or b"", record.content_type)
    try:
        item = extract(Page(record.target_uri, html))
        if warning:
            item.warnings.append(warning)
    except ExtractionError as error:
        return ExtractionFailure(record.target_uri, error.reason, error.layout, capture)
    if rest:
        if item.post_id is not None:
            rest.use_post_read_nearest(item.post_id, record.date)
        complete_from_rest(item, rest)  # as the crawl's RestCompletionPipeline does
    item.fetched_url, item.capture = record.target_uri, capture
    return item


# A capture row, its article (with the article's content hash) when it was one, the answer's Location header,
# and the article's stems when the workers stem.
Read = tuple[CaptureRecord, ArticleItem | ExtractionFailure | None, str, str | None, tuple[Document, str] | None]


def _read(part: RecordRange) -> list[Read]:
    """Second pass over a range: a capture row for every response and revisit, with its article when it was one
    (and the article's content hash, computed here: in a worker)."""
    read: list[Read] = []
    for record in iter_records(part.path, _shared.articles, part.start, part.end):
        if record.record_type not in ("response", "revisit"):
            continue
        capture = CaptureRecord(
            url=record.target_uri, status=record.status or 0, fetched_at=record.date, warc_file=record.warc_file,
            warc_offset=record.offset, warc_length=record.length, record_id=record.record_id,
            record_type=record.record_type, payload_digest=record.payload_digest, content_type=record.content_type)
        # a revisit of an article repeats a payload already stored: it adds no version
        is_article = record.record_type == "response" and record.record_id in _shared.articles and \
            record.body is not None
        outcome = read_article(record, _shared.rest) if is_article else None
        if isinstance(outcome, ArticleItem):
            read.append((capture, outcome, content_hash(outcome), record.location,
                         stem_of(outcome) if _shared.stems else None))
        else:
            read.append((capture, outcome, "", record.location, None))
    return read


def _scan_all(files: list[Path], workers: int, meanwhile: Callable[[], None]) -> tuple[
        list[RecordRange], set[str], list[tuple[Path, int, str]], dict[str, str]]:
    """The first pass in ``workers`` processes; a file cut where no record starts is scanned again whole.
    ``meanwhile`` runs in this process once the workers have started (after the first range's result: the
    workers hold several more), where it would otherwise wait for them."""
    parts = plan(files, workers)
    with closing(ordered_map(_scan, parts, workers, "reparse")) as results:  # its workers stopped if meanwhile fails
        scans = list(islice(results, 1))
        meanwhile()
        scans += results
    uncut = {part.path for part, scan in zip(parts, scans, strict=True) if scan is None}
    if uncut:
        kept = [(part, scan) for part, scan in zip(parts, scans, strict=True) if part.path not in uncut]
        whole = [RecordRange(path) for path in files if path in uncut]
        kept += zip(whole, ordered_map(_scan, whole, workers, "reparse"), strict=True)
        order = {path: n for n, path in enumerate(files)}
        kept.sort(key=lambda entry: (order[entry[0].path], entry[0].start))
        parts, scans = [part for part, _ in kept], [scan for _, scan in kept]
    articles: set[str] = set()
    rest_responses: list[tuple[Path, int, str]] = []
    revisits: dict[str, str] = {}
    for scan in scans:
        assert scan is not None  # a whole file has no cut
        articles |= scan[0]
        rest_responses += scan[1]
        revisits |= scan[2]
    return parts, articles, rest_responses, revisits


def _as_record(capture: CaptureRecord, location: str | None) -> StoredRecord:
    """What the removal replay reads of a record, from its capture row (the workers send no bodies back)."""
    return StoredRecord(warc_file=capture.warc_file, offset=capture.warc_offset, length=capture.warc_length,
                        record_type=capture.record_type, record_id=capture.record_id, target_uri=capture.url,
                        date=capture.fetched_at, payload_digest=capture.payload_digest, concurrent_to=None,
                        refers_to=None, status=capture.status or None, content_type=capture.content_type, body=None,
                        location=location)


@dataclass
class _Pending:
    """Articles waiting for the next batch, with their content hashes and, where the workers stemmed, their stems."""

    items: list[ArticleItem] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    stems: list[tuple[Document, str]] = field(default_factory=list)

    def add(self, item: ArticleItem, digest: str, stems: tuple[Document, str] | None) -> None:
        self.items.append(item)
        self.digests.append(digest)
        if stems is not None:
            self.stems.append(stems)

    def store(self, store: ArchiveStore) -> int:
        """Store the batch; how many articles it held."""
        if not self.items:
            return 0
        with stems_given(self.stems):
            stored = len(store.store_articles(self.items, digests=self.digests))
        self.items, self.digests, self.stems = [], [], []
        return stored


def reparse(warc_dir: str | Path, db_url: str, workers: int = 1) -> ReparseResult:
    """Rebuild with ``workers`` processes reading and extracting; this process writes, in writing order."""
    files = warc_files(warc_dir)
    result = ReparseResult(files=len(files))
    parts, article_records, rest_responses, revisits = _scan_all(files, workers, lambda: ensure_schema(db_url))
    rest = rest_index(rest_responses)
    replay = RemovalReplay()
    replay.revisits = revisits
    replay.articles_known(article_records)
    store = ArchiveStore(make_engine(db_url))
    run_id = store.start_run("reparse", "reparse", dict(software_versions()))
    pending = _Pending()
    captures: list[CaptureRecord] = []
    shared = (article_records, rest, stems_ahead(db_url, workers))
    for n, read in enumerate(ordered_map(_read, parts, workers, "reparse", _share, shared)):
        for capture, outcome, digest, location, stems in read:
            captures.append(capture)
            result.captures += 1
            record = _as_record(capture, location)
            if (removed := replay.removal(record)) is not None:  # after what was stored before it
                store.record_captures(captures, run_id)
                captures = []
                result.articles += pending.store(store)
                store.mark_removed([removed])
                continue
            replay.locate(parts[n].path, record)
            if capture.record_type == "revisit" and (restored := replay.restored_body(record)) is not None:
                record.body = restored  # an article back as it was: the restore is a version (rare: read here)
                outcome = read_article(record, rest)
                digest = content_hash(outcome) if isinstance(outcome, ArticleItem) else ""
            if isinstance(outcome, ExtractionFailure):
                store.record_captures(captures, run_id)
                captures = []
                store.record_failure(outcome, run_id)
                result.failures += 1
            elif outcome is not None:
                replay.stored(outcome)
                pending.add(outcome, digest, stems)
                if len(pending.items) >= BATCH:
                    store.record_captures(captures, run_id)
                    captures = []
                    result.articles += pending.store(store)
        if n + 1 == len(parts) or parts[n + 1].path != parts[n].path:  # the end of a file
            store.record_captures(captures, run_id)
            captures = []
    result.articles += pending.store(store)
    store.finish_run(run_id, "finished", {"articles": result.articles, "failures": result.failures,
                                          "files": result.files})
    store.engine.dispose()
    return result
