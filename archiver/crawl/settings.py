"""Default Scrapy settings of the archiver (``scrapy.cfg`` points here).

Polite by default, for a real site over months: robots.txt obeyed, AutoThrottle, one
request at a time per domain, an identifying User-Agent with a contact URL.
"""

from archiver import __version__

BOT_NAME = "archiver"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = f"archiver/{__version__} (+https://github.com/archiver-project/archiver; news archive for research)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
# Scrapy's telnet console and its remote control (an HTTP server, on by default since Scrapy 2.19, that runs any
# Python code sent with the token it writes to ~/.local/state/scrapy/job_files) would let another local process
# run code inside a crawler holding database credentials. Both are off, and not even loaded (EXTENSIONS): loading
# them imported aiohttp and twisted.conch at every start only to be told they were not configured.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
DOWNLOAD_TIMEOUT = 60
# The archiver cuts raw bodies itself at ARCHIVER_MAX_BODY_SIZE (keeping the part that arrived, marked
# WARC-Truncated: length); Scrapy's own limit stays above it and bounds decompressed sizes.
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
# A body cut short must still reach the WARC writer (as WARC-Truncated), not vanish as an error.
DOWNLOAD_FAIL_ON_DATALOSS = False
RETRY_TIMES = 3
HTTPERROR_ALLOW_ALL = False
REDIRECT_MAX_TIMES = 10
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for *every* response's output; our callbacks yield a few
# dozen objects to synchronous pipelines, so Scrapy's 100 tasks per page were pure overhead (the profile's
# top entries).
CONCURRENT_ITEMS = 4
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# Scrapy's filter, with fingerprints in about 16 bytes instead of 90: the one thing a crawl keeps per request.
DUPEFILTER_CLASS = "archiver.crawl.dupefilter.CompactDupeFilter"
STATS_CLASS = "archiver.crawl.stats.PlainStatsCollector"  # Scrapy's, less a shim on every attribute read
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Never fetch through these schemes: an archive crawler has no business reading local files or buckets.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "archiver.crawl.safety.UnsafeTargetMiddleware": 50,
    "archiver.crawl.middlewares.RobotsPolicyMiddleware": 100,
    "archiver.crawl.middlewares.RetryAfterMiddleware": 555,
}
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# Crawl policy on what the spiders yield: what the archive holds (resume, update filtering, conditional
# requests), then the discovery backlog. The distributed add-on puts its seeding filter in front of both.
SPIDER_MIDDLEWARES = {
    "archiver.crawl.policy.ArchivePolicyMiddleware": 600,
    "archiver.crawl.backlog.DiscoveryBacklogMiddleware": 650,
    # After the policy: the image requests it let through are fetched by the downloader alone (crawl.images).
    "archiver.crawl.images.DirectImageMiddleware": 550,
}

EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "archiver.crawl.archive_view.ArchiveView": 10,
    "archiver.crawl.rest.RestIndexExtension": 20,
    "archiver.crawl.capture.WarcCaptureExtension": 100,
    "archiver.crawl.images.DirectImageFetcher": 110,
    "archiver.crawl.progress.ProgressExtension": 900,
    "archiver.crawl.progress.QueuePeakExtension": 910,
    "archiver.crawl.gc_tuning.GarbageCollectorTuning": 950,
    # Last: its verdict reads what the other extensions recorded when the spider closed.
    "archiver.crawl.gates.QualityGatesExtension": 990,
}
# Inert unless ARCHIVER_REDIS_URL is set: then this process is one worker of a distributed run.
ADDONS = {"archiver.crawl.distributed.worker.DistributedAddon": 0}
ITEM_PIPELINES = {
    "archiver.crawl.rest.RestCompletionPipeline": 400,
    "archiver.crawl.pipelines.StoragePipeline": 500,
}

