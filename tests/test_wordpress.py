"""The generic WordPress layout and spider on stock WordPress markup (classic and block theme), with core
sitemaps, a content:encoded feed and a REST API shaped like WordPress's own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.pages import Page, extract
from archiver.replica.app import ReplicaApp
from archiver.replica.wordpress import wp_path
from archiver.replica.wp_site import wordpress_truth
from archiver.storage.db import make_engine
from archiver.storage.reader import iter_articles

from .conftest import Replica, run_cli, start_replica, stop_replica

HOST = "wp.test:8080"


@pytest.mark.parametrize("kind", ["wp-classic", "wp-block"])
def test_generic_layout_equals_ground_truth(kind: str) -> None:
    app = ReplicaApp(articles=80, day=1, kind=kind)
    for index in range(app.site.count):
        article = app.site.article(index)
        response = app.handle(wp_path(article), "", HOST, False)
        item = extract(Page(f"http://{HOST}{wp_path(article)}", response.body.decode())).to_dict(with_html=False)
        expected = wordpress_truth(app.site, f"http://{HOST}", kind.removeprefix("wp-"), article)
        expected.pop("version")
        assert item == expected, index


def test_rest_api_is_shaped_like_wordpress() -> None:
    app = ReplicaApp(articles=120, kind="wp-classic")
    response = app.handle("/wp-json/wp/v2/posts", "per_page=50&page=3", HOST, False)
    headers = dict(response.headers)
    assert headers["X-WP-Total"] == "120" and headers["X-WP-TotalPages"] == "3"
    posts = json.loads(response.body)
    assert len(posts) == 20 and {"id", "link", "title", "modified_gmt", "categories", "tags"} <= set(posts[0])
    assert app.handle("/wp-json/wp/v2/posts", "per_page=50&page=4", HOST, False).status == 400
    recent = json.loads(app.handle("/wp-json/wp/v2/posts", "modified_after=2025-01-01T00:00:00Z", HOST, False).body)
    assert 0 < len(recent) < 120
    users = json.loads(app.handle("/wp-json/wp/v2/users", "", HOST, False).body)
    assert {"id", "name", "slug", "link", "description"} <= set(users[0])
    robots = app.handle("/robots.txt", "", HOST, False).body.decode()
    assert f"Sitemap: http://{HOST}/wp-sitemap.xml" in robots


@pytest.fixture(scope="module", params=["wp-classic", "wp-block"])
def wp_site(request: pytest.FixtureRequest) -> Iterator[tuple[str, Replica]]:
    server = start_replica(60, kind=request.param)
    yield request.param, server
    stop_replica(server)


def test_wordpress_spider_archives_every_post(wp_site: tuple[str, Replica], tmp_path: Path) -> None:
    kind, server = wp_site
    result = run_cli("crawl", "wordpress", "--base-url", server.base_url, "--db", f"sqlite:///{tmp_path}/a.sqlite3",
                     "--warc-dir", str(tmp_path / "warc"), "--json", "-s", "LOG_LEVEL=WARNING")
    assert result.returncode == 0, result.stderr[-2000:]
    truth: dict[str, Any] = json.loads(run_cli("replica", "truth", "--site", kind, "--articles", "60", "--base-url",
                                               server.base_url).stdout)
    stored = {row["url"]: row for row in iter_articles(make_engine(f"sqlite:///{tmp_path}/a.sqlite3"))}
    assert sorted(stored) == sorted(item["url"] for item in truth["items"])
    for expected in truth["items"]:
        row = stored[expected["url"]]
        for field in ("title", "text", "published", "modified", "images", "credits", "links", "post_id"):
            assert row[field] == expected[field], field
        assert [c["name"] for c in row["categories"]] == [c["name"] for c in expected["categories"]]
        assert [t["name"] for t in row["tags"]] == [t["name"] for t in expected["tags"]]
        # The REST API completes what the HTML lacks: the numeric author ID.
        for author in row["authors"]:
            assert isinstance(author["site_author_id"], int)
            assert author["bio"]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["finish_reason"] == "finished"
    # The featured images' media records are read with the REST posts and archived like every answer.
    with make_engine(f"sqlite:///{tmp_path}/a.sqlite3").connect() as conn:
        media = conn.execute(text("SELECT count(*) FROM captures WHERE url LIKE '%/wp-json/wp/v2/media?include=%' "
                                  "AND status = 200")).scalar_one()
    assert media >= 1
    for row in stored.values():
        assert row["warnings"] == [], row["url"]  # page and REST agree on every field


@pytest.mark.parametrize(("markup", "is_post"), [
    ('<body class="post-template-default single single-post postid-7">', True),
    ('<body class="single single-format-video">', True),
    ('<body class="page"><article id="post-7" class="post-7 post type-post hentry">', True),
    ('<head><meta property="og:type" content="article"></head><body class="page">', True),
    ('<head><meta name="og:type" value="article"></head><body>', True),
    ('<head><meta name="article:published_time" content="2024-05-01"></head><body>', True),
    ('<head><script type="application/ld+json">{"@type": "NewsArticle"}</script></head><body>', True),
    # A WordPress page (Impressum), a listing, a near miss in each kind of evidence:
    ('<body class="page-template-default page page-id-2"><article id="post-2" class="post-2 page type-page">', False),
    ('<body class="blog home"><article class="type-postal">', False),
    ('<head><meta property="og:type" content="website"><meta property="article:author" content="x"></head>', False),
    ('<head><script type="application/ld+json">{"@type": "WebPage"}</script></head><body class="single-posting">',
     False),
])
def test_post_page_evidence(markup: str, is_post: bool) -> None:
    from archiver.pages.query import Document
    from archiver.pages.wordpress import is_post_page

    assert is_post_page(Document.parse(f"<html>{markup}<p>x</p></body></html>")) is is_post


def test_post_navigation_and_comments_inside_the_body_are_not_article_text() -> None:
    page = """<html lang="en"><body class="post-template-default single single-post">
