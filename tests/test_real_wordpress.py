"""The WordPress spider against a real WordPress (Debian's package, Apache, PHP, MariaDB) under the three stock
themes Debian ships, compared post by post with what WordPress itself reports (tests/wordpress/truth.php).

The site is the session fixture ``real_wordpress`` (tests/wordpress/site.py; tests/wordpress/install.sh installs
the packages). Each theme is crawled once; every field test reads that one crawl.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archiver.warc.reader import iter_records, warc_files, warcio_records
from tests.wordpress.site import THEMES, RealWordPress

from .conftest import assert_reparse_equals_crawl, run_cli

pytestmark = pytest.mark.needs("wordpress")


@dataclass
class ThemeCrawl:
    directory: Path
    theme: str
    truth: list[dict[str, Any]]
    rows: dict[str, dict[str, Any]]  # the exported articles by URL
    summary: dict[str, Any]
    seconds: float


@pytest.fixture(scope="module", params=THEMES)
def theme_crawl(request: pytest.FixtureRequest, real_wordpress: RealWordPress,
                tmp_path_factory: pytest.TempPathFactory) -> ThemeCrawl:
    theme = str(request.param)
    real_wordpress.use_theme(theme)
    directory = tmp_path_factory.mktemp(theme)
    db = f"sqlite:///{directory}/archive.sqlite3"
    started = time.monotonic()
    crawl = run_cli("crawl", "wordpress", "--base-url", real_wordpress.base_url, "--db", db, "--warc-dir",
                    str(directory / "warc"), "--json", "-s", "LOG_LEVEL=WARNING", timeout=300)
    seconds = time.monotonic() - started
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    export = run_cli("export", "--db", db, "--format", "jsonl")
    assert export.returncode == 0, export.stderr[-3000:]
    rows = [json.loads(line) for line in export.stdout.splitlines() if line.strip()]
    return ThemeCrawl(directory, theme, real_wordpress.truth(), {row["url"]: row for row in rows},
                      json.loads(crawl.stdout.strip().splitlines()[-1]), seconds)


def test_every_post_is_archived(theme_crawl: ThemeCrawl) -> None:
    assert theme_crawl.summary["finish_reason"] == "finished"
    assert theme_crawl.summary["extraction_failures"] == 0
    assert sorted(theme_crawl.rows) == sorted(post["permalink"] for post in theme_crawl.truth)
    assert len(theme_crawl.truth) == 30


def _terms(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(entry["name"], entry["slug"]) for entry in entries]


def _credits_match(row: dict[str, Any], post: dict[str, Any]) -> bool:
    """One credit per figure caption, its raw text the caption as printed, or the caption's last part
    ("Der Serverraum in Frankfurt. Foto: Jürgen Weiß" -> "Foto: Jürgen Weiß")."""
    raws = [credit["raw"] for credit in row["credits"]]
    return len(raws) == len(post["credits"]) and all(
        caption == raw or caption.endswith(" " + raw) for caption, raw in zip(post["credits"], raws, strict=True))


def _bio(row: dict[str, Any]) -> str | None:
    return row["authors"][0]["bio"] if len(row["authors"]) == 1 else "(not one author)"


# field -> (what the archive says, what WordPress says)
FIELDS: dict[str, Callable[[dict[str, Any], dict[str, Any]], tuple[Any, Any]]] = {
    "title": lambda row, post: (row["title"], post["title"]),
    "published": lambda row, post: (row["published"], post["date_gmt"]),
    "modified": lambda row, post: (row["modified"], post["modified_gmt"]),
    "featured image": lambda row, post: ([(i["url"], i["alt"]) for i in row["images"] if i["is_lead"]],
                                         [(post["featured"]["url"], post["featured"]["alt"])] if post["featured"]
                                         else []),
    "categories": lambda row, post: (_terms(row["categories"]), _terms(post["categories"])),
    "tags": lambda row, post: (_terms(row["tags"]), _terms(post["tags"])),
    "credits": lambda row, post: (_credits_match(row, post), True),
    "author": lambda row, post: ([a["name"] for a in row["authors"]], [post["author"]["name"]]),
    "bio": lambda row, post: (_bio(row), post["author"]["bio"]),
}


def mismatches(crawl: ThemeCrawl, field: str) -> list[tuple[str, Any, Any]]:
    wrong = []
    for post in crawl.truth:
        row = crawl.rows.get(post["permalink"])
        if row is None:
            continue  # test_every_post_is_archived reports it
        got, expected = FIELDS[field](row, post)
        if got != expected:
            wrong.append((post["permalink"], got, expected))
    return wrong


@pytest.mark.parametrize("field", list(FIELDS))
def test_field_equals_wordpress(theme_crawl: ThemeCrawl, field: str) -> None:
    wrong = mismatches(theme_crawl, field)
    exact = len(theme_crawl.truth) - len(wrong)
    examples = "; ".join(f"{url}: got {got!r}, WordPress says {expected!r}" for url, got, expected in wrong[:3])
    assert not wrong, f"{theme_crawl.theme}: {field} exact on {exact} of {len(theme_crawl.truth)} posts; {examples}"


def test_the_fixture_edits_posts_through_php(real_wordpress: RealWordPress, tmp_path: Path) -> None:
    """php() runs with WordPress loaded, so later tests can edit, trash and unpublish posts."""
    first = real_wordpress.truth()[0]
    title = real_wordpress.php(f"echo get_post({first['id']})->post_title;")
    assert title == first["title"]
    assert real_wordpress.php("echo get_option('timezone_string');") == "Europe/Berlin"


def test_reparse_equals_crawl(theme_crawl: ThemeCrawl, tmp_path: Path) -> None:
    """The REST answers are archived: the rebuilt database has the authors' IDs and bios the crawl had."""
    db = f"sqlite:///{theme_crawl.directory}/archive.sqlite3"
    assert assert_reparse_equals_crawl(db, theme_crawl.directory / "warc", tmp_path) == len(theme_crawl.truth)
    for path in warc_files(theme_crawl.directory / "warc"):  # Apache's and PHP's answers, as warcio reads them
        assert list(iter_records(path)) == list(warcio_records(path))


