"""An item's own REST route, which a WordPress page names in its ``Link`` header.

WordPress (4.4 and later) sends ``Link: <…/wp-json/wp/v2/pages/34>; rel="alternate"; type="application/json"``
with every single post, page or custom post type it shows. The take-down check asks ``/wp/v2/posts?include=…``,
which lists posts only: for a page or a custom type missing from that answer, its own route is what can say
whether it is still published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

_ALTERNATE_JSON = re.compile(r"<([^>]+)>\s*;(?=[^,]*\brel=\"?alternate\b)(?=[^,]*\btype=\"?application/json\b)[^,]*",
                             re.IGNORECASE)
# The route of one item of any post type: /wp-json/wp/v2/<rest base>/<id> (or ?rest_route=/wp/v2/…/<id>).
OWN_ROUTE = re.compile(r"(?:/wp-json|rest_route=)/wp/v2/([a-z0-9_-]+)/(\d+)/?(?:$|[?&])", re.IGNORECASE)
# What an item's own route answers an anonymous client once it is no longer published (trash, draft, private).
UNPUBLISHED_ANSWERS = (401, 403, 404, 410)


def own_rest_route(page_url: str, link_headers: Iterable[str]) -> str | None:
    """The REST route the page names for itself, absolute; None when it names none."""
    for header in link_headers:
        for match in _ALTERNATE_JSON.finditer(header):
            route: str = urljoin(page_url, match[1].strip())
            if OWN_ROUTE.search(route):
                return route
    return None


def route_item_id(url: str) -> int | None:
    """The item ID in an own REST route's URL."""
    match = OWN_ROUTE.search(url)
    return int(match[2]) if match else None
