"""Never fetch what an archive crawler has no business fetching: non-HTTP schemes, and hosts on
loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, ULA or otherwise reserved
addresses — on every hop, redirects included — unless the operator allows the host explicitly.

Host names are checked twice: as written (IP literals in any notation: dotted, decimal, hex, octal, IPv6,
and ``localhost``) by the downloader middleware, and by what they resolve to (a public-looking name whose
DNS answer is 10.0.0.5 or 127.0.0.1) through the reactor's resolver, whose cache (Scrapy's DNS cache) the
connection then uses. The crawled site's own host is always allowed.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import TimeoutError as DefTimeoutError
from twisted.internet.error import DNSLookupError

logger = logging.getLogger(__name__)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
SAFE_SCHEMES = ("http", "https")


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host name denotes by itself (``2130706433``, ``0x7f.1``, ``[::1]`` …), or None."""
    host = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # inet_aton reads decimal, hex and octal forms
    except (OSError, ValueError):
        return None


def unsafe_address_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = [("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
              ("link-local", address.is_link_local), ("private", address.is_private),
              ("multicast", address.is_multicast), ("reserved", address.is_reserved),
              ("CGNAT", isinstance(address, ipaddress.IPv4Address) and address in CGNAT)]
    for label, hit in checks:
        if hit:
            return f"{label} address {address}"
    return None


def unsafe_reason(url: str, allowed_hosts: frozenset[str]) -> str | None:
    """Why ``url`` must not be fetched, or None when it may be."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SAFE_SCHEMES:
        return f"scheme {parts.scheme or '(none)'} is never fetched"
    host = (parts.hostname or "").lower()
    if not host:
        return "no host"
    if host in allowed_hosts or parts.netloc.lower() in allowed_hosts:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback host"
    address = literal_address(host)
    return None if address is None else unsafe_address_reason(address)


class UnsafeTargetMiddleware:
    """Downloader middleware: refuses unsafe targets before any connection is made, counting each refusal."""

    def __init__(self, crawler: Crawler, allowed: frozenset[str]) -> None:
        self.crawler = crawler
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnsafeTargetMiddleware:
        hosts = frozenset(h.strip().lower() for h in crawler.settings.getlist("ARCHIVER_ALLOWED_HOSTS") if h.strip())
        return cls(crawler, hosts)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        allowed = self.allowed
        own = getattr(spider, "host", None)
        if own:
            allowed = allowed | {own, own.rsplit(":", 1)[0]}
        reason = unsafe_reason(request.url, allowed)
        host = (urlsplit(request.url).hostname or "").lower()
        if reason is None and host not in allowed and literal_address(host) is None:
            reason = await self._resolved_reason(host)
        if reason is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("archiver/unsafe_refused")
        logger.warning("refused %s: %s", request.url, reason)
        raise IgnoreRequest(f"unsafe target: {reason}")

    async def _resolved_reason(self, host: str) -> str | None:
        """What a host name resolves to; a lookup that fails is left to the download (it fails the same way)."""
        from twisted.internet import reactor

        try:
            answer = await maybe_deferred_to_future(reactor.resolve(host))  # type: ignore[attr-defined,arg-type]
        except (DNSLookupError, TimeoutError, DefTimeoutError):
            return None  # the download fails the same way, and reports it with Scrapy's retries
        reason = unsafe_address_reason(ipaddress.ip_address(answer))
        return f"{host} resolves to a {reason}" if reason else None

