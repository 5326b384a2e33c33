"""Running a spider in this process with the archiver's settings, and reading back what it did."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from ..exceptions import ConfigurationError
from ..locations import resolve_db_url, resolve_warc_dir
from ..storage.db import ensure_schema
from .archive_view import change_signals
from .capture import warc_writer_kind
from .stats import finish_reason

# Politeness is pointless (and slow) toward a server on this machine; never relaxed for others.
LOCAL_PROFILE = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                 "CONCURRENT_REQUESTS": 16}


@dataclass
class CrawlResult:
    spider: str
    finish_reason: str
    stats: dict[str, Any]
    db_url: str
    warc_dir: str


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_setting_overrides(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"-s expects KEY=VALUE, got {pair!r}")
        overrides[key.strip()] = value
    return overrides


def build_settings(db_url: str, warc_dir: str, mode: str, politeness: str, base_url: str | None,
                   overrides: dict[str, str]) -> Settings:
    settings = Settings()
    settings.setmodule("archiver.crawl.settings", priority="project")
    if politeness not in ("auto", "polite", "local"):
        raise ConfigurationError(f"--politeness must be auto, polite or local, got {politeness!r}")
    local = politeness == "local" or (politeness == "auto" and base_url is not None and is_loopback(base_url))
    if politeness == "local" and (base_url is None or not is_loopback(base_url)):
        raise ConfigurationError("--politeness local is only allowed for a server on this machine (loopback)")
    if local:
        settings.setdict(LOCAL_PROFILE, priority="cmdline")
    settings.setdict({"ARCHIVER_DB_URL": db_url, "ARCHIVER_WARC_DIR": warc_dir, "ARCHIVER_RUN_MODE": mode},
                     priority="cmdline")
    settings.setdict(overrides, priority="cmdline")
    return settings


def run_crawl(spider: str, base_url: str | None = None, db_url: str | None = None, warc_dir: str | None = None,
              mode: str = "crawl", politeness: str = "auto", overrides: dict[str, str] | None = None,
              spider_args: dict[str, str] | None = None) -> CrawlResult:
    if base_url is not None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"--base-url must be an http(s) URL, got {base_url!r}")
    if mode not in ("crawl", "update"):
        raise ConfigurationError(f"mode must be crawl or update, got {mode!r}")
    db = resolve_db_url(db_url)
    warcs = resolve_warc_dir(warc_dir)
    settings = build_settings(db, warcs, mode, politeness, base_url, overrides or {})
    warc_writer_kind(settings)  # a bad value is one line and exit 2, before anything starts
    change_signals(settings)
    loader = SpiderLoader.from_settings(settings)
    if spider not in loader.list():
        raise ConfigurationError(f"unknown spider {spider!r} (available: {', '.join(sorted(loader.list()))})")
    ensure_schema(db)  # fail before any request when the database is unusable
    Path(warcs).mkdir(parents=True, exist_ok=True)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(loader.load(spider))
    kwargs: dict[str, str] = dict(spider_args or {})
    if base_url:
        kwargs["base_url"] = base_url
    kwargs["mode"] = mode
    process.crawl(crawler, **kwargs)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return CrawlResult(spider, finish_reason(stats), dict(stats), db, warcs)
