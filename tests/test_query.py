"""The page objects' query layer answers exactly what parsel answers, however it gets there.

``Document.select`` starts CSS alternatives from a class/id index instead of scanning the document;
parsel (``Selector.css``) is the reference it must agree with, result for result and in document order.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from parsel import Selector

from archiver.pages.query import Document, parse_html, select

from .conftest import SAMPLES

PAGE = """<!doctype html><html lang="de"><head><title>t</title>
<script type="application/ld+json">{"@type": "NewsArticle"}</script></head>
<body class="single single-post postid-7">
<nav id="breadcrumb"><a href="/">Start</a> <a href="/krypto/">Krypto</a></nav>
<div class="wrap outer"><div class="wrap inner">
  <article id="post-7" class="post type-post category-krypto">
    <h1 class="entry-title post-title">Titel <b>fett</b></h1>
    <p class="byline">von <span class="author vcard"><a href="/author/a/">Anna</a></span>
       und <span class="author	vcard"><a href="/author/b/">Bert</a></span></p>
    <div class="entry-content"><p>Eins</p><div class="entry-content nested"><p>Zwei</p></div>
      <figure class="wp-block-image"><img src="/a.jpg" class="wp-post-image"><figcaption>Bild</figcaption></figure>
    </div>
    <footer><a rel="category tag" href="/krypto/">Krypto</a><a rel="tag" href="/tag/x/">x</a></footer>
  </article>
  <aside class="author-bio"><p class="author-description">Bio</p><img class="avatar" src="/av.png"></aside>
