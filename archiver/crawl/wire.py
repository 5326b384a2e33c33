"""What Scrapy's HTTP/1.1 client drops before a response reaches us: the reason phrase and the
connection-control headers (``Transfer-Encoding``, ``Content-Length``, ``Connection``).

Twisted keeps them apart from ``response.headers``; a hook on the download handler copies them into
``request.meta["archiver_wire"]`` so the WARC record can say what really came over the wire. If a
future Scrapy or Twisted moves these internals, the hook does nothing and the capture layer falls
back to the standard reason phrase (and says so in ``warcinfo``).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)
_installed = False


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


def install() -> bool:
    """Wrap the HTTP/1.1 agent's headers callback once per process; False when the internals moved."""
    global _installed
    if _installed:
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
    _installed = True
    return True