<article id="post-9" class="post-9 post type-post"><h1 class="entry-title">Title</h1>
<div class="entry-content"><p>First paragraph.</p>
<nav class="navigation post-navigation"><a href="/a/">Previous post</a></nav>
<div class="wp-block-comments"><h2>3 Comments</h2><p>Nice article!</p></div>
<p id="comments-intro" class="note">Second paragraph.</p>
<div class="Comments"><p>Capitalized class: kept, as the layout's rule is case-sensitive.</p></div>
</div></article></body></html>"""
    item = extract(Page("http://wp.test/2024/05/title/", page))
    assert item.layout == "wordpress"
    assert item.text.split("\n\n") == ["First paragraph.", "Second paragraph.",
                                       "Capitalized class: kept, as the layout's rule is case-sensitive."]
    assert "Previous post" not in item.html and "Nice article" not in item.html


@pytest.mark.parametrize(("attributes", "junk"), [
    ('class="sharedaddy sd-sharing-enabled"', True),  # a shared part anywhere in the attribute
    ('class="box jp-relatedposts"', True),
    ('class="wp-block-yarpp"', True),
    ('class="desktop-only"', True),  # a whole junk token
    ('class="teaser\tmobile-only"', True),
    ('class="not-desktop-only-really"', False),  # the token inside another class name is not the token
    ('class="desktop-onlyx"', False),
    ('class="wp-block-heading"', False),
    ('id="traffective-ad-3"', True),
    ('id="author"', True),
    ('id="authors"', False),
    ('data-nosnippet=""', True),
    ('class="Sharedaddy"', False),  # class names are case-sensitive
])
def test_shared_body_junk_rules(attributes: str, junk: bool) -> None:
    from archiver.pages.body import BodyReader
    from archiver.pages.query import Document

    doc = Document.parse(f"<html><body><div><p>Kept.</p><div {attributes}><p>Furniture.</p></div></div></body></html>")
    body = BodyReader("http://wp.test/a/", "wp.test").read(doc.root.find("body/div"))
    assert body.blocks == (["Kept."] if junk else ["Kept.", "Furniture."])


# Author markup as WordPress 6.1's stock themes print it (read from Debian's wordpress-theme-* packages).
TT1_AUTHOR_BOX = """<footer class="entry-footer default-max-width"><div class="posted-by"><span class="posted-on">
Published <time class="entry-date published updated" datetime="2019-03-31T00:30:00+01:00">March 31, 2019</time>
</span></div></footer>
<div class="author-bio "><div class="author-bio-content"><h2 class="author-title">By Anna Schröder</h2>
<p class="author-description"> Anna ist Juristin &amp; erklärt Urheberrecht.</p><!-- .author-description -->
<a class="author-link" href="/author/aschroeder/" rel="author">View all of Anna Schröder&#039;s posts.</a>
</div></div>"""
TT1_BYLINE = """<div class="posted-by"><span class="byline">By <a href="/author/pkrause/" rel="author">Peter Krause</a>
</span></div>"""
BLOCK_POST_AUTHOR = """<div class="wp-block-post-author has-small-font-size"><div class="wp-block-post-author__content">
<p class="wp-block-post-author__name">Jürgen Weiß</p></div></div>"""
BLOCK_POST_AUTHOR_WITH_BIO = """<div class="wp-block-post-author"><div class="wp-block-post-author__content">
<p class="wp-block-post-author__byline">Written by</p><p class="wp-block-post-author__name">Jürgen Weiß</p>
<p class="wp-block-post-author__bio">Schreibt über Netzpolitik.</p></div></div>"""
BLOCK_AUTHOR_NAME = """<div class="wp-block-post-author-name">Lena Hoffmann</div>
<div class="wp-block-post-author-biography">Lena schreibt über KI.</div>"""
TT1_BOX_WITHOUT_HEADING = """<div class="author-bio"><div class="author-bio-content">
<p class="author-description">Bio.</p><a class="author-link" href="/author/katrin-meyer/" rel="author">View all of
Katrin Meyer's posts.</a></div></div>"""
RANK_MATH_GRAPH = """<script type="application/ld+json" class="rank-math-schema">{"@context": "https://schema.org",
"@graph": [{"@type": "Person", "@id": "http://wp.test/author/tbauer/", "name": "Thomas Bauer",
"url": "http://wp.test/author/tbauer/", "description": "Thomas testet Spiele."},
{"@type": "BlogPosting", "headline": "T", "author": {"@id": "http://wp.test/author/tbauer/", "name": ""}}]}</script>"""
META_AUTHOR = '<meta name="author" content="Katrin Meyer">'


