"""The page objects' query layer answers exactly what parsel answers, however it gets there.

``Document.select`` starts CSS alternatives from a class/id index instead of scanning the document;
parsel (``Selector.css``) is the reference it must agree with, result for result and in document order.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from parsel import Selector

import archiver.pages as pages_package
from archiver.pages import base as base_layout
from archiver.pages.query import XPATH_STARTS, Document, parse_html, select
from archiver.pages.tk_theme import ARTICLE as tk_theme_article
from archiver.pages.tk_theme import post_articles as tk_theme_post_articles

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


# Random documents and queries for the Python answers of simple queries (archiver.pages._css_match): nested and
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
ANSWERED_IN_PYTHON = _queries([" ", " > "], 2)  # mostly the shapes _css_match answers without the XPath


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


# --- every selector the page objects use, on real and replica pages ------------------------------------------------
# Collected from the page objects' source (archiver/pages/*.py, the query engine aside): every query string given to
# select, select_one or select_str, as a literal, a module constant or a loop over one, and the class names given to
# Document.with_class and with_class_containing. A new selector is covered without editing this test; one the
# collector cannot read fails it (then name its values in SELECTOR_PARAMETERS).
PAGE_OBJECTS = Path(pages_package.__file__).parent
QUERY_ENGINE = {"__init__.py", "query.py", "_css_match.py"}
SELECT_CALLS = {"select", "select_one", "select_str"}
SELECTOR_PARAMETERS = {("listing", "query"): ["TEASER_LINKS", "POST_TITLE_LINKS", "NEXT_PAGE_LINKS"]}


def _module_constants(tree: ast.Module) -> dict[str, object]:
    constants: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            constants.update((t.id, value) for t in targets if isinstance(t, ast.Name))
    return constants


def _strings(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _resolve(expr: ast.expr, module: str, constants: dict[str, object], loops: dict[str, list[str]]
             ) -> list[str] | None:
    """The strings an expression of a page object's source stands for; None when it cannot be read."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.Name):
        if (values := _strings(constants.get(expr.id))) is not None:
            return values
        if expr.id in loops:
            return loops[expr.id]
        names = SELECTOR_PARAMETERS.get((module, expr.id))
        return None if names is None else [s for name in names for s in _strings(constants[name]) or []]
    if isinstance(expr, ast.JoinedStr):
        results = [""]
        for part in expr.values:
            if isinstance(part, ast.Constant):
                results = [r + str(part.value) for r in results]
            elif (isinstance(part, ast.FormattedValue)
                  and (values := _resolve(part.value, module, constants, loops)) is not None):
                results = [r + v for r in results for v in values]
            else:
                return None
        return results
    return None


