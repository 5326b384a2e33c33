"""A stock WordPress news site: Twenty Twenty-One (classic theme) or a block theme (Twenty Twenty-Two/-Three
style, with Yoast-like meta and JSON-LD), permalinks ``/%year%/%monthnum%/%day%/%postname%/``.

It reuses the replica's article model so the same content is served in unfamiliar markup; the
generic WordPress layout and spider are tested against it.
"""

from __future__ import annotations

import json

from . import catalog as cat
from .html_util import esc_utf8 as esc
from .model import BERLIN, Article, Block, SiteModel

ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"]


def wp_path(a: Article) -> str:
    local = a.published.astimezone(BERLIN)
    return f"/{local:%Y}/{local:%m}/{local:%d}/{a.slug}/"


def author_slug(author_id: int) -> str:
    return cat.slugify(cat.AUTHORS[author_id].name)


def category_path(slug: str) -> str:
    category = cat.CATEGORIES[slug]
    return "/category/" + "/".join([c.slug for c in category.ancestors()] + [slug]) + "/"


class WordPressTheme:
    def __init__(self, site: SiteModel, base: str, flavour: str) -> None:
        assert flavour in ("classic", "block")
        self.site = site
        self.base = base
        self.flavour = flavour

    def url(self, a: Article) -> str:
        return self.base + wp_path(a)

    def _segments(self, block: Block) -> str:
        out = []
        for s in block.segments:
            if isinstance(s, str):
                out.append(esc(s))
            elif s.internal_post_index is not None:
                out.append(f'<a href="{self.url(self.site.article(s.internal_post_index))}">{esc(s.text)}</a>')
            else:
                out.append(f'<a href="{esc(s.href)}">{esc(s.text)}</a>')
        return "".join(out)

    def body(self, a: Article) -> str:
        parts = []
        for n, blk in enumerate(a.blocks):
            if blk.kind == "p":
                parts.append(f"<p>{self._segments(blk)}</p>")
            elif blk.kind == "h2":
                parts.append(f'<h2 class="wp-block-heading">{esc(blk.text)}</h2>')
            elif blk.kind == "figure" and blk.image is not None:
                img = blk.image
                caption = esc(img.caption or "")
                if img.credit is not None and img.credit_in_caption:
                    caption += " " + esc(img.credit.raw)
                parts.append(f'<figure class="wp-block-image size-large"><img decoding="async" width="{img.width}" '
                             f'height="{img.height}" src="{self.base}{img.src}" alt="{esc(img.alt)}" '
                             f'class="wp-image-{a.post_id + n}"/><figcaption class="wp-element-caption">{caption}'
                             f"</figcaption></figure>")
            elif blk.kind == "credit" and blk.credit is not None:
                parts.append(f"<p>{esc(blk.credit.raw)}</p>")
        parts.append('<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Teilen mit:</h3></div>')
        return "\n\n".join(parts)

    def article(self, a: Article) -> str:
        return self._classic(a) if self.flavour == "classic" else self._block(a)

    def _head(self, title: str, extra: str = "") -> str:
        return (f'<!doctype html>\n<html lang="de-DE">\n<head>\n<meta charset="UTF-8" />\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1" />\n<title>{esc(title)} – '
                f'Netzwelt Nachrichten</title>\n<link rel="alternate" type="application/rss+xml" '
                f'title="Netzwelt Nachrichten » Feed" href="{self.base}/feed/" />\n'
                f'<link rel="https://api.w.org/" href="{self.base}/wp-json/" />\n{extra}</head>\n')

    def _classic(self, a: Article) -> str:
        b = self.base
        authors = [cat.AUTHORS[i] for i in a.author_ids]
        pub = a.published.astimezone(BERLIN)
        mod = a.modified.astimezone(BERLIN)
        classes = " ".join([f"category-{s}" for s in a.category_slugs] + [f"tag-{t}" for t in a.tags])
        thumb = ""
        if a.lead_image is not None:
            img = a.lead_image
            caption = f'<figcaption class="wp-caption aligncenter">{esc(img.caption)}</figcaption>' if img.caption else ""
            thumb = (f'<figure class="post-thumbnail"><img width="{img.width}" height="{img.height}" src="{b}{img.src}" '
                     f'class="attachment-post-thumbnail size-post-thumbnail wp-post-image" alt="{esc(img.alt)}" '
                     f'decoding="async" />{caption}</figure>')
        byline = ", ".join(f'<a href="{b}/author/{author_slug(x.id)}/" rel="author">{esc(x.name)}</a>' for x in authors)
        cats = ", ".join(f'<a href="{b}{category_path(s)}" rel="category tag">{esc(cat.CATEGORIES[s].name)}</a>'
                         for s in a.category_slugs)
        tags = ", ".join(f'<a href="{b}/tag/{t}/" rel="tag">{esc(cat.TAGS_BY_SLUG[t].name)}</a>' for t in a.tags)
        # Twenty Twenty-One (inc/template-tags.php, template-parts/post/author-bio.php) prints the byline only for an
        # author without a bio; an author with one gets the author box instead, whose link text is not the name.
        bio = ""
        if len(authors) == 1 and authors[0].bio:
            x = authors[0]
            byline = ""
            bio = (f'<div class="author-bio show-avatars"><img alt="" src="{b}/wp-content/uploads/{x.avatar}" '
                   f'class="avatar avatar-85 photo" height="85" width="85" /><div class="author-bio-content">'
                   f'<h2 class="author-title">Von {esc(x.name)}</h2><p class="author-description"> {esc(x.bio)}</p>'
                   f'<a class="author-link" href="{b}/author/{author_slug(x.id)}/" rel="author">Alle Beiträge von '
                   f'{esc(x.name)} anzeigen</a></div></div>')
        else:
            byline = f'<span class="byline">Von {byline}</span>'
        return self._head(a.title, f'<link rel="canonical" href="{self.url(a)}" />\n'
                                   f"<link rel='shortlink' href='{b}/?p={a.post_id}' />\n") + f"""
<body class="post-template-default single single-post postid-{a.post_id} single-format-standard wp-embed-responsive">
<div id="page" class="site"><a class="skip-link screen-reader-text" href="#content">Zum Inhalt springen</a>
<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title"><a href="{b}/" rel="home">Netzwelt Nachrichten</a></p></div>
<nav id="site-navigation" class="primary-navigation"><ul id="primary-menu-list" class="menu-wrapper"><li class="menu-item"><a href="{b}/">Start</a></li><li class="menu-item"><a href="{b}/impressum/">Impressum</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-{a.post_id}" class="post-{a.post_id} post type-post status-publish format-standard has-post-thumbnail hentry {classes} entry">
<header class="entry-header alignwide"><h1 class="entry-title">{esc(a.title)}</h1>{thumb}</header>
<div class="entry-content">
{self.body(a)}
</div>
<footer class="entry-footer default-max-width"><div class="posted-by"><span class="posted-on">Veröffentlicht <time class="entry-date published" datetime="{pub.isoformat()}">{pub.day}. {ENGLISH_MONTHS[pub.month - 1]} {pub.year}</time><time class="updated" datetime="{mod.isoformat()}" hidden>{mod.isoformat()}</time></span>{byline}</div>
<div class="post-taxonomies"><span class="cat-links">Kategorisiert in {cats} </span><span class="tags-links">Verschlagwortet mit {tags}</span></div></footer>
{bio}
</article>
<nav class="navigation post-navigation" aria-label="Beiträge"><div class="nav-links"><div class="nav-previous"><a href="{b}/" rel="prev"><p class="meta-nav">Vorheriger Beitrag</p></a></div></div></nav>
<div id="comments" class="comments-area default-max-width"><h2 class="comments-title">Schreibe einen Kommentar</h2></div>
</main></div></div>
<footer id="colophon" class="site-footer"><div class="powered-by">Stolz präsentiert von WordPress</div></footer></div>
</body></html>
"""

    def _block(self, a: Article) -> str:
        b = self.base
        url = self.url(a)
        authors = [cat.AUTHORS[i] for i in a.author_ids]
        pub = a.published.astimezone(BERLIN)
        ld = {"@context": "https://schema.org", "@graph": [
            {"@type": "NewsArticle", "@id": url + "#article", "headline": a.title,
             "datePublished": a.published.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
             "dateModified": a.modified.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
             "author": [{"@id": f"{b}/#/schema/person/{x.id}"} for x in authors],
             "articleSection": [cat.CATEGORIES[s].name for s in a.category_slugs], "inLanguage": "de-DE"},
            *[{"@type": "Person", "@id": f"{b}/#/schema/person/{x.id}", "name": x.name,
               "url": f"{b}/author/{author_slug(x.id)}/"} for x in authors],
        ]}
        meta = (f'<link rel="canonical" href="{url}" />\n<meta name="description" content="{esc(a.lead)}" />\n'
                f'<meta property="og:type" content="article" />\n<meta property="og:title" content="{esc(a.title)}" />\n'
                f'<meta property="article:published_time" content="{a.published.strftime("%Y-%m-%dT%H:%M:%S+00:00")}" />\n'
                f'<meta property="article:modified_time" content="{a.modified.strftime("%Y-%m-%dT%H:%M:%S+00:00")}" />\n'
                f'<script type="application/ld+json" class="yoast-schema-graph">{json.dumps(ld)}</script>\n')
        image = ""
        if a.lead_image is not None:
            img = a.lead_image
            image = (f'<figure class="wp-block-post-featured-image"><img width="{img.width}" height="{img.height}" '
                     f'src="{b}{img.src}" class="attachment-post-thumbnail size-post-thumbnail wp-post-image" '
                     f'alt="{esc(img.alt)}" decoding="async" /></figure>')
        # The core/post-author block of Twenty Twenty-Two and -Three (wp-includes/blocks/post-author.php): the name
        # without a link; here with the block's "byline" label and "showBio" set, as a site's editor may set them.
        single = len(authors) == 1
        names = "".join(f'<div class="wp-block-post-author"><div class="wp-block-post-author__content">'
                        f'<p class="wp-block-post-author__byline">Geschrieben von</p>'
                        f'<p class="wp-block-post-author__name">{esc(x.name)}</p>'
                        + (f'<p class="wp-block-post-author__bio">{esc(x.bio)}</p>' if single else "")
                        + "</div></div>" for x in authors)
        cats = '<span class="wp-block-post-terms__separator">, </span>'.join(
            f'<a href="{b}{category_path(s)}" rel="tag">{esc(cat.CATEGORIES[s].name)}</a>' for s in a.category_slugs)
        tags = '<span class="wp-block-post-terms__separator">, </span>'.join(
            f'<a href="{b}/tag/{t}/" rel="tag">{esc(cat.TAGS_BY_SLUG[t].name)}</a>' for t in a.tags)
        return self._head(a.title, meta) + f"""
<body class="post-template-default single single-post postid-{a.post_id} single-format-standard wp-embed-responsive">
<div class="wp-site-blocks"><header class="wp-block-template-part"><div class="wp-block-group"><p class="wp-block-site-title"><a href="{b}/" rel="home">Netzwelt Nachrichten</a></p></div></header>
<main class="wp-block-group" style="margin-top:var(--wp--preset--spacing--50)">
<div class="wp-block-group">{image}<h1 class="wp-block-post-title">{esc(a.title)}</h1>
<div class="wp-block-group"><div class="wp-block-post-date"><time datetime="{pub.isoformat()}">{pub.day}. {ENGLISH_MONTHS[pub.month - 1]} {pub.year}</time></div>
{names}</div></div>
<div class="entry-content alignfull wp-block-post-content has-global-padding is-layout-constrained">
{self.body(a)}
</div>
<div class="wp-block-group"><div class="taxonomy-category wp-block-post-terms">{cats}</div><div class="taxonomy-post_tag wp-block-post-terms">{tags}</div></div>
<nav class="wp-block-group" aria-label="Beitragsnavigation"><div class="post-navigation-link-previous wp-block-post-navigation-link"><a href="{b}/" rel="prev">Zurück</a></div></nav>
<div class="wp-block-comments"><h2 class="wp-block-heading">Kommentare</h2></div>
</main>
<footer class="wp-block-template-part"><p class="has-small-font-size">Gestaltet mit WordPress</p></footer></div>
</body></html>
"""

    def listing(self, articles: list[Article], page: int, pages: int, base_path: str) -> str:
        b = self.base
        posts = "".join(f'<article id="post-{a.post_id}" class="post-{a.post_id} post type-post entry">'
                        f'<header class="entry-header"><h2 class="entry-title default-max-width"><a href="{self.url(a)}">'
                        f"{esc(a.title)}</a></h2></header><div class=\"entry-content\"><p>{esc(a.lead)}</p></div>"
                        f"</article>" for a in articles)
        nav = f'<a class="next page-numbers" href="{b}{base_path}page/{page + 1}/">Ältere Beiträge</a>' if page < pages else ""
        return (self._head("Netzwelt Nachrichten") + f'<body class="home blog"><main id="main" class="site-main">{posts}'
                f'<nav class="navigation pagination"><div class="nav-links">{nav}</div></nav></main></body></html>')
