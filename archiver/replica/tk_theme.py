"""tk-theme templates (tarnkappe.info since about 2021), built from the real page in tests/fixtures/tarnkappe."""

from __future__ import annotations

from collections.abc import Iterable

from . import catalog as cat
from .html_util import double_escaped_title, esc
from .model import BERLIN, Article, Block, Credit, Image, Link, SiteModel

NAV_CATEGORIES = [("it-sicherheit", ["datenschutz", "malware", "online-betrug"]), ("krypto", ["blockchain", "nft"]),
                  ("szene", ["dark-commerce", "warez", "usenet"])]


class TkTheme:
    def __init__(self, site: SiteModel, base: str) -> None:
        self.site = site
        self.base = base

    # --- shared chrome --------------------------------------------------------------------------
    def head(self, title: str, extra: str = "", body_class: str = "home blog") -> str:
        b = self.base
        return f"""<!DOCTYPE html>
<html lang="de" class="is-fullheight">
<head>
\t<meta charset="UTF-8">
\t<meta name="viewport" content="width=device-width, initial-scale=1">
\t<meta name="robots" content="index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1">
\t<title>{esc(title)}</title>
{extra}
<link rel="alternate" type="application/rss+xml" title="TARNKAPPE.INFO &#xBB; Feed" href="{b}/feed">
<link rel="stylesheet" href="{b}/wp-content/themes/tk-theme/frontend/v31/css/bulma.min.css" id="tk-bulma-style">
<link rel="manifest" href="{b}/wp-json/wp/v2/web-app-manifest">
<meta name="fediverse:creator" content="@tarnkappeinfo@social.tchncs.de">
</head>

<body class="{body_class}">
<div data-nosnippet="" class="tk-nav-topbar-wrapper"><nav class="tk-nav-topbar-container"><ul class="nav2">
<li class="menu-item"><a href="{b}/">Home</a></li><li class="menu-item"><a href="{b}/forum/">Forum</a></li>
<li class="menu-item"><a href="{b}/spenden/">Spenden</a></li>
<li class="menu-item"><a href="https://newsletter.example.invalid/subscription/form">Newsletter</a></li>
</ul></nav></div>
<div id="webpage" class="site"><header id="header" class="header-nav">
<nav id="site-navigation" class="navbar " role="navigation" aria-label="main navigation">
<div class="navbar-brand"><a id="logo" href="{b}/" class="navbar-item" rel="home"><img loading="lazy" src="{b}/wp-content/uploads/tarnkappe-info-logo-header-black-small-compressed.png" alt="Tarnkappe.info Logo" width="176"></a></div>
<div data-nosnippet="" class="navbar-menu"><div id="menu-header" class="navbar-start">{self._nav()}</div></div>
</nav></header>
<div id="content" class="site-content block">
"""

    def _nav(self) -> str:
        out = []
        for top, children in NAV_CATEGORIES:
            c = cat.CATEGORIES[top]
            items = "".join(
                f'<a class="navbar-item {esc(cat.CATEGORIES[s].name)}" href="{self.base}/{cat.CATEGORIES[s].path}">'
                f"{esc(cat.CATEGORIES[s].name)}</a>" for s in children)
            out.append(f'<div class="navbar-item has-dropdown is-hoverable"><a class="navbar-link" '
                       f'href="{self.base}/{c.path}">{esc(c.name)}</a><div class="navbar-dropdown">{items}</div></div>')
        for slug in ("glosse", "intern", "lesetipps"):
            out.append(f'<a class="navbar-item" href="{self.base}/{slug}">{esc(cat.CATEGORIES[slug].name)}</a>')
        return "\n".join(out)

    def sidebar(self) -> str:
        return """<div data-nosnippet="" class="column sidebar-sticky">
<aside id="secondary" class="widget-area card" role="complementary"><div class="card-content"><div class="is-multiline content">
<section class="widget_text widget widget_custom_html block"><div class="around-aiCheXu1"><div id="traffective-ad-Skyscraper" class="Skyscraper coiCiegh4Ha9"></div></div></section>
<section class="widget_text widget widget_custom_html block"><h2 class="widget-title is-bold title is-4">Newsletter</h2><div class="textwidget custom-html-widget"></div></section>
</div></div></aside></div>
"""

    def foot(self, bottom_nav: str = "") -> str:
        b = self.base
        return f"""<footer id="colophon"><div data-nosnippet="">
<p><a href="{b}/impressum">Impressum</a> <a href="{b}/datenschutzerklaerung">Datenschutz</a></p>
<a href="{b}/ueber-tarnkappe/">&#xDC;ber uns</a> <a href="{b}/kontakt">Kontakt</a> <a href="{b}/pressespiegel">Pressespiegel</a>
<p>&#xA9; 2014-2025 Tarnkappe.info</p></div></footer>
{bottom_nav}
</div>
</body>
</html>
"""

    def card(self, a: Article, related: bool = False) -> str:
        url = self.base + a.path
        classes = " ".join([f"category-{s}" for s in a.category_slugs] + [f"tag-{t}" for t in a.tags])
        img = ""
        if a.lead_image is not None:
            img = (f'<div class="card-image"><figure class="image"><a title="{esc(a.title)}" href="{url}">'
                   f'<img width="700" height="300" src="{self.base}{a.lead_image.src}-700x300.jpeg" '
                   f'class="attachment-writeup-medium size-writeup-medium wp-post-image" alt="{esc(a.lead_image.alt)}" '
                   f'loading="lazy"></a></figure></div>')
        return f"""<div class="column is-one-third"><article id="post-{a.post_id}" class="card post-{a.post_id} post type-post status-publish hentry {classes}">
{img}<div class="card-content"><div class="media"><header class="media-content">
<p class="title entry-title is-4"><a href="{url}" rel="bookmark">{esc(a.title)}</a></p></header></div>
<div class="content entry-content"><p>{esc(a.lead)}</p></div></div></article></div>"""

    # --- article page ---------------------------------------------------------------------------
    def article(self, a: Article) -> str:
        b = self.base
        url = b + a.path
        primary = cat.CATEGORIES[a.primary]
        authors = [cat.AUTHORS[i] for i in a.author_ids]
        pub_local = a.published.astimezone(BERLIN)
        head_extra = f"""\t<meta name="description" content="{esc(a.lead)}">
\t<link rel="canonical" href="{url}">
\t<meta content="de_DE" property="og:locale">
\t<meta content="article" property="og:type">
\t<meta content="{esc(a.title)}" property="og:title">
\t<meta content="{esc(a.lead)}" property="og:description">
\t<meta content="{url}" property="og:url">
\t<meta content="TARNKAPPE.INFO" property="og:site_name">
\t<meta content="{a.published.strftime('%Y-%m-%dT%H:%M:%S+00:00')}" property="article:published_time">
\t<meta content="{a.modified.strftime('%Y-%m-%dT%H:%M:%S+00:00')}" property="article:modified_time">
{self._og_image(a)}\t<meta name="author" content="{esc(', '.join(x.name for x in authors))}">
\t<meta name="twitter:card" content="summary_large_image">
\t<meta name="twitter:label1" content="Verfasst von">
\t<meta name="twitter:data1" content="{esc(', '.join(x.name for x in authors))}">
\t<meta name="twitter:label2" content="Gesch&#xE4;tzte Lesezeit">
\t<meta name="twitter:data2" content="{a.reading_minutes}&#xA0;Minuten">"""
        crumbs = [("Tarnkappe.info", b + "/")] + [(c.name, f"{b}/{c.path}") for c in primary.ancestors()]
        crumbs.append((primary.name, f"{b}/{primary.path}"))
        crumb_html = " &gt; ".join(f'<span><a href="{u}">{esc(n)}</a></span>' for n, u in crumbs)
        classes = " ".join([f"category-{s}" for s in a.category_slugs] + [f"tag-{t}" for t in a.tags])
        byline_authors = " und ".join(
            f'<span class="author vcard"><a class="url fn n" href="{b}/author/{x.id}">{esc(x.name)}</a></span>'
            for x in authors)
        author_boxes = "".join(self._author_box(x.id) for x in authors)
        body_class = f"post-template-default single single-post postid-{a.post_id} single-format-standard group-blog"
        return (self.head(a.title, head_extra, body_class) + f"""
<nav id="breadcrumb" class="card shadow-over hscroll container" aria-label="breadcrumbs"><p><span>{crumb_html} &gt; <span class="breadcrumb_last" aria-current="page">{esc(a.title)}</span></span></p></nav>
<div class="container is-max-desktop"><div class="columns is-desktop"><div class="column is-10 padding-zero-mobile">
<div id="primary" class="content-area"><main id="article" class="site-main wrapper" role="main">
<article id="post-{a.post_id}" class="card post-{a.post_id} post type-post status-publish format-standard has-post-thumbnail hentry {classes}">
{self._lead_figure(a)}
\t\t<div class="card-content">
\t\t<div class="media">
\t\t\t<header class="media-content">
\t\t\t\t\t\t\t\t\t<h1 class="title entry-title is-1">{esc(a.title)}</h1>
\t\t\t\t\t<div class="subtitle is-6">
                       <span class="posted-on"><time class="entry-date published" datetime="{pub_local.isoformat()}">{pub_local.strftime('%d.%m.%Y')}</time></span> <span class="byline">von {byline_authors} Lesezeit: {a.reading_minutes} Min.</span>
\t\t\t\t\t</div>
\t\t\t</header>
\t\t</div>
\t\t<div class="content entry-content">
{self._body(a)}
\t\t</div>
\t\t<footer class="content entry-footer">
<div style="margin-bottom: 1.5rem; margin-top: 1.5rem;" class="buttons">
<div class="wpdc-join-discussion"><a class="wpdc-join-discussion-link" href="{b}/forum/t/{a.slug}/{a.topic_id}">Jetzt kommentieren</a></div><a style="text-align: center" class="button is-link" href="{b}/{primary.path}">Mehr zu dem Thema</a>
</div>
{author_boxes}
\t\t</footer>
\t\t</div>
</article>
</main></div></div>
{self.sidebar()}</div></div>
<section data-nosnippet="" class="container"><div class="columns is-multiline hfeed related-underpost">{self._related(a)}</div></section>
</div>
""" + self.foot(self._bottom_nav(a)))

    def _og_image(self, a: Article) -> str:
        if a.lead_image is None:
            return ""
        img = a.lead_image
        return (f'\t<meta content="{self.base}{img.src}" property="og:image">\n'
                f'\t<meta content="{img.width}" property="og:image:width">\n'
                f'\t<meta content="{img.height}" property="og:image:height">\n')

    def _lead_figure(self, a: Article) -> str:
        img = a.lead_image
        if img is None:
            return ""
        src = self.base + img.src
        caption = f"<figcaption>{esc(img.caption)}</figcaption>" if img.caption else ""
        credit = ""
        if img.credit is not None:
            credit = f'<span class="img-description">{self.credit_html(img.credit)}</span>'
        return f"""\t\t\t<div class="card-image">
\t\t\t<figure class="image" itemscope="" itemtype="http://schema.org/ImageObject">
\t\t\t\t<a class="image-header" href="{src}"><img width="{img.width}" height="{img.height}" src="{src}" class="attachment-full size-full wp-post-image" alt="{esc(img.alt)}" loading="eager" itemprop="contentUrl" id="primaryimage" title="{esc(img.alt)}" decoding="async" fetchpriority="high"></a>{caption}{credit}
\t\t\t</figure>
\t\t</div>"""

    def credit_html(self, c: Credit) -> str:
        if c.kind == "bildquelle-source":
            return (f'Bildquelle: <a target="_blank" rel="noopener nofollow" href="{esc(c.source_url or "")}">'
                    f"{esc(c.creator)}</a>")
        if c.kind == "bildquelle-license-link":
            return (f'Bildquelle: {esc(c.creator)}, <a target="_blank" rel="noopener nofollow" '
                    f'href="{esc(c.license_url or "")}">{esc(c.license or "")}</a>')
        return esc(c.raw)

    def link_href(self, link: Link, hueman_context: bool = False) -> str:
        if link.internal_post_index is None:
            return link.href
        target = self.site.article(link.internal_post_index)
        if hueman_context and target.moved_from:
            return f"{self.base}/{target.moved_from}/{target.slug}-{target.post_id}.html"
        return self.base + target.path

    def _segments(self, block: Block) -> str:
        out = []
        for s in block.segments:
            if isinstance(s, str):
                out.append(esc(s))
                continue
            href = self.link_href(s)
            if s.internal_post_index is not None:
                title = double_escaped_title(self.site.article(s.internal_post_index).title)
                out.append(f'<a href="{esc(href)}" target="_blank" rel="noreferrer noopener" title="{title}">'
                           f"{esc(s.text)}</a>")
            else:
                out.append(f'<a href="{esc(href)}" target="_blank" rel="noreferrer noopener">{esc(s.text)}</a>')
        return "".join(out)

    def _figure(self, img: Image, wp_id: int) -> str:
        src = self.base + img.src
        caption = esc(img.caption or "")
        if img.credit is not None and img.credit_in_caption:
            caption += " " + self.credit_html(img.credit)
        return (f'<div class="wp-block-image">\n<figure class="aligncenter size-full"><a href="{src}" target="_blank" '
                f'rel=" noreferrer noopener"><img decoding="async" width="{img.width}" height="{img.height}" '
                f'src="{src}" alt="{esc(img.alt)}" class="wp-image-{wp_id}"></a>'
                f'<figcaption class="wp-element-caption">{caption}</figcaption></figure></div>')

    def _body(self, a: Article) -> str:
        parts: list[str] = []
        headings = [blk.text for blk in a.blocks if blk.kind == "h2"]
        toc_items = "".join(
            f'<li><a title="{esc(h)}" href="{self.base}{a.path}#h-{cat.slugify(h)}">{esc(h)}</a></li>' for h in headings)
        for n, blk in enumerate(a.blocks):
            if blk.kind == "p":
                parts.append(f"<p>{self._segments(blk)}</p>")
            elif blk.kind == "h2":
                parts.append(f'<h2 class="wp-block-heading" id="h-{cat.slugify(blk.text)}">{esc(blk.text)}</h2>')
            elif blk.kind == "figure" and blk.image is not None:
                parts.append(self._figure(blk.image, a.post_id + n + 1))
            elif blk.kind == "credit" and blk.credit is not None:
                parts.append(f"<p>{esc(blk.credit.raw)}</p>")
            if n == 0 and headings:
                parts.append(
                    '<section data-nosnippet="" class="card"><div class="card-content"><div class="menu">'
                    f'<p class="menu-label">Inhalt</p> <ul class="menu-list">{toc_items}</ul></div></div></section>'
                    '<div style="height: 1px;" class="vgwort"><img decoding="async" loading="eager" '
                    f'src="{self.base}/na/{a.post_id:032x}" width="1" height="1" alt=""></div>')
            if n == 2:
                parts.append(self._ad("Content_1"))
        return "\n\n\n".join(parts)

    @staticmethod
    def _ad(slot: str) -> str:
        return (f'<section class="desktop-only" data-nosnippet=""><div class="around-desktop-ad around-aiCheXu1">'
                f'<div id="traffective-ad-{slot}" class="{slot} coiCiegh4Ha9 inarticleaaaassd"></div></div></section>\n'
                f'<section data-nosnippet="" class="mobile-only"><div class="interscroller-wrapper">'
                f'<div id="traffective-ad-Mobile_{slot}" class="coiCiegh4Ha9"></div></div></section>')

    def _author_box(self, author_id: int) -> str:
        x = cat.AUTHORS[author_id]
        b = self.base
        return f"""<section id="author" class="card"><div class="card-content"><div class="media">
<div class="media-left"><figure class="image is-48x48"><img class="is-rounded" loading="lazy" alt="{esc(x.name)}" src="{b}/wp-content/uploads/{x.avatar}"></figure></div>
<div class="media-content"><p>&#xDC;ber <a href="{b}/author/{x.id}" title="Beitr&#xE4;ge von {esc(x.name)}" rel="author">{esc(x.name)}</a></p></div>
</div><div class="content"><p>{esc(x.bio)}</p>
<div class="buttons"><a rel="nofollow noreferrer" class="button" title="Autor im Forum" href="{b}/forum/u/{x.forum_name}" target="_blank"><i class="fab">&#xF007;</i></a></div>
</div></div></section>"""

    def _related(self, a: Article) -> str:
        others = [i for i in range(max(0, a.index - 4), min(self.site.count, a.index + 4)) if i != a.index][:6]
        return "".join(self.card(self.site.article(i), related=True) for i in others)

    def _bottom_nav(self, a: Article) -> str:
        links = []
        if a.index + 1 < self.site.count:  # rel=next points to the NEWER post, labelled "ZURÜCK"
            links.append(f'<a class="button" href="{self.base}{self.site.article(a.index + 1).path}" rel="next">ZUR&#xDC;CK</a>')
        links.append(f'<a id="bottom-home" href="{self.base}/" class="home button"><i class="fab">&#xE907;</i></a>')
        if a.index > 0:
            links.append(f'<a class="button" href="{self.base}{self.site.article(a.index - 1).path}" rel="prev">WEITER</a>')
        return ('<nav role="navigation" class="navbar is-fixed-bottom mobile-only" id="bottom-navigation">'
                f'<div class="navbar-brand"><div class="buttons">{"".join(links)}</div></div></nav>')

    # --- listings -------------------------------------------------------------------------------
    def listing(self, heading: str, articles: Iterable[Article], page: int, pages: int, base_path: str) -> str:
        cards = "".join(self.card(a) for a in articles)
        nav = []
        if page > 1:
            prev = base_path if page == 2 else f"{base_path}page/{page - 1}/"
            nav.append(f'<a class="pagination-previous" href="{self.base}{prev}">Neuere Beitr&#xE4;ge</a>')
        if page < pages:
            nav.append(f'<a class="pagination-next next page-numbers" href="{self.base}{base_path}page/{page + 1}/">'
                       f"&#xC4;ltere Beitr&#xE4;ge</a>")
        return (self.head(heading, body_class="archive") +
                f'<main id="main" class="site-main"><h1 class="page-title">{esc(heading)}</h1>'
                f'<div class="columns is-multiline hfeed">{cards}</div>'
                f'<nav class="pagination" role="navigation">{"".join(nav)}</nav></main>'
                + self.sidebar() + self.foot())

    def static_page(self, title: str, text: str) -> str:
        return (self.head(title, body_class="page") +
                f'<main id="main"><article class="page card"><h1 class="title entry-title">{esc(title)}</h1>'
                f'<div class="content entry-content"><p>{esc(text)}</p></div></article></main>' + self.foot())
