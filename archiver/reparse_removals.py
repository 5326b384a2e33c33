"""Take-downs from the archived answers, for ``archiver reparse``: the same judgement as the crawl's.

An update asks for its known articles; an answer that is 404 or 410 or that redirects away from the article
(``archiver.normalize.takedowns.answer_removal``), or the article's own REST route answering that it is no longer
published (``archiver.pages.rest_route``), marked it removed at the time of that answer. Replayed in writing
order, the same answers mark the rebuilt database the same way; an article page that answers again later is a
restore, which storing it records (``archiver.storage.removals``). A restored page identical to its archived
copy is a revisit record: its payload is read from the record it refers to.

Reparse judges every archived answer for an archived article's URL. The crawl judges them in update runs only
(a full crawl does not consult the archive): a take-down that a later full crawl met is marked here, not there.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from .items import ArticleItem
from .normalize.takedowns import REDIRECTS, answer_removal
from .normalize.urls import is_article_url
from .pages.rest_route import UNPUBLISHED_ANSWERS, route_item_id
from .warc.reader import StoredRecord, read_record_at


class RemovalReplay:
    """The articles stored so far in the replay, and what an archived answer says about one of them."""

    def __init__(self) -> None:
        self.urls: set[str] = set()
        self.by_post_id: dict[int, str] = {}
        self.removed: set[str] = set()
        self.revisits: dict[str, str] = {}  # revisit record ID -> the record ID it repeats
        self.originals: dict[str, tuple[Path, int] | None] = {}  # repeated article payloads, once located

    def first_pass(self, record: StoredRecord) -> None:
        if record.record_type == "revisit" and record.refers_to:
            self.revisits[record.record_id] = record.refers_to

    def articles_known(self, article_records: set[str]) -> None:
        """After the first pass: the payloads article revisits repeat (a restore may need one)."""
        self.revisits = {rid: refers for rid, refers in self.revisits.items() if rid in article_records}
        self.originals = dict.fromkeys(self.revisits.values())

    def locate(self, path: Path, record: StoredRecord) -> None:
        if record.record_id in self.originals:
            self.originals[record.record_id] = (path, record.offset)

    def restored_body(self, record: StoredRecord) -> bytes | None:
        """The payload of an article revisit that restores a removed article (None for any other record)."""
        if record.record_type != "revisit" or record.target_uri not in self.removed:
            return None
        where = self.originals.get(self.revisits.get(record.record_id, ""))
        return read_record_at(*where).body if where is not None else None

    def stored(self, item: ArticleItem) -> None:
        self.urls.add(item.url)
        self.removed.discard(item.url)
        if item.post_id is not None:
            self.by_post_id[item.post_id] = item.url

    def removal(self, record: StoredRecord) -> tuple[str, str, datetime] | None:
        """(article URL, removed status, when) for an answer that shows an archived article taken down."""
        if record.record_type != "response" or record.status is None:
            return None
        item_id = route_item_id(record.target_uri)
        if item_id is not None:
            url = self.by_post_id.get(item_id)
            if url is None or record.status not in UNPUBLISHED_ANSWERS:
                return None
            self.removed.add(url)
            return url, "unpublished", record.date
        if record.target_uri not in self.urls:
            return None
        target = urljoin(record.target_uri, record.location) if record.location and \
            record.status in REDIRECTS else None
        status = answer_removal(record.target_uri, record.status, target, is_article_url)
        if status is None:
            return None
        self.removed.add(record.target_uri)
        return record.target_uri, status, record.date
