"""Author bylines: "von Sunny", "Sunny und Antonia", agencies like "dpa/AFP"."""

from __future__ import annotations

import re

from .text import clean_inline

AGENCIES = frozenset({"dpa", "afp", "ap", "reuters", "epd", "kna", "sid", "apa", "sda", "dts", "ddp", "red",
                      "redaktion", "heise online", "golem.de"})
_PREFIX = re.compile(r"^(?:von|by|autor(?:in)?:?|verfasst von|geschrieben von|written by|posted by)\s+",
                     re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:,|;|\bund\b|\band\b|&|\+)\s*", re.IGNORECASE)


def split_byline(byline: str) -> list[tuple[str, bool]]:
    """Names in a byline as ``(name, is_organization)``, in order, without duplicates."""
    text = _PREFIX.sub("", clean_inline(byline))
    names: list[tuple[str, bool]] = []
    for part in _SEPARATORS.split(text):
        part = part.strip(" .")
        if not part:
            continue
        pieces = part.split("/") if "/" in part and all(
            p.strip().lower() in AGENCIES for p in part.split("/")) else [part]
        for piece in pieces:
            name = piece.strip()
            entry = (name, name.lower() in AGENCIES)
            if name and entry not in names:
                names.append(entry)
    return names


def strip_byline_prefix(text: str) -> str:
    """"By Jürgen Weiß" / "Von Jürgen Weiß" -> "Jürgen Weiß" (an author box's heading)."""
    return _PREFIX.sub("", clean_inline(text)).strip()


def author_id_from_url(url: str | None) -> int | None:
    """``/author/83`` -> 83 (tarnkappe uses numeric author slugs)."""
    if not url:
        return None
    match = re.search(r"/author/(\d+)/?$", url)
    return int(match[1]) if match else None
