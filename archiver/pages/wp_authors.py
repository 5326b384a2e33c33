"""Authors of a WordPress post, from the markup the stock themes really print (read from WordPress 6.1's files):

* classic bylines: ``<span class="byline">By <a rel="author">NAME</a></span>`` (Twenty Twenty-One,
  ``inc/template-tags.php``, only for an author *without* a bio), ``.author.vcard a`` (older themes);
* Twenty Twenty-One's author box (``template-parts/post/author-bio.php``), the only author markup of a post whose
  author has a bio: ``<div class="author-bio"><h2 class="author-title">By NAME</h2><p class="author-description">
  BIO</p><a class="author-link" rel="author">View all of NAME's posts.</a></div>`` — the name comes from the heading
  (or, without one, from the archive URL's slug), never from the link text;
* the ``core/post-author`` block of the block themes (Twenty Twenty-Two ``templates/single.html``, Twenty
  Twenty-Three ``parts/post-meta.html``; ``wp-includes/blocks/post-author.php``): ``<div class="wp-block-post-author">
  <div class="wp-block-post-author__content"><p class="wp-block-post-author__byline">LABEL</p>
  <p class="wp-block-post-author__name">NAME</p><p class="wp-block-post-author__bio">BIO</p></div></div>``, no link;
* the ``core/post-author-name`` and ``core/post-author-biography`` blocks (Twenty Twenty-Four and later);
* JSON-LD ``author`` (Yoast and Rank Math put the Person into the ``@graph`` and refer to it by ``@id``);
* ``<meta name="author">``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from ..items import Author
from ..normalize.authors import author_id_from_url, split_byline, strip_byline_prefix
from ..normalize.text import collapse_whitespace
from .body import first
from .query import Document, Element, attribute_tokens, text_of

# Links whose text is the author's name. Not the author box's link: its text is "View all of NAME's posts".
BYLINE_LINKS = ".byline a, .author.vcard a, .wp-block-post-author-name a, .wp-block-post-author__name a"
# What rel_author_links finds (tests/test_wordpress.py checks that they agree).
REL_AUTHOR_OUTSIDE_BOX = "//a[@rel='author'][not(ancestor::*[contains(@class, 'author-bio')])]"
BLOCK_AUTHOR_NAMES = ".wp-block-post-author__name, .wp-block-post-author-name"
AUTHOR_BOX = ".author-bio"
AUTHOR_BOX_HEADING = ".author-title"
BIO = (".author-bio .author-description p, .author-description, .wp-block-post-author__bio, "
       ".wp-block-post-author-biography, .author-info .author-description")
AVATAR = ".author-bio img.avatar::attr(src), .author-info img.avatar::attr(src)"
_AUTHOR_SLUG = re.compile(r"/author/([^/?#]+)/?$")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _add(authors: list[Author], name: str | None, url: str | None) -> None:
    name = collapse_whitespace(name or "")
    if name and not any(a.name == name for a in authors):
        authors.append(Author(name=name, url=url, site_author_id=author_id_from_url(url)))


def name_from_author_url(url: str | None) -> str | None:
    """``/author/peter-krause/`` -> "Peter Krause": the last resort when a page names its author nowhere else
    (a numeric slug names nobody)."""
    match = _AUTHOR_SLUG.search(urlsplit(url or "").path)
    if match is None or match[1].isdigit():
        return None
    return " ".join(part.capitalize() for part in unquote(match[1]).replace("_", "-").split("-") if part) or None


def rel_author_links(doc: Document) -> list[Element]:
    """``REL_AUTHOR_OUTSIDE_BOX`` through the document's links: the XPath's scan of every element with its
    ancestor test cost a tenth of a small page's extraction."""
    return [a for a, rel in doc.links if rel == "author"
            and not any("author-bio" in (ancestor.get("class") or "") for ancestor in a.iterancestors())]


def _box_link(box: Element) -> Element | None:
    """The author box's ``a[rel=author]``, without compiling CSS for a box of a few elements."""
    return next((a for a in box.iter("a") if a.get("rel") == "author"), None)


def _box_heading(box: Element) -> Element | None:
    """The author box's ``AUTHOR_BOX_HEADING`` (the box itself included, as CSS under an element selects), without
    an XPath evaluation for a box of a few elements."""
    name = AUTHOR_BOX_HEADING.removeprefix(".")
    return next((e for e in box.iter(etree.Element) if name in attribute_tokens(e.get("class"))), None)


def _from_links(doc: Document, absolute: Callable[[str | None], str | None]) -> list[Author]:
    authors: list[Author] = []
    for link in doc.select(BYLINE_LINKS) or rel_author_links(doc):
        _add(authors, text_of(link), absolute(link.get("href")))
    return authors


def _from_blocks(doc: Document, absolute: Callable[[str | None], str | None]) -> list[Author]:
    authors: list[Author] = []
    for element in doc.select(BLOCK_AUTHOR_NAMES):
        link = next((a for a in element.iter("a")), None)
        _add(authors, text_of(element), absolute(link.get("href")) if link is not None else None)
    return authors


def _from_author_box(doc: Document, absolute: Callable[[str | None], str | None]) -> list[Author]:
    authors: list[Author] = []
    for box in doc.select(AUTHOR_BOX):
        link = _box_link(box)
        url = absolute(link.get("href")) if link is not None else None
        heading = _box_heading(box)
        name = strip_byline_prefix(text_of(heading) or "") or name_from_author_url(url)
        _add(authors, name, url)
    return authors


def _from_json_ld(ld_authors: list[Any], node: Callable[[Any], dict[str, Any]]) -> list[Author]:
    authors: list[Author] = []
    for ref in ld_authors:
        if isinstance(ref, str):
            for byline_name, _organization in split_byline(ref):
                _add(authors, byline_name, None)
            continue
        person = node(ref)
        name = first([person.get("name")])
        if name and not any(a.name == name for a in authors):
            _add(authors, name, first([person.get("url")]))
            authors[-1].bio = first([person.get("description")])
    return authors


def read_authors(doc: Document, absolute: Callable[[str | None], str | None], meta_author: str | None,
                 ld_authors: Callable[[], list[Any]], ld_node: Callable[[Any], dict[str, Any]]
                 ) -> tuple[list[Author], str]:
    """The post's authors, from the first source that names any, and which source that was (``byline``,
    ``post-author-block``, ``author-box``, ``json-ld``, ``meta``); the bio of a single author from the page."""
    readers: list[tuple[str, Callable[[], list[Author]]]] = [
        ("byline", lambda: _from_links(doc, absolute)),
        ("post-author-block", lambda: _from_blocks(doc, absolute)),
        ("author-box", lambda: _from_author_box(doc, absolute)),
        ("json-ld", lambda: _from_json_ld(ld_authors(), ld_node)),
        ("meta", lambda: [Author(name=n, is_organization=org) for n, org in split_byline(meta_author or "")])]
    authors: list[Author] = []
    source = "none"
    for name, read in readers:
        authors = read()
        if authors:
            source = name
            break
    if len(authors) == 1:
        bio = text_of(doc.select_one(BIO))
        if bio:
            authors[0].bio = bio
            authors[0].avatar_url = absolute(doc.select_str(AVATAR))
    return authors, source
