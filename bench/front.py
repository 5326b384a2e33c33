"""The issue's server for throughput benchmarks: a loopback nginx in front of the replica, caching every answer.

The replica renders and gzips each page in Python (about 0.9 CPU-ms per page), CPU that a crawl on this
2-core machine then cannot use. nginx keeps each answer the replica gave the first time (status, headers and
body, 404s and redirects included) and serves it again from its cache, so the benchmarked crawlers get the
replica's exact pages at nginx's cost. The cache holds two copies of each answer, gzipped for clients that
send ``Accept-Encoding: gzip`` (Scrapy) and plain for the others (wget), and nginx answers conditional
requests (If-None-Match, If-Modified-Since) from the cached validators itself. Every answer from the cache
carries a Content-Length (the replica sends listings and some articles chunked to HTTP/1.1 clients, to test
the crawler's decoding; nginx asks in HTTP/1.0).

A cold cache forwards to the replica, so ``warm`` first fetches everything that a recursive wget finds,
once with gzip and once without.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

CONFIG = """\
{user}daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy_temp;
    fastcgi_temp_path {root}/fastcgi_temp;
    uwsgi_temp_path {root}/uwsgi_temp;
    scgi_temp_path {root}/scgi_temp;
    proxy_cache_path {root}/cache levels=1:2 keys_zone=replica:64m max_size=8g inactive=7d use_temp_path=off;
    map $http_accept_encoding $encoding {{ ~*gzip gzip; default identity; }}
    upstream replica {{ server {upstream}; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replica;
            # HTTP/1.0 upstream: the replica then sends every answer with a Content-Length, which nginx keeps
            # in the cache and sends on; a chunked answer would be cached and served chunked.
            proxy_http_version 1.0;
            # The replica writes absolute links from the Host header: they must name this front.
            proxy_set_header Host $http_host;
            proxy_set_header Accept-Encoding $encoding;
            proxy_cache replica;
            proxy_cache_key $encoding$request_uri;
            proxy_cache_valid any 7d;
            proxy_cache_lock on;
            proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;
        }}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def nginx_version(binary: str) -> str:
    # nginx prints its version on stderr: "nginx version: nginx/1.22.1"
    output = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr.strip()
    return output.rpartition("/")[2] or output


class NginxFront:
    """nginx on a free loopback port, proxying to ``upstream`` (``http://host:port``) with a private cache."""

    def __init__(self, upstream: str, binary: str | None = None) -> None:
        found = binary or shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if found is None:
            raise SystemExit("nginx is not installed (make bench installs it: apt-get install nginx-light)")
        self.version = nginx_version(found)
        self._root = tempfile.mkdtemp(prefix="archiver-bench-nginx-")
        port = _free_port()
        config = Path(self._root) / "nginx.conf"
        # Started as root, nginx's workers would drop to "nobody" and could not write this private cache.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        config.write_text(CONFIG.format(user=user, root=self._root, port=port,
                                        upstream=upstream.removeprefix("http://")))
        self.base_url = f"http://127.0.0.1:{port}"
        self._process = subprocess.Popen([found, "-p", self._root, "-c", str(config)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            self._wait_until_listening(port)
        except BaseException:
            self.terminate()  # also removes the private directory
            raise

    def _wait_until_listening(self, port: int) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SystemExit(f"nginx did not start: {self._process.stderr.read() if self._process.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("nginx did not listen within 10 s")

    def warm(self) -> int:
        """Fetch every page, image and listing a recursive wget finds, with and without gzip, so that later
        crawls hit the cache; then robots.txt, the main feed and every sitemap, which wget does not follow.

        Returns the number of URLs fetched. Other feeds reach the replica once, on the first crawl.
        """
        binary = shutil.which("wget")
        if binary is None:
            raise SystemExit("wget is not installed (make bench installs it: apt-get install wget)")
        with tempfile.TemporaryDirectory() as directory:
            runs = [subprocess.Popen([binary, "--recursive", "--level=inf", "--no-parent", "--execute", "robots=on",
                                      f"--compression={compression}", "--delete-after", "--no-verbose",
                                      "--output-file", f"{directory}/{compression}.log", "--directory-prefix",
                                      f"{directory}/{compression}", self.base_url + "/"])
                    for compression in ("gzip", "none")]
            for run in runs:
                run.wait()
            fetched = sum(1 for log in Path(directory).glob("*.log")
                          for line in log.read_text(errors="replace").splitlines() if " URL:" in line)
        index = self._get("/sitemap_index.xml", "identity")
        self._get("/sitemap_index.xml", "gzip")
        sitemaps = [url.removeprefix(self.base_url) for url in re.findall(r"<loc>\s*([^<]+?)\s*</loc>", index)]
        paths = ["/robots.txt", "/feed/", *sitemaps]
        for path in paths:
            for encoding in ("gzip", "identity"):
                self._get(path, encoding)
        return fetched + 2 + 2 * len(paths)

    def _get(self, path: str, encoding: str) -> str:
        request = urllib.request.Request(self.base_url + path, headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return str(body.decode("utf-8", "replace")) if encoding == "identity" else ""

    def terminate(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        shutil.rmtree(self._root, ignore_errors=True)
