"""Turn an article body element into trustworthy text, clean HTML, images, links and credits.

Every layout hands its body element and its own list of junk selectors to ``read_body``;
the walk itself is shared so that all layouts follow the same text rules (docs/schema.md):
one block per paragraph, sub-heading or figure caption, blocks separated by a blank line,
whitespace collapsed, no space inserted at inline-markup boundaries.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeAlias
from urllib.parse import urlsplit

from lxml import etree

from ..items import Credit, Image, Links
from ..normalize.credits import caption_credit, is_credit_line, parse_credit
from ..normalize.text import collapse_whitespace, unescape_twice
from ..normalize.urls import is_article_path, join_url
from ._css_match import attribute_tokens

# Page furniture inside article bodies, matched in one pass over the tree (see ``_junk_under``).
JUNK_TAGS = frozenset({"script", "style", "noscript", "form", "iframe", "ins", "template", "svg", "button"})
JUNK_CLASS_TOKENS = frozenset({"desktop-only", "mobile-only"})
JUNK_CLASS_PARTS = ("vgwort", "sharedaddy", "sharrre", "wpdc-", "jp-relatedposts", "related-posts", "yarpp",
                    "author-bio", "author-box")
JUNK_ID_PREFIXES = ("traffective-ad",)
JUNK_IDS = frozenset({"author"})


_JUNK_TOKEN_RE = re.compile(rf"(?:^|\s)(?:{'|'.join(map(re.escape, sorted(JUNK_CLASS_TOKENS)))})(?:\s|$)")


@lru_cache(maxsize=64)
def _junk_class_parts(layout_parts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({*JUNK_CLASS_PARTS, *layout_parts}))


def _is_junk_class(classes: str, parts: tuple[str, ...]) -> bool:
    """A part (shared or the layout's) anywhere in the class attribute, or a whole junk token. A dozen substring
    tests take half the time of one regex alternation searched at every position."""
    for part in parts:
        if part in classes:
            return True
    for token in JUNK_CLASS_TOKENS:
        if token in classes:
            return _JUNK_TOKEN_RE.search(classes) is not None
    return False


Elements: TypeAlias = list[etree._Element]


def _junk_under(root: etree._Element, nodes: Elements, layout_junk: Sequence[str],
                layout_class_parts: tuple[str, ...] = ()) -> tuple[Elements, Elements]:
    """Of ``nodes`` (every element of the tree at ``root``), those under ``root`` (never ``root`` itself) that the
    shared rules or the layout's call junk (its class-attribute parts in the same pass, its XPath after it); and,
    from the same pass, those (``root`` included) with an attribute the clean HTML drops (``strip_attributes``)."""
    junk_parts = _junk_class_parts(layout_class_parts)
    doomed: list[etree._Element] = []
    attributed: list[etree._Element] = []
    for node in nodes:
        names = node.keys()
        if names and not KEEP_ATTRIBUTES.issuperset(names):
            attributed.append(node)
        if node is root:
            continue
        if node.tag in JUNK_TAGS:
            doomed.append(node)
            continue
        if not names:  # most elements of a body (<a>, <strong>, plain <p>) have no attribute to test
            continue
        # An attribute read costs as much as the list of names: read only those the element has.
        classes = node.get("class") if "class" in names else None
        element_id = node.get("id") if "id" in names else None
        if ((classes and _is_junk_class(classes, junk_parts))
                or (element_id and (element_id in JUNK_IDS or element_id.startswith(JUNK_ID_PREFIXES)))
                or "data-nosnippet" in names):
            doomed.append(node)
    if layout_junk:
        doomed.extend(node for node in _layout_junk_query(tuple(layout_junk))(root) if node is not root)
    return doomed, attributed


def strip_attributes(nodes: Iterable[etree._Element]) -> None:
    """Drop every attribute but ``KEEP_ATTRIBUTES`` from ``nodes``."""
    for node in nodes:
        # Rebuilt, not deleted one by one: lxml refuses to delete an attribute whose name is not a valid XML
        # name, and the HTML parser accepts such names from broken markup.
        attributes = node.attrib
        kept = [(name, value) for name, value in node.items() if name in KEEP_ATTRIBUTES]
        attributes.clear()
        for name, value in kept:
            attributes[name] = value


def to_html(root: etree._Element) -> str:
    """``lxml.html.tostring(root, encoding="unicode")``: its removal of a ``<meta http-equiv="Content-Type">``
    runs only where the output has one (tests/test_wordpress.py checks the two agree)."""
    out: str = etree.tostring(root, method="html", encoding="unicode")
    return _META_CONTENT_TYPE.sub("", out) if _META_CONTENT_TYPE_START in out else out


_META_CONTENT_TYPE_START = '<meta http-equiv="Content-Type"'
_META_CONTENT_TYPE = re.compile(_META_CONTENT_TYPE_START + "[^>]*>")  # lxml.html's own pattern


@lru_cache(maxsize=64)
def _layout_junk_query(layout_junk: tuple[str, ...]) -> etree.XPath:
    return etree.XPath(" | ".join(_to_xpath(s) for s in layout_junk), regexp=False)


TEXT_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "dt", "dd", "td", "th", "blockquote"}
BLOCK_CONTAINERS = frozenset(TEXT_BLOCKS | {"div", "figure", "ul", "ol"})
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
KEEP_ATTRIBUTES = frozenset({"href", "src", "alt", "width", "height", "title"})
# What _caption finds (tests/test_wordpress.py checks that they agree).
CAPTION_XPATH = ".//figcaption | .//*[contains(concat(' ', normalize-space(@class), ' '), ' wp-caption-text ')]"


@dataclass
class Body:
    blocks: list[str] = field(default_factory=list)
    html: str = ""
    images: list[Image] = field(default_factory=list)
    links: Links = field(default_factory=Links)
    credit_lines: list[Credit] = field(default_factory=list)  # whole-paragraph credits, applies_to unset

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks)


def _to_xpath(selector: str) -> str:
    if selector.startswith("/") or selector.startswith("."):
        return selector
    return f"//{selector}"


def _anchors(element: etree._Element, base_url: str) -> Iterator[tuple[etree._Element, str]]:
    """Every <a href> under ``element`` with its absolute URL."""
    for anchor in element.iter("a"):
        href = anchor.get("href")
        if href:
            yield anchor, join_url(base_url, href)


def _caption(figure: etree._Element) -> etree._Element | None:
    """The figure's first ``CAPTION_XPATH`` match, by lxml's iteration: an XPath evaluation costs more than the
    walk over a figure's few elements."""
    for node in figure.iterdescendants(etree.Element):
        if node.tag == "figcaption":
            return node
        classes = node.get("class")
        if classes and "wp-caption-text" in attribute_tokens(classes):
            return node
    return None


def _links_of(element: etree._Element, base_url: str) -> list[tuple[str, str]]:
    return [(collapse_whitespace("".join(a.itertext())), href) for a, href in _anchors(element, base_url)]


def inline_text(element: etree._Element) -> str:
    """Text of an element as a reader sees it: <br> as a space, entities undone, whitespace collapsed."""
    if len(element) == 0 and element.tag not in ("script", "style"):  # no children: the common paragraph
        return collapse_whitespace(unescape_once(element.text or ""))
    parts: list[str] = []
    for node in element.iter():
        if node is not element and node.tag == "br":
            parts.append(" ")
        if node.text and node.tag not in ("script", "style") and not isinstance(node, etree._Comment):
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return collapse_whitespace(unescape_once("".join(parts)))


def unescape_once(text: str) -> str:
    # lxml has already decoded entities once; a remaining "&amp;ouml;" means the page escaped twice.
    return unescape_twice(text) if "&" in text else text


class BodyReader:
    def __init__(self, base_url: str, site_host: str, junk: Sequence[str] = (),
                 junk_class_parts: Sequence[str] = ()) -> None:
        self.base_url = base_url
        self.site_host = site_host.lower()
        self.junk = list(junk)  # layout-specific XPath, on top of the shared rules
        self.junk_class_parts = tuple(junk_class_parts)  # layout-specific parts of a junk class attribute
        self.body = Body()

    def read(self, element: etree._Element) -> Body:
        root = copy.deepcopy(element)
        nodes = list(root.iter(etree.Element))  # held: the walk then meets proxies lxml has already built
        doomed, attributed = _junk_under(root, nodes, self.junk, self.junk_class_parts)
        for node in doomed:
            _remove_keep_tail(node)
        self._walk(root)
        strip_attributes(attributed)  # after the walk, which reads classes and lazy-loading sources
        self.body.html = to_html(root).strip()
        return self.body

    # --- walk ---------------------------------------------------------------------------------
    def _walk(self, element: etree._Element) -> None:
        text = element.text
        if text and text.strip():
            self._add_block(collapse_whitespace(unescape_once(text)))
        for child in list(element):
            tag = child.tag  # lxml builds a new str on every read of .tag, .text and .tail: each is read once
            if not isinstance(tag, str):
                continue
            tag = tag.lower()
            class_value = child.get("class")
            classes = f" {class_value} " if class_value else ""
            if tag == "figure" or " wp-caption " in classes or " wp-block-image " in classes:
                self._figure(child)
            elif tag == "img":
                self._image(child, None)
            elif not len(child) and tag not in ("script", "style"):  # the common paragraph, inline_text's fast path
                text = child.text
                if text:
                    self._block(child, tag, collapse_whitespace(unescape_once(text)), links=tag == "a")
            elif not self._has_block_children(child):
                self._text_block(child, tag)
            else:
                self._walk(child)
            tail = child.tail  # a credit line removed by _text_block took its tail along: not body text here
            if tail and tail.strip() and child.getparent() is not None:
                self._add_block(collapse_whitespace(unescape_once(tail)))

    @staticmethod
    def _has_block_children(element: etree._Element) -> bool:
        for child in element:
            tag = child.tag
            if isinstance(tag, str) and tag.lower() in BLOCK_CONTAINERS:
                return True
        return False

    def _text_block(self, element: etree._Element, tag: str) -> None:
        for img in element.iter("img"):
            self._image(img, None)
        self._block(element, tag, inline_text(element), links=True)

    def _block(self, element: etree._Element, tag: str, text: str, links: bool) -> None:
        """A text block (``text``, its inline text): a whole-paragraph credit, or body text whose links count
        (``links``: it may hold some, false for an element without children that is not a link itself)."""
        if not text:
            return
        if tag not in HEADINGS and is_credit_line(text, collapsed=True):
            parsed = parse_credit(text, _links_of(element, self.base_url))
            if parsed is not None:
                self.body.credit_lines.append(Credit(parsed.raw, parsed.creator, parsed.license,
                                                     parsed.license_url, parsed.source_url))
                _remove_keep_tail(element)
                return
        if links:
            self._collect_links(element)
        self.body.blocks.append(text)

    def _add_block(self, text: str) -> None:
        if text:
            self.body.blocks.append(text)

    def _collect_links(self, element: etree._Element) -> None:
        for _, href in _anchors(element, self.base_url):  # the link text is not needed here
            parts = urlsplit(href)
            if parts.scheme not in ("http", "https"):
                continue
            if parts.netloc.lower() == self.site_host:
                if is_article_path(parts.path, parts.query) and href not in self.body.links.internal:
                    self.body.links.internal.append(href)
            elif href not in self.body.links.external:
                self.body.links.external.append(href)

    def _figure(self, element: etree._Element) -> None:
        caption_el = _caption(element)
        images = [img for img in element.iter("img")]
        caption_text, credit = None, None
        if caption_el is not None:
            caption_text, credit = caption_credit(inline_text(caption_el), _links_of(caption_el, self.base_url))
            self._collect_links(caption_el)
        for n, img in enumerate(images):
            self._image(img, caption_text if n == 0 else None, credit if n == 0 else None)
        if caption_text:
            self._add_block(caption_text)

    def _image(self, img: etree._Element, caption: str | None, credit: Credit | None = None) -> None:
        src = img.get("src") or img.get("data-src") or img.get("data-lazy-src")
        if not src or src.startswith("data:"):
            return
        url = join_url(self.base_url, src)
        width, height = int_attr(img.get("width")), int_attr(img.get("height"))
        if width == 1 and height == 1:
            return  # tracking pixel
        if credit is not None:
            credit.applies_to = url
        self.body.images.append(Image(url=url, alt=collapse_whitespace(img.get("alt") or "") or None,
                                      caption=caption, width=width, height=height, is_lead=False, credit=credit))


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _remove_keep_tail(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        # The HTML parser accepts control characters that lxml refuses to set again as text.
        previous = node.getprevious()
        if previous is not None:
            previous.tail = _XML_UNSAFE.sub("", (previous.tail or "") + node.tail)
        else:
            parent.text = _XML_UNSAFE.sub("", (parent.text or "") + node.tail)
    parent.remove(node)


def int_attr(value: str | None) -> int | None:
    """An HTML width/height attribute as an int ("800" or "800px"); None when it is not one."""
    if value is None:
        return None
    digits = value.strip().removesuffix("px")
    return int(digits) if digits.isdigit() else None


def first(values: Iterable[object]) -> str | None:
    """First non-empty string value, whitespace-collapsed (JSON-LD may hold numbers or objects)."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return collapse_whitespace(value)
    return None
