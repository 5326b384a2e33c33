"""CSS and XPath queries compiled once and run on the lxml tree directly.

Page objects ask a page a few dozen small questions. Through parsel, each one builds a fresh XPath
evaluator, translates CSS again and wraps every result in a ``Selector``: on a 10 kB page that
costs more than the query itself. Here a query string (CSS, or XPath when it starts with ``/``,
``./`` or ``(``) is compiled to an ``etree.XPath`` once per process and returns plain lxml elements
and ``str`` values. CSS may use parsel's ``::text`` and ``::attr(name)`` pseudo-elements.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeAlias

from lxml import etree
from parsel.csstranslator import css2xpath

from ..normalize.text import clean_inline

Element: TypeAlias = etree._Element  # lxml names its element type only privately
XPATH_STARTS = ("/", "./", "(")


@lru_cache(maxsize=2048)
def compiled(query: str) -> etree.XPath:
    xpath = query if query.startswith(XPATH_STARTS) else css2xpath(query)
    return etree.XPath(xpath, smart_strings=False)


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
    value = clean_inline("".join(select(element, ".//text()")))
    return value or None


__all__ = ["Element", "compiled", "select", "select_one", "select_str", "text_of"]
