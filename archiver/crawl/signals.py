"""The archiver's own Scrapy signals: how capture (archiver.crawl.capture) and storage (archiver.crawl.pipelines)
keep the central guarantee, that the database never gets ahead of the WARC files, without importing each other.

    response_downloaded (Scrapy) ─► WarcCaptureExtension hands the exchange to the WARC writer and puts an empty
                                    CaptureRef in request.meta["warc_capture"]; the spider copies it onto the item
    writer answers ──────────────► the CaptureRef is filled in (record_id last); ``captures_archived`` carries the
                                    capture rows (CaptureRecord) to the storage pipeline, which buffers them
    storage about to write ──────► ``settle_captures``: the extension waits for every answer still due, so every
                                    buffered item's CaptureRef is final; items whose write failed are not stored
    rows committed ──────────────► ``article_stored``: the extension writes a WARC metadata record that names
                                    the article row (the index ``archiver reparse`` rebuilds the database from)
    distributed acknowledgement ─► ``flush_requested``: storage commits everything buffered now, before the
                                    worker tells Redis the leased requests are done

docs/architecture.md draws the same sequence.
"""

# kwargs: records (list of archiver.storage.repository.CaptureRecord), every one of them on disk.
captures_archived = object()
# kwargs: item (ArticleItem), article_id (int), version (int), status ("new", "changed" or "unchanged").
article_stored = object()
# No kwargs: commit everything buffered now; a handler that fails makes the acknowledgement fail.
flush_requested = object()
# kwargs: scheduler (archiver.crawl.distributed.shared_queue.SharedScheduler): a distributed worker's scheduler
# opened; the worker's extension keeps it (the requests it holds count as the worker's own work).
shared_scheduler_opened = object()
# No kwargs: the WARC writer answers for every exchange handed to it (sending captures_archived for them) before
# the sender writes rows that point into the WARC files.
settle_captures = object()