# archiver's own settings (documented in docs/runbook.md)
ARCHIVER_DB_URL = None  # default: $ARCHIVER_DB_URL or sqlite:///archive/archive.sqlite3
ARCHIVER_WARC_DIR = None  # default: $ARCHIVER_WARC_DIR or archive/warc
ARCHIVER_WARC_ENABLED = True
ARCHIVER_WARC_PREFIX = "archiver"
ARCHIVER_WARC_MAX_SIZE = 1_000_000_000
ARCHIVER_MAX_BODY_SIZE = 50 * 1024 * 1024
ARCHIVER_WARC_REVISITS = True
ARCHIVER_RETRY_AFTER_MAX = 600
ARCHIVER_ALLOWED_HOSTS: list[str] = []  # hosts on private/loopback addresses the operator allows
ARCHIVER_PROGRESS = False  # the CLI turns it on when stderr is a terminal
ARCHIVER_WARC_OPERATOR = ""  # warcinfo "operator": who runs the crawl (a name and contact)
ARCHIVER_COLLECTION = ""  # warcinfo "isPartOf": the collection the WARC files belong to (default: "archiver")
ARCHIVER_WARC_WRITER = None  # "process" (a writer process on another core) or "inline"; default by run kind
ARCHIVER_FETCH_IMAGES = True
ARCHIVER_DB_BATCH_SIZE = 50
# Seconds a run waits for a database server that went away (a restart for maintenance) before it stops with
# exit 1; the crawl pauses meanwhile. Covers PostgreSQL's stop and start of about 30 s.
ARCHIVER_DB_RETRY_SECONDS = 60.0
ARCHIVER_RUN_MODE = "crawl"  # "crawl" or "update" (archiver update, or scrapy crawl -a mode=update)
# What tells an update that a known article changed (archiver.crawl.archive_view): "rest" (a REST record's
# modified_gmt), "lastmod" (a sitemap's), "feed" (an RSS or Atom entry's date), "conditional" (re-checks ask with
# If-None-Match / If-Modified-Since) and "recheck" (the decaying re-check schedule). Each can be switched off for
# a site whose dates lie; taken-down articles are asked for again whatever this says.
ARCHIVER_CHANGE_SIGNALS = ["rest", "lastmod", "feed", "conditional", "recheck"]
# Quality gates (archiver.crawl.gates): the run's verdict and exit code.
ARCHIVER_MAX_ERROR_RATE = 0.5  # failed or 5xx requests per request above this: the crawl failed (exit 1)
ARCHIVER_MAX_FAILURE_RATE = 0.2  # extraction failures per parsed article page above this: exit 3
ARCHIVER_STALE_DAYS = 0  # 0 = off; the newest stored article older than this many days: exit 3
# The drift alarm (a theme change): a field the archive's articles have at least this often …
ARCHIVER_DRIFT_BASELINE = 0.9
ARCHIVER_DRIFT_MAX_MISSING = 0.2  # … missing in more than this share of the run's new and changed articles: exit 3
ARCHIVER_DRIFT_MIN_ARTICLES = 5  # fewer articles in the archive or in the run: no judgement
ARCHIVER_GC_THRESHOLD = 7000  # young objects between garbage collections during a crawl (0: Python's 700)
ARCHIVER_MAX_LISTING_PAGES = 5000  # listing /page/N/ beyond this is a trap, not an archive (tarnkappe: ~1,800)
ARCHIVER_REST_MAX_PAGES = 50  # pages of 100 read per REST taxonomy (users, categories, tags)

# Distributed runs (scrapy-redis; docs/runbook.md "Many workers")
ARCHIVER_REDIS_URL = None  # set: join or start the distributed run for this spider and site
ARCHIVER_WORKER_ID = None  # default: <hostname>-<pid>; names the worker's WARC files and database rows
ARCHIVER_RUN_KEY = None  # join this run id instead of the current one for the spider and site
ARCHIVER_IDLE_CLOSE = 30.0  # seconds the whole run must be idle before a worker closes
ARCHIVER_HEARTBEAT_TTL = 30.0  # a worker silent this long is dead; its leased requests go back to the queue
ARCHIVER_DISTRIBUTED_INTERVAL = 1.0  # seconds between heartbeats and acknowledgements
ARCHIVER_LEASE_BATCH = 8  # requests leased from the shared queue per round trip
ARCHIVER_DISTRIBUTED_RUN = None  # set by the distributed add-on to the run's id; not for operators


def archiver_defaults() -> dict[str, object]:
    """Every ARCHIVER_* setting with its default, for a crawler built without this module (benchmarks, tests)."""
    return {name: value for name, value in globals().items() if name.startswith("ARCHIVER_")}