@pytest.mark.parametrize(("head", "markup", "name", "url", "bio"), [
    ("", TT1_AUTHOR_BOX, "Anna Schröder", "http://wp.test/author/aschroeder/",
     "Anna ist Juristin & erklärt Urheberrecht."),
    ("", TT1_BYLINE, "Peter Krause", "http://wp.test/author/pkrause/", None),
    ("", BLOCK_POST_AUTHOR, "Jürgen Weiß", None, None),
    ("", BLOCK_POST_AUTHOR_WITH_BIO, "Jürgen Weiß", None, "Schreibt über Netzpolitik."),
    ("", BLOCK_AUTHOR_NAME, "Lena Hoffmann", None, "Lena schreibt über KI."),
    ("", TT1_BOX_WITHOUT_HEADING, "Katrin Meyer", "http://wp.test/author/katrin-meyer/", "Bio."),
    (RANK_MATH_GRAPH, "", "Thomas Bauer", "http://wp.test/author/tbauer/", "Thomas testet Spiele."),
    (META_AUTHOR, "", "Katrin Meyer", None, None),
], ids=["tt1-author-box", "tt1-byline", "block-post-author", "block-post-author-bio", "block-post-author-name",
        "author-box-slug", "rank-math-graph", "meta-author"])
def test_author_markup_of_the_stock_themes(head: str, markup: str, name: str, url: str | None,
                                           bio: str | None) -> None:
    page = f"""<html lang="de-DE"><head>{head}</head><body class="post-template-default single single-post postid-7">
<article id="post-7" class="post-7 post type-post"><h1 class="entry-title">T</h1>
<div class="entry-content"><p>Text.</p></div>{markup}</article></body></html>"""
    item = extract(Page("http://wp.test/2024/05/01/t/", page))
    assert [(a.name, a.url, a.bio) for a in item.authors] == [(name, url, bio)]


@pytest.mark.parametrize("kind", ["wp-classic", "wp-block"])
def test_at_least_trafilaturas_rate_on_every_field_it_extracts(kind: str) -> None:
    """On the replica's WordPress pages, scored against the replica's truth module."""
    from tests.helpers.trafilatura_rates import Truth, assert_at_least_trafilaturas_rate, exact_rates

    app = ReplicaApp(articles=40, day=1, kind=kind)
    base = f"http://{HOST}"

    def pages() -> Iterator[tuple[str, str, Truth]]:
        for index in range(app.site.count):
            article = app.site.article(index)
            truth = wordpress_truth(app.site, base, kind.removeprefix("wp-"), article)
            lead = truth["images"][0]["url"] if truth["images"] and truth["images"][0]["is_lead"] else None
            yield base + wp_path(article), app.handle(wp_path(article), "", HOST, False).body.decode(), Truth(
                title=truth["title"], authors=[author["name"] for author in truth["authors"]],
                published_utc=truth["published"], local_day=truth["published_raw"][:10],
                categories=[(c["name"], c["slug"]) for c in truth["categories"]],
                tags=[(t["name"], t["slug"]) for t in truth["tags"]], image=lead)

    assert_at_least_trafilaturas_rate(exact_rates(pages()), f"replica {kind}")


@pytest.mark.parametrize("markup", [TT1_AUTHOR_BOX, TT1_BYLINE, TT1_AUTHOR_BOX + TT1_BYLINE, TT1_BOX_WITHOUT_HEADING,
                                    '<div class="x-author-bio-y"><p><a rel="author" href="/a/">A</a></p></div>'
                                    '<a rel="author me" href="/b/">B</a><a rel="author" href="/c/">C</a>'])
