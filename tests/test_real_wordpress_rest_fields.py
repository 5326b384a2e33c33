"""The REST post record where a theme does not speak, and our extractor beside trafilatura, on a real WordPress
(Debian's package) under its three stock themes; the truth is what WordPress itself reports (truth.php).

Each theme's pages and REST answers are read once per module; the pages are changed (fields taken out, a date
moved) before they are extracted, the REST answers are WordPress's own.
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

from archiver.items import ArticleItem
from archiver.pages import Page, extract
from archiver.pages.rest import RestIndex, complete_from_rest
from tests.helpers.silent_theme import silent
from tests.helpers.trafilatura_rates import Truth, assert_at_least_trafilaturas_rate, exact_rates
from tests.wordpress.site import THEMES, RealWordPress

pytestmark = pytest.mark.needs("wordpress")


@dataclass
class ThemePages:
    theme: str
    truth: list[dict[str, Any]]
    html: dict[str, str]  # page by permalink
    rest: RestIndex


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # the fixture's WordPress on 127.0.0.1
        return bytes(response.read())


@pytest.fixture(scope="module", params=THEMES)
def theme_pages(request: pytest.FixtureRequest, real_wordpress: RealWordPress) -> ThemePages:
    theme = str(request.param)
    real_wordpress.use_theme(theme)
    truth = real_wordpress.truth()
    api = f"{real_wordpress.base_url}/wp-json/wp/v2"
    rest = RestIndex()
    for route in ("users", "categories", "tags", "posts"):
        rest.add(route, json.loads(_get(f"{api}/{route}?per_page=100")))
    featured = rest.featured_media_missing(list(rest.posts_by_id.values()))
    assert len(featured) == 6  # fill.php: every fifth post
    rest.add("media", json.loads(_get(f"{api}/media?per_page=100&include={','.join(map(str, featured))}")))
    html = {post["permalink"]: _get(post["permalink"]).decode() for post in truth}
    return ThemePages(theme, truth, html, rest)


def _credits(item: ArticleItem, post: dict[str, Any]) -> bool:
    """One credit per caption WordPress holds, in order: the caption itself or its last part."""
    raws = [credit.raw for credit in item.credits]
    return len(raws) == len(post["credits"]) and all(
        caption == raw or caption.endswith(" " + raw) for caption, raw in zip(post["credits"], raws, strict=True))


def test_the_post_record_supplies_what_the_theme_does_not_print(theme_pages: ThemePages) -> None:
    """The stock pages with every date, term and the featured image taken out: WordPress's own REST answers give
    them back, exact to the second in UTC, and say so in field_sources."""
    for post in theme_pages.truth:
        item = extract(Page(post["permalink"], silent(theme_pages.html[post["permalink"]])))
        assert (item.published, item.modified, item.categories, item.tags) == (None, None, [], [])
        assert not any(image.is_lead for image in item.images)
        completed = complete_from_rest(item, theme_pages.rest)
        lead = next((image for image in completed.images if image.is_lead), None)
        assert (completed.published, completed.modified) == (post["date_gmt"], post["modified_gmt"])
        assert [(c.name, c.slug) for c in completed.categories] == [(c["name"], c["slug"]) for c in post["categories"]]
        assert [(t.name, t.slug) for t in completed.tags] == [(t["name"], t["slug"]) for t in post["tags"]]
        assert (lead.url if lead else None) == (post["featured"]["url"] if post["featured"] else None)
        assert _credits(completed, post), (post["permalink"], [c.raw for c in completed.credits], post["credits"])
        for name in ("published", "modified", "categories") + (("tags",) if post["tags"] else ()):
            assert completed.field_sources[name] == "rest", (post["permalink"], name)
        if post["featured"]:
            assert lead is not None and lead.alt == post["featured"]["alt"]
            assert completed.field_sources["images"] in ("rest", "markup+rest")
        assert completed.warnings == [], post["permalink"]


def test_where_page_and_post_record_disagree_the_page_wins_with_a_warning(theme_pages: ThemePages) -> None:
    post = theme_pages.truth[0]
    page = theme_pages.html[post["permalink"]]
    moved = re.sub(r'(<time[^>]*datetime=")[^"]+"', r'\g<1>2001-02-03T04:05:06+00:00"', page, count=1)
    assert moved != page
    completed = complete_from_rest(extract(Page(post["permalink"], moved)), theme_pages.rest)
    assert completed.published == "2001-02-03T04:05:06Z"
    assert completed.warnings == [f"published: the page says 2001-02-03T04:05:06Z, the REST post record "
                                  f"{post['date_gmt']}"]


def test_at_least_trafilaturas_rate_on_every_field_it_extracts(theme_pages: ThemePages) -> None:
    pages = [(post["permalink"], theme_pages.html[post["permalink"]], Truth(
        title=post["title"], authors=[post["author"]["name"]], published_utc=post["date_gmt"],
        local_day=post["date"][:10], categories=[(c["name"], c["slug"]) for c in post["categories"]],
        tags=[(t["name"], t["slug"]) for t in post["tags"]],
        image=post["featured"]["url"] if post["featured"] else None)) for post in theme_pages.truth]
    assert_at_least_trafilaturas_rate(exact_rates(pages), f"WordPress {theme_pages.theme}")
