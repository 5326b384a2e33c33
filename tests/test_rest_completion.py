"""Completing an article from the site's REST records: by its post ID, never over what the page says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from archiver.items import ArticleItem, Author, Category, Credit, Image, Tag
from archiver.pages import Page, extract
from archiver.pages.rest import RestIndex, complete_from_rest
from archiver.replica.app import ReplicaApp
from archiver.replica.wordpress import wp_path
from archiver.replica.wp_site import wordpress_truth
from tests.helpers.silent_theme import silent

HOST = "wp.test:8080"

USERS = [{"id": 7, "slug": "anna", "name": "Anna Schröder", "link": "https://example.org/author/anna/",
          "description": "Schreibt über Netzpolitik."},
         {"id": 9, "slug": "peter", "name": "Peter Krause", "link": "https://example.org/author/peter/",
          "description": ""}]
POSTS = [{"id": 101, "slug": "ein-beitrag", "author": 7, "link": "https://example.org/2024/01/02/ein-beitrag/"}]


def item(authors: list[Author]) -> ArticleItem:
    return ArticleItem(url="https://example.org/2024/01/02/ein-beitrag/", post_id=101, site="example.org",
                       layout="wordpress", title="Ein Beitrag", lead=None, text="Text.", html="<p>Text.</p>",
                       published=None, published_raw=None, modified=None, modified_raw=None, language="de",
                       word_count=1, reading_time_minutes=1, authors=authors)


def index() -> RestIndex:
    rest = RestIndex()
    rest.add("users", USERS)
    rest.add("posts", POSTS)
    return rest


def test_a_page_without_an_author_gets_the_post_records_author() -> None:
    completed = complete_from_rest(item([]), index())
    assert completed.authors == [Author(name="Anna Schröder", url="https://example.org/author/anna/",
                                        site_author_id=7, bio="Schreibt über Netzpolitik.")]
    assert completed.warnings == []


def test_the_page_author_is_completed_by_the_post_records_author_id() -> None:
    completed = complete_from_rest(item([Author(name="Anna Schröder")]), index())
    assert (completed.authors[0].site_author_id, completed.authors[0].bio) == (7, "Schreibt über Netzpolitik.")


def test_where_page_and_rest_disagree_the_page_wins_with_a_warning() -> None:
    completed = complete_from_rest(item([Author(name="Peter Krause")]), index())
    assert [a.name for a in completed.authors] == ["Peter Krause"]
    assert completed.authors[0].site_author_id == 9  # his own record, found by his unique name
    assert completed.warnings == ["authors: the page names Peter Krause, the REST post record 'Anna Schröder'"]


def test_without_the_post_record_nothing_is_invented() -> None:
    rest = RestIndex()
    rest.add("users", USERS)
    assert complete_from_rest(item([]), rest).authors == []


# A post record as WordPress 6.1 answers /wp/v2/posts, with the taxonomy and media records it refers to.
FULL_POST = {"id": 101, "slug": "ein-beitrag", "author": 7, "link": "https://example.org/2024/01/02/ein-beitrag/",
             "date_gmt": "2024-01-01T23:30:00", "modified_gmt": "2024-01-05T08:00:00", "categories": [3, 2],
             "tags": [11], "featured_media": 55}
CATEGORIES = [{"id": 2, "slug": "netzpolitik", "name": "Netzpolitik", "parent": 0,
               "link": "https://example.org/category/netzpolitik/"},
              {"id": 3, "slug": "datenschutz", "name": "Datenschutz &amp; Recht", "parent": 2,
               "link": "https://example.org/category/netzpolitik/datenschutz/"}]
TAGS = [{"id": 11, "slug": "dsgvo", "name": "DSGVO", "link": "https://example.org/tag/dsgvo/"}]
MEDIA = [{"id": 55, "slug": "serverraum", "source_url": "https://example.org/wp-content/uploads/serverraum.jpg",
          "alt_text": "Ein Serverraum", "caption": {"rendered": "<p>Der Serverraum. Foto: Jürgen Weiß</p>\n"},
          "media_details": {"width": 1200, "height": 800, "sizes": {"large": {
              "source_url": "https://example.org/wp-content/uploads/serverraum-1024x683.jpg"}}}}]


def full_index() -> RestIndex:
    rest = RestIndex()
    rest.add("users", USERS)
    rest.add("categories", CATEGORIES)
    rest.add("tags", TAGS)
    rest.add("media", MEDIA)
    rest.add("posts", [FULL_POST])
    return rest


def test_where_the_page_does_not_speak_the_post_record_gives_dates_terms_and_the_featured_image() -> None:
    completed = complete_from_rest(item([Author(name="Anna Schröder")]), full_index())
    assert (completed.published, completed.published_raw) == ("2024-01-01T23:30:00Z", "2024-01-01T23:30:00")
    assert (completed.modified, completed.modified_raw) == ("2024-01-05T08:00:00Z", "2024-01-05T08:00:00")
    assert completed.categories == [
        Category(slug="datenschutz", name="Datenschutz & Recht",
                 url="https://example.org/category/netzpolitik/datenschutz/", parent="netzpolitik"),
        Category(slug="netzpolitik", name="Netzpolitik", url="https://example.org/category/netzpolitik/")]
    assert completed.primary_category == completed.categories[0]
    assert completed.tags == [Tag(slug="dsgvo", name="DSGVO", url="https://example.org/tag/dsgvo/")]
    credit = Credit(raw="Foto: Jürgen Weiß", creator="Jürgen Weiß",
                    applies_to="https://example.org/wp-content/uploads/serverraum.jpg")
    assert completed.images == [Image(url="https://example.org/wp-content/uploads/serverraum.jpg",
                                      alt="Ein Serverraum", caption="Der Serverraum.", width=1200, height=800,
                                      is_lead=True, credit=credit)]
    assert completed.credits == [credit]
    assert {name: completed.field_sources.get(name) for name in
            ("published", "modified", "categories", "tags", "images", "credits")} == dict.fromkeys(
        ("published", "modified", "categories", "tags", "images", "credits"), "rest")
    assert completed.warnings == []


def test_where_page_and_post_record_agree_the_page_keeps_its_values_and_sources() -> None:
    page = item([Author(name="Anna Schröder")])
    page.published, page.published_raw = "2024-01-01T23:30:00Z", "2024-01-02T00:30:00+01:00"
    page.categories = [Category(slug="netzpolitik"), Category(slug="datenschutz")]
    page.tags = [Tag(slug="dsgvo")]
    page.field_sources = {"published": "time", "categories": "markup", "tags": "markup"}
    completed = complete_from_rest(page, full_index())
    assert completed.published_raw == "2024-01-02T00:30:00+01:00"
    assert [c.slug for c in completed.categories] == ["netzpolitik", "datenschutz"]  # the page's order
    assert [c.name for c in completed.categories] == ["Netzpolitik", "Datenschutz & Recht"]  # named by REST
    assert (completed.field_sources["published"], completed.field_sources["categories"]) == ("time", "markup")
    assert completed.warnings == []


def test_where_page_and_post_record_disagree_the_page_wins_and_the_warning_names_both() -> None:
    page = item([Author(name="Anna Schröder")])
    page.published, page.published_raw = "2024-01-02T00:30:00Z", "2024-01-02T00:30:00Z"
    page.tags = [Tag(slug="bitcoin")]
    page.categories = [Category(slug="netzpolitik")]
    page.images = [Image(url="https://example.org/wp-content/uploads/anderes-bild.jpg", is_lead=True)]
    completed = complete_from_rest(page, full_index())
    assert completed.published == "2024-01-02T00:30:00Z"
    assert [t.slug for t in completed.tags] == ["bitcoin"]
    assert [c.slug for c in completed.categories] == ["netzpolitik"]
    assert [i.url for i in completed.images] == ["https://example.org/wp-content/uploads/anderes-bild.jpg"]
    assert completed.credits == []
    assert completed.warnings == [
        "published: the page says 2024-01-02T00:30:00Z, the REST post record 2024-01-01T23:30:00Z",
        "categories: the page names netzpolitik, the REST post record datenschutz, netzpolitik",
        "tags: the page names bitcoin, the REST post record dsgvo",
        "images: the page's lead image is https://example.org/wp-content/uploads/anderes-bild.jpg, "
        "the REST featured media https://example.org/wp-content/uploads/serverraum.jpg"]


def test_the_pages_featured_image_in_another_size_gets_the_media_captions_credit() -> None:
    """The block themes print the featured image without its caption: the credit comes from the media record."""
    page = item([Author(name="Anna Schröder")])
    resized = "https://example.org/wp-content/uploads/serverraum-1024x683.jpg"
    page.images = [Image(url=resized, alt="Ein Serverraum", is_lead=True)]
    page.field_sources = {"images": "markup"}
    completed = complete_from_rest(page, full_index())
    credit = Credit(raw="Foto: Jürgen Weiß", creator="Jürgen Weiß", applies_to=resized)
    assert completed.images == [Image(url=resized, alt="Ein Serverraum", is_lead=True, credit=credit)]
    assert completed.credits == [credit]
    assert (completed.field_sources["images"], completed.field_sources["credits"]) == ("markup", "rest")


def test_a_page_date_that_is_no_date_is_replaced_with_a_warning() -> None:
    page = item([Author(name="Anna Schröder")])
    page.published_raw = "gestern"
    completed = complete_from_rest(page, full_index())
    assert (completed.published, completed.published_raw) == ("2024-01-01T23:30:00Z", "2024-01-01T23:30:00")
    assert completed.warnings[0] == ("published: the page's 'gestern' is no date, the REST post record says "
                                     "2024-01-01T23:30:00Z")


def test_term_ids_the_index_does_not_hold_complete_nothing() -> None:
    rest = full_index()
    rest.add("posts", [{**FULL_POST, "categories": [2, 99], "featured_media": 56}])
    completed = complete_from_rest(item([Author(name="Anna Schröder")]), rest)
    assert completed.categories == [] and completed.images == []
    assert [t.slug for t in completed.tags] == ["dsgvo"]
    assert rest.featured_media_missing([{**FULL_POST, "featured_media": 56}, FULL_POST, {"featured_media": 0}]) == [56]


@pytest.mark.parametrize("kind", ["wp-classic", "wp-block"])
def test_the_replicas_rest_answers_complete_a_page_that_does_not_speak(kind: str) -> None:
    """The replica's pages with their dates, terms and featured image taken out, completed from the replica's own
    REST answers (posts, categories, tags, media as the crawl reads them), equal its ground truth."""
    app = ReplicaApp(articles=40, day=1, kind=kind)
    base = f"http://{HOST}"

    def answer(route: str, query: str) -> list[Any]:
        return list(json.loads(app.handle(f"/wp-json/wp/v2/{route}", query, HOST, False).body))

    rest = RestIndex()
    for route in ("users", "categories", "tags"):
        rest.add(route, answer(route, "per_page=100"))
    posts = answer("posts", "per_page=100")
    rest.add("posts", posts)
    featured = rest.featured_media_missing(posts)
    rest.add("media", answer("media", "per_page=100&include=" + ",".join(map(str, featured))))
    with_image = 0
    for index in range(app.site.count):
        article = app.site.article(index)
        page = silent(app.handle(wp_path(article), "", HOST, False).body.decode())
        item = extract(Page(base + wp_path(article), page))
        assert (item.published, item.categories, item.tags) == (None, [], []), "the page still speaks"
        completed = complete_from_rest(item, rest).to_dict(with_html=False, with_context=True)
        truth = wordpress_truth(app.site, base, kind.removeprefix("wp-"), article)
        for name in ("published", "modified", "categories", "primary_category", "tags"):
            assert completed[name] == truth[name], (index, name)
            assert completed["field_sources"][name if name != "primary_category" else "categories"] == "rest"
        if article.lead_image is not None:
            with_image += 1
            lead = {k: v for k, v in truth["images"][0].items() if k not in ("credit", "caption")}
            assert {k: v for k, v in completed["images"][0].items() if k not in ("credit", "caption")} == lead
            assert completed["images"][0]["caption"] == article.lead_image.caption
            # the body's own figures stay the page's: REST added the lead image to them
            assert completed["field_sources"]["images"] == ("markup+rest" if len(completed["images"]) > 1 else "rest")
        assert completed["warnings"] == [], index
    assert with_image > 10


def test_a_rebuild_completes_each_capture_from_the_post_record_read_nearest_to_it() -> None:
    """A post's REST record changes between runs (WordPress sets `modified` when a post is restored); each capture
    is completed from the answer archived nearest in time to it, as the crawl completed it then."""
    from datetime import UTC, datetime

    from archiver.pages.rest import RestIndex

    index = RestIndex()
    first = {"id": 7, "slug": "a", "modified_gmt": "2021-04-21T05:45:00"}
    later = {"id": 7, "slug": "a", "modified_gmt": "2026-12-06T08:18:39"}
    index.add("posts", [first], datetime(2026, 12, 6, 8, 0, tzinfo=UTC))
    index.add("posts", [later], datetime(2026, 12, 6, 8, 18, 40, tzinfo=UTC))
    index.use_post_read_nearest(7, datetime(2026, 12, 6, 8, 0, 5, tzinfo=UTC))
    assert index.posts_by_id[7] is first
    index.use_post_read_nearest(7, datetime(2026, 12, 6, 8, 18, 41, tzinfo=UTC))
    assert index.posts_by_id[7] is later
