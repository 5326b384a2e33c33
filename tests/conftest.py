"""Shared fixtures: one replica server per test session, one shared crawl of it, PostgreSQL databases.

Every crawl goes to the replica on 127.0.0.1; nothing in the suite talks to another address.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import redis
from hypothesis import settings as hypothesis_settings

from archiver.crawl.distributed.coordinator import connect
from archiver.exceptions import ConfigurationError
from tests.wordpress.site import RealWordPress, WordPressUnavailable

# CI replays the same examples every run (a red build must be reproducible); explore locally with
# HYPOTHESIS_PROFILE=explore for fresh random examples and ten times as many.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", max_examples=2000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Real pages of tarnkappe.info with their expected values (tests/fixtures/tarnkappe/README.md says where from).
SAMPLES = FIXTURES / "tarnkappe"
ROOT = Path(__file__).resolve().parents[1]

# What a tool-bound test needs beside Python, and how a person gets it. `.ci/run` installs every one of them
# before `make test`; in CI (CI=true) a missing tool or service fails the test instead of skipping it, so a
# green CI run has run everything.
TOOLS: dict[str, str] = {
    "nginx": "apt-get install nginx-light (as root; .ci/run does it)",
    "valgrind": "apt-get install valgrind (as root; .ci/run does it)",
    "wget": "apt-get install wget (as root; .ci/run does it)",
    "pywb": "make test installs it into .venv-pywb (pip, no root needed)",
    "chromium": "apt-get install chromium chromium-driver (as root; make test-tools and .ci/run do it)",
    "wordpress": "run tests/wordpress/install.sh as root (Debian's wordpress, its three themes, apache2, mod_php; "
                 ".ci/run does it)",
}


def find_tool(name: str) -> str | None:
    """The tool's executable on PATH; nginx also in /usr/sbin, which a user's PATH often lacks."""
    if name == "wordpress":
        from tests.wordpress.site import WP_ROOT, missing_packages

        return None if missing_packages() else str(WP_ROOT)
    if name == "pywb":
        wayback = ROOT / ".venv-pywb" / "bin" / "wayback"
        return str(wayback) if wayback.exists() else None
    if name == "chromium":  # the browser and Debian's driver for it, both or nothing
        return shutil.which("chromium") if shutil.which("chromedriver") else None
    found = shutil.which(name)
    if found is None and name == "nginx" and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


def skip_or_fail(reason: str) -> NoReturn:
    """Skip a test that cannot run on this machine, naming what is missing; in CI, fail it instead."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI runs every test, but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("needs"):
        missing = [tool for tool in marker.args if find_tool(tool) is None]
        if missing:
            skip_or_fail("; ".join(f"{tool} not found: {TOOLS[tool]}" for tool in missing))


PG_ADMIN_URL = os.environ.get("ARCHIVER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ARCHIVER_TEST_REDIS", "redis://127.0.0.1:6379/0")
REPLICA_ARTICLES = 120


@dataclass
class Replica:
    base_url: str
    articles: int
    day: int
    process: subprocess.Popen[str]
    removed: int = 0

    def truth(self, theme: str = "default") -> dict[str, Any]:
        output = subprocess.run(
            [sys.executable, "-m", "archiver", "replica", "truth", "--base-url", self.base_url, "--articles",
             str(self.articles), "--day", str(self.day), "--theme", theme, "--removed", str(self.removed)],
            check=True, capture_output=True, text=True).stdout
        return dict(json.loads(output))


def start_replica(articles: int, day: int = 0, port: int = 0, kind: str = "tarnkappe",
                  robots_status: int = 200, traps: bool = False, redesign: bool = False, removed: int = 0) -> Replica:
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver", "replica", "serve", "--port", str(port), "--articles", str(articles),
         "--day", str(day), "--site", kind, "--robots-status", str(robots_status), *(["--traps"] if traps else []),
         *(["--redesign"] if redesign else []), "--removed", str(removed)],
        stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:"), base_url
    return Replica(base_url, articles, day, process, removed)


def stop_replica(replica: Replica) -> None:
    replica.process.terminate()
    replica.process.wait(timeout=30)


@pytest.fixture(scope="session")
def replica() -> Iterator[Replica]:
    server = start_replica(REPLICA_ARTICLES)
    yield server
    stop_replica(server)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@dataclass
class CrawledArchive:
    replica: Replica
    directory: Path
    db_url: str
    warc_dir: Path
    result: subprocess.CompletedProcess[str]
    summary: dict[str, Any]


def crawl_into(replica: Replica, directory: Path, *extra: str, db_url: str | None = None,
               env: dict[str, str] | None = None) -> CrawledArchive:
    db = db_url or f"sqlite:///{directory}/archive.sqlite3"
    warc_dir = directory / "warc"
    result = run_cli("crawl", "tarnkappe", "--base-url", replica.base_url, "--db", db, "--warc-dir", str(warc_dir),
                     "--json", "-s", "LOG_LEVEL=WARNING", *extra, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return CrawledArchive(replica, directory, db, warc_dir, result, json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="session")
def crawled(replica: Replica, tmp_path_factory: pytest.TempPathFactory) -> CrawledArchive:
    """The replica crawled once into SQLite; shared by every test that only reads the result."""
    return crawl_into(replica, tmp_path_factory.mktemp("crawl"))


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as error:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(error).__name__}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    reason = _pg_available()
    if reason:
        skip_or_fail(reason)
    import psycopg

    name = f"archiver_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/archive.sqlite3"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/archive.sqlite3"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    """This machine's Redis (ARCHIVER_TEST_REDIS), or the test is skipped with the reason."""
    try:
        client = connect(REDIS_URL)
    except ConfigurationError as error:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {error}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def real_wordpress() -> Iterator[RealWordPress]:
    """Debian's WordPress on a private Apache and a fresh MariaDB database, filled by tests/wordpress/fill.php;
    stopped and dropped when the session ends. Where it cannot run, skipped with the reason (failed in CI)."""
    from tests.wordpress.site import missing

    reason = missing()
    if reason:
        skip_or_fail(reason)
    try:
        site = RealWordPress.start()
    except WordPressUnavailable as error:
        skip_or_fail(f"the real WordPress did not start: {error}")
    yield site
    site.stop()


def export_rows(db_url: str) -> dict[tuple[str, int], dict[str, Any]]:
    """Every stored version as `archiver export --versions all` gives it, by (URL, version)."""
    result = run_cli("export", "--db", db_url, "--format", "jsonl", "--versions", "all")
    assert result.returncode == 0, result.stderr[-2000:]
    return {(row["url"], row["version"]): row for row in map(json.loads, result.stdout.splitlines())}


def assert_reparse_equals_crawl(crawl_db: str, warc_dir: Path, tmp_path: Path) -> int:
    """`archiver reparse` of a crawl's WARC files gives the crawl's export, field by field; returns the rows."""
    rebuilt = f"sqlite:///{tmp_path}/reparsed.sqlite3"
    result = run_cli("reparse", "--warc-dir", str(warc_dir), "--db", rebuilt)
    assert result.returncode == 0, result.stderr[-2000:]
    crawled, reparsed = export_rows(crawl_db), export_rows(rebuilt)
    assert sorted(crawled) == sorted(reparsed)
    differences = [(key, field, row[field], reparsed[key].get(field)) for key, row in crawled.items()
                   for field in row if row[field] != reparsed[key].get(field)]
    assert not differences, f"{len(differences)} fields differ, e.g. {differences[:3]}"
    return len(crawled)
