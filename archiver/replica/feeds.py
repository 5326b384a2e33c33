"""RSS and Atom feeds, Yoast-style sitemaps and robots.txt of the replica."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime

from . import catalog as cat
from .html_util import esc_utf8 as esc
from .model import Article, SiteModel

SITEMAP_PAGE_SIZE = 1000
FEED_PAGE_SIZE = 10


def robots_txt(base: str) -> str:
    return (f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\nDisallow: /forum/\n\n"
            f"Sitemap: {base}/sitemap_index.xml\n")


def sitemap_index(site: SiteModel, base: str) -> str:
    pages = max(1, -(-site.count // SITEMAP_PAGE_SIZE))
    newest = site.article(site.count - 1).modified.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    entries = []
    for n in range(1, pages + 1):
        name = "post-sitemap.xml" if n == 1 else f"post-sitemap{n}.xml"
        entries.append(f"\t<sitemap>\n\t\t<loc>{base}/{name}</loc>\n\t\t<lastmod>{newest}</lastmod>\n\t</sitemap>")
    for name in ("page-sitemap.xml", "category-sitemap.xml", "author-sitemap.xml"):
        entries.append(f"\t<sitemap>\n\t\t<loc>{base}/{name}</loc>\n\t</sitemap>")
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<?xml-stylesheet type="text/xsl" href="//example.invalid/main-sitemap.xsl"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(entries)
            + "\n</sitemapindex>\n")


def post_sitemap(site: SiteModel, base: str, page: int) -> str | None:
    start = (page - 1) * SITEMAP_PAGE_SIZE
    if page < 1 or start >= site.count:
        return None
    urls = []
    for index in range(start, min(site.count, start + SITEMAP_PAGE_SIZE)):
        a = site.article(index)
        image = ""
        if a.lead_image is not None:
            image = f"\n\t\t<image:image>\n\t\t\t<image:loc>{base}{a.lead_image.src}</image:loc>\n\t\t</image:image>"
        urls.append(f"\t<url>\n\t\t<loc>{base}{a.path}</loc>\n\t\t<lastmod>"
                    f"{a.modified.strftime('%Y-%m-%dT%H:%M:%S+00:00')}</lastmod>{image}\n\t</url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
            'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(urls) + "\n</urlset>\n")


def simple_sitemap(locs: Sequence[str]) -> str:
    body = "\n".join(f"\t<url>\n\t\t<loc>{loc}</loc>\n\t</url>" for loc in locs)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + body + "\n</urlset>\n")


def category_sitemap(base: str) -> str:
    return simple_sitemap([f"{base}/{c.path}" for c in cat.CATEGORIES.values()])


def author_sitemap(base: str) -> str:
    return simple_sitemap([f"{base}/author/{a.id}" for a in cat.AUTHORS.values()])


def rss(site: SiteModel, base: str, articles: Sequence[Article], title: str, self_url: str) -> str:
    items = []
    for a in articles:
        authors = ", ".join(cat.AUTHORS[i].name for i in a.author_ids)
        categories = [cat.CATEGORIES[s].name for s in a.category_slugs] + [cat.TAGS_BY_SLUG[t].name for t in a.tags]
        cats = "".join(f"\n\t\t<category><![CDATA[{c}]]></category>" for c in categories)
        items.append(f"""\t<item>
\t\t<title>{esc(a.title)}</title>
\t\t<link>{base}{a.path}</link>
\t\t<dc:creator><![CDATA[{authors}]]></dc:creator>
\t\t<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>{cats}
\t\t<guid isPermaLink="false">{base}/?p={a.post_id}</guid>
\t\t<description><![CDATA[{a.lead}]]></description>
\t</item>""")
    newest = format_datetime(articles[0].modified, usegmt=True) if articles else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:atom="http://www.w3.org/2005/Atom"
\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
\t<title>{esc(title)}</title>
\t<atom:link href="{esc(self_url)}" rel="self" type="application/rss+xml" />
\t<link>{base}</link>
\t<description>Tarnkappe.info &#8211; Nachrichten aus der digitalen Welt</description>
\t<lastBuildDate>{newest}</lastBuildDate>
\t<language>de-DE</language>
{chr(10).join(items)}
</channel>
</rss>
"""


def atom(base: str, articles: Sequence[Article], links: Sequence[str], title: str, self_url: str) -> str:
    """WordPress's Atom feed (wp-includes/feed-atom.php): ``<updated>`` is each post's last modification."""
    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    entries = []
    for a, link in zip(articles, links, strict=True):
        author = cat.AUTHORS[a.author_ids[0]].name
        entries.append(f"""\t<entry>
\t\t<author>\n\t\t\t<name>{esc(author)}</name>\n\t\t</author>
\t\t<title type="html"><![CDATA[{a.title}]]></title>
\t\t<link rel="alternate" type="text/html" href="{esc(link)}" />
\t\t<id>{base}/?p={a.post_id}</id>
\t\t<updated>{stamp(a.modified)}</updated>
\t\t<published>{stamp(a.published)}</published>
\t\t<summary type="html"><![CDATA[{a.lead}]]></summary>
\t</entry>""")
    newest = stamp(max(a.modified for a in articles)) if articles else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?><feed
\txmlns="http://www.w3.org/2005/Atom"
\txml:lang="de-DE">
\t<title type="text">{esc(title)}</title>
\t<updated>{newest}</updated>
\t<link rel="alternate" type="text/html" href="{base}" />
\t<id>{esc(self_url)}</id>
\t<link rel="self" type="application/atom+xml" href="{esc(self_url)}" />
{chr(10).join(entries)}
</feed>
"""
