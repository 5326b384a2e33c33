"""Hueman-era templates (tarnkappe.info about 2019-2020, site model §5): raw UTF-8, classic editor bodies."""

from __future__ import annotations

from datetime import datetime

from . import catalog as cat
from .html_util import esc_utf8 as esc
from .model import BERLIN, Article, Block
from .tk_theme import TkTheme

GERMAN_MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember"]


def german_date(moment_local: datetime) -> str:
    return f"{moment_local.day}. {GERMAN_MONTHS[moment_local.month - 1]} {moment_local.year}"


class HuemanTheme:
    def __init__(self, tk: TkTheme) -> None:
        self.tk = tk
        self.site = tk.site
        self.base = tk.base

    def article(self, a: Article) -> str:
        b = self.base
        url = b + a.path
        authors = [cat.AUTHORS[i] for i in a.author_ids]
        pub = a.published.astimezone(BERLIN)
        mod = a.modified.astimezone(BERLIN)
        categories = [cat.CATEGORIES[s] for s in a.category_slugs]
        cat_links = ", ".join(f'<a href="{b}/{c.path}/" rel="category tag">{esc(c.name)}</a>' for c in categories)
        byline = " und ".join(
            f'<span class="vcard author"><span class="fn"><a href="{b}/author/{x.id}" title="Beiträge von '
            f'{esc(x.name)}" rel="author">{esc(x.name)}</a></span></span>' for x in authors)
        tags = "".join(
            f'<a href="{b}/tag/{t}/" rel="tag">{esc(cat.TAGS_BY_SLUG[t].name)}</a>' for t in a.tags)
        image = ""
        if a.lead_image is not None:
            img = a.lead_image
            caption = f'<div class="image-caption">{esc(img.caption)}</div>' if img.caption else ""
            image = (f'<div class="image-container"><img width="{img.width}" height="{img.height}" '
                     f'src="{b}{img.src}" class="attachment-full size-full wp-post-image" alt="{esc(img.alt)}">'
                     f"{caption}</div>")
        bios = "".join(
            f'<div class="author-bio"><div class="bio-avatar"><img src="{b}/wp-content/uploads/{x.avatar}" '
            f'class="avatar" alt="{esc(x.name)}"></div><p class="bio-name">{esc(x.name)}</p>'
            f'<p class="bio-desc">{esc(x.bio)}</p><div class="clear"></div></div>' for x in authors)
        related = "".join(
            f'<li class="related post-hover"><article class="post-{r.post_id} post"><div class="post-inner">'
            f'<h4 class="post-title entry-title"><a href="{b}{r.path}" rel="bookmark">{esc(r.title)}</a></h4>'
            f'</div></article></li>'
            for r in (self.site.article(i) for i in range(max(0, a.index - 3), a.index)))
        return f"""<!DOCTYPE html>
<html class="no-js" lang="de-DE">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{esc(a.title)} | Tarnkappe.info</title>
<meta name="description" content="{esc(a.lead)}">
<link rel="canonical" href="{url}">
<link rel="shortlink" href="{b}/?p={a.post_id}">
<meta property="og:locale" content="de_DE">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(a.title)}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{a.published.strftime('%Y-%m-%dT%H:%M:%S+00:00')}">
<link rel="stylesheet" id="hueman-main-style-css" href="{b}/wp-content/themes/hueman/assets/front/css/main.min.css" type="text/css">
</head>
<body class="post-template-default single single-post postid-{a.post_id} single-format-standard col-2cl full-width topbar-enabled">
<div id="wrapper">
<header id="header" class="top-menu-mobile-on"><nav class="nav-container group" id="nav-header"><div class="nav-wrap container"><ul id="menu-hauptmenue" class="nav container-inner group">
<li class="menu-item"><a href="{b}/">Startseite</a></li><li class="menu-item"><a href="{b}/artikel/">Artikel</a></li><li class="menu-item"><a href="{b}/forum/">Forum</a></li><li class="menu-item"><a href="{b}/impressum">Impressum</a></li></ul></div></nav>
<div class="container group"><div class="container-inner"><p class="site-title"><a href="{b}/" rel="home">Tarnkappe.info</a></p></div></div></header>
<div class="container" id="page"><div class="container-inner"><div class="main"><div class="main-inner group">
<section class="content">
<div class="page-title pad group"><ul class="meta-single group"><li class="category">{cat_links}</li></ul></div>
<div class="pad group">
<article id="post-{a.post_id}" class="post-{a.post_id} post type-post status-publish format-standard has-post-thumbnail hentry {' '.join('category-' + s for s in a.category_slugs)} {' '.join('tag-' + t for t in a.tags)}">
<div class="post-inner group">
<h1 class="post-title entry-title">{esc(a.title)}</h1>
<p class="post-byline">von {byline} &middot; Veröffentlicht <time class="published" datetime="{pub.isoformat()}">{german_date(pub)}</time> &middot; Aktualisiert <time class="updated" datetime="{mod.isoformat()}">{german_date(mod)}</time></p>
<div class="clear"></div>
{image}
<div class="entry themeform"><div class="entry-inner">
{self._body(a)}
<div class="sharrre-container"><span>Teilen:</span> <a href="{b}/?share=twitter">Twitter</a></div>
</div><div class="clear"></div></div>
</div>
</article>
<p class="post-tags"><span>Tags:</span> {tags}</p>
{bios}
<h4 class="heading"><i class="far fa-hand-point-right"></i>Das könnte Dich auch interessieren …</h4>
<ul class="related-posts group">{related}</ul>
<section id="comments" class="themeform"><div id="commentlist-container" class="discourse-comments-area">
<div class="comments-title">Kommentare</div><a href="{b}/forum/t/{a.slug}/{a.topic_id}">Jetzt kommentieren</a></div></section>
</div></section>
<div class="sidebar s1"><div class="sidebar-content"><div id="text-2" class="widget widget_text"><h3 class="widget-title">Newsletter</h3><div class="textwidget">Jetzt abonnieren</div></div></div></div>
</div></div></div></div>
<footer id="footer"><section class="container" id="footer-bottom"><div id="copyright"><p>Tarnkappe.info &copy; 2019. <a href="{b}/impressum">Impressum</a></p></div></section></footer>
</div>
</body>
</html>
"""

    def _body(self, a: Article) -> str:
        parts: list[str] = []
        for n, blk in enumerate(a.blocks):
            if blk.kind == "p":
                parts.append(f"<p>{self._segments(blk)}</p>")
            elif blk.kind == "h2":
                parts.append(f"<h3>{esc(blk.text)}</h3>")
            elif blk.kind == "figure" and blk.image is not None:
                img = blk.image
                caption = esc(img.caption or "")
                if img.credit is not None and img.credit_in_caption:
                    caption += " " + esc(img.credit.raw)
                parts.append(
                    f'<div id="attachment_{a.post_id + n}" class="wp-caption aligncenter" style="width: {img.width}px">'
                    f'<img class="size-full wp-image-{a.post_id + n}" src="{self.base}{img.src}" alt="{esc(img.alt)}" '
                    f'width="{img.width}" height="{img.height}"><p class="wp-caption-text">{caption}</p></div>')
            elif blk.kind == "credit" and blk.credit is not None:
                parts.append(f"<p>{esc(blk.credit.raw)}</p>")
        return "\n".join(parts)

    def _segments(self, block: Block) -> str:
        out = []
        for s in block.segments:
            if isinstance(s, str):
                out.append(esc(s))
            else:
                out.append(f'<a href="{esc(self.tk.link_href(s, hueman_context=True))}">{esc(s.text)}</a>')
        return "".join(out)

