"""Where an archived response is replayed: one address scheme for `archiver serve` and `archiver cite`.

`archiver serve` answers ``/replay/<14-digit UTC timestamp>/<original URL>`` with the archived response
closest in time to the timestamp (the Wayback convention pywb and ReplayWeb.page share), so a citation's
address keeps working for as long as the WARC files are served. With a public base URL (``--public-url`` or
``ARCHIVER_PUBLIC_URL``) the address is absolute; without one it is the path alone.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

REPLAY_PREFIX = "/replay"
PUBLIC_URL_VARIABLE = "ARCHIVER_PUBLIC_URL"


def wayback_timestamp(moment: datetime | str) -> str:
    """``YYYYMMDDhhmmss`` in UTC, from a datetime (naive ones are UTC) or an ISO 8601 string."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%d%H%M%S")


def replay_path(url: str, captured_at: datetime | str) -> str:
    """The replay path of the response for `url` captured at `captured_at`."""
    return f"{REPLAY_PREFIX}/{wayback_timestamp(captured_at)}/{url}"


def public_base_url(explicit: str | None = None) -> str | None:
    """The configured public base URL (an explicit value wins over the environment), without a trailing slash."""
    value = explicit if explicit is not None else os.environ.get(PUBLIC_URL_VARIABLE)
    return value.rstrip("/") if value else None


def replay_address(url: str, captured_at: datetime | str, public_url: str | None = None) -> str:
    """The absolute replay address where a public base URL is configured, else the replay path."""
    base = public_base_url(public_url)
    path = replay_path(url, captured_at)
    return f"{base}{path}" if base else path
