"""Custom Scrapy signals that connect capture and storage without either importing the other."""

capture_archived = object()  # kwargs: record (archiver.storage.repository.CaptureRecord)
article_stored = object()  # kwargs: item (ArticleItem), article_id (int), version (int), status (str)
flush_requested = object()  # no kwargs: commit everything buffered now (a distributed worker acknowledges after)
