"""Our extractor and trafilatura over the same pages, each scored against the site's own truth, field by field.

The fields are those trafilatura's metadata extraction gives and a truth exists for: title, author, date,
categories, tags and image. Each side is judged at its own precision, generously to trafilatura: its date is a
day (the site's local day, as the page shows it), ours the publication time to the second in UTC; its
categories and tags are names in any order, ours (name, slug) pairs in the site's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import trafilatura

from archiver.items import ArticleItem
from archiver.pages import Page, extract


@dataclass(frozen=True)
class Truth:
    """One post as the site itself says it is (WordPress's truth.php, the replica's truth module)."""

    title: str
    authors: list[str]
    published_utc: str  # "2019-03-30T23:30:00Z"
    local_day: str  # "2019-03-31", the day in the site's time zone
    categories: list[tuple[str, str]]  # (name, slug) in the site's order
    tags: list[tuple[str, str]]
    image: str | None  # the featured image's URL


def _lead(item: ArticleItem) -> str | None:
    return next((image.url for image in item.images if image.is_lead), None)


# field -> (ours is exact, trafilatura is exact)
FIELDS: dict[str, tuple[Callable[[ArticleItem, Truth], bool], Callable[[dict[str, Any], Truth], bool]]] = {
    "title": (lambda item, t: item.title == t.title, lambda doc, t: doc.get("title") == t.title),
    "author": (lambda item, t: [a.name for a in item.authors] == t.authors,
               lambda doc, t: doc.get("author") == "; ".join(t.authors)),
    "date": (lambda item, t: item.published == t.published_utc, lambda doc, t: doc.get("date") == t.local_day),
    "categories": (lambda item, t: [(c.name, c.slug) for c in item.categories] == t.categories,
                   lambda doc, t: sorted(doc.get("categories") or []) == sorted(n for n, _ in t.categories)),
    "tags": (lambda item, t: [(x.name, x.slug) for x in item.tags] == t.tags,
             lambda doc, t: sorted(doc.get("tags") or []) == sorted(n for n, _ in t.tags)),
    "image": (lambda item, t: _lead(item) == t.image, lambda doc, t: doc.get("image") == t.image),
}


def exact_rates(pages: Iterable[tuple[str, str, Truth]]) -> dict[str, tuple[float, float]]:
    """field -> (our exact rate, trafilatura's) over ``pages`` of (URL, HTML, truth)."""
    ours = dict.fromkeys(FIELDS, 0)
    theirs = dict.fromkeys(FIELDS, 0)
    count = 0
    for url, html, truth in pages:
        count += 1
        item = extract(Page(url, html))
        document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        metadata = document.as_dict() if document is not None else {}
        for name, (our_check, their_check) in FIELDS.items():
            ours[name] += our_check(item, truth)
            theirs[name] += their_check(metadata, truth)
    assert count, "no pages to compare"
    return {name: (ours[name] / count, theirs[name] / count) for name in FIELDS}


def assert_at_least_trafilaturas_rate(rates: dict[str, tuple[float, float]], where: str) -> None:
    behind = {name: rate for name, rate in rates.items() if rate[0] < rate[1]}
    table = ", ".join(f"{name} {ours:.0%} vs {theirs:.0%}" for name, (ours, theirs) in rates.items())
    print(f"\n{where}: exact, ours vs trafilatura: {table}")
    assert not behind, f"{where}: below trafilatura on {sorted(behind)} ({table})"
