"""Page objects: one class per page layout. ``extract`` picks a layout by what the page contains."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .. import __version__
from ..exceptions import ExtractionError, NotAnArticle
from ..items import ArticleItem
from ..normalize.charset import correct_decoding
from .base import ArticlePage, Page
from .hueman import HuemanPage
from .query import Document
from .tk_theme import TkThemePage
from .wordpress import FallbackPage, WordPressPage

LAYOUTS: dict[str, type[ArticlePage]] = {
    "tk-theme": TkThemePage,
    "hueman": HuemanPage,
    "wordpress": WordPressPage,
    "fallback": FallbackPage,
}

__all__ = ["EXTRACTOR", "LAYOUTS", "ArticlePage", "Page", "extract", "page_of", "select_layout"]


def _extractor_version() -> str:
    """The archiver's version and a digest of the extractor's own code (page objects and normalizers): a row
    says exactly which extractor produced it, even between releases."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted([*package.glob("pages/*.py"), *package.glob("normalize/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


EXTRACTOR = _extractor_version()


def page_of(url: str, body: bytes, declared_encoding: str, decoded: str) -> tuple[Page, str | None]:
    """The page to extract from: the HTTP client's decoding, unless the site's charset label is wrong (then the
    right text, and a warning saying what was wrong)."""
    corrected = correct_decoding(body, declared_encoding)
    if corrected is None:
        return Page(url, decoded), None
    return Page(url, corrected[0]), corrected[1]


def select_layout(doc: Document, allow_fallback: bool = True) -> type[ArticlePage]:
    """The first layout whose markup the page contains (site layouts before the generic ones)."""
    for name, layout in LAYOUTS.items():
        if name == "fallback" and not allow_fallback:
            break
        if layout.matches(doc):
            return layout
    raise NotAnArticle("the page matches no article layout")


def extract(page: Page, layout: str = "auto", allow_fallback: bool = True) -> ArticleItem:
    """Extract an article item; raises ``ExtractionError`` with a reason when the page is not one."""
    if layout == "auto":
        if page.doc.root.find("body") is None:
            raise NotAnArticle("the page has no <body>")
        chosen = select_layout(page.doc, allow_fallback)
    else:
        try:
            chosen = LAYOUTS[layout]
        except KeyError as error:
            raise ExtractionError(f"unknown layout {layout!r}") from error
        if not chosen.matches(page.doc):
            raise NotAnArticle(f"the page does not have {layout} markup", layout)
    item = chosen(page).to_item()
    item.extractor = EXTRACTOR
    return item