def page_object_queries() -> dict[tuple[str, str], list[str]]:
    """``(how, query)`` → where the page objects use it. ``how``: "document" (``Document.select`` and its
    ``select_one``/``select_str``), "element" (``select(element, query)`` …), "class" (``with_class``) or
    "class-part" (``with_class_containing``)."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PAGE_OBJECTS.glob("*.py")):
        if path.name in QUERY_ENGINE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_constants(tree)
        loops: dict[str, list[str]] = {}
        for node in ast.walk(tree):  # names bound by `for x in CONSTANT` and comprehensions over one
            if (isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name)
                    and (values := _resolve(node.iter, path.stem, constants, loops)) is not None):
                loops.setdefault(node.target.id, []).extend(values)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in SELECT_CALLS and len(node.args) == 2:
                how, expr = "element", node.args[1]
            elif isinstance(func, ast.Attribute) and func.attr in SELECT_CALLS and len(node.args) == 1:
                how, expr = "document", node.args[0]
            elif isinstance(func, ast.Attribute) and func.attr in ("with_class", "with_class_containing"):
                how, expr = ("class" if func.attr == "with_class" else "class-part"), node.args[0]
            else:
                continue
            where = f"{path.name}:{node.lineno}"
            queries = _resolve(expr, path.stem, constants, loops)
            assert queries is not None, f"{where}: cannot read the query {ast.unparse(expr)!r}"
            for query in queries:
                found.setdefault((how, query), []).append(where)
    return found


PAGE_OBJECT_QUERIES = page_object_queries()


def test_every_page_object_selector_is_collected() -> None:
    """The collector finds the selectors of every layout: a few known ones of each, and dozens in all."""
    from archiver.pages import tk_theme, wordpress, wp_authors

    queries = {query for _, query in PAGE_OBJECT_QUERIES}
    assert len(queries) >= 60
    assert {wordpress.JSON_LD, *wordpress.BODY_SELECTORS, *(f"article {s}" for s in wordpress.BODY_SELECTORS),
            wp_authors.BYLINE_LINKS, wp_authors.BIO, wp_authors.AVATAR, tk_theme.ARTICLE, "span.byline ::text",
            "p.post-byline .author .fn a, p.post-byline .vcard a", "//body/@class", "taxonomy-category"} <= queries
    assert {how for how, _ in PAGE_OBJECT_QUERIES} == {"document", "element", "class", "class-part"}
    assert {where.split(":")[0] for wheres in PAGE_OBJECT_QUERIES.values() for where in wheres} >= {
        "base.py", "hueman.py", "listing.py", "tk_theme.py", "wordpress.py", "wp_authors.py"}


REPLICA_HOST = "replica.test:8000"


def _replica_pages() -> dict[str, str]:
    from archiver.replica.app import ReplicaApp
    from archiver.replica.wordpress import wp_path

    pages: dict[str, str] = {}
    for kind in ("tarnkappe", "wp-classic", "wp-block"):
        app = ReplicaApp(articles=40, day=1, kind=kind)
        for index in range(0, app.site.count, 5):
            article = app.site.article(index)
            themes = ["", "theme=tk-theme", "theme=hueman"] if kind == "tarnkappe" else [""]
            for query in themes:
                path = article.path if kind == "tarnkappe" else wp_path(article)
                response = app.handle(path, query, REPLICA_HOST, False)
                assert response.status == 200, (kind, path, query)
                pages[f"{kind}{path}?{query}"] = response.body.decode()
        for path in ("/", "/page/2/") + (("/author/83",) if kind == "tarnkappe" else ()):
            pages[f"{kind}{path}"] = app.handle(path, "", REPLICA_HOST, False).body.decode()
    return pages


SAMPLE_PAGES = {f"sample/{p.name}": p for p in sorted(SAMPLES.glob("*.html"))}
REPLICA_PAGES = _replica_pages()
# Markup of themes neither the samples nor the replica have, for the generic layout's other selectors.
OTHER_THEMES_PAGE = """<!doctype html><html><body class="single single-post">
<nav id="breadcrumbs"><a href="/">Start</a> <a href="/a/">A</a></nav><nav class="breadcrumb"><a href="/">S</a></nav>
<div class="breadcrumbs"><span><a href="/b/">B</a></span></div>
<article class="post type-post"><div class="post-content"><p>Eins</p></div><div class="article-content"><p>Zwei</p>
<div itemprop="articleBody"><p>Drei</p></div></div><div class="wp-block-post-content"><p>Vier</p></div></article>
<div class="post-content">outside</div><div itemprop="articleBody">outside</div><div class="article-content"></div>
</body></html>"""


def _reference(selector: Selector, how: str, query: str) -> list[object]:
    if how == "class":
        matches = selector.css("." + query)
    elif how == "class-part":
        matches = selector.xpath(f"//*[contains(@class, '{query}')]")
    elif query.startswith(XPATH_STARTS):
        matches = selector.xpath(query)
    else:
        matches = selector.css(query)
    return _paths([m.root for m in matches])


def _ours(document: Document, element: etree._Element, how: str, query: str) -> list[object]:
    if how == "class":
        return _paths(document.with_class(query))
    if how == "class-part":
        return _paths(document.with_class_containing(query))
    if how == "document":
        return _paths(document.select(query))
    return _paths(select(element, query))


def _check_every_page_object_query(html: str) -> set[tuple[str, str]]:
    """Every collected query answers on this page what parsel answers; returns those that matched anything."""
    document = Document.parse(html)
    reference = Selector(text=html)
    matched: set[tuple[str, str]] = set()
    for how, query in PAGE_OBJECT_QUERIES:
        # Over the whole page, parsel parsing the page itself: Document.select's index and Python answers, the
        # module functions' compiled XPath, with_class and with_class_containing.
        expected = _reference(reference, how, query)
        assert _ours(document, document.root, how, query) == expected, query
        if how in ("document", "element"):
            assert _paths(select(document.root, query)) == expected, query
        if expected:
            matched.add((how, query))
    # Under every element a page object might ask about (each element a collected query finds, the post articles):
    # parsel asked about the same element.
    contexts = {id(e): e for how, query in PAGE_OBJECT_QUERIES if how in ("document", "element")
                for e in select(document.root, query) if isinstance(e, etree._Element)}
    contexts.update((id(e), e) for e in base_layout.ArticlePage.post_articles.func(SimpleNamespace(root=document.root)))
    for element in list(contexts.values())[:150]:
        under = Selector(root=element, type="html")
        for how, query in PAGE_OBJECT_QUERIES:
            if how == "element" and not query.startswith("/"):
                expected = _reference(under, how, query)
                assert _paths(select(element, query)) == expected, (query, element.tag)
                if expected:
                    matched.add((how, query))
    # The fast post-article finders are the XPath their docstrings name.
    assert _paths(base_layout.ArticlePage.post_articles.func(SimpleNamespace(root=document.root))) == _paths(
        [m.root for m in reference.xpath("//article[starts-with(@id, 'post-')]")])
    assert _paths(tk_theme_post_articles(document)) == _paths([m.root for m in reference.xpath(tk_theme_article)])
    return matched


@pytest.mark.parametrize("name", SAMPLE_PAGES)
def test_every_page_object_selector_agrees_with_parsel_on_the_sample_pages(name: str) -> None:
    assert len(_check_every_page_object_query(SAMPLE_PAGES[name].read_text(encoding="utf-8"))) >= 20


@pytest.mark.parametrize("name", REPLICA_PAGES)
def test_every_page_object_selector_agrees_with_parsel_on_replica_pages(name: str) -> None:
    assert _check_every_page_object_query(REPLICA_PAGES[name])


def test_every_page_object_selector_matches_on_some_page() -> None:
    """The agreement is not vacuous: each selector finds something on one page at least (for a new theme's
    selector, add its markup to OTHER_THEMES_PAGE)."""
    matched = _check_every_page_object_query(OTHER_THEMES_PAGE)
    for path in SAMPLE_PAGES.values():
        matched |= _check_every_page_object_query(path.read_text(encoding="utf-8"))
    for html in REPLICA_PAGES.values():
        matched |= _check_every_page_object_query(html)
    assert set(PAGE_OBJECT_QUERIES) - matched == set()
