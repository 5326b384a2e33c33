"""CSS and XPath queries compiled once and run on the lxml tree directly.

Page objects ask a page a few dozen small questions. Through parsel, each one builds a fresh XPath
evaluator, translates CSS again and wraps every result in a ``Selector``: on a 10 kB page that
costs more than the query itself. Here a query string (CSS, or XPath when it starts with ``/``,
``./`` or ``(``) is compiled to an ``etree.XPath`` once per process and returns plain lxml elements
and ``str`` values. CSS may use parsel's ``::text`` and ``::attr(name)`` pseudo-elements.

libxml2 answers a class selector such as ``.entry-content`` by testing every element of the document
(the cost grows with the page), and most questions a layout asks are about markup the page
does not have: the generic WordPress layout tries the class names of a dozen themes. So a ``Document``
indexes its elements by class name and id in one pass, and a CSS query over the whole document starts
each alternative from the elements of its first compound that names a class or id (``.entry-inner`` in
``article .entry-inner p``, the compounds before it checked as ancestors): none when the page lacks the
class. The XPath is cssselect's own translation, only anchored there. Simple queries (a class, id or tag, the
compounds before it as ancestors, descendant steps after it) do not run even that: ``_css_match`` answers them
from the index in Python.

It is kept beside parsel for speed only, and must answer what parsel answers: tests/test_query.py runs every
selector the page objects use (collected from their source) on the real sample pages and the replica's pages and
compares the results with parsel's, element for element, besides random pages and queries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

from cssselect import parse as parse_css
from cssselect.parser import Attrib, Class, CombinedSelector, Function, Hash, Negation, Pseudo, Selector, Tree
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from ..normalize.text import clean_inline
from ._cache import cached_property
from ._css_match import XML_SPACE, attribute_tokens, plan, split_compounds

Element: TypeAlias = etree._Element  # lxml names its element type only privately
XPATH_STARTS = ("/", "./", "(")
_TRANSLATOR = HTMLTranslator()


_PARSERS = threading.local()


def _parser() -> etree.HTMLParser:
    """This thread's HTML parser. A parser's first document sets up libxml2's parser context (a good part of
    the time to parse a small page); lxml then reuses it. One per thread: lxml serializes the threads sharing one."""
    parser: etree.HTMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True, collect_ids=False)
    return parser


def parse_html(html: str) -> Element:
    """The document's root element, as parsel builds it (NUL bytes dropped, never None) but without lxml.html's
    Python element-class lookup, which runs for every element a query returns, and without libxml2's table of
    id attributes (a sizeable part of the parse; no query uses XPath's id())."""
    body = html.strip().encode("utf-8")
    if b"\x00" in body:  # tested in the bytes (memchr); the same test in a non-Latin-1 str scans it slowly
        body = body.replace(b"\x00", b"")
    body = body or b"<html/>"
    parser = _parser()
    root = etree.fromstring(body, parser=parser)
    return root if root is not None else etree.fromstring(b"<html/>", parser=parser)


class Document:
    """A parsed page, its elements indexed by class name and id on the first query that needs it."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self._proxies: list[Element] = []  # every element, once the index is built (see there)

    @classmethod
    def parse(cls, html: str) -> Document:
        return cls(parse_html(html))

    @cached_property
    def _index(self) -> tuple[dict[str, list[Element]], dict[str, list[Element]]]:
        by_class: dict[str, list[Element]] = {}
        by_id: dict[str, list[Element]] = {}
        # lxml creates an element's Python proxy when code first reaches it and frees it when nothing holds it, so
        # each later walk over the same elements would build them again: holding every one keeps them for the
        # page's life (the whole document's proxies cost less than one walk's rebuilding them).
        self._proxies = elements = list(self.root.iter(etree.Element))
        for element in elements:
            classes = element.get("class")
            if classes:
                # Split as CSS and XPath's normalize-space split (attribute_tokens), so that an element listed under
                # a name has that class; a repeated name repeats the element (XPath steps merge duplicates).
                if "\t" in classes or "\n" in classes or "\r" in classes:
                    classes = classes.translate(XML_SPACE)
                for name in classes.split(" "):
                    if name:
                        by_class.setdefault(name, []).append(element)
            element_id = element.get("id")
            if element_id:
                by_id.setdefault(element_id, []).append(element)
        return by_class, by_id

    def select(self, query: str) -> list[Any]:
        """``select`` over the whole document, CSS through the index (under an element, use ``select``)."""
        if query.startswith(XPATH_STARTS):
            return select(self.root, query)
        simple = plan(query)
        if simple is not None:
            found = simple.run(self.root, *self._index)
            if found is not None:
                return found
        css = _css(query)
        starts = {name: anchor.start(self) for name, anchor in css.anchors.items()}
        if css.fully_anchored and not any(starts.values()):
            return []  # most questions are about markup this page lacks: no need to run the XPath at all
        result = css.xpath(self.root, **starts)
        return result if isinstance(result, list) else [result]

    @cached_property
    def links(self) -> list[tuple[Element, str | None]]:
        """Every ``<a>`` of the document with its ``rel`` attribute, in document order: several fields look at
        the links, and reading an attribute costs more than the walk to it."""
        return [(a, a.get("rel")) for a in self.root.iter("a")]

    def with_class(self, name: str) -> list[Element]:
        """The elements whose class attribute has the token ``name`` (CSS ``.name``), in document order."""
        found = self._index[0].get(name, [])
        return [e for n, e in enumerate(found) if (n == 0 or e is not found[n - 1])  # a class named twice
                and name in attribute_tokens(e.get("class"))]

    def with_class_containing(self, part: str) -> list[Element]:
        """The elements whose class attribute contains ``part`` (XPath ``contains(@class, part)``), in document
        order. ``part`` must hold no whitespace: then it lies within one of the attribute's class names."""
        names = [name for name in self._index[0] if part in name]
        if len(names) > 1:
            return [e for e in self.root.iter(etree.Element) if part in (e.get("class") or "")]
        return list(dict.fromkeys(self._index[0][names[0]])) if names else []

    def select_one(self, query: str) -> Any:
        found = self.select(query)
        return found[0] if found else None

    def select_str(self, query: str) -> str | None:
        value = self.select_one(query)
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class _Anchor:
    """Where one CSS alternative starts: the elements with ``class_name`` or ``element_id`` (the first compound's),
    or none at all when the page lacks a class name or id the alternative needs anywhere."""

    class_name: str | None
    element_id: str | None
    needs_classes: frozenset[str]
    needs_ids: frozenset[str]

    def start(self, document: Document) -> list[Element]:
        by_class, by_id = document._index
        if not (self.needs_classes <= by_class.keys() and self.needs_ids <= by_id.keys()):
            return []
        if self.element_id is not None:
            return by_id[self.element_id]
        return by_class[self.class_name] if self.class_name is not None else []


@dataclass(frozen=True)
class _Css:
    xpath: etree.XPath
    anchors: dict[str, _Anchor]
    fully_anchored: bool  # every alternative starts from an anchor


def _required(tree: Tree, classes: set[str], ids: set[str]) -> None:
    """Class names and ids every match of ``tree`` needs (not those under :not)."""
    if isinstance(tree, Class):
        classes.add(tree.class_name)
    elif isinstance(tree, Hash):
        ids.add(tree.id)
    if isinstance(tree, CombinedSelector):
        _required(tree.selector, classes, ids)
        _required(tree.subselector, classes, ids)
    elif isinstance(tree, Class | Hash | Attrib | Pseudo | Function | Negation):
        _required(tree.selector, classes, ids)


def _names(tree: Tree) -> tuple[set[str], set[str]]:
    classes: set[str] = set()
    ids: set[str] = set()
    _required(tree, classes, ids)
    return classes, ids


ANCESTOR_AXES = {" ": "ancestor::", ">": "parent::"}


def _anchored(selector: Selector, name: str) -> tuple[str, _Anchor] | None:
    """The alternative as XPath starting from ``$name``, the elements of its first compound that names a class or
    id; the compounds left of it become a predicate (``$a/self::*[class]`` + ``[ancestor::article]``)."""
    compounds, combinators = split_compounds(selector.parsed_tree)
    named = [_names(compound) for compound in compounds]
    k = next((n for n, (classes, ids) in enumerate(named) if classes or ids), None)
    if k is None:
        return None
    classes, ids = named[k]
    if any(c not in ANCESTOR_AXES for c in combinators[:k]):
        return None  # sibling combinators left of the anchor: scan as cssselect does
    right: Tree = compounds[k]
    for combinator, compound in zip(combinators[k:], compounds[k + 1:], strict=True):
        right = CombinedSelector(right, combinator, compound)
    xpath = _TRANSLATOR.selector_to_xpath(Selector(right, selector.pseudo_element), prefix="self::",
                                          translate_pseudo_elements=True)
    first_step = "self::" + str(_TRANSLATOR.xpath(compounds[k]))
    if not xpath.startswith(first_step):
        return None
    if k > 0:
        # A B C anchored on C: C[ancestor::B[ancestor::A]]
        context = str(_TRANSLATOR.xpath(compounds[0]))
        for n in range(1, k):
            context = f"{_TRANSLATOR.xpath(compounds[n])}[{ANCESTOR_AXES[combinators[n - 1]]}{context}]"
        xpath = f"{first_step}[{ANCESTOR_AXES[combinators[k - 1]]}{context}]{xpath[len(first_step):]}"
    needs_classes, needs_ids = _names(selector.parsed_tree)
    anchor = _Anchor(class_name=min(classes) if classes else None, element_id=min(ids) if ids else None,
                     needs_classes=frozenset(needs_classes), needs_ids=frozenset(needs_ids))
    return f"${name}/{xpath}", anchor


@lru_cache(maxsize=2048)
def _css(query: str) -> _Css:
    parts: list[str] = []
    anchors: dict[str, _Anchor] = {}
    for n, selector in enumerate(parse_css(query)):
        anchored = _anchored(selector, f"anchor{n}")
        if anchored is None:
            parts.append(_TRANSLATOR.selector_to_xpath(selector, prefix="descendant-or-self::",
                                                       translate_pseudo_elements=True))
        else:
            parts.append(anchored[0])
            anchors[f"anchor{n}"] = anchored[1]
    return _Css(etree.XPath(" | ".join(parts), smart_strings=False, regexp=False), anchors, len(anchors) == len(parts))


@lru_cache(maxsize=2048)
def compiled(query: str) -> etree.XPath:
    xpath = query if query.startswith(XPATH_STARTS) else _TRANSLATOR.css_to_xpath(query)
    return etree.XPath(xpath, smart_strings=False, regexp=False)


def select(node: Element, query: str) -> list[Any]:
    """Every match of ``query`` under ``node``: elements, or ``str`` for text and attribute queries."""
    result = compiled(query)(node)
    return result if isinstance(result, list) else [result]


def select_one(node: Element | None, query: str) -> Any:
    """The first match, or None (also when ``node`` is None)."""
    if node is None:
        return None
    found = select(node, query)
    return found[0] if found else None


def select_str(node: Element | None, query: str) -> str | None:
    """The first match of a text or attribute query, as ``str``; None when there is none."""
    value = select_one(node, query)
    return value if isinstance(value, str) else None


def text_of(element: Element | None) -> str | None:
    """Reader-visible text of an element (entities undone, whitespace collapsed); None when empty."""
    if element is None:
        return None
    if len(element) == 0:  # the common title or link: its own text is all .//text() would select
        value = clean_inline(element.text or "")
    else:
        value = clean_inline("".join(select(element, ".//text()")))
    return value or None


__all__ = ["Document", "Element", "attribute_tokens", "compiled", "parse_html", "select", "select_one", "select_str",
           "text_of"]
