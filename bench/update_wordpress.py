"""An update over an unchanged real WordPress next to the full crawl of it: requests, by kind.

Run (as root, with the packages of tests/wordpress/install.sh and MariaDB on 127.0.0.1:3306):
``.venv/bin/python bench/update_wordpress.py [--posts 1000] [--runs 3]``. Starts Debian's WordPress the way the
tests do (tests/wordpress/site.py: a private Apache on a free 127.0.0.1 port, a fresh database, fill.php's 30
posts), adds ``--posts`` more through WordPress's own ``wp_insert_post`` (core sitemaps without ``lastmod``,
RSS and Atom feeds, the REST API), crawls it once and updates it ``--runs`` times; the site is stopped and its
database dropped afterwards. Prints JSON; where WordPress cannot run here, ``{"skipped": reason}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from update import compare

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.wordpress.site import RealWordPress, WordPressUnavailable, missing

# Posts over the last years, one every 29 hours going back from the newest, each a few paragraphs long.
FILL = """
wp_set_current_user(1);
$authors = get_users(['role' => 'author', 'fields' => 'ID']);
$categories = get_terms(['taxonomy' => 'category', 'hide_empty' => false, 'fields' => 'ids']);
for ($n = 0; $n < %(posts)d; $n++) {
    $paragraphs = '';
    for ($p = 0; $p < 4; $p++) {
        $paragraphs .= "<!-- wp:paragraph --><p>Absatz $p des Beitrags $n: Die Redaktion fasst zusammen, was "
            . "Behörden, Gerichte und Fachleute zu diesem Fall bisher gesagt haben.</p><!-- /wp:paragraph -->";
    }
    wp_insert_post(['post_title' => "Nachricht Nummer $n aus dem Archiv", 'post_status' => 'publish',
        'post_type' => 'post', 'post_author' => $authors[$n %% count($authors)],
        'post_category' => [$categories[$n %% count($categories)]], 'post_content' => $paragraphs,
        'post_date_gmt' => gmdate('Y-m-d H:i:s', time() - 86400 * 400 - $n * 29 * 3600)]);
}
echo wp_count_posts()->publish;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--theme", default="twentytwentyone")
    args = parser.parse_args()
    reason = missing()
    if reason:
        json.dump({"skipped": reason}, sys.stdout)
        print()
        return
    try:
        site = RealWordPress.start()
    except WordPressUnavailable as error:
        json.dump({"skipped": f"the real WordPress did not start: {error}"}, sys.stdout)
        print()
        return
    try:
        site.use_theme(args.theme)
        published = int(site.php(FILL % {"posts": args.posts}).strip())
        results = {"wordpress": site.php("echo get_bloginfo('version');").strip(), "theme": args.theme,
                   "posts": published, **compare("wordpress", site.base_url, args.runs)}
    finally:
        site.stop()
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
