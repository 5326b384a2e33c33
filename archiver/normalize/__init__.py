"""Pure normalization functions: no I/O, no Scrapy, idempotent where that applies."""
