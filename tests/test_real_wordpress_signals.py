"""Change signals and the take-down check on a real WordPress (core sitemaps without ``lastmod``).

- The REST API's ``modified_after`` and the Atom feed's ``<updated>``, each on its own (ARCHIVER_CHANGE_SIGNALS),
  from copies of one archive: only the REST API names the edits of old posts, both name the newest post's.
- A page (``post_type=page``) the archive holds is never marked ``unpublished`` because ``/wp/v2/posts?include=``
  does not list it (it lists posts only); once the page is a draft, WordPress's 404 marks it removed.

This module edits the session's WordPress site (and puts it back), so it sorts after tests/test_real_wordpress.py,
which compares the untouched site with its truth.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.wordpress.site import RealWordPress

from .conftest import run_cli
from .test_real_wordpress_takedowns import wordpress_answer
from .test_real_wordpress_update import run
from .test_update import query, summary

pytestmark = pytest.mark.needs("wordpress")


def update(site: RealWordPress, directory: Path, signals: str) -> dict[str, Any]:
    return summary(run_cli("update", "wordpress", "--base-url", site.base_url, "--db",
                           f"sqlite:///{directory}/a.sqlite3", "--warc-dir", str(directory / "warc"), "--json",
                           "-s", f"ARCHIVER_CHANGE_SIGNALS={signals}", timeout=300))


def second_versions(directory: Path) -> set[str]:
    return {url for (url,) in query(directory, "SELECT url FROM articles WHERE version_count = 2")}


def test_rest_modified_and_feed_dates_each_find_what_they_name(real_wordpress: RealWordPress,
                                                               tmp_path: Path) -> None:
    real_wordpress.use_theme("twentytwentyone")
    archive = tmp_path / "archive"
    full = run("crawl", real_wordpress, archive)
    posts = real_wordpress.truth()
    assert full["articles_new"] == len(posts) >= 30
    copies = {name: tmp_path / name for name in ("rest", "feed", "neither")}
    for directory in copies.values():
        shutil.copytree(archive, directory)
    time.sleep(2)  # WordPress keeps modification times to the second
    old, newest = posts[3:6], posts[-1]  # the feeds list the ten newest posts only
    # One PHP process for the edits: each process loads the whole of WordPress first.
    real_wordpress.php("".join(f"wp_update_post(['ID' => {post['id']}, 'post_content' => get_post({post['id']})"
                               "->post_content . \"\\n<!-- wp:paragraph --><p>Korrektur: Ein Datum war falsch."
                               "</p><!-- /wp:paragraph -->\"]);\n" for post in [*old, newest]))
    feed = wordpress_answer(f"{real_wordpress.base_url}/feed/atom/")
    assert feed == "200"
    by_rest = update(real_wordpress, copies["rest"], "rest")
    assert second_versions(copies["rest"]) == {post["permalink"] for post in [*old, newest]}, by_rest
    by_feed = update(real_wordpress, copies["feed"], "feed")
    assert second_versions(copies["feed"]) == {newest["permalink"]}, by_feed
    by_neither = update(real_wordpress, copies["neither"], "conditional")
    assert second_versions(copies["neither"]) == set() and by_neither["articles_changed"] == 0, by_neither


def _php_text(value: str) -> str:
    return f"base64_decode('{base64.b64encode(value.encode()).decode()}')"


def test_a_page_missing_from_the_posts_check_is_not_unpublished(real_wordpress: RealWordPress,
                                                                tmp_path: Path) -> None:
    """A page whose markup says it is an article (as SEO plugins' ``og:type`` does on every page), archived
    through a post's shortlink to it: the REST check's ``posts?include=`` never lists it."""
    real_wordpress.use_theme("twentytwentyone")
    base = real_wordpress.base_url
    page_id = int(real_wordpress.php(
        "wp_set_current_user(1); echo wp_insert_post(['post_type' => 'page', 'post_status' => 'publish', "
        "'post_title' => 'Über die Redaktion', 'post_content' => '<!-- wp:html --><meta property=\"og:type\" "
        "content=\"article\" /><!-- /wp:html --><!-- wp:paragraph --><p>Die Redaktion berichtet seit Jahren "
        "über Netzpolitik, Datenschutz und Sicherheit.</p><!-- /wp:paragraph -->']);"))
    linking = real_wordpress.truth()[0]
    original = real_wordpress.php(f"echo base64_encode(get_post({linking['id']})->post_content);")
    try:
        link = _php_text(f'<p><a href="{base}/?p={page_id}">Über uns</a></p>')
        real_wordpress.php(f"wp_update_post(['ID' => {linking['id']}, 'post_content' => get_post({linking['id']})"
                           f"->post_content . {link}]);")
        full = run("crawl", real_wordpress, tmp_path)
        page = query(tmp_path, "SELECT url FROM articles WHERE post_id = :id", id=page_id)
        assert len(page) == 1, (page, full)
        page_url = page[0][0]
        assert wordpress_answer(page_url) == "200"
        with urllib.request.urlopen(f"{base}/wp-json/wp/v2/posts?include={page_id}&_fields=id", timeout=30) as r:
            assert json.load(r) == []  # WordPress's posts collection does not list the page

        live = update(real_wordpress, tmp_path, "rest,lastmod,feed,conditional,recheck")
        assert live["articles_removed"] == 0, live
        assert query(tmp_path, "SELECT removed_status FROM articles WHERE post_id = :id", id=page_id) == [(None,)]
        asked = query(tmp_path, "SELECT status FROM captures WHERE run_id = :run AND url = :route",
                      run=live["run_id"], route=f"{base}/wp-json/wp/v2/pages/{page_id}")
        assert asked == [(200,)]  # its own route said it is published

        real_wordpress.php(f"wp_update_post(['ID' => {page_id}, 'post_status' => 'draft']);")
        answer = wordpress_answer(page_url)
        gone = update(real_wordpress, tmp_path, "rest,lastmod,feed,conditional,recheck")
        assert gone["articles_removed"] == 1, gone
        assert query(tmp_path, "SELECT removed_status FROM articles WHERE post_id = :id", id=page_id) == [(answer,)]
    finally:
        real_wordpress.php(f"wp_update_post(['ID' => {linking['id']}, 'post_content' => "
                           f"base64_decode('{original.strip()}')]); wp_delete_post({page_id}, true);")


def test_one_update_after_edits_new_posts_and_take_downs_stores_exactly_those(real_wordpress: RealWordPress,
                                                                               tmp_path: Path) -> None:
    """The issue's measure on a stock WordPress (no ``lastmod``): N edits, M new posts and K take-downs made
    through WordPress, then one update with every signal on: N new versions, M new articles, K removals."""
    real_wordpress.use_theme("twentytwentyone")
    full = run("crawl", real_wordpress, tmp_path)
    before = {url: count for url, count in query(tmp_path, "SELECT url, version_count FROM articles")}
    posts = real_wordpress.truth()
    assert full["articles_new"] == len(posts) == len(before)
    time.sleep(2)  # WordPress keeps modification times to the second
    edited, trashed, drafted = posts[20:23], posts[23], posts[24]
    # The edits, the new posts and the take-downs in one PHP process: each process loads the whole of WordPress.
    new_ids = real_wordpress.php(
        "".join(f"wp_update_post(['ID' => {post['id']}, 'post_title' => get_post({post['id']})"
                "->post_title . ' (korrigiert)']);\n" for post in edited)
        + "$author = get_users(['orderby' => 'ID'])[0]->ID;\n"
        + "".join(f"echo wp_insert_post(['post_title' => 'Ganz neu {n}', 'post_status' => 'publish', 'post_author' => "
                  f"$author, 'post_content' => '<!-- wp:paragraph --><p>Ein neuer Beitrag mit Text {n}.</p>"
                  "<!-- /wp:paragraph -->']), ' ';\n" for n in range(2))
        + f"wp_trash_post({trashed['id']}); wp_update_post(['ID' => {drafted['id']}, 'post_status' => 'draft']);"
    ).split()
    assert len(new_ids) == 2 and all(post_id.isdigit() for post_id in new_ids), new_ids
    gone = {post["permalink"]: wordpress_answer(post["permalink"]) for post in (trashed, drafted)}
    assert "200" not in gone.values()
    try:
        result = update(real_wordpress, tmp_path, "rest,lastmod,feed,conditional,recheck")
        assert (result["articles_changed"], result["articles_new"], result["articles_removed"]) == (3, 2, 2), result
        after = {url: (count, status) for url, count, status in
                 query(tmp_path, "SELECT url, version_count, removed_status FROM articles")}
        assert {url for url, (count, _) in after.items() if count == 2} == {post["permalink"] for post in edited}
        assert {url: status for url, (_, status) in after.items() if status} == gone
        assert len(after) == len(before) + 2
        assert all(after[url][0] == count for url, count in before.items()
                   if url not in {post["permalink"] for post in edited})
    finally:  # the site as the other modules expect it: the two posts published again, the new ones gone
        real_wordpress.php(f"wp_untrash_post({trashed['id']}); wp_publish_post({trashed['id']}); "
                           f"wp_publish_post({drafted['id']}); "
                           + " ".join(f"wp_delete_post({post_id.strip()}, true);" for post_id in new_ids))
