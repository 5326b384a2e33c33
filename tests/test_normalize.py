"""Pure normalization functions: dates, text, URLs, bylines and credits; property tests included."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize import urls
from archiver.normalize.authors import author_id_from_url, split_byline
from archiver.normalize.credits import is_credit_line, license_url_for, parse_credit, split_caption_credit
from archiver.normalize.dates import normalize_date, parse_date
from archiver.normalize.text import ZERO_WIDTH_CHARACTERS, clean_inline, collapse_whitespace, unescape_twice
from archiver.normalize.urls import canonical_url, is_article_url, join_url, post_id_from_url, strip_tracking


@pytest.mark.parametrize(("raw", "expected"), [
    ("2025-03-07T07:25:18+01:00", "2025-03-07T06:25:18Z"),
    ("2025-03-07T06:25:18+00:00", "2025-03-07T06:25:18Z"),
    ("2025-03-07T06:25:18Z", "2025-03-07T06:25:18Z"),
    ("07.03.2025", "2025-03-06T23:00:00Z"),  # local midnight in Berlin (CET)
    ("7. März 2025, 14:05 Uhr", "2025-03-07T13:05:00Z"),
    ("7. Mrz. 2025", "2025-03-06T23:00:00Z"),
    ("14. Juli 2019 um 09:30", "2019-07-14T07:30:00Z"),  # summer time: CEST is UTC+2
    ("Donnerstag, 14. März 2019", "2019-03-13T23:00:00Z"),
    ("2025-03-30T03:30:00", "2025-03-30T01:30:00Z"),  # first hour of summer time
    ("2025-10-26T01:59:00", "2025-10-25T23:59:00Z"),  # still summer time before the switch back
    ("2025-03-07 07:25:18", "2025-03-07T06:25:18Z"),
])
def test_dates_to_utc(raw: str, expected: str) -> None:
    assert normalize_date(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "gestern", "31.02.2025", "7. Foo 2025", "2025-13-01", "Mai 2019",
                                 "0999-01-01",
                                 None, "3 Minuten"])
def test_unparseable_dates_stay_null(raw: str | None) -> None:
    assert parse_date(raw) is None


@given(st.datetimes(min_value=datetime(1972, 1, 1), max_value=datetime(2198, 1, 1), timezones=st.timezones()))
def test_date_normalization_is_idempotent_on_iso(moment: object) -> None:
    first = normalize_date(moment.isoformat())  # type: ignore[attr-defined]
    assert first is not None
    assert normalize_date(first) == first


@given(st.text(max_size=80))
@settings(max_examples=300)
def test_date_parser_never_raises(raw: str) -> None:
    result = normalize_date(raw)
    assert result is None or normalize_date(result) == result


def test_text_helpers() -> None:
    assert collapse_whitespace(" a\u00a0 b\n\tc ") == "a b c"
    assert unescape_twice("US-Beh&amp;ouml;rden") == "US-Behörden"
    assert unescape_twice("Messengers & WhatsApp") == "Messengers & WhatsApp"
    assert clean_inline("  Geldw&#xE4;sche\u200b  ") == "Geldwäsche"


@pytest.mark.parametrize("character", list(ZERO_WIDTH_CHARACTERS))
@pytest.mark.parametrize("text", ["Geldw{}äsche", "Geld{}wasche", "{}"])
def test_every_zero_width_character_is_dropped(character: str, text: str) -> None:
    assert collapse_whitespace(" " + text.format(character) + " x ") == (text.format("") + " x").strip()


@given(st.text(max_size=200))
def test_text_normalizers_are_idempotent(text: str) -> None:
    assert collapse_whitespace(collapse_whitespace(text)) == collapse_whitespace(text)
    once = clean_inline(text)
    assert clean_inline(once) == clean_inline(clean_inline(once))


def test_urls() -> None:
    url = "https://Tarnkappe.info/artikel/krypto/x-311235.html?utm_source=feed&fbclid=1&page=2#kommentare"
    assert strip_tracking(url) == "https://tarnkappe.info/artikel/krypto/x-311235.html?page=2"
    assert post_id_from_url("https://tarnkappe.info/artikel/krypto/x-311235.html") == 311235
    assert post_id_from_url("https://tarnkappe.info/?p=311235") == 311235
    assert post_id_from_url("https://tarnkappe.info/artikel/krypto") is None
    assert is_article_url("https://tarnkappe.info/artikel/szene/usenet/a-b-23500.html")
    assert not is_article_url("https://tarnkappe.info/author/83")
    for variant in ("https://tarnkappe.info/a/b-1.html?utm_medium=x", "https://tarnkappe.info/a/b-1.html#c",
                    "https://TARNKAPPE.info/a/b-1.html?replytocom=5&share=twitter"):
        assert canonical_url(variant) == "https://tarnkappe.info/a/b-1.html"


def test_tracking_parameters_are_courlans_list() -> None:
    """Trackers only courlan's list knows are removed: the list is the library's, not a copy."""
    from courlan.clean import TRACKERS_RE

    assert urls._library_trackers() is TRACKERS_RE
    library_only = ["mtm_campaign", "yclid", "gbraid", "wbraid", "twclid", "xtor", "oly_anon_id", "itm_source",
                    "mkt_tok", "vero_id", "_gl", "utm_creative_format"]
    for name in library_only:
        assert name not in urls.PROJECT_TRACKING_PARAMS
        url = f"https://tarnkappe.info/a/b-1.html?page=2&{name}=x&q=1"
        assert strip_tracking(url) == "https://tarnkappe.info/a/b-1.html?page=2&q=1", name


def test_project_tracking_parameters_are_only_those_courlan_lacks() -> None:
    """The project's own list stays short: every entry is one courlan keeps, and every one is removed."""
    from courlan.clean import TRACKERS_RE

    for name in sorted(urls.PROJECT_TRACKING_PARAMS):
        assert TRACKERS_RE.search(name) is None, f"{name} is courlan's already: drop it from the project list"
        url = f"https://tarnkappe.info/a/b-1.html?{name.upper()}=1&page=2"
        assert strip_tracking(url) == "https://tarnkappe.info/a/b-1.html?page=2", name


