"""Whitespace and entity clean-up for text taken from HTML."""

from __future__ import annotations

import html
import re

_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff\u00ad]")


def collapse_whitespace(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space, drop zero-width characters, strip."""
    if not text.isascii():
        text = _ZERO_WIDTH.sub("", text)
    return " ".join(text.split())


def unescape_twice(text: str) -> str:
    """Undo double escaping ("US-Beh&amp;ouml;rden" -> "US-Behörden"); safe on clean text."""
    once = html.unescape(text)
    if _ENTITY.search(once):
        return html.unescape(once)
    return once


def clean_inline(text: str) -> str:
    """Text of an inline run: entities undone, whitespace collapsed."""
    return collapse_whitespace(unescape_twice(text))


def word_count(text: str) -> int:
    return len(text.split())
