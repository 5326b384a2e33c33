"""Custom Scrapy signals that connect capture and storage without either importing the other."""

captures_archived = object()  # kwargs: records (list of archiver.storage.repository.CaptureRecord), on disk
article_stored = object()  # kwargs: item (ArticleItem), article_id (int), version (int), status (str)
flush_requested = object()  # no kwargs: commit everything buffered now (a distributed worker acknowledges after)
settle_captures = object()  # no kwargs: the WARC writer answers for every exchange handed to it (captures_archived
# for them) before the sender writes rows that point into the WARC files
