"""A new user's first hour: a fresh clone runs its tests from its own fixtures, tool-bound tests say what they
need, the CLI answers at once, and every message and hint it prints works as printed."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archiver.crawl.middlewares import unreachable_reason

from .conftest import ROOT, CrawledArchive, Replica, run_cli

VENV_ARCHIVER = Path(sys.executable).parent / "archiver"


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


# How code reached for the steering repository's shared/ folder (written in parts: this file must not match).
OUTSIDE = (".." + "/shared", "ARCHIVER_" + "SHARED_DIR", '"shared" / ' + '"samples"')


def test_nothing_in_the_repository_reads_outside_the_checkout() -> None:
    offending = []
    for name in tracked_files():
        if not name.endswith((".py", ".toml", ".cfg", "Makefile", ".sh")) and not name.startswith(".ci/"):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        if any(pattern in text for pattern in OUTSIDE):
            offending.append(name)
    assert offending == [], offending


@pytest.mark.timeout(240)
def test_a_copy_of_the_checkout_elsewhere_runs_its_fixture_tests(tmp_path: Path) -> None:
    """The checkout's files alone, in a directory with no shared/ anywhere above it."""
    clone = tmp_path / "clone"
    for name in tracked_files():
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert not any((parent / "shared").exists() for parent in clone.parents)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_golden_sample.py",
         "tests/test_cli.py::test_extract_prints_one_json_object"],
        cwd=clone, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(clone)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
    # The code under test was the copy's, not this checkout's.
    where = subprocess.run([sys.executable, "-c", "import archiver; print(archiver.__file__)"], cwd=clone,
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(clone)})
    assert where.stdout.strip().startswith(str(clone))


# It needs nginx (found in /usr/sbin without PATH), valgrind and wget.
TOOL_BOUND = "tests/test_bench.py::test_quick_bench_run_writes_every_result"


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_test_whose_tool_is_missing_skips_with_the_reason_and_fails_in_ci(tmp_path: Path, ci: str) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", TOOL_BOUND],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PATH": str(empty), "CI": ci})
    reason = "valgrind not found: apt-get install valgrind"
    if ci:
        assert result.returncode == 1 and "1 error" in result.stdout  # failed in setup, never run
        assert f"CI runs every test, but {reason}" in result.stdout
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout
        assert reason in result.stdout
    assert "; wget not found: apt-get install wget" in result.stdout  # every missing tool is named