def expected_sources(theme: str, post: dict[str, Any]) -> dict[str, str | None]:
    """Where each theme prints the author and the date (read from its templates): Twenty Twenty-One's byline
    only for an author without a bio (else its author box), the block themes' post-author and post-date blocks;
    the REST API (on in a stock WordPress) then completes the author's ID and bio. No theme prints when a post
    was modified (Twenty Twenty-One's one <time> is the publication): the REST post record says it. Twenty
    Twenty-One prints the featured image's caption, the block themes do not: its credit comes from the media
    record, beside the figures' credits in the text."""
    featured_credit = bool(post["featured"] and post["featured"]["caption"])
    figure_credits = len(post["credits"]) > featured_credit
    if theme == "twentytwentyone":
        credits = "markup" if post["credits"] else None
        return {"authors": ("author-box" if post["author"]["bio"] else "byline") + "+rest", "published": "time",
                "modified": "rest", "credits": credits}
    credits = ("markup+rest" if figure_credits else "rest") if featured_credit else \
        ("markup" if figure_credits else None)
    return {"authors": "post-author-block+rest", "published": "post-date-block", "modified": "rest",
            "credits": credits}


def test_each_field_says_where_it_came_from(theme_crawl: ThemeCrawl) -> None:
    for post in theme_crawl.truth:
        sources = theme_crawl.rows[post["permalink"]]["field_sources"]
        expected = expected_sources(theme_crawl.theme, post)
        assert {name: sources.get(name) for name in expected} == expected, post["permalink"]
        assert sources["title"] == sources["categories"] == "markup"


FILLED = ("authors", "published", "modified", "categories", "tags", "images", "credits")


def test_fill_rates_equal_wordpress_and_say_their_sources(theme_crawl: ThemeCrawl) -> None:
    """Each field is filled exactly where WordPress has a value; the table (``pytest -s``) is the one in
    docs/benchmarks.md: fill rate and which signal supplied the field, per theme."""
    has = {"authors": lambda post: True, "published": lambda post: True, "modified": lambda post: True,
           "categories": lambda post: bool(post["categories"]), "tags": lambda post: bool(post["tags"]),
           "images": lambda post: bool(post["featured"] or post["credits"]),
           "credits": lambda post: bool(post["credits"])}
    lines = []
    for name in FILLED:
        rows = [theme_crawl.rows[post["permalink"]] for post in theme_crawl.truth]
        filled = [bool(row[name]) for row in rows]
        assert filled == [has[name](post) for post in theme_crawl.truth], name
        sources = Counter(row["field_sources"][name] for row in rows if row[name])
        lines.append(f"{name} {sum(filled)}/{len(rows)} " + ", ".join(f"{s} {n}" for s, n in sources.most_common()))
    print(f"\n{theme_crawl.theme}: " + "; ".join(lines))
