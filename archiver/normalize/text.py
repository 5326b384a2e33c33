"""Whitespace and entity clean-up for text taken from HTML."""

from __future__ import annotations

import html
import re

_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")
ZERO_WIDTH_CHARACTERS = "\u200b\u200c\u200d\ufeff\u00ad"
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH_CHARACTERS}]")


def collapse_whitespace(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space, drop zero-width characters, strip."""
    # Most text is already collapsed, and splitting it into words to join them again is the costly part. A
    # printable string holds no whitespace but the space (every other whitespace character is a control,
    # separator or non-ASCII space, all unprintable to str.isprintable) and no zero-width character (format
    # characters): without a double, leading or trailing space it is its own result.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    # Substring tests, spelled out (a generator costs as much as they do), are cheaper than a regex pass over
    # German text, which rarely holds any of these characters.
    if not text.isascii() and ("\u200b" in text or "\u200c" in text or "\u200d" in text or "\ufeff" in text
                               or "\u00ad" in text):
        text = _ZERO_WIDTH.sub("", text)
    return " ".join(text.split())


def unescape_twice(text: str) -> str:
    """Undo double escaping ("US-Beh&amp;ouml;rden" -> "US-Behörden"); safe on clean text."""
    once = html.unescape(text)
    if "&" in once and _ENTITY.search(once):
        return html.unescape(once)
    return once


def clean_inline(text: str) -> str:
    """Text of an inline run: entities undone, whitespace collapsed."""
    return collapse_whitespace(unescape_twice(text))


def word_count(text: str) -> int:
    return len(text.split())
