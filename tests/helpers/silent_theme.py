"""A page as a theme would print it that shows no dates, categories, tags or featured image: what the REST post
record must then supply (tests of ``archiver.pages.rest_fields`` on the replica and the real WordPress)."""

from __future__ import annotations

import lxml.html


def _class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# What such a theme leaves out: every <time>, the post-date block, the term links, the article:* meta, JSON-LD and
# the featured image (Twenty Twenty-One's post-thumbnail, the block themes' post-featured-image).
SILENT_THEME = ["//time", f"//*[{_class('wp-block-post-date')}]", "//a[@rel='tag' or @rel='category tag']",
                "//meta[starts-with(@property, 'article:')]", "//script[@type='application/ld+json']",
                f"//*[{_class('post-thumbnail')} or {_class('wp-block-post-featured-image')}]"]


def silent(html: str) -> str:
    root = lxml.html.fromstring(html)
    for query in SILENT_THEME:
        for element in root.xpath(query):
            element.drop_tree()
    for article in root.iter("article"):  # the post container's category-* classes name the categories too
        article.set("class", " ".join(c for c in article.get("class", "").split() if not c.startswith("category-")))
    return lxml.html.tostring(root, encoding="unicode")


