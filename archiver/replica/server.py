"""HTTP server of the replica on Twisted (already a Scrapy dependency), with fault switches.

Fault switches live under ``/_faults/``; ``/_replica/stats`` reports request counts so tests
can check how many requests a crawl made.
"""

from __future__ import annotations

import json
import signal
import sys
from collections import Counter
from typing import Any

from twisted.internet import reactor as _reactor
from twisted.web import resource, server

from . import hostile
from .app import ReplicaApp, Response

reactor: Any = _reactor  # the global reactor's interface types do not describe the installed reactor
MALFORMED_HTML = b"<html><head><title>Kaputt</title><body><div><p>Unclosed <b>markup <article><h1>"


class ReplicaResource(resource.Resource):
    isLeaf = True

    def __init__(self, app: ReplicaApp) -> None:
        super().__init__()
        self.app = app
        self.hits: Counter[str] = Counter()
        self.fault_tokens: Counter[str] = Counter()

    def render_HEAD(self, request: Any) -> Any:
        return self.render_GET(request)

    def render_GET(self, request: Any) -> Any:
        raw_path = request.uri.decode("latin-1")
        path, _, query = raw_path.partition("?")
        self.hits[path] += 1
        self.hits["__total__"] += 1
        if path.startswith("/_faults/"):
            return self._fault(request, path)
        if path == "/_replica/stats":
            request.setHeader(b"Content-Type", b"application/json")
            return json.dumps(self.hits).encode()
        host = (request.getHeader(b"host") or b"127.0.0.1").decode("latin-1")
        accept = (request.getHeader(b"accept-encoding") or b"").decode("latin-1")
        conditions = [(request.getHeader(name) or b"").decode("latin-1") or None
                      for name in (b"if-none-match", b"if-modified-since")]
        response = self.app.handle(path, query, host, "gzip" in accept, *conditions)
        return self._send(request, response)

    def _send(self, request: Any, response: Response) -> Any:
        request.setResponseCode(response.status)
        request.setHeader(b"Content-Type", response.content_type.encode())
        request.setHeader(b"Server", b"replica")
        for name, value in response.headers:
            request.responseHeaders.addRawHeader(name.encode(), value.encode())
        if request.method == b"HEAD":
            request.setHeader(b"Content-Length", str(len(response.body)).encode())
            return b""
        if response.chunked and request.clientproto == b"HTTP/1.1" and len(response.body) > 1:
            half = len(response.body) // 2
            request.write(response.body[:half])
            request.write(response.body[half:])
            request.finish()
            return server.NOT_DONE_YET
        return response.body

    def _hostile(self, request: Any, kind: str, args: list[str]) -> Any:
        if kind == "charset" and len(args) >= 3:  # /_faults/charset/<actual>/<label>/<where>[/<index>]
            index = int(args[3]) if len(args) > 3 and args[3].isdigit() else 0
            host = (request.getHeader(b"host") or b"127.0.0.1").decode("latin-1")
            page = self.app.render(self.app.site.article(index).path, "", host)
            try:
                body, content_type = hostile.charset_page(page.body.decode("utf-8"), *args[:3])
            except ValueError as error:
                request.setResponseCode(404)
                return str(error).encode()
            request.setHeader(b"Content-Type", content_type.encode())
            return body
        if kind == "bomb" and args and args[0] in hostile.BOMB_ENCODINGS:  # /_faults/bomb/<encoding>/<MiB>
            size = int(args[1]) if len(args) > 1 and args[1].isdigit() else 1024
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
            request.setHeader(b"Content-Encoding", args[0].encode())
            return hostile.bomb(args[0], size)
        if kind == "drip":  # /_faults/drip/<ms>: one byte every ms milliseconds, for ever
            interval = (int(args[0]) if args and args[0].isdigit() else 500) / 1000
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
            request.write(b"<html><body><p>")
            gone: list[bool] = []  # notifyFinish fires (as an error) when the client hangs up
            request.notifyFinish().addBoth(lambda _: gone.append(True))

            def drip() -> None:
                if request.finished or gone:
                    return
                request.write(b".")
                reactor.callLater(interval, drip)

            reactor.callLater(interval, drip)
            return server.NOT_DONE_YET
        request.setResponseCode(404)
        return b"unknown fault"

    def _fault(self, request: Any, path: str) -> Any:
        parts = path.strip("/").split("/")[1:]
        kind = parts[0] if parts else ""
        if kind == "status" and len(parts) > 1 and parts[1].isdigit():
            request.setResponseCode(int(parts[1]))
            return f"<html><body><h1>Status {parts[1]}</h1></body></html>".encode()
        if kind == "retry-after" and len(parts) > 2:
            self.fault_tokens[path] += 1
            if self.fault_tokens[path] == 1:
                request.setResponseCode(429)
                request.setHeader(b"Retry-After", parts[1].encode())
                return b"<html><body>Too Many Requests</body></html>"
            return b"<html><body><p>Jetzt geht es wieder.</p></body></html>"
        if kind == "slow" and len(parts) > 1 and parts[1].isdigit():
            def finish() -> None:
                request.write(b"<html><body><p>langsam</p></body></html>")
                request.finish()

            reactor.callLater(int(parts[1]) / 1000, finish)
            return server.NOT_DONE_YET
        if kind == "truncated":
            request.setHeader(b"Content-Length", b"100000")
            request.write(b"<html><body><p>abgeschnitten")
            reactor.callLater(0.05, request.channel.transport.loseConnection)
            return server.NOT_DONE_YET
        if kind == "malformed":
            return MALFORMED_HTML
        if kind in ("charset", "bomb", "drip"):
            return self._hostile(request, kind, parts[1:])
        if kind == "redirect-to":  # an open redirect, for testing that every hop is checked
            target = (request.args.get(b"url") or [b"/"])[0]
            request.setResponseCode(302)
            request.setHeader(b"Location", target)
            return b""
        if kind == "redirect-loop" and len(parts) > 1:
            nxt = "b" if parts[1] == "a" else "a"
            request.setResponseCode(302)
            request.setHeader(b"Location", f"/_faults/redirect-loop/{nxt}".encode())
            return b""
        request.setResponseCode(404)
        return b"unknown fault"


def serve(host: str, port: int, app: ReplicaApp, announce: bool = True) -> None:
    """Run in the foreground until SIGTERM/SIGINT. Prints the base URL once listening."""
    site = server.Site(ReplicaResource(app))
    site.noisy = False
    site.log = lambda request: None  # type: ignore[method-assign]  # access logs would dominate the cost
    listener = reactor.listenTCP(port, site, interface=host)
    bound = listener.getHost()
    if announce:
        print(f"http://{bound.host}:{bound.port}", flush=True)

    def stop(signum: int, frame: object) -> None:
        reactor.callFromThread(reactor.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    reactor.run(installSignalHandlers=False)
    sys.stdout.flush()
