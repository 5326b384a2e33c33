"""`archiver update` against a real WordPress after two posts were moved to the trash and one set back to draft:
exactly those three are marked removed, with the status WordPress's own answers give; nothing else changes; and
once they are published again, the next update restores them. ``archiver reparse`` of the WARC files gives the
same removals and restores.

The posts are not made due for re-check: the update's REST check (``/wp/v2/posts?include=…``, which lists only
published posts) is what finds them. This module edits the session's WordPress site (and puts it back), so it
sorts after tests/test_real_wordpress.py, which compares the untouched site with its truth.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.wordpress.site import RealWordPress

from .conftest import assert_reparse_equals_crawl
from .test_real_wordpress_update import run
from .test_update import query

pytestmark = pytest.mark.needs("wordpress")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def wordpress_answer(url: str) -> str:
    """What WordPress answers an anonymous client for ``url``, in the archiver's words (the golden value)."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=30) as response:
            return str(response.status)
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            return f"redirect:{urllib.parse.urljoin(url, error.headers['Location'])}"
        return str(error.code)


def archived(directory: Path) -> dict[str, tuple[int, str | None]]:
    return {url: (count, status) for url, count, status in
            query(directory, "SELECT url, version_count, removed_status FROM articles")}


def test_trashed_and_drafted_posts_are_marked_removed_then_restored(real_wordpress: RealWordPress,
                                                                     tmp_path: Path) -> None:
    real_wordpress.use_theme("twentytwentyone")
    full = run("crawl", real_wordpress, tmp_path)
    before = archived(tmp_path)
    assert full["articles_new"] == len(before) >= 30
    posts = real_wordpress.truth()
    trashed, drafted = posts[10:12], posts[12]
    # One PHP process for the take-downs (and one for the restores below): each loads the whole of WordPress.
    real_wordpress.php("".join(f"wp_trash_post({post['id']});\n" for post in trashed)
                       + f"wp_update_post(['ID' => {drafted['id']}, 'post_status' => 'draft']);")
    gone = {post["permalink"]: wordpress_answer(post["permalink"]) for post in [*trashed, drafted]}
    assert all(answer != "200" for answer in gone.values()), gone

    update = run("update", real_wordpress, tmp_path)
    after = archived(tmp_path)
    assert (update["articles_removed"], update["articles_new"], update["articles_changed"]) == (3, 0, 0), update
    assert {url: status for url, (_, status) in after.items() if status is not None} == gone
    assert {url: count for url, (count, _) in after.items()} == {url: count for url, (count, _) in before.items()}
    assert query(tmp_path, "SELECT count(*) FROM articles WHERE removed_at IS NOT NULL")[0][0] == 3

    # WordPress untrashes to draft (since 5.6): publish them again, as the draft.
    real_wordpress.php("".join(f"wp_untrash_post({post['id']});\n" for post in trashed)
                       + "".join(f"wp_publish_post({post['id']});\n" for post in [*trashed, drafted]))
    assert all(wordpress_answer(url) == "200" for url in gone)
    back = run("update", real_wordpress, tmp_path)
    assert (back["articles_restored"], back["articles_removed"], back["articles_new"]) == (3, 0, 0), back
    restored = archived(tmp_path)
    assert all(status is None for _, status in restored.values())
    assert {url for url, (count, _) in restored.items() if count == before[url][0] + 1} == set(gone)
    # The WARC files alone give the same removals (times and statuses) and restore versions.
    rows = assert_reparse_equals_crawl(f"sqlite:///{tmp_path}/a.sqlite3", tmp_path / "warc", tmp_path)
    assert rows == len(restored) + len(gone)
