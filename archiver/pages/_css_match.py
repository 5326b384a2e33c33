"""Simple CSS alternatives answered from the class/id index in Python, without an XPath evaluation.

An XPath call costs a few microseconds of setup (context, variables, result conversion) even when it only tests
the one element the index already found; a page object asks a dozen such questions per page. Answered here:
chains of compounds made of a tag, class names, an id and ``[name]`` / ``[name=value]`` attribute tests, joined
by descendant or child combinators left of the anchor (the first compound naming a class or id, else the last
compound, found by its tag) and by descendant combinators right of it, with parsel's ``::text`` and
``::attr(name)``. Their results are those of cssselect's XPath, in document order: the anchor's elements come
from the index (or a tag scan) in document order; the descendants of a document-ordered list, without repeats,
are in document order too; alternatives that found different elements are merged by their positions. Anything
else returns None, and ``Document.select`` runs the XPath: other combinators and pseudo-classes, a child step
right of the anchor, and ``::text`` of elements nested in one another (a parent's text after a child comes
after the child's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cssselect import parse as parse_css
from cssselect.parser import (
    Attrib,
    Class,
    CombinedSelector,
    Element,
    FunctionalPseudoElement,
    Hash,
    SelectorError,
    Tree,
)
from lxml import etree

XML_SPACE = str.maketrans("\t\n\r", "   ")  # what XPath's normalize-space() separates at, besides the space


def attribute_tokens(value: str | None) -> list[str]:
    """A space-separated attribute (class, rel) split as CSS's ``~=`` and XPath's ``normalize-space`` split it:
    at spaces, tabs and line breaks only (``str.split()`` knows more whitespace). May hold empty strings."""
    if not value:
        return [""]
    if "\t" in value or "\n" in value or "\r" in value:  # rare; translate raises a KeyError inside for every
        value = value.translate(XML_SPACE)              # other character it meets
    return value.split(" ")


@dataclass(frozen=True)
class Compound:
    """One compound selector: every part must hold for an element to match."""

    tag: str | None  # lower case, as the HTML parser names elements; None for ``*``
    classes: tuple[str, ...]
    element_id: str | None
    attributes: tuple[tuple[str, str | None], ...]  # (name, value); value None: the attribute only has to exist

    def matches(self, element: Any) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        get = element.get
        if self.classes:
            tokens = attribute_tokens(get("class"))
            for name in self.classes:
                if name not in tokens:
                    return False
        if self.element_id is not None and get("id") != self.element_id:
            return False
        for name, value in self.attributes:
            actual = get(name)
            if actual is None or (value is not None and actual != value):
                return False
        return True

    def beyond_index(self, class_name: str | None, by_id: bool) -> Compound | None:
        """What an element found in the index under ``class_name`` (or under this compound's id) must still be
        checked for; None when nothing: the index splits class attributes as ``attribute_tokens`` does, so an
        element it lists under a name has that class."""
        rest = Compound(self.tag, tuple(c for c in self.classes if c != class_name),
                        None if by_id else self.element_id, self.attributes)
        return None if rest == _ANY else rest


@dataclass(frozen=True)
class Alternative:
    left: tuple[tuple[Compound, str], ...]  # (compound, combinator to the next compound), leftmost first
    anchor: Compound
    anchor_class: str | None  # the class whose index list holds the anchor's elements (none: its id's, or a tag scan)
    descendants: tuple[Compound, ...]  # ``anchor d1 d2``: descendant steps right of the anchor

    def __post_init__(self) -> None:
        object.__setattr__(self, "_anchor_check", self.anchor_check)

    @property
    def anchor_check(self) -> Compound | None:
        """The part of the anchor its index lookup does not already guarantee (the whole anchor for a tag scan)."""
        if self.anchor.element_id is not None:
            return self.anchor.beyond_index(None, by_id=True)
        if self.anchor_class is not None:
            return self.anchor.beyond_index(self.anchor_class, by_id=False)
        return self.anchor

    _anchor_check: Compound | None = field(init=False, repr=False, compare=False)

    def elements(self, root: Any, by_class: dict[str, list[Any]], by_id: dict[str, list[Any]]) -> list[Any]:
        if self.anchor.element_id is not None:
            starts = by_id.get(self.anchor.element_id, ())
        elif self.anchor_class is not None:
            starts = by_class.get(self.anchor_class, ())
        else:
            starts = root.iter(self.anchor.tag)
        found: list[Any] = []
        previous = None
        check = self._anchor_check
        left = self.left
        for element in starts:
            if element is previous:  # a class named twice in one attribute lists its element twice
                continue
            previous = element
            if (check is None or check.matches(element)) and (not left or _in_context(element, left)):
                found.append(element)
        for step in self.descendants:
            if not found:
                break
            if len(found) == 1:  # the common case: one subtree, nothing found twice
                top = found[0]
                found = [node for node in top.iter(step.tag or etree.Element) if node is not top and step.matches(node)]
                continue
            below: list[Any] = []
            seen: set[Any] = set()
            for element in found:
                for node in element.iter(step.tag or etree.Element):
                    if node is not element and node not in seen and step.matches(node):
                        seen.add(node)
                        below.append(node)
            found = below
        return found


def _document_position(element: Any) -> tuple[int, ...]:
    """The element's child index at every level from the root: tuples sort in document order."""
    path: list[int] = []
    parent = element.getparent()
    while parent is not None:
        path.append(parent.index(element))
        element, parent = parent, parent.getparent()
    return tuple(reversed(path))


def _in_context(element: Any, left: tuple[tuple[Compound, str], ...]) -> bool:
    """Whether the compounds left of ``element`` match its ancestors as their combinators require."""
    compound, combinator = left[-1]
    rest = left[:-1]
    if combinator == ">":
        parent = element.getparent()
        return parent is not None and compound.matches(parent) and (not rest or _in_context(parent, rest))
    for ancestor in element.iterancestors(compound.tag) if compound.tag else element.iterancestors():
        if compound.matches(ancestor) and (not rest or _in_context(ancestor, rest)):
            return True
    return False


@dataclass(frozen=True)
class Plan:
    alternatives: tuple[Alternative, ...]
    pseudo: str | None  # None, "text" or "attr"
    attribute: str | None  # for ``::attr(name)``

    def run(self, root: Any, by_class: dict[str, list[Any]], by_id: dict[str, list[Any]]) -> list[Any] | None:
        """The query's results, or None when the XPath must decide (alternatives that found different elements)."""
        elements: list[Any] = []
        merge = False
        for alternative in self.alternatives:
            found = alternative.elements(root, by_class, by_id)
            if found:
                if elements and found != elements:  # list equality of lxml elements is identity
                    merge = True
                    elements = elements + found
                else:
                    elements = found
        if merge:
            elements = sorted(dict.fromkeys(elements), key=_document_position)
        if self.pseudo is None:
            return elements
        if self.pseudo == "attr":
            name = self.attribute
            return [value for element in elements if (value := element.get(name)) is not None]
        if len(elements) > 1:
            chosen = set(elements)
            if any(a in chosen for element in elements for a in element.iterancestors()):
                return None  # an element's text after a chosen child comes after that child's text
        texts: list[Any] = []
        for element in elements:  # ::text is text(): the element's own text nodes, before and between its children
            if element.text is not None:
                texts.append(element.text)
            for child in element:
                if child.tail is not None:
                    texts.append(child.tail)
        return texts


_ANY = Compound(None, (), None, ())


def _compound(tree: Tree) -> Compound | None:
    classes: list[str] = []
    element_id: str | None = None
    attributes: list[tuple[str, str | None]] = []
    while not isinstance(tree, Element):
        if isinstance(tree, Class):
            classes.append(tree.class_name)
        elif isinstance(tree, Hash):
            if element_id is not None and element_id != tree.id:
                return None
            element_id = tree.id
        elif isinstance(tree, Attrib) and tree.namespace is None and tree.operator in ("exists", "="):
            value = None if tree.operator == "exists" else str(getattr(tree.value, "value", tree.value))  # a Token
            attributes.append((tree.attrib.lower(), value))
        else:
            return None  # pseudo-classes, functions, :not(), other attribute operators
        tree = tree.selector
    if tree.namespace is not None:
        return None
    tag = None if tree.element in (None, "*") else tree.element.lower()
    return Compound(tag, tuple(classes[::-1]), element_id, tuple(attributes[::-1]))


def split_compounds(tree: Tree) -> tuple[list[Tree], list[str]]:
    """``A B > C`` as ([A, B, C], [" ", ">"]); cssselect nests combined selectors to the left."""
    compounds, combinators = [], []
    while isinstance(tree, CombinedSelector):
        compounds.append(tree.subselector)
        combinators.append(tree.combinator)
        tree = tree.selector
    compounds.append(tree)
    return compounds[::-1], combinators[::-1]


def _alternative(tree: Tree) -> Alternative | None:
    trees, combinators = split_compounds(tree)
    if any(c not in (" ", ">") for c in combinators):
        return None
    parsed = [_compound(t) for t in trees]
    compounds = [c for c in parsed if c is not None]
    if len(compounds) != len(parsed):
        return None
    k = next((n for n, c in enumerate(compounds) if c.classes or c.element_id is not None), None)
    if k is None:
        if compounds[-1].tag is None:
            return None  # nothing to start from but every element
        k = len(compounds) - 1
    right = tuple(compounds[k + 1:])
    if any(c != " " for c in combinators[k:]):
        return None  # a child step right of the anchor: the children of nested elements are not in document order
    if _ANY in right:
        return None  # parsel reads "A ::text" and "A ::attr(x)" as A's own nodes too
    anchor = compounds[k]
    anchor_class = min(anchor.classes) if anchor.classes and anchor.element_id is None else None
    return Alternative(left=tuple(zip(compounds[:k], combinators[:k], strict=True)), anchor=anchor,
                       anchor_class=anchor_class, descendants=right)


@lru_cache(maxsize=2048)
def plan(query: str) -> Plan | None:
    """How to answer ``query`` in Python, or None when only the XPath can."""
    try:
        selectors = parse_css(query)
    except SelectorError:
        return None
    pseudo = {selector.pseudo_element if not isinstance(selector.pseudo_element, FunctionalPseudoElement)
              else (selector.pseudo_element.name, tuple(a.value for a in selector.pseudo_element.arguments))
              for selector in selectors}
    if len(pseudo) != 1:
        return None
    (element_pseudo,) = pseudo
    attribute = None
    if isinstance(element_pseudo, tuple):
        name, arguments = element_pseudo
        if name != "attr" or len(arguments) != 1:
            return None
        element_pseudo, attribute = "attr", arguments[0]
    elif element_pseudo not in (None, "text"):
        return None
    alternatives = [_alternative(selector.parsed_tree) for selector in selectors]
    if any(a is None for a in alternatives):
        return None
    return Plan(tuple(a for a in alternatives if a is not None), element_pseudo, attribute)


__all__ = ["XML_SPACE", "Plan", "attribute_tokens", "plan", "split_compounds"]
