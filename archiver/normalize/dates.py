"""Dates from WordPress pages (ISO 8601 with offsets, German formats) to UTC.

A value that cannot be parsed yields ``None``; the caller keeps the raw string. A wrong
date is worse than no date, so only unambiguous inputs are accepted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SITE_TIMEZONE = ZoneInfo("Europe/Berlin")
PLAUSIBLE_YEARS = (1971, 2199)

_NUMERIC_DE = re.compile(
    r"^(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4})(?:,?\s+(?:um\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?:Uhr)?)?$"
)
_MONTHS = {
    "januar": 1, "jan": 1, "jänner": 1, "februar": 2, "feb": 2, "märz": 3, "mär": 3, "mrz": 3, "maerz": 3,
    "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "dezember": 12, "dez": 12,
}
_LONG_DE = re.compile(
    r"^(?:[A-Za-zäöü]+,\s+)?(?P<d>\d{1,2})\.\s*(?P<mon>[A-Za-zäöüÄÖÜ]+)\.?\s+(?P<y>\d{4})"
    r"(?:,?\s+(?:um\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?:Uhr)?)?$"
)


def parse_date(raw: str | None, timezone: ZoneInfo = SITE_TIMEZONE) -> datetime | None:
    """Parse ``raw`` into an aware UTC datetime; naive values are read in the site's time zone."""
    if raw is None:
        return None
    text = " ".join(raw.split())
    if not text:
        return None
    # An ISO-shaped but invalid value is refused rather than re-read in another field order.
    parsed = _parse_iso(text) if re.match(r"^\d{4}-\d{2}-\d{2}", text) else _parse_german(text)
    if parsed is None:
        return None
    if not PLAUSIBLE_YEARS[0] <= parsed.year <= PLAUSIBLE_YEARS[1]:
        return None  # a news page dated 0999 or 2999 is a parsing accident, not a date
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone)
    return parsed.astimezone(UTC).replace(microsecond=0)


def _parse_iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None


def _build(year: str, month: int, day: str, hour: str | None, minute: str | None,
           second: str | None) -> datetime | None:
    try:
        return datetime(int(year), month, int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None


def _parse_german(text: str) -> datetime | None:
    match = _NUMERIC_DE.match(text)
    if match:
        return _build(match["y"], int(match["m"]), match["d"], match["H"], match["M"], match["S"])
    match = _LONG_DE.match(text)
    if match:
        month = _MONTHS.get(match["mon"].lower().rstrip("."))
        if month is None:
            return None
        return _build(match["y"], month, match["d"], match["H"], match["M"], match["S"])
    return _parse_with_dateparser(text)


def _parse_with_dateparser(text: str) -> datetime | None:
    """Last resort for unusual spellings; strict so that partial dates are refused."""
    if not re.search(r"\d{4}", text):
        return None
    import dateparser  # imported lazily: it takes a noticeable time to load

    result = dateparser.parse(
        text, languages=["de", "en"],
        settings={"STRICT_PARSING": True, "DATE_ORDER": "DMY", "TIMEZONE": "Europe/Berlin",
                  "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DATES_FROM": "past"},
    )
    return result if isinstance(result, datetime) else None


def iso_utc(moment: datetime | None) -> str | None:
    """Format as ``YYYY-MM-DDTHH:MM:SSZ`` (the item's date format)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_date(raw: str | None) -> str | None:
    """``parse_date`` then ``iso_utc``: idempotent on its own output."""
    return iso_utc(parse_date(raw))


def parse_utc(raw: object) -> datetime | None:
    """A time in UTC written without an offset (WordPress's ``*_gmt`` fields), as an aware UTC datetime."""
    return parse_date(raw, timezone=ZoneInfo("UTC")) if isinstance(raw, str) else None
