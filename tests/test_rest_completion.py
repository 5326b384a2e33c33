"""Completing an article from the site's REST records: by its post ID, never over what the page says."""

from __future__ import annotations

from archiver.items import ArticleItem, Author
from archiver.pages.rest import RestIndex, complete_from_rest

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