# WordPress's public query variables (wp-includes/class-wp.php) and the replica's own: a site's content, never
# tracking.
WORDPRESS_QUERY_VARS = ["m", "p", "posts", "w", "cat", "withcomments", "withoutcomments", "s", "search", "exact",
                        "sentence", "calendar", "page", "paged", "more", "tb", "pb", "author", "order", "orderby",
                        "year", "monthnum", "day", "hour", "minute", "second", "name", "category_name", "tag", "feed",
                        "author_name", "pagename", "page_id", "error", "attachment", "attachment_id", "subpost",
                        "subpost_id", "preview", "robots", "favicon", "taxonomy", "term", "cpage", "post_type",
                        "embed", "rest_route", "sitemap", "sitemap-subtype", "ical", "lang"]


def test_wordpress_query_variables_are_kept_in_order() -> None:
    query = "&".join(f"{name}={n}" for n, name in enumerate(WORDPRESS_QUERY_VARS))
    url = f"https://tarnkappe.info/?utm_source=a&{query}&fbclid=b#x"
    assert strip_tracking(url) == f"https://tarnkappe.info/?{query}"


def test_replica_crawler_traps_lose_their_tracking_parameters() -> None:
    """The hostile replica's trap links with a query: each one is the article itself once cleaned."""
    from archiver.replica.hostile import trap_links

    path = "/artikel/krypto/x-311235.html"
    hrefs = re.findall(r'href="([^"]+)"', trap_links(path, 311235, "202503"))
    traps = [h for h in hrefs if h.startswith(path + "?")]
    assert {urlsplit(h).query.partition("=")[0] for h in traps} == {"replytocom", "share", "PHPSESSID", "utm_source"}
    # Jetpack's nb=1 beside share=facebook is no tracker and stays, as it always did.
    cleaned = {canonical_url("https://tarnkappe.info" + h) for h in traps}
    assert cleaned == {"https://tarnkappe.info" + path, "https://tarnkappe.info" + path + "?nb=1"}, cleaned


@given(st.text(max_size=100).map(lambda s: "https://tarnkappe.info/" + s))
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@pytest.mark.parametrize(("byline", "expected"), [
    ("von Sunny", [("Sunny", False)]),
    ("Sunny und Antonia", [("Sunny", False), ("Antonia", False)]),
    ("Von Lars Sobiraj, dpa", [("Lars Sobiraj", False), ("dpa", True)]),
    ("dpa/AFP", [("dpa", True), ("AFP", True)]),
    ("by Ghandy & Nordlicht", [("Ghandy", False), ("Nordlicht", False)]),
])
def test_bylines(byline: str, expected: list[tuple[str, bool]]) -> None:
    assert split_byline(byline) == expected


