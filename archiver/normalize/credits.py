"""Image credits in German news pages -> structured rows.

Handles the patterns of site model §7: ``Bildquelle: NAME``, ``Bildquelle: NAME, <a>Lizenz</a>``,
``Foto NAME, thx! (Pixabay Lizenz)``, ``Foto:``, ``Fotos:``, ``Bild:``, ``Titelbild:``,
``Beitragsbild:``, ``Grafik:``, ``Quelle:``, ``©``, ``picture alliance/dpa``, ``(Symbolbild)`` and the license
names Pixabay, CC0, CC BY x.y, CC BY-SA x.y.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..items import Credit
from .text import collapse_whitespace

_PREFIXES = r"Bildquellen?|Fotos?|Bilder|Bild|Titelbild|Beitragsbild|Headerbild|Grafik|Quelle|Image|Photo|Credits?"
_LICENSE = (
    r"(?:Pixabay|Unsplash|Pexels)[ -](?:Lizenz|License)|CC0(?: 1\.0)?|CC[ -]BY(?:-(?:SA|ND|NC|NC-SA|NC-ND))?"
    r"(?: \d\.\d)?|Public Domain|Gemeinfrei|Lizenz|License"
)
_PREFIX_RE = re.compile(rf"^(?P<prefix>{_PREFIXES})\s*:\s*(?P<rest>.+)$", re.IGNORECASE)
_FOTO_THX_RE = re.compile(r"^(?P<prefix>Fotos?|Bild)\s+(?P<rest>.+?\b(?:thx|danke|thanks)\b.*)$", re.IGNORECASE)
_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|Copyright)\s*(?P<rest>.+)$", re.IGNORECASE)
_AGENCY_RE = re.compile(r"^(?P<rest>picture[ -]alliance\s*/\s*\S.*)$", re.IGNORECASE)
_LICENSE_PAREN_RE = re.compile(rf"\(\s*(?P<lic>{_LICENSE})\s*\)\s*$", re.IGNORECASE)
_LICENSE_TAIL_RE = re.compile(rf"(?:,|\s[-–|]|;)\s*(?P<lic>{_LICENSE})\s*$", re.IGNORECASE)
_SYMBOL_RE = re.compile(r"\s*\(Symbolbild\)\s*", re.IGNORECASE)
_THANKS_RE = re.compile(r"[,\s]*\b(?:thx|danke|thanks)\b!?[,\s]*$", re.IGNORECASE)
# What every credit statement starts with (the four patterns above): most paragraphs fail here, in one match.
_CREDIT_START_RE = re.compile(rf"(?:{_PREFIXES})\s*:|(?:Fotos?|Bild)\s|©|\(c\)|Copyright|picture[ -]alliance",
                              re.IGNORECASE)
_IN_CAPTION = rf"(?:(?:{_PREFIXES})\s*:|©|Foto\s+\S+,\s*thx)"
# Searched at every position of a caption: the lookahead of the alternatives' first characters halves the time a
# position costs that starts none of them (nearly all of them).
_IN_CAPTION_FIRST = "".join(sorted({alternative[0].lower() for alternative in _PREFIXES.split("|")} | {"©", "f"}))
_IN_CAPTION_RE = re.compile(rf"(?=[{_IN_CAPTION_FIRST}]){_IN_CAPTION}", re.IGNORECASE)
# A credit inside a caption starts the caption or follows a sentence end or separator.
_CAPTION_BREAKS = (". ", "! ", "? ", "| ", "– ", "— ", "(", "; ")

KNOWN_LICENSE_URLS = {
    "pixabay lizenz": "https://pixabay.com/service/license-summary/",
    "pixabay license": "https://pixabay.com/service/license-summary/",
    "unsplash lizenz": "https://unsplash.com/license",
    "unsplash license": "https://unsplash.com/license",
    "pexels lizenz": "https://www.pexels.com/license/",
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


@dataclass(frozen=True)
class ParsedCredit:
    raw: str
    creator: str | None
    license: str | None
    license_url: str | None
    source_url: str | None
    symbolic: bool = False


def license_url_for(name: str | None) -> str | None:
    """Canonical URL of a well-known license name (``CC BY-SA 4.0`` -> creativecommons.org/...)."""
    if not name:
        return None
    key = collapse_whitespace(name).lower()
    if key in KNOWN_LICENSE_URLS:
        return KNOWN_LICENSE_URLS[key]
    match = re.fullmatch(r"cc[ -]by(?:-(sa|nd|nc|nc-sa|nc-nd))? (\d\.\d)", key)
    if match:
        kind = "by" + (f"-{match[1]}" if match[1] else "")
        return f"https://creativecommons.org/licenses/{kind}/{match[2]}/"
    return None


def parse_credit(text: str, links: Sequence[tuple[str, str]] = ()) -> ParsedCredit | None:
    """Parse one credit statement; ``links`` are the (text, href) pairs of anchors inside it."""
    raw = collapse_whitespace(text)
    if not raw:
        return None
    rest = _credit_body(raw)
    if rest is None:
        return None
    symbolic = bool(_SYMBOL_RE.search(rest))
    rest = _SYMBOL_RE.sub(" ", rest).strip()
    license_name = None
    for pattern in (_LICENSE_PAREN_RE, _LICENSE_TAIL_RE):
        match = pattern.search(rest)
        if match:
            license_name = match["lic"]
            rest = rest[: match.start()]
            break
    creator = _THANKS_RE.sub("", rest).strip(" ,;:-–") or None
    license_url = source_url = None
    for link_text, href in links:
        label = collapse_whitespace(link_text).lower()
        if license_name and label == license_name.lower():
            license_url = href
        elif creator and label and label in creator.lower():
            source_url = href
    license_url = license_url or license_url_for(license_name)
    return ParsedCredit(raw, creator, license_name, license_url, source_url, symbolic)


def _credit_body(raw: str) -> str | None:
    for pattern in (_PREFIX_RE, _FOTO_THX_RE, _COPYRIGHT_RE, _AGENCY_RE):
        match = pattern.match(raw)
        if match:
            return match["rest"]
    return None


def split_caption_credit(caption: str) -> tuple[str, str | None]:
    """Split ``"… geschlossen. Bildquelle: X, Lizenz"`` into caption text and credit text."""
    text = collapse_whitespace(caption)
    for match in _IN_CAPTION_RE.finditer(text):
        start = match.start()
        if start == 0 or text[:start].endswith(_CAPTION_BREAKS):
            before = text[:start].rstrip(" (|–—;")
            credit = text[start:]
            if text[:start].endswith("(") and credit.endswith(")"):
                credit = credit[:-1]
            return before, credit
    return text, None


def is_credit_line(text: str, collapsed: bool = False) -> bool:
    """A body paragraph that is nothing but an image credit (removed from the body text). ``collapsed``: the
    caller has already collapsed the whitespace (the body walk has; a long paragraph costs microseconds)."""
    raw = text if collapsed else collapse_whitespace(text)
    if not raw or len(raw) > 200 or not _CREDIT_START_RE.match(raw):
        return False
    match = _PREFIX_RE.match(raw)
    if match and match["prefix"].lower() in ("quelle", "image", "credit", "credits"):
        return False  # "Quelle: heise.de" at the end of a text names a text source, not a picture
    return _credit_body(raw) is not None


def caption_credit(caption: str, links: Sequence[tuple[str, str]] = ()) -> tuple[str | None, Credit | None]:
    """A figure caption as (its text before the credit, the credit), either None where absent: ``"Der
    Serverraum. Foto: Jürgen Weiß"`` -> ``("Der Serverraum.", Credit("Foto: Jürgen Weiß", "Jürgen Weiß"))``."""
    text, credit_raw = split_caption_credit(caption)
    parsed = parse_credit(credit_raw, links) if credit_raw else None
    credit = Credit(parsed.raw, parsed.creator, parsed.license, parsed.license_url, parsed.source_url) \
        if parsed is not None else None
    return text or None, credit