def test_rel_author_links_are_what_the_xpath_finds(markup: str) -> None:
    """The byline fallback's own loop (kept for speed) against lxml's XPath, on the stock themes' markup, the
    replica's pages and the real sample page; the author box's link against the CSS engine."""
    from archiver.pages.query import Document, select_one
    from archiver.pages.wp_authors import (
        AUTHOR_BOX,
        AUTHOR_BOX_HEADING,
        REL_AUTHOR_OUTSIDE_BOX,
        _box_heading,
        _box_link,
        rel_author_links,
    )

    from .conftest import SAMPLES

    app = ReplicaApp(articles=20, day=1, kind="wp-classic")
    pages = [f"<html><body><article>{markup}</article></body></html>",
             *(app.handle(wp_path(app.site.article(i)), "", HOST, False).body.decode() for i in range(20)),
             *(path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.html")))]
    found_any = False
    for html in pages:
        doc = Document.parse(html)
        assert rel_author_links(doc) == doc.root.xpath(REL_AUTHOR_OUTSIDE_BOX)
        found_any = found_any or bool(doc.root.xpath(REL_AUTHOR_OUTSIDE_BOX))
        for box in doc.select(AUTHOR_BOX):
            assert _box_link(box) is select_one(box, "a[rel=author]")
            assert _box_heading(box) is select_one(box, AUTHOR_BOX_HEADING)
    assert found_any


@pytest.mark.parametrize("markup", [
    '<figure><img src="/a.jpg"><figcaption>Foto: A</figcaption></figure>',
    '<div class="wp-caption"><img src="/a.jpg"><p class="x\twp-caption-text">Bild: B</p></div>',
    '<figure class="wp-caption-text"><div><span class="wp-caption-text-no">N</span>'
    '<p class=" wp-caption-text ">C</p><figcaption>D</figcaption></div></figure>',
    '<figure><img src="/a.jpg"></figure>',
])
def test_figure_caption_is_what_the_xpath_finds(markup: str) -> None:
    """The body walk's caption loop (kept for speed) against the XPath it replaces, on edge cases, the replica's
    pages of both layouts and the real sample pages."""
    from archiver.pages.body import CAPTION_XPATH, _caption
    from archiver.pages.query import Document

    from .conftest import SAMPLES

    wp, tk = ReplicaApp(articles=20, day=1, kind="wp-classic"), ReplicaApp(articles=20, day=1)
    pages = [f"<html><body><article>{markup}</article></body></html>",
             *(wp.handle(wp_path(wp.site.article(i)), "", HOST, False).body.decode() for i in range(20)),
             *(tk.handle(tk.site.article(i).path, "", HOST, False).body.decode() for i in range(20)),
             *(path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.html")))]
    captions = 0
    for html in pages:
        root = Document.parse(html).root
        figures = root.xpath("//figure | //*[contains(@class, 'wp-caption') or contains(@class, 'wp-block-image')]")
        for figure in figures:
            expected = next(iter(figure.xpath(CAPTION_XPATH)), None)
            assert _caption(figure) is expected
            captions += expected is not None
    assert captions


def test_body_html_is_what_lxml_html_serializes() -> None:
    """The body's own serializer against lxml.html.tostring, whose meta removal it runs only where needed."""
    import lxml.html

    from archiver.pages.body import to_html
    from archiver.pages.query import Document

    from .conftest import SAMPLES

    wp = ReplicaApp(articles=20, day=1, kind="wp-classic")
    pages = ['<html><body><div><meta http-equiv="Content-Type" content="text/html"><p>x</p>'
             '<meta http-equiv="content-type" content="a"></div></body></html>',
             *(wp.handle(wp_path(wp.site.article(i)), "", HOST, False).body.decode() for i in range(5)),
             *(path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.html")))]
    for html in pages:
        root = Document.parse(html).root
        for element in [root, *root.iter("div", "article", "p")][:40]:
            assert to_html(element) == lxml.html.tostring(element, encoding="unicode")
    assert '<meta http-equiv="content-type"' in to_html(Document.parse(pages[0]).root)
    assert '<meta http-equiv="Content-Type"' not in to_html(Document.parse(pages[0]).root)


def test_a_link_standing_alone_in_the_body_counts() -> None:
    """A body's link outside any paragraph (no children of its own) is one of the article's links."""
    from archiver.pages.body import BodyReader
    from archiver.pages.query import Document

    root = Document.parse('<html><body><div class="entry-content"><p>Text.</p>'
                          '<a href="http://h/2020/01/02/anderer-artikel/">Mehr</a>'
                          '<a href="https://example.org/x">Quelle</a></div></body></html>').root
    body = BodyReader("http://h/2020/01/01/a/", "h").read(root.find(".//div"))
    assert body.links.internal == ["http://h/2020/01/02/anderer-artikel/"]
    assert body.links.external == ["https://example.org/x"]
    assert body.blocks == ["Text.", "Mehr", "Quelle"]
