"""Which characters a page's bytes really are: checking the charset Scrapy decoded with against the bytes.

Scrapy (w3lib) decides by BOM, then the HTTP header, then ``<meta charset>``, then detection. Sites get
the declaration wrong in two ways that matter: UTF-8 bytes labelled ISO-8859-1 (text full of "Ã¼"),
and single-byte text labelled UTF-8 (text full of U+FFFD). Both are decoded the right way here and
reported, so the article is stored correctly *and* flagged; the raw bytes are in the WARC either way.
"""

from __future__ import annotations

import codecs

BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _canonical(encoding: str | None) -> str:
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError:
        return "utf-8"


def correct_decoding(body: bytes, used_encoding: str | None) -> tuple[str, str] | None:
    """``(text, warning)`` when ``used_encoding`` is wrong for ``body``; None when it is right.

    The warning names the codec Scrapy used: an ISO-8859-1 label is read as cp1252, as browsers do.
    """
    if body.startswith(BOMS):
        return None  # a byte order mark is the strongest evidence there is
    used = _canonical(used_encoding)
    if used in ("utf-8", "utf-8-sig"):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return (body.decode("cp1252", errors="replace"),
                    "charset: declared UTF-8 but the body is not valid UTF-8; decoded as windows-1252")
        return None
    if not body.isascii():
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None  # a single-byte charset it is, as declared
        # Non-ASCII single-byte text that is also valid UTF-8 is vanishingly rare in practice: the label is wrong.
        return text, f"charset: declared {used} but the body is UTF-8; decoded as UTF-8"
    return None


def decode_page(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """Text of a page as Scrapy would decode it (w3lib), corrected where the declaration is wrong; and the warning."""
    from w3lib.encoding import html_to_unicode

    encoding, text = html_to_unicode(content_type, body)
    corrected = correct_decoding(body, encoding)
    return (text, None) if corrected is None else corrected
