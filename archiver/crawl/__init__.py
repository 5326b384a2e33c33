"""Scrapy components of the archiver: settings, WARC capture extension, pipelines, middlewares."""