def test_author_ids() -> None:
    assert author_id_from_url("https://tarnkappe.info/author/83") == 83
    assert author_id_from_url("https://tarnkappe.info/author/83/") == 83
    assert author_id_from_url("https://example.org/author/sunny") is None


@pytest.mark.parametrize(("raw", "links", "creator", "license", "license_url", "source_url"), [
    ("Bildquelle: Screenshot Tarnkappe", [("Screenshot Tarnkappe", "https://garantex.org")], "Screenshot Tarnkappe",
     None, None, "https://garantex.org"),
    ("Bildquelle: Dimitri Karastelev", [], "Dimitri Karastelev", None, None, None),
    ("Bildquelle: AndreyPopov, Lizenz", [("Lizenz", "https://depositphotos.com/l")], "AndreyPopov", "Lizenz",
     "https://depositphotos.com/l", None),
    ("Bildquelle: Iridi, Lizenz", [], "Iridi", "Lizenz", None, None),
    ("Foto LoboStudioHamburg, thx! (Pixabay Lizenz)", [], "LoboStudioHamburg", "Pixabay Lizenz",
     "https://pixabay.com/service/license-summary/", None),
    ("Foto: picture alliance/dpa", [], "picture alliance/dpa", None, None, None),
    ("Fotos: Clark Tibbs (CC0)", [], "Clark Tibbs", "CC0", "https://creativecommons.org/publicdomain/zero/1.0/", None),
    ("Bild: geralt, CC BY-SA 4.0", [], "geralt", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/",
     None),
    ("Titelbild: Nordlicht - CC BY 2.0", [], "Nordlicht", "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/",
     None),
    ("Beitragsbild: madmetzi", [], "madmetzi", None, None, None),
    ("Quelle: Europol", [], "Europol", None, None, None),
    ("© Tarnkappe.info", [], "Tarnkappe.info", None, None, None),
    ("picture alliance / dpa", [], "picture alliance / dpa", None, None, None),
])
def test_credit_patterns(raw: str, links: list[tuple[str, str]], creator: str, license: str | None,
                         license_url: str | None, source_url: str | None) -> None:
    parsed = parse_credit(raw, links)
    assert parsed is not None
    assert (parsed.raw, parsed.creator, parsed.license, parsed.license_url, parsed.source_url) == (
        raw, creator, license, license_url, source_url)


def test_symbolbild_is_flagged() -> None:
    parsed = parse_credit("Bildquelle: ChatGPT (Symbolbild)")
    assert parsed is not None and parsed.symbolic and parsed.creator == "ChatGPT"


def test_credit_inside_a_caption() -> None:
    assert split_caption_credit("Krypto-Börse Garantex geschlossen. Bildquelle: X, Lizenz") == (
        "Krypto-Börse Garantex geschlossen.", "Bildquelle: X, Lizenz")
    assert split_caption_credit("Ein Bild: nichts weiter") == ("Ein Bild: nichts weiter", None)
    assert split_caption_credit("Telegram") == ("Telegram", None)
    assert split_caption_credit("Die Razzia (Foto: picture alliance/dpa)") == (
        "Die Razzia", "Foto: picture alliance/dpa")
    assert split_caption_credit("Bildquelle: Nordlicht") == ("", "Bildquelle: Nordlicht")


def test_credit_lines() -> None:
    assert is_credit_line("Foto LoboStudioHamburg, thx! (Pixabay Lizenz)")
    assert is_credit_line("Bildquelle: Nordlicht")
    assert not is_credit_line("Quelle: heise online")  # a text source, not a picture credit
    assert not is_credit_line("Bild und Ton waren schlecht, sagte er.")
    assert not is_credit_line("Foto " + "x" * 300)


CREDIT_STARTS = st.sampled_from(["Bildquelle", "bildquellen", "Foto", "FOTOS", "Bild", "Titelbild", "Quelle", "Credits",
                                  "©", "(c)", "(C)", "Copyright", "picture alliance", "Picture-Alliance", "Fotograf",
                                  "Bilder", "Image", "Photo", "Beitragsbild", "Headerbild", "Kein Credit"])