</div></div>
<div class="entry-content">outside any article</div>
</body></html>"""

QUERIES = [
    ".entry-content",  # present twice, nested once: doc order, no duplicates
    "article .entry-content",
    ".entry-content p",  # anchors nest: the inner <p> must come once
    ".wrap .entry-content p::text",
    ".does-not-exist",
    ".does-not-exist p, .byline a",  # one impossible alternative
    ".byline a, .author.vcard a, .wp-block-post-author-name a",  # overlapping alternatives
    ".author-bio .author-description, .author-description, .author-info .author-description",
    ".author-bio img.avatar::attr(src), .author-info img.avatar::attr(src)",
    "h1.entry-title, h1.wp-block-post-title, article h1",
    "h1.post-title.entry-title",
    "h1.post-title.missing",
    "#breadcrumb a",
    "nav#breadcrumb a::text",
    "#missing a, #breadcrumb a",
    "a[rel~=category], .taxonomy-category a",
    "script[type='application/ld+json']::text",
    "p:not(.missing) a",  # a class under :not is not required
    ".byline ::text",
    "div.wrap > div.wrap article > h1",
    # anchored on a later compound, the ones before it checked as ancestors or parents
    "body article > h1.entry-title",
    "div > .entry-content p",
    "section .entry-content",
    "html body .wrap .entry-content::attr(class)",
    "article p.byline ~ div",
    "h1 + p.byline a",  # a sibling combinator before the class: scanned as cssselect does
    "footer > a[rel~=tag]",
    # structural pseudo-classes must mean the same from the anchor as from a document scan
    ".byline a:first-child",
    ".entry-content p:last-child",
    "article div.entry-content:first-of-type",
    ".author:nth-child(2) a",
]


def _comparable(values: list[object]) -> list[object]:
    return [etree.tostring(v) if isinstance(v, etree._Element) else v for v in values]


@pytest.mark.parametrize("query", QUERIES)
def test_document_select_agrees_with_parsel(query: str) -> None:
    reference = [r.root for r in Selector(text=PAGE).css(query)]
    document = Document.parse(PAGE)
    assert _comparable(document.select(query)) == _comparable(reference)
    assert _comparable(select(document.root, query)) == _comparable(reference)


# Random documents and queries for the Python answers of simple queries (archiver.pages.css_match): nested and
# repeated classes, ids, attributes, text between children, comments.
ATTRIBUTES = st.sampled_from(['', ' class="a"', ' class="a b"', ' class="b\ta a"', ' class="a a"', ' id="x"',
                              ' class="c" id="y"', ' href="/h"', ' href="/h" rel="tag"', ' class="a" href="/k"'])
TAGS = st.sampled_from(["div", "p", "span", "a", "article", "section"])
LEAVES = st.sampled_from(["t", " u ", "<!-- c -->", '<img src="/i" class="c">', "<br>"])


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(TAGS, ATTRIBUTES, st.lists(children, max_size=4)).map(
        lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}</{t[0]}>")


DOCUMENTS = st.lists(st.recursive(LEAVES, _element, max_leaves=20), max_size=4).map("".join)
COMPOUNDS = st.sampled_from(["div", "p", "a", "span", "article", "img", "*", ".a", ".b", ".c", ".a.b", "div.a",
                             "p.a", "#x", "div#y.c", "[href]", "a[rel=tag]", "a[rel='x']", ".A", "DIV.a",
                             ".a:first-child"])
PSEUDO_ELEMENTS = st.sampled_from(["", "::text", "::attr(href)", "::attr(class)"])


def _queries(combinators: list[str], max_alternatives: int) -> st.SearchStrategy[str]:
    alternatives = st.lists(st.tuples(st.sampled_from(combinators), COMPOUNDS), max_size=2).flatmap(
        lambda rest: COMPOUNDS.map(lambda head: head + "".join(c + s for c, s in rest)))
    return st.tuples(st.lists(alternatives, min_size=1, max_size=max_alternatives), PSEUDO_ELEMENTS).map(
        lambda t: ", ".join(alternative + t[1] for alternative in t[0]))


CSS_QUERIES = _queries([" ", " > ", " + "], 3)
ANSWERED_IN_PYTHON = _queries([" ", " > "], 2)  # mostly the shapes css_match answers without the XPath


def _paths(values: list[object]) -> list[object]:
    return [v.getroottree().getpath(v) if isinstance(v, etree._Element) else v for v in values]


@given(DOCUMENTS, st.one_of(CSS_QUERIES, ANSWERED_IN_PYTHON, ANSWERED_IN_PYTHON))
@settings(max_examples=2000, deadline=None)
def test_document_select_agrees_with_parsel_on_random_pages(body: str, query: str) -> None:
    html = f"<html><body>{body}{body}</body></html>"  # twice: repeated structure, nested anchors in both copies
    reference = [r.root for r in Selector(text=html).css(query)]
    assert _paths(Document.parse(html).select(query)) == _paths(reference)


def test_queries_under_an_element_stay_under_it() -> None:
    document = Document.parse(PAGE)
    article = document.select("article")[0]
    assert [e.text for e in select(article, ".entry-content p")] == ["Eins", "Zwei"]
    assert select(article, ".author-description") == []


@pytest.mark.parametrize("layout_query", [".entry-inner", "p.post-byline .author .fn a", "a[rel=tag]"])
def test_the_real_sample_page_agrees_with_parsel(layout_query: str) -> None:
    sample = SAMPLES / "live-approx-311235.html"
    html = sample.read_text(encoding="utf-8")
    for query in [layout_query, ".entry-content p", ".card-image figure img", "span.byline a::attr(href)"]:
        reference = [r.root for r in Selector(text=html).css(query)]
        assert _comparable(Document.parse(html).select(query)) == _comparable(reference), query


def test_an_empty_or_nul_page_parses_to_an_html_root() -> None:
    assert Document.parse("").root.tag == "html"
    assert Document.parse("\x00\x00").root.tag == "html"
    assert Document.parse("<p>a\x00b</p>").select("p::text") == ["ab"]


EDGE_TEXT = st.lists(st.sampled_from([" ", "\t", "\n", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000", "\ufeff",
                                      "\x00", "ä", "„", "x", "<p>", "</p>"]), max_size=6).map("".join)


@given(EDGE_TEXT, EDGE_TEXT)
@settings(max_examples=500)
def test_parse_html_strips_as_str_strip_does(before: str, after: str) -> None:
    """The page is stripped as bytes where that is the same as ``str.strip``, whatever surrounds the markup."""
    html = f"{before}<html><body><p>a\x00b „c“</p></body></html>{after}"
    exact = html.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    reference = etree.fromstring(exact, parser=etree.HTMLParser(recover=True, encoding="utf-8"))
    if reference is None:
        reference = etree.fromstring(b"<html/>", parser=etree.HTMLParser())
    assert etree.tostring(parse_html(html)) == etree.tostring(reference)


TEXT_FRAGMENTS = st.sampled_from(["<div>", "</div>", "<b>", "</b>", "<p>", "<br>", "<!-- c -->", "<?pi x?>",
                                   "<script>s</script>", "<![CDATA[d]]>", "&amp;", "&ouml;", " ", "\n", "x", "ä", "„"])


@given(st.lists(TEXT_FRAGMENTS, max_size=12).map("".join))
@settings(max_examples=300)
def test_text_of_is_the_text_xpath_selects(inner: str) -> None:
    from archiver.normalize.text import clean_inline
    from archiver.pages.query import text_of

    element = parse_html(f"<html><body><section>{inner}</section>tail</body></html>").find("body/section")
    assert text_of(element) == (clean_inline("".join(element.xpath(".//text()"))) or None)


@pytest.mark.parametrize("body", [
    '<main id="article"><article id="post-5"><p>x</p></article><article id="post-6"></article></main>',
    '<main id="article"><div><article id="post-5"></article></div></main>',  # not a child of <main>
    '<main id="articles"><article id="post-5"></article></main>',
    '<main><article id="post-5"></article></main>',
    '<main id="article"><article id="page-5"></article><article></article><!-- c --><article id="post-"></article>'
    '</main>',
    '<article id="post-5"></article>',
    # two <main id="article">, the second's article first in document order
    '<main id="article"><section><main id="article"><article id="post-2"></article></main></section>'
    '<article id="post-1"></article></main>',
])
def test_tk_theme_articles_are_what_its_xpath_finds(body: str) -> None:
    from archiver.pages.tk_theme import ARTICLE, post_articles

    document = Document.parse(f"<html><body>{body}</body></html>")
    assert post_articles(document) == select(document.root, ARTICLE)


def test_tk_theme_finds_the_real_sample_pages_article() -> None:
    from archiver.pages.tk_theme import post_articles

    sample = SAMPLES / "live-approx-311235.html"
    (article,) = post_articles(Document.parse(sample.read_text(encoding="utf-8")))
    assert article.get("id") == "post-311235"


@pytest.mark.parametrize("rel", ["category tag", "tag\tcategory", "category\ntag", "tag\u00a0category", "categoryx",
                                 " category ", ""])
def test_attribute_tokens_split_as_css_includes_does(rel: str) -> None:
    from archiver.pages.query import attribute_tokens

    expected = bool(Selector(text=f'<a rel="{rel}">x</a>').css("a[rel~=category]"))
    assert ("category" in attribute_tokens(rel)) is expected
