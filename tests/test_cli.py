"""The command line: version, help, one-line errors with exit code 2, extract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SAMPLES, Replica, run_cli


def test_version_names_every_component() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    for name in ("archiver", "Scrapy", "warcio", "SQLAlchemy", "Python"):
        assert name in result.stdout


def test_python_dash_m_and_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and "crawl" in result.stdout and "Exit codes" in result.stdout


@pytest.mark.parametrize("args", [["crawl"], ["crawl", "nope"], ["no-such-command"],
                                  ["crawl", "tarnkappe", "-s", "X"], ["crawl", "tarnkappe", "--politeness", "rude"],
                                  ["replica", "serve", "--articles", "3"],
                                  ["crawl", "tarnkappe", "--db", "mysql://x/y"],
                                  ["crawl", "tarnkappe", "--base-url", "ftp://example.org"]])
def test_bad_arguments_get_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    result = run_cli(*args, env={"ARCHIVER_DB_URL": f"sqlite:///{tmp_path}/a.sqlite3",
                                 "ARCHIVER_WARC_DIR": str(tmp_path / "warc")})
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("archiver"), result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_fails_before_crawling(tmp_path: Path) -> None:
    result = run_cli("crawl", "tarnkappe", "--base-url", "http://127.0.0.1:9", "--db",
                     "postgresql+psycopg://archiver:s3cr3t-pw@127.0.0.1:1/none", "--warc-dir", str(tmp_path / "w"))
    assert result.returncode != 0
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert "cannot reach database" in result.stderr
    assert not list((tmp_path / "w").glob("*.warc.gz"))


def test_extract_prints_one_json_object() -> None:
    result = run_cli("extract", str(SAMPLES / "live-approx-311235.html"), "--url",
                     "https://tarnkappe.info/artikel/krypto/krypto-boerse-garantex-keine-geldwaesche-mehr-fuer-ganoven-311235.html")
    assert result.returncode == 0, result.stderr
    item = json.loads(result.stdout)
    assert item["post_id"] == 311235 and item["authors"][0]["name"] == "Sunny" and item["html"].startswith("<div")


def test_extract_refuses_a_non_article_with_exit_2(tmp_path: Path) -> None:
    page = tmp_path / "impressum.html"
    page.write_text("<html><body><h1>Impressum</h1></body></html>")
    result = run_cli("extract", str(page), "--layout", "tk-theme")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "not an article page" in result.stderr


def test_extract_a_url_from_the_replica(replica: Replica) -> None:
    from archiver.replica.model import SiteModel

    site = SiteModel(replica.articles)
    article = site.article(site.seed_index)
    result = run_cli("extract", replica.base_url + article.path, "--no-html")
    assert result.returncode == 0, result.stderr
    item = json.loads(result.stdout)
    assert item["title"].startswith("Telegram gewinnt") and "html" not in item
    assert run_cli("extract", replica.base_url + "/impressum").returncode == 2


def test_the_cli_choices_written_out_are_the_librarys() -> None:
    """The CLI lists layouts and tables itself so that --help imports neither the extractor nor SQLAlchemy."""
    from archiver.citations import FORMATS
    from archiver.cli.data import LAYOUT_NAMES, TABLE_NAMES
    from archiver.cli.research import CITE_FORMATS
    from archiver.pages import LAYOUTS
    from archiver.storage.exporters import TABLES

    assert tuple(LAYOUTS) == LAYOUT_NAMES and TABLE_NAMES == TABLES and CITE_FORMATS == FORMATS
