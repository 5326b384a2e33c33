"""What the desk's article page shows: the current version, every version with its diff, provenance and replay.

Pure reads through the storage layer (the same item shape ``show`` and ``export`` print); the page template only
lays it out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ..replay import replay_path, wayback_timestamp
from ..storage.queries import article_versions, version_diffs


def image_path(url: str, captured_at: str) -> str:
    """An archived image's raw bytes (pywb's ``id_``: no rewriting, no frame) nearest to the page's capture."""
    return f"/replay/{wayback_timestamp(captured_at)}id_/{url}"


def article_page(engine: Engine, article_id: int) -> dict[str, Any]:
    """The current version with its relations, and every version (newest first) with diff, capture and replay."""
    versions = article_versions(engine, article_id)
    diffs = version_diffs(engine, article_id)
    current = versions[-1]
    history = []
    for version in reversed(versions):
        capture = version["capture"] or {}
        captured = capture.get("fetched_at") or version["captured_at"]
        diff = diffs.get(version["version"]) or {}
        history.append({
            "version": version["version"], "title": version["title"], "captured_at": captured,
            "changed": sorted(diff), "text_diff": (diff.get("text") or {}).get("unified"),
            "restored": diff.get("restored"), "capture": capture,
            "replay": replay_path(capture.get("url") or version["url"], captured)})
    captured_at = history[0]["captured_at"]
    images = [{**image, "src": image_path(image["url"], captured_at)} for image in current["images"]]
    paragraphs = [p for p in current["text"].split("\n") if p.strip()]
    return {"article": current, "paragraphs": paragraphs, "images": images, "history": history}
