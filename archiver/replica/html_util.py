"""Small HTML helpers shared by the replica's templates."""

from __future__ import annotations

import html


def esc(text: str) -> str:
    """Escape like tk-theme does: markup characters and every non-ASCII character as hex entities."""
    escaped = html.escape(text, quote=True)
    return "".join(ch if ord(ch) < 128 else f"&#x{ord(ch):X};" for ch in escaped)


def esc_utf8(text: str) -> str:
    """Escape markup characters only (older themes wrote raw UTF-8)."""
    return html.escape(text, quote=True)


def double_escaped_title(text: str) -> str:
    """The site's internal-link title attributes are escaped twice ("US-Beh&amp;ouml;rden")."""
    named = {"ä": "&auml;", "ö": "&ouml;", "ü": "&uuml;", "Ä": "&Auml;", "Ö": "&Ouml;", "Ü": "&Uuml;",
             "ß": "&szlig;"}
    once = "".join(named.get(ch, ch) for ch in html.escape(text, quote=False))
    return html.escape(once, quote=True)
