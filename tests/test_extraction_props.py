"""Property tests: no input HTML makes a page object raise anything but ExtractionError."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.exceptions import ExtractionError
from archiver.pages import LAYOUTS, Page, extract

from .conftest import SAMPLES

SAMPLE = (SAMPLES / "live-approx-311235.html").read_text(encoding="utf-8")
FRAGMENTS = [
    "<html>", "</html>", "<body>", "</body>", '<main id="article">', "</main>",
    '<article id="post-12" class="card category-x tag-y">', "</article>",
    '<div class="content entry-content">', '<div class="entry-inner">', "</div>", "<p>", "</p>",
    '<h1 class="title entry-title">', '<h1 class="post-title entry-title">', "</h1>", "<figure>", "</figure>",
    "<figcaption>Bildquelle: X, Lizenz</figcaption>", '<img src="x.png" width="1" height="1">',
    '<img src="data:,">', '<a href="javascript:alert(1)">x</a>', '<a href="//other/a-1.html">y</a>',
    '<time class="published" datetime="2025-13-45T99:99">', '<span class="img-description">Bildquelle:</span>',
    '<meta property="article:published_time" content="gestern">', "<script>var a = '</p>';</script>",
    '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "headline": 5}]}</script>',
    '<script type="application/ld+json">{broken</script>', "&amp;ouml;", "\x00", "\ufeff", "<br>",
    '<nav id="breadcrumb"><a>x</a></nav>', '<section id="author"><p>Über <a rel="author">Y</a></p></section>',
    '<div class="wp-caption"><p class="wp-caption-text">©</p></div>', "<p>Foto X, thx! (Pixabay Lizenz)</p>",
]


@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40),
       st.sampled_from(["auto", *[name for name in LAYOUTS if name != "fallback"]]))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_page_objects_never_raise_unexpectedly(parts: list[str], layout: str) -> None:
    html = "".join(parts)
    try:
        item = extract(Page("https://tarnkappe.info/artikel/a-1.html", html), layout=layout, allow_fallback=False)
    except ExtractionError as error:
        assert error.reason
        return
    assert item.title and item.text


@given(st.integers(min_value=0, max_value=len(SAMPLE)), st.integers(min_value=1, max_value=4000))
@settings(max_examples=150, deadline=None)
def test_damaged_real_page_never_raises_unexpectedly(cut: int, hole: int) -> None:
    html = SAMPLE[:cut] + SAMPLE[cut + hole:]
    with contextlib.suppress(ExtractionError):
        extract(Page("https://tarnkappe.info/artikel/krypto/x-311235.html", html), allow_fallback=False)


@given(st.text(max_size=300))
@settings(max_examples=30, deadline=None)
def test_fallback_layout_never_raises_unexpectedly(text: str) -> None:
    with contextlib.suppress(ExtractionError):
        extract(Page("https://example.org/post", f"<html><body><div>{text}</div></body></html>"))


def test_control_characters_in_a_removed_element_tail() -> None:
    """Found by Hypothesis: the tail of a removed element carrying ESC made lxml raise ValueError."""
    html = ('<div class="content entry-content"><h1 class="title entry-title">'
            '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "headline": 5}]}</script>\x1b')
    with contextlib.suppress(ExtractionError):
        extract(Page("https://tarnkappe.info/artikel/a-1.html", html), allow_fallback=False)