@given(CREDIT_STARTS, st.sampled_from(["", " ", ":", " : ", "  ", "/"]),
       st.one_of(st.text(max_size=40), st.sampled_from(["X, thx!", " dpa", "Lobo, danke (Pixabay Lizenz)"])))
def test_the_credit_precheck_never_refuses_a_credit(start: str, separator: str, rest: str) -> None:
    """is_credit_line's one-regex precheck must pass everything the full patterns accept."""
    from archiver.normalize.credits import _CREDIT_START_RE, _credit_body

    raw = collapse_whitespace(start + separator + rest)
    if _credit_body(raw) is not None:
        assert _CREDIT_START_RE.match(raw)


def test_license_urls() -> None:
    assert license_url_for("CC BY-NC-SA 3.0") == "https://creativecommons.org/licenses/by-nc-sa/3.0/"
    assert license_url_for("Lizenz") is None and license_url_for(None) is None


@given(st.text(max_size=120))
@settings(max_examples=300)
def test_credit_parser_never_raises_and_is_idempotent(text: str) -> None:
    parsed = parse_credit(text)
    if parsed is not None:
        again = parse_credit(parsed.raw)
        assert again is not None
        assert (again.creator, again.license) == (parsed.creator, parsed.license)


def test_unparseable_urls_are_returned_unchanged() -> None:
    """Found by Hypothesis on a damaged page: a canonical link with a non-numeric port."""
    for broken in ("https://tarnkappe.info:Keine Geldwäsche/x", "http://[::1/x"):
        assert canonical_url(broken) == broken
        assert canonical_url(canonical_url(broken)) == canonical_url(broken)


HREF_PARTS = st.sampled_from(["http://", "https://", "HTTP://", "//", "/", "./", "../", "?", "#", " ", "\t", "\n",
                               "tarnkappe.info", "a", "b/", ":8080", "[::1]", "@", "%20", "ä", ";p", "&", "=", ""])


@given(st.lists(HREF_PARTS, max_size=8).map("".join))
@settings(max_examples=2000)
def test_join_url_is_urljoin(href: str) -> None:
    """The fast path for absolute links returns exactly what urljoin returns."""
    base = "https://tarnkappe.info/artikel/krypto/x-311235.html"
    try:
        expected = urljoin(base, href.strip())
    except ValueError:
        return  # urljoin refuses it (a broken IPv6 host); join_url may pass it on, the normalizers cope
    assert join_url(base, href) == expected


def test_join_url_examples() -> None:
    base = "https://tarnkappe.info/artikel/krypto/x-311235.html"
    assert join_url(base, " https://example.org/a?b=1#c ") == "https://example.org/a?b=1#c"
    assert join_url(base, "https://example.org/a?#") == "https://example.org/a"
    assert join_url(base, "https://exa\tmple.org/a") == "https://example.org/a"
    assert join_url(base, "../y-1.html") == "https://tarnkappe.info/artikel/y-1.html"
    assert join_url(base, "https:////x") == "https://tarnkappe.info//x"  # found by Hypothesis: no host


@given(st.text(max_size=60))
def test_url_normalizer_never_raises(raw: str) -> None:
    once = canonical_url(raw)
    assert canonical_url(once) == canonical_url(once)
    post_id_from_url(raw)
    is_article_url(raw)


CANONICAL_URLS = st.tuples(
    st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "//", ""]),
    st.sampled_from(["tarnkappe.info", "Tarnkappe.info", "xn--bcher-kva.de", "bücher.de", "h", "a-b.c", "a..b", ".a",
                     "[::1]", "user@h", "h:80", "h:8080", "h:x", ""]),
    # Mostly paths that start as a path does, so that the shortcut is taken often enough to be tested.
    st.tuples(st.sampled_from(["/", "/", "/", ""]), st.lists(st.sampled_from([
        "/", "//", "a", "Z", "-", "_", "~", ".", "..", "%2e", "%41", "%", "ä", " ", ";", "@", "x.html", "-311235.html",
        ".well-known", "\t", "a", "b-c", "2023/"]), max_size=6).map("".join)).map("".join),
    st.sampled_from(["", "?", "?utm_source=x", "?p=1", "#", "#x", "?a=1#b"]),
).map("".join)