HEAVY = ("scrapy", "twisted", "redis")
IMPORTED = """
import sys
from archiver.cli import main
code = main(sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"scrapy", "twisted", "redis"})
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def heavy_imports(*args: str) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-c", IMPORTED, *args], capture_output=True, text=True, timeout=120)
    line = [entry for entry in result.stderr.splitlines() if entry.startswith("HEAVY=")]
    assert line, result.stderr[-2000:]
    return result.returncode, line[-1].removeprefix("HEAVY=")


def test_help_and_version_import_no_crawler_library() -> None:
    for args in (["--help"], ["--version"], ["search", "--help"], ["crawl", "--help"], []):
        assert heavy_imports(*args) == (0, ""), args


def test_the_research_commands_import_no_crawler_library(crawled: CrawledArchive, tmp_path: Path) -> None:
    db = ["--db", crawled.db_url]
    for args in (["search", "Telegram", *db], ["show", "1", *db], ["cite", "1", *db], ["stats", *db],
                 ["export", "--format", "csv", "-o", str(tmp_path / "a.csv"), *db]):
        assert heavy_imports(*args) == (0, ""), args


@pytest.mark.parametrize("args", [[], ["--version"], ["--help"], ["no-such-command"], ["search"]])
def test_python_dash_m_archiver_is_the_archiver_command(args: list[str]) -> None:
    module = subprocess.run([sys.executable, "-m", "archiver", *args], capture_output=True, text=True)
    script = subprocess.run([str(VENV_ARCHIVER), *args], capture_output=True, text=True)
    assert (module.returncode, module.stdout, module.stderr) == (script.returncode, script.stdout, script.stderr)


def test_archiver_alone_shows_its_commands_and_exits_0() -> None:
    result = run_cli()
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: archiver [OPTIONS] [COMMAND] [ARGS]...") and "crawl" in result.stdout


def test_a_plain_path_for_db_is_a_sqlite_file(crawled: CrawledArchive) -> None:
    path = crawled.db_url.removeprefix("sqlite:///")
    as_path = run_cli("stats", "--json", "--db", path)
    as_url = run_cli("stats", "--json", "--db", crawled.db_url)
    assert as_path.returncode == 0, as_path.stderr
    assert json.loads(as_path.stdout) == json.loads(as_url.stdout)


@pytest.mark.parametrize("args", [["search", "x"], ["show", "1"], ["cite", "1"], ["stats"],
                                  ["export", "-o", "-"], ["serve"], ["warc", "wacz", "-o", "x.wacz"]])
def test_a_missing_default_database_says_where_it_looked_and_what_to_do(args: list[str], tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("ARCHIVER_DB_URL", "ARCHIVER_WARC_DIR")}
    result = subprocess.run([sys.executable, "-m", "archiver", *args], cwd=tmp_path, capture_output=True, text=True,
                            env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    expected = (f"archiver: error: no archive database at archive/archive.sqlite3 ({tmp_path.resolve()}/archive/"
                "archive.sqlite3): run `make demo` or `archiver crawl SPIDER` to create one, or pass --db")
    assert lines[0].startswith(expected), lines[0]


def test_an_unparseable_database_url_shows_the_forms_to_write() -> None:
    result = run_cli("stats", "--db", "postgresql://reader:s3cret@db:port/archive")
    assert result.returncode == 2 and "s3cret" not in result.stderr
    assert ("invalid database URL 'postgresql://reader:***@db:port/archive': write "
            "sqlite:///path/to/archive.sqlite3, a plain file path, or postgresql+psycopg://") in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_site_is_reported_as_unreachable_not_as_forbidden(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: the connection is refused
    result = run_cli("crawl", "tarnkappe", "--base-url", f"http://127.0.0.1:{port}", "--db",
                     f"sqlite:///{tmp_path}/a.sqlite3", "--warc-dir", str(tmp_path / "warc"))
    assert result.returncode == 1
    assert (f"(exit 1: site unreachable: 127.0.0.1:{port}: the connection was refused "
            "(DownloadConnectionRefusedError))") in result.stderr, result.stderr[-3000:]
    assert "forbids" not in result.stderr and "Traceback" not in result.stderr


def test_unreachable_reasons_by_error_class() -> None:
    from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError
    from twisted.internet.error import DNSLookupError, TCPTimedOutError

    assert unreachable_reason(CannotResolveHostError("x")) == "its name does not resolve (DNS lookup failed)"
    assert unreachable_reason(DNSLookupError("x")) == "its name does not resolve (DNS lookup failed)"
    assert unreachable_reason(DownloadTimeoutError("x")) == "the connection timed out"
    assert unreachable_reason(TCPTimedOutError()) == "the connection timed out"
    assert unreachable_reason(ConnectionRefusedError()) == "the connection was refused"
    assert unreachable_reason(ValueError("x")) is None


@pytest.mark.parametrize("verbosity", [[], ["-v"]])
def test_crawl_prints_its_summary_not_scrapys_info_log_unless_asked(
        replica: Replica, tmp_path: Path, verbosity: list[str]) -> None:
    result = run_cli("crawl", "tarnkappe", "--base-url", replica.base_url, "--db", f"sqlite:///{tmp_path}/a.sqlite3",
                     "--warc-dir", str(tmp_path / "warc"), "-s", "CLOSESPIDER_ITEMCOUNT=2", *verbosity)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "crawl tarnkappe: closespider_itemcount in" in result.stderr
    info_lines = [line for line in result.stderr.splitlines() if "] INFO: " in line]
    if verbosity:
        assert any("Spider opened" in line for line in info_lines)
    else:
        assert info_lines == [], info_lines[:5]
        assert len(result.stderr.strip().splitlines()) <= 6, result.stderr


@pytest.mark.timeout(240)
def test_the_demo_ends_with_a_serve_command_that_works_as_printed(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    demo = subprocess.run([sys.executable, "-m", "archiver.demo", "--articles", "20", "--port", str(free_port()),
                           "--archive", str(archive)], cwd=ROOT, capture_output=True, text=True, timeout=200)
    assert demo.returncode == 0, demo.stderr[-2000:]
    last = demo.stderr.strip().splitlines()[-1]
    prefix = "browse the archive with: "
    assert last.startswith(prefix), last
    command = last.removeprefix(prefix)
    assert command == f".venv/bin/archiver serve --db sqlite:///{archive}/archive.sqlite3" or \
        command.startswith(f"{VENV_ARCHIVER} serve"), command
    port = free_port()
    server = subprocess.Popen(f"{command} --port {port}", shell=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive.json", timeout=5) as response:
                    tables = json.load(response)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "archiver serve did not answer"
                time.sleep(0.3)
        assert "articles" in {table["name"] for table in tables["tables"]}
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def test_the_missing_extras_hints_name_this_interpreters_pip(crawled: CrawledArchive, tmp_path: Path) -> None:
    # An interpreter where Datasette and pyarrow cannot be imported, as in an install without the extras.
    script = ("import sys; sys.modules['datasette'] = None; sys.modules['pyarrow'] = None\n"
              "from archiver.cli import main; sys.exit(main(sys.argv[1:]))")
    serve = subprocess.run([sys.executable, "-c", script, "serve", "--db", crawled.db_url], capture_output=True,
                           text=True)
    assert serve.returncode == 2
    assert f"archiver serve needs Datasette: {sys.executable} -m pip install 'datasette>=0.64'" in serve.stderr
    parquet = subprocess.run([sys.executable, "-c", script, "export", "--format", "parquet", "-o",
                              str(tmp_path / "a.parquet"), "--db", crawled.db_url], capture_output=True, text=True)
    assert parquet.returncode == 2
    assert f"Parquet export needs pyarrow: {sys.executable} -m pip install 'pyarrow>=14'" in parquet.stderr
