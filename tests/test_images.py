"""Images are fetched by the downloader alone (archiver.crawl.images), yet archived like every other exchange."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from archiver.storage.db import make_engine
from archiver.warc.reader import iter_records, warc_files

from .conftest import CrawledArchive


@pytest.fixture(scope="module")
def image_urls(crawled: CrawledArchive) -> set[str]:
    """Every image the replica's articles show, from the replica's own ground truth."""
    return {image["url"] for item in crawled.replica.truth()["items"] for image in item["images"]}


@pytest.fixture(scope="module")
def run_stats(crawled: CrawledArchive) -> dict[str, Any]:
    with make_engine(crawled.db_url, readonly=True).connect() as conn:
        stats = conn.execute(text("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")).scalar_one()
    return dict(json.loads(stats) if isinstance(stats, str) else stats)


def test_every_image_is_archived_once_with_its_request(crawled: CrawledArchive, image_urls: set[str]) -> None:
    assert image_urls
    records = [record for path in warc_files(crawled.warc_dir) for record in iter_records(path, with_bodies=False)]
    responses = {r.record_id: r for r in records if r.record_type == "response" and r.target_uri in image_urls}
    assert sorted(r.target_uri for r in responses.values()) == sorted(image_urls)
    assert all(r.status == 200 and (r.content_type or "").startswith("image/") for r in responses.values())
    requests = {r.concurrent_to for r in records if r.record_type == "request" and r.target_uri in image_urls}
    # Every image response has its request record; a later run in the session's archive adds revisits, each
    # with its own request.
    revisits = {r.record_id for r in records if r.record_type == "revisit" and r.target_uri in image_urls}
    assert set(responses) <= requests <= set(responses) | revisits


def test_images_bypass_the_scheduler(run_stats: dict[str, Any], image_urls: set[str]) -> None:
    """Each image went to the downloader directly; the scheduler queued only the other requests."""
    assert run_stats["archiver/images/direct"] == len(image_urls)
    responses = run_stats["downloader/response_count"]
    assert run_stats["scheduler/enqueued"] <= responses - len(image_urls)
    # No image counted as a failure or fetched twice.
    assert "archiver/images/failed" not in run_stats