# URLs near the shortcut's edge: a usual scheme, host and query around any path.
NEAR_PLAIN_URLS = st.tuples(
    st.sampled_from(["http://", "https://"]), st.sampled_from(["tarnkappe.info", "h", "a-b.c", "xn--bcher-kva.de"]),
    CANONICAL_URLS.map(lambda url: "/" + url.rpartition("/")[2]), st.sampled_from(["", "", "", "?p=1", "#x"]),
).map("".join)


@given(st.one_of(CANONICAL_URLS, NEAR_PLAIN_URLS))
@settings(max_examples=1000)
def test_canonical_url_fast_path_is_the_full_rebuild(url: str) -> None:
    """Plain URLs skip the parse and rebuild; every URL the shortcut takes, the rebuild returns unchanged."""
    if urls._PLAIN_CANONICAL_RE.fullmatch(url):
        assert urls._strip_tracking(url) == url


def test_canonical_url_fast_path_examples() -> None:
    for plain in ("https://tarnkappe.info/", "https://tarnkappe.info/artikel/krypto/x-311235.html",
                  "http://h/2023/05/23/a-b/", "https://sub.example-site.de/~user/a_b.c"):
        assert urls._PLAIN_CANONICAL_RE.fullmatch(plain), plain
        assert canonical_url(plain) == plain
    for rebuilt, expected in (("https://Tarnkappe.info/a", "https://tarnkappe.info/a"),
                              ("https://tarnkappe.info", "https://tarnkappe.info/"),
                              ("https://tarnkappe.info/a/./b/../c", "https://tarnkappe.info/a/./b/../c"),
                              ("https://tarnkappe.info/a?utm_source=x#top", "https://tarnkappe.info/a")):
        assert not urls._PLAIN_CANONICAL_RE.fullmatch(rebuilt), rebuilt
        assert canonical_url(rebuilt) == expected


# The permalink regex article_path_id replaced; it backtracked through every split of a path.
_ONE_REGEX_ARTICLE_PATH = re.compile(r"^/(?P<cats>[a-z0-9-]+(?:/[a-z0-9-]+)*)/(?P<slug>[a-z0-9-]+)-(?P<id>\d+)\.html$")


PATH_SEGMENTS = st.lists(st.text(alphabet="az07-A_٣.", max_size=6), max_size=4)
PATHS = st.one_of(
    st.tuples(PATH_SEGMENTS, st.sampled_from([".html", ".html", ".htm", "", "/", ".html/"])).map(
        lambda t: "/" + "/".join(t[0]) + t[1]),
    st.lists(st.sampled_from(["/", "a", "z", "0", "7", "-", ".html", ".", "A", "_", "٣", "?"]), max_size=12).map(
        "".join),
)


@given(PATHS)
@settings(max_examples=3000)
def test_article_path_id_is_the_one_regex(path: str) -> None:
    """urlsplit removes line breaks from URLs, so the old regex's "$" before a final "\n" cannot matter."""
    match = _ONE_REGEX_ARTICLE_PATH.match(path)
    assert urls.article_path_id(path) == (int(match["id"]) if match else None)


def test_article_path_id_examples() -> None:
    assert urls.article_path_id("/artikel/krypto/krypto-boerse-garantex-311235.html") == 311235
    assert urls.article_path_id("/a/b-c-12.html") == 12
    for other in ("/b-12.html", "/a//b-12.html", "/a/b-12.htm", "/a/b12.html", "/A/b-12.html", "/a/B-12.html",
                  "/a/b-12.html/"):
        assert urls.article_path_id(other) is None, other


CAPTION_WORDS = st.sampled_from(["Bildquelle", "bildquellen", "FOTO", "Fotos", "Bilder", "Bild", "Titelbild",
                                 "Beitragsbild", "Headerbild", "Quelle", "Image", "Photo", "Credits", "Foto x,thx",
                                 "İmage", "©", "(c)", "thx", "THX", ":", " : ", ",", ". ", "! ", "| ", "(", ")",
                                 "; ", "– ", " ", "x", "Pixabay", "Lizenz"])


@given(st.lists(CAPTION_WORDS, max_size=10).map("".join))
@settings(max_examples=2000)
def test_caption_credit_search_is_the_plain_pattern(caption: str) -> None:
    """The first-character lookahead only skips positions where no alternative can start."""
    from archiver.normalize import credits

    plain = re.compile(credits._IN_CAPTION, re.IGNORECASE)
    assert [m.span() for m in credits._IN_CAPTION_RE.finditer(caption)] == [m.span() for m in plain.finditer(caption)]
