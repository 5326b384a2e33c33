"""``archiver reextract``: the current extractor over every stored capture of an archive, rows updated in place.

After an upgrade of the extractor (a fixed selector, a new layout), the archive's articles are read again from
their own WARC records, completed from the archived REST answers as the crawl completes them, and each version row
is rewritten with what the current extractor finds (``ArchiveStore.rewrite_versions``). Nothing is fetched;
re-extraction never creates a version (the site did not change, the reading did), and a second pass changes
nothing. Every row records the extractor version that produced it (``article_versions.extractor``).
With several workers (``archiver.parallel``), worker processes read and extract batches of versions and this
process rewrites them in version order, a batch per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from .exceptions import ExtractionError, WarcError
from .items import ArticleItem
from .normalize.charset import decode_page
from .pages import Page, extract
from .pages.rest import RestIndex, complete_from_rest
from .parallel import ordered_map
from .reparse import BATCH, REST_ROUTE, rest_index, stem_of, stems_ahead
from .storage import models as m
from .storage.db import ensure_schema, make_engine
from .storage.repository import ArchiveStore
from .storage.stemming import Document, stems_given
from .storage.versions import content_hash
from .warc.reader import read_record_at


@dataclass
class ReextractResult:
    versions: int = 0  # stored versions with a capture to read
    rewritten: int = 0  # whose row the current extractor changed
    failed: int = 0  # whose capture the current extractor cannot read as an article (left as they were)
    missing: int = 0  # whose WARC record is not in the WARC directory (left as they were)


Stored = tuple[int, str, Path, int, str | None]  # version id, URL, WARC file, offset, content type
FAILED, MISSING = "failed", "missing"
class StoredDocuments:
    """What each version row holds as title, lead and text now, read over a read-only engine of its own (a worker
    process's). A rewrite that leaves them as they are re-indexes nothing (revision 0016), so its stems need not be
    computed ahead."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._engine: Engine | None = None

    def of(self, version_ids: list[int]) -> dict[int, Document]:
        if self._engine is None:  # made in the process that reads, after the fork
            self._engine = make_engine(self.db_url, readonly=True)
        versions = m.ArticleVersion.__table__
        with self._engine.connect() as conn:
            return {version_id: (title, lead, text) for version_id, title, lead, text in conn.execute(
                select(versions.c.id, versions.c.title, versions.c.lead, versions.c.text)
                .where(versions.c.id.in_(version_ids)))}


_rest = RestIndex()
# Where the workers stem what they extract for the writer (``reparse.stems_ahead``): the rows as they are, so that
# only a changed title, lead or text is stemmed (the others are not re-indexed).
_stored: StoredDocuments | None = None


def _share(rest: RestIndex, stored: StoredDocuments | None) -> None:
    global _rest, _stored
    _rest, _stored = rest, stored


def read_version(url: str, path: Path, offset: int, content_type: str | None,
                 rest: RestIndex) -> ArticleItem | str:
    """A stored version's capture extracted again and completed from the REST index; FAILED or MISSING."""
    try:
        record = read_record_at(path, offset)
    except (OSError, WarcError):
        return MISSING
    html, warning = decode_page(record.body or b"", content_type)
    try:
        item = extract(Page(url, html))
    except ExtractionError:
        return FAILED
    if warning:
        item.warnings.append(warning)
    if rest:
        if item.post_id is not None:
            rest.use_post_read_nearest(item.post_id, record.date)
        complete_from_rest(item, rest)
    return item


Read = tuple[int, ArticleItem | str, str, tuple[Document, str] | None]


def _read(batch: list[Stored]) -> list[Read]:
    """Each version's new item (or FAILED, MISSING) with its content hash and, where the workers stem and the
    document changed, its stems: computed here, in a worker."""
    read: list[Read] = []
    stored = _stored.of([version_id for version_id, *_ in batch]) if _stored is not None else None
    for version_id, url, path, offset, content_type in batch:
        item = read_version(url, path, offset, content_type, _rest)
        if isinstance(item, ArticleItem):
            changed = stored is not None and stored.get(version_id) != (item.title, item.lead, item.text)
            read.append((version_id, item, content_hash(item), stem_of(item) if changed else None))
        else:
            read.append((version_id, item, "", None))
    return read


def reextract(warc_dir: str | Path, db_url: str, workers: int = 1) -> ReextractResult:
    """Re-extract with ``workers`` processes reading and extracting; this process rewrites, in version order."""
    directory = Path(warc_dir)
    ensure_schema(db_url)  # an archive of an older release: its rows are rewritten in the current schema
    store = ArchiveStore(make_engine(db_url))
    versions, captures = m.ArticleVersion.__table__, m.Capture.__table__
    result = ReextractResult()
    with store.engine.connect() as conn:
        rest_answers = [(directory / file, offset, route[1]) for url, file, offset in conn.execute(
            select(captures.c.url, captures.c.warc_file, captures.c.warc_offset)
            .where(captures.c.status == 200, captures.c.record_type == "response"))
            if (route := REST_ROUTE.search(url)) is not None and (directory / file).exists()]
        stored: list[Stored] = [
            (version_id, url, directory / warc_file, offset, content_type)
            for version_id, url, warc_file, offset, content_type in conn.execute(
                select(versions.c.id, captures.c.url, captures.c.warc_file, captures.c.warc_offset,
                       captures.c.content_type)
                .select_from(versions.join(captures, captures.c.id == versions.c.capture_id))
                .order_by(versions.c.id))]
    batches = [stored[start:start + BATCH] for start in range(0, len(stored), BATCH)]
    documents = StoredDocuments(db_url) if stems_ahead(db_url, workers) else None
    shared = (rest_index(rest_answers), documents)
    for read in ordered_map(_read, batches, workers, "reextract", _share, shared):
        result.versions += len(read)
        result.failed += sum(outcome == FAILED for _, outcome, _, _ in read)
        result.missing += sum(outcome == MISSING for _, outcome, _, _ in read)
        with stems_given(stems for _, _, _, stems in read if stems is not None):
            result.rewritten += store.rewrite_versions([(version_id, item, digest) for version_id, item, digest, _
                                                        in read if isinstance(item, ArticleItem)])
    store.engine.dispose()
    return result
