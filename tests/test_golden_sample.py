"""Golden test: tests/fixtures/tarnkappe/live-approx-311235.expected.json, field by field, on both sample files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from archiver.pages import Page, extract

from .conftest import SAMPLES

EXPECTED: dict[str, Any] = json.loads((SAMPLES / "live-approx-311235.expected.json").read_text(encoding="utf-8"))
FILES = ["live-approx-311235.html", "as-saved-by-parser-311235.html"]


@pytest.fixture(scope="module", params=FILES)
def item(request: pytest.FixtureRequest) -> dict[str, Any]:
    html = (SAMPLES / request.param).read_text(encoding="utf-8")
    return extract(Page(EXPECTED["url"], html)).to_dict()


@pytest.mark.parametrize("field", ["url", "post_id", "title", "lead", "published", "modified", "language",
                                   "reading_time_minutes", "breadcrumb", "comments_url"])
def test_exact_fields(item: dict[str, Any], field: str) -> None:
    assert item[field] == EXPECTED[field]


def test_layout_and_raw_date(item: dict[str, Any]) -> None:
    assert item["layout"] == "tk-theme"
    assert item["published_raw"] in EXPECTED["published_raw_any_of"]


def test_author(item: dict[str, Any]) -> None:
    (expected,) = EXPECTED["authors"]
    (author,) = item["authors"]
    assert author["name"] == expected["name"]
    assert author["url"] == expected["url"]
    assert author["site_author_id"] == expected["site_author_id"]
    assert author["bio"].startswith(expected["bio_starts_with"])
    assert author["avatar_url"] == expected["avatar_url"]
    assert author["forum_url"] == expected["forum_url"]


def test_categories_and_tags(item: dict[str, Any]) -> None:
    primary = item["primary_category"]
    assert {k: primary[k] for k in ("name", "slug", "url")} == EXPECTED["primary_category"]
    assert [c["slug"] for c in item["categories"]] == EXPECTED["category_slugs"]
    assert [t["slug"] for t in item["tags"]] == EXPECTED["tag_slugs"]


def test_lead_image_and_credit(item: dict[str, Any]) -> None:
    lead = item["images"][0]
    expected = EXPECTED["lead_image"]
    assert lead["is_lead"] is True
    for field in ("url", "width", "height", "alt", "caption"):
        assert lead[field] == expected[field]
    credit = lead["credit"]
    assert credit["raw"] == expected["credit"]["raw"]
    assert credit["creator"] == expected["credit"]["creator"]
    assert credit["source_url"].endswith(expected["credit"]["source_url_ends_with"])
    assert credit in item["credits"]


def test_inline_images(item: dict[str, Any]) -> None:
    inline = [{k: i[k] for k in ("url", "alt", "caption")} for i in item["images"] if not i["is_lead"]]
    assert inline == EXPECTED["inline_images"]


def test_links(item: dict[str, Any]) -> None:
    assert item["links"]["internal"] == EXPECTED["internal_article_links"]
    assert item["links"]["external"] == EXPECTED["external_links"]


def test_body_text(item: dict[str, Any]) -> None:
    text = item["text"]
    low, high = EXPECTED["word_count_range"]
    assert low <= item["word_count"] <= high
    for needle in EXPECTED["text_must_contain"]:
        assert needle in text
    for needle in EXPECTED["text_must_contain_exactly_once"]:
        assert text.count(needle) == 1, needle
    for needle in EXPECTED["text_must_not_contain"]:
        assert needle not in text, needle
    assert " ." not in text and " ," not in text


# Read off the page by hand: the byline's author link, <time class="entry-date published" datetime=…>, the
# article:modified_time and description meta tags; the rest has one place in the tk-theme markup.
EXPECTED_SOURCES = {"title": "markup", "published": "time", "modified": "meta", "authors": "byline",
                    "lead": "meta-description", "categories": "markup", "tags": "markup", "images": "markup",
                    "credits": "markup"}


@pytest.mark.parametrize("name", FILES)
def test_every_field_says_where_it_came_from(name: str) -> None:
    html = (SAMPLES / name).read_text(encoding="utf-8")
    assert extract(Page(EXPECTED["url"], html)).field_sources == EXPECTED_SOURCES
