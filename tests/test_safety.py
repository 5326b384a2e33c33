"""Unsafe targets are refused on every hop, before any connection (only loopback addresses are ever used)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from archiver.crawl.safety import unsafe_reason

from .conftest import Replica, crawl_into
from .test_capture import fetch, fetch_with_log

NOTHING_ALLOWED: frozenset[str] = frozenset()


@pytest.mark.parametrize(("url", "label"), [
    ("file:///etc/passwd", "scheme"), ("ftp://example.org/x", "scheme"), ("data:text/html,hi", "scheme"),
    ("s3://bucket/key", "scheme"), ("http://localhost/", "loopback"), ("http://127.0.0.2/", "loopback"),
    ("http://2130706433/", "loopback"), ("http://0x7f000001/", "loopback"), ("http://0177.0.0.1/", "loopback"),
    ("http://[::1]/", "loopback"), ("http://[::ffff:127.0.0.1]/", "loopback"), ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1/", "private"), ("http://172.16.5.4/", "private"), ("http://169.254.169.254/", "link-local"),
    ("http://100.64.0.1/", "CGNAT"), ("http://[fd00::1]/", "private"), ("http://0.0.0.0/", "unspecified"),
])
def test_unsafe_targets_are_classified(url: str, label: str) -> None:
    reason = unsafe_reason(url, NOTHING_ALLOWED)
    assert reason is not None and label in reason


def test_public_and_allowed_hosts_pass() -> None:
    assert unsafe_reason("https://tarnkappe.info/artikel/x-1.html", NOTHING_ALLOWED) is None
    assert unsafe_reason("http://8.8.8.8/", NOTHING_ALLOWED) is None
    assert unsafe_reason("http://127.0.0.1:8000/", frozenset({"127.0.0.1"})) is None


def test_refusals_happen_on_every_hop(replica: Replica, tmp_path: Path) -> None:
    port = replica.base_url.rsplit(":", 1)[1]
    # Every target is on this machine (127.0.0.2 …): should the guard ever fail, nothing leaves it.
    urls = [f"http://127.0.0.2:{port}/", f"http://2130706434:{port}/", f"http://[::1]:{port}/",
            f"{replica.base_url}/_faults/redirect-to?url={quote(f'http://127.0.0.2:{port}/impressum', safe='')}",
            f"{replica.base_url}/impressum"]
    records = fetch(urls, tmp_path, "ARCHIVER_ALLOWED_HOSTS=127.0.0.1", "REDIRECT_ENABLED=True")
    targets = [r[1].get_header("WARC-Target-URI") for r in records if r[0] == "response"]
    assert targets.count(f"{replica.base_url}/impressum") == 1  # the allowed page is archived
    assert any("/_faults/redirect-to" in t for t in targets)  # the redirect itself is archived …
    assert {urlsplit(t).hostname for t in targets} == {"127.0.0.1"}  # … its target, and the others, are not


def test_a_host_name_that_resolves_to_a_private_address_is_refused(replica: Replica, tmp_path: Path) -> None:
    """This machine's own name resolves to a loopback address (/etc/hosts): a name, not an IP literal."""
    name = socket.gethostname()
    try:
        address = ipaddress.ip_address(socket.gethostbyname(name))
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if not (address.is_loopback or address.is_private):
        pytest.skip(f"{name} resolves to a public address here")
    port = replica.base_url.rsplit(":", 1)[1]
    url = f"http://{name}:{port}/impressum"
    records, log = fetch_with_log([url], tmp_path / "refused", "ARCHIVER_ALLOWED_HOSTS=127.0.0.1", "LOG_LEVEL=INFO")
    assert not [r for r in records if r[0] == "response"]
    assert f"refused {url}: {name} resolves to a loopback address" in log and "'archiver/unsafe_refused': 1" in log
    allowed = fetch([url], tmp_path / "allowed", f"ARCHIVER_ALLOWED_HOSTS=127.0.0.1,{name}")
    assert [r[1].get_header("WARC-Target-URI") for r in allowed if r[0] == "response"] == [url]


def test_a_crawl_opens_no_remote_control_or_telnet_server(replica: Replica, tmp_path: Path) -> None:
    """Scrapy 2.19's remote control (on by default) runs any code sent with a token it writes under the user's
    state directory; the telnet console does the same over telnet. Neither may run inside the archiver."""
    state = tmp_path / "state"
    crawl = crawl_into(replica, tmp_path, "-s", "LOG_LEVEL=INFO", "-s", "CLOSESPIDER_ITEMCOUNT=3",
                       env={"XDG_STATE_HOME": str(state)})  # the later LOG_LEVEL wins: INFO lists the extensions
    enabled = crawl.result.stderr.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "archiver.crawl.capture.WarcCaptureExtension" in enabled  # the list the check reads is the right one
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert not (state / "scrapy").exists()  # where the remote control writes its job file (token and port)
