"""`archiver update` against a real WordPress whose core sitemaps carry no ``lastmod``: posts edited and published
through WordPress itself are found through the REST API's ``modified_after``, and nothing else changes.

This module edits the session's WordPress site, so it runs after tests/test_real_wordpress.py (which compares
the untouched site with its truth).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.storage.db import make_engine
from tests.wordpress.site import RealWordPress

from .conftest import run_cli

pytestmark = pytest.mark.needs("wordpress")

EDITED, PUBLISHED = 5, 3


def run(mode: str, site: RealWordPress, directory: Path) -> dict[str, Any]:
    result = run_cli(mode, "wordpress", "--base-url", site.base_url, "--db", f"sqlite:///{directory}/a.sqlite3",
                     "--warc-dir", str(directory / "warc"), "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def versions(directory: Path) -> dict[str, int]:
    with make_engine(f"sqlite:///{directory}/a.sqlite3", readonly=True).connect() as conn:
        return {url: count for url, count in conn.execute(text("SELECT url, version_count FROM articles"))}


def test_an_update_stores_exactly_the_edited_and_the_new_posts(real_wordpress: RealWordPress,
                                                               tmp_path: Path) -> None:
    real_wordpress.use_theme("twentytwentyone")
    full = run("crawl", real_wordpress, tmp_path)
    before = versions(tmp_path)
    assert full["articles_new"] == len(before) >= 30
    time.sleep(1.5)  # WordPress keeps modification times to the second
    posts = real_wordpress.truth()
    edited = posts[3:3 + EDITED]
    # The edits and the new posts in one PHP process: each process loads the whole of WordPress first.
    edits = "".join(
        f"wp_update_post(['ID' => {post['id']}, 'post_title' => get_post({post['id']})->post_title "
        ". ' (aktualisiert)', 'post_content' => get_post({id})->post_content . \"\\n<!-- wp:paragraph -->"
        "<p>Nachtrag der Redaktion: Die Angaben wurden ergänzt.</p><!-- /wp:paragraph -->\"]);\n"
        .replace("{id}", str(post["id"])) for post in edited)
    inserts = "".join(
        f"wp_insert_post(['post_title' => 'Neu im Archiv {number}', 'post_status' => 'publish', "
        f"'post_author' => $author, 'post_content' => '<!-- wp:paragraph --><p>Ein ganz neuer Beitrag "
        f"Nummer {number} mit einigen Sätzen Text.</p><!-- /wp:paragraph -->']);\n" for number in range(PUBLISHED))
    real_wordpress.php(edits + "$author = get_users(['orderby' => 'ID'])[0]->ID;\n" + inserts)
    update = run("update", real_wordpress, tmp_path)
    after = versions(tmp_path)
    assert (update["articles_new"], update["articles_changed"]) == (PUBLISHED, EDITED), update
    assert len(after) == len(before) + PUBLISHED
    edited_urls = {post["permalink"] for post in edited}
    assert {url for url, count in after.items() if count == 2} == edited_urls
    assert all(after[url] == 1 for url in before if url not in edited_urls)
    # A second update finds nothing new and stores nothing.
    again = run("update", real_wordpress, tmp_path)
    assert (again["articles_new"], again["articles_changed"]) == (0, 0), again
    assert versions(tmp_path) == after
