"""Every use of a private Scrapy or Twisted name, fenced in one module, each with its reason.

Scrapy is pinned to the range in ``pyproject.toml``; CI runs the capture and crawl tests on the oldest and the
newest release of that range (``make test-scrapy-range``). Known to work on Scrapy 2.14 to 2.19 with Twisted 25
and 26. When a name here moves, the helper degrades where it can (the capture reconstructs the reason phrase
and says so in ``warcinfo``) and fails loudly where degrading would lose data (the distributed acknowledgements).
Nothing outside this module may name a private Scrapy or Twisted attribute.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from twisted.internet.defer import Deferred

from ..exceptions import DistributedError

logger = logging.getLogger(__name__)

# --- What came over the wire -----------------------------------------------------------------------------------
# Scrapy's HTTP/1.1 client drops the reason phrase and the connection-control headers (Transfer-Encoding,
# Content-Length, Connection) before a response reaches any public hook. No public hook exposes them: a
# DOWNLOAD_HANDLERS subclass would have to copy HTTP11DownloadHandler.download_request, which builds its private
# _ScrapyAgent inline (more private names, not fewer). So the agent's body callback is wrapped once per process:
# _ScrapyAgent._cb_bodyready(txresponse, request), and Twisted's parser behind txresponse
# (_transport._producer.protocol[._wrappedProtocol]._parser.connHeaders).
_wire_installed = False


def _wire_metadata(txresponse: Any) -> dict[str, Any] | None:
    try:
        protocol = txresponse._transport._producer.protocol
        protocol = getattr(protocol, "_wrappedProtocol", protocol)  # endpoints wrap the HTTP protocol
        parser = protocol._parser
        # As bytes, like Scrapy's headers: the WARC writer decodes both (records.CapturedExchange).
        conn_headers = list(parser.connHeaders.getAllRawHeaders())
        return {"phrase": txresponse.phrase.decode("latin-1"),
                "protocol": "HTTP/{}.{}".format(*txresponse.version[1:]), "conn_headers": conn_headers}
    except (AttributeError, TypeError, IndexError) as error:
        logger.debug("wire metadata unavailable: %r", error)
        return None


def install_wire_hook() -> bool:
    """Copy each response's reason phrase and connection headers into ``request.meta["archiver_wire"]``;
    False when Scrapy's internals moved (the capture then reconstructs the phrase and says so)."""
    global _wire_installed
    if _wire_installed:
        return True
    try:
        from scrapy.core.downloader.handlers import http11
    except ImportError:
        return False
    agent = getattr(http11, "_ScrapyAgent", None) or getattr(http11, "ScrapyAgent", None)
    original = getattr(agent, "_cb_bodyready", None)
    if agent is None or original is None:
        logger.warning("cannot hook Scrapy's HTTP client: reason phrases will be reconstructed")
        return False

    def _cb_bodyready(self: Any, txresponse: Any, request: Any) -> Any:
        wire = _wire_metadata(txresponse)
        if wire is not None:
            request.meta["archiver_wire"] = wire
        return original(self, txresponse, request)

    agent._cb_bodyready = _cb_bodyready
    _wire_installed = True
    return True


# --- The engine's requests in progress --------------------------------------------------------------------------
# A distributed worker acknowledges a leased request only once the engine is done with it; the engine's private
# slot (ExecutionEngine._slot: inprogress, nextcall) is the only record of that, and the only way to wake an idle
# engine sooner than its 5-second heartbeat.

def engine_in_progress(crawler: Crawler) -> set[Request]:
    """The requests the crawler's engine is still working on; raises rather than acknowledging too early."""
    inprogress = getattr(getattr(crawler.engine, "_slot", None), "inprogress", None)
    if inprogress is None:
        raise DistributedError("this Scrapy version has no engine slot in-progress set; see docs/runbook.md")
    return inprogress  # type: ignore[no-any-return]


def wake_engine(crawler: Crawler) -> None:
    """Have an idle engine look at its scheduler now rather than at its next heartbeat."""
    slot = getattr(crawler.engine, "_slot", None)
    if slot is not None:
        slot.nextcall.schedule()


# --- The duplicate filter's fingerprints ---------------------------------------------------------------------
# RFPDupeFilter's constructor reads a JOBDIR file's fingerprints into its private set ``_fingerprints``; the
# compact filter (archiver.crawl.dupefilter) takes them over and leaves the set empty.

def take_fingerprints(dupefilter: Any) -> set[bytes]:
    found: set[bytes] = getattr(dupefilter, "_fingerprints", set())
    dupefilter._fingerprints = set()
    return found


# --- robots.txt answers and failures -----------------------------------------------------------------------------
# RFC 9309 wants a 5xx robots.txt (or none at all) to disallow the whole host; Scrapy's middleware allows
# everything then. Its per-answer and per-failure steps (_parse_robots, _robots_error) and its parser table
# (_parsers) are the only place to change that without copying the middleware.

class RobotsTxtHooks(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with public hooks for a subclass: ``robots_answer`` (return True when it
    handled the response itself) and ``robots_failure``; ``disallow_host`` installs a policy for a host."""

    def robots_answer(self, response: Response, netloc: str) -> bool:
        return False

    def robots_failure(self, error: Exception, netloc: str) -> None:
        """Called instead of Scrapy's own handling, which would allow everything; must settle the host."""
        self.disallow_host(netloc, None)

    def disallow_host(self, netloc: str, policy: Any) -> None:
        pending = self._parsers[netloc]
        self._parsers[netloc] = policy
        if isinstance(pending, Deferred):  # requests for this host wait on it
            pending.callback(policy)

    @property
    def robots_stats(self) -> Any:
        return self._stats

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if not self.robots_answer(response, netloc):
            await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self.robots_failure(exc, netloc)
