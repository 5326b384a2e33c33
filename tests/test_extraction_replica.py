"""Every field of every replica article equals the replica's ground truth, in both theme generations.

The replica renders its pages from its own data and templates; the ground truth comes from
the same data, never from the extractor.
"""

from __future__ import annotations

from typing import Any

import pytest

from archiver.exceptions import ExtractionError
from archiver.items import CaptureRef
from archiver.pages import Page, extract
from archiver.replica.app import ReplicaApp
from archiver.replica.truth import GroundTruth

HOST = "replica.test:8000"
BASE = f"http://{HOST}"
APP = ReplicaApp(articles=200, day=2)
TRUTH = GroundTruth(APP.site, BASE)


def extract_article(index: int, theme: str | None = None) -> dict[str, Any]:
    article = APP.site.article(index)
    response = APP.handle(article.path, f"theme={theme}" if theme else "", HOST, False)
    assert response.status == 200
    return extract(Page(BASE + article.path, response.body.decode())).to_dict(with_html=False)


def expected(index: int, theme: str | None = None) -> dict[str, Any]:
    item = TRUTH.item(APP.site.article(index), theme)
    item.pop("version")
    return item


@pytest.mark.parametrize("index", range(APP.site.count))
def test_every_field_equals_ground_truth(index: int) -> None:
    assert extract_article(index) == expected(index)


@pytest.mark.parametrize("theme", ["tk-theme", "hueman"])
def test_every_article_in_both_themes(theme: str) -> None:
    for index in range(0, APP.site.count, 7):
        assert extract_article(index, theme) == expected(index, theme), index


@pytest.mark.parametrize("theme", ["tk-theme", "hueman"])
def test_seed_article_rows(theme: str) -> None:
    """tests/fixtures/seed-article.md: title, lead, body, sub-headings, author Antonia with bio, the credit row."""
    item = extract_article(APP.site.seed_index, theme)
    assert item["layout"] == theme
    assert item["title"] == "Telegram gewinnt aufgrund von Facebook-Ausfall drei Mio. neue Nutzer"
    assert item["lead"].startswith("Wegen des Ausfalls des Facebook Messengers & WhatsApp")
    lead = item["images"][0]
    assert (lead["alt"], lead["caption"], lead["is_lead"]) == ("Telegram", "Telegram", True)
    for heading in ("Telegram-Gründer Pawel Durov jubelt", "Juristische Probleme für Betreiber in Russland",
                    "Tarnkappe.info mit eigener Gruppe bei Telegram"):
        assert f"\n\n{heading}\n\n" in item["text"]
    (author,) = item["authors"]
    assert author["name"] == "Antonia"
    assert author["bio"].startswith("Antonia ist bereits seit Januar 2016 Autorin bei der Tarnkappe.")
    assert author["bio"].endswith("Ihre Interessen beziehen sich hauptsächlich auf Literatur.")
    (credit,) = item["credits"]
    assert (credit["creator"], credit["license"]) == ("LoboStudioHamburg", "Pixabay Lizenz")
    assert credit["raw"] == "Foto LoboStudioHamburg, thx! (Pixabay Lizenz)"
    assert credit["applies_to"] == lead["url"]
    for forbidden in ("LoboStudioHamburg", "Pixabay", "Antonia ist bereits", "Über", "Jetzt kommentieren"):
        assert forbidden not in item["text"]
    assert item["text"].endswith("über alle möglichen technischen Belange austauschen können.")


MUST_NOT_CONTAIN = ["Inhalt", "Jetzt kommentieren", "Mehr zu dem Thema", "Newsletter", "Impressum", "Bildquelle",
                    "ZURÜCK", "WEITER", "traffective", "Lesezeit", "Über ", "Das könnte Dich auch interessieren",
                    "Teilen:", "Tags:", "Kommentare"]


@pytest.mark.parametrize("index", range(0, APP.site.count, 3))
def test_body_must_not_contain_page_furniture(index: int) -> None:
    item = extract_article(index)
    for needle in MUST_NOT_CONTAIN:
        assert needle not in item["text"], needle
    for credit in item["credits"]:
        assert credit["raw"] not in item["text"]
    for author in item["authors"]:
        assert (author["bio"] or "")[:40] not in item["text"]


@pytest.mark.parametrize("html", ["", "<html></html>", "<html><body><p>Nur Text</p></body></html>",
                                  "%PDF-1.4 binary", "<html><body><main id='article'></main></body></html>"])
def test_non_articles_raise_extraction_error_with_reason(html: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract(Page("http://example.test/x", html), allow_fallback=False)
    assert info.value.reason


def test_unknown_theme_falls_back_to_trafilatura() -> None:
    """An article page of a theme we have never seen: metadata from meta tags, main text from trafilatura."""
    paragraphs = "".join(f"<p>Absatz {n}: Die Ermittler haben den Server beschlagnahmt und werten die Daten "
                         f"jetzt in aller Ruhe aus, berichtet die Behörde.</p>" for n in range(8))
    html = ("<html lang='de'><head><title>X</title><meta property='og:type' content='article'>"
            "<meta property='og:title' content='Server beschlagnahmt'>"
            "<meta property='article:published_time' content='2024-05-01T10:00:00+02:00'></head>"
            f"<body><div class='nav'><a href='/'>Start</a></div><div class='story'>{paragraphs}</div>"
            "<div class='footer'>Impressum</div></body></html>")
    item = extract(Page("https://news.example/story/1", html))
    assert item.layout == "fallback"
    assert item.title == "Server beschlagnahmt"
    assert item.published == "2024-05-01T08:00:00Z"
    assert "Absatz 7: Die Ermittler" in item.text and "Impressum" not in item.text


def test_a_wordpress_page_that_is_not_a_post_is_refused() -> None:
    html = ("<html><body class='page-template-default page'><article class='page type-page'>"
            "<h1 class='entry-title'>Impressum</h1><div class='entry-content'><p>Verantwortlich: X</p></div>"
            "</article></body></html>")
    with pytest.raises(ExtractionError):
        extract(Page("https://news.example/impressum/", html))


@pytest.mark.parametrize("theme", [None, "hueman"])
def test_item_as_dict_equals_dataclasses_asdict(theme: str | None) -> None:
    """``to_dict`` feeds the content hash that decides whether an article changed: it must stay exactly
    what ``dataclasses.asdict`` gives (a different dict would make every stored article look changed)."""
    from dataclasses import asdict

    for index in (0, APP.site.seed_index, 150):
        article = APP.site.article(index)
        query = f"theme={theme}" if theme else ""
        item = extract(Page("http://replica.test" + article.path,
                            APP.handle(article.path, query, "replica.test", False).body.decode()))
        item.capture = CaptureRef(record_id="<urn:uuid:1>", offset=7)
        full = asdict(item)
        assert item.to_dict(with_html=True, with_context=True) == full
        context = ("fetched_url", "capture", "extractor", "field_sources")
        assert item.to_dict() == {k: v for k, v in full.items() if k not in context}
        assert item.to_dict(with_html=False) == {k: v for k, v in full.items() if k not in ("html", *context)}
        assert item.to_dict()["authors"][0] is not item.authors[0] and item.to_dict()["images"] == [
            asdict(image) for image in item.images]
