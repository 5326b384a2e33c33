"""The crawl's duplicate filter: Scrapy's decisions, in a compact set of fingerprints."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request, Spider
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.test import get_crawler

from archiver.crawl import settings as project_settings
from archiver.crawl.dupefilter import MIN_RECENT, CompactDupeFilter, FingerprintSet


def fingerprint(number: int) -> bytes:
    return hashlib.sha1(str(number).encode()).digest()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=4000), st.lists(st.integers(0, 5000), max_size=200))
def test_it_answers_like_a_set(added: list[int], asked: list[int]) -> None:
    ours, reference = FingerprintSet(), set()
    for number in added:
        assert ours.add(fingerprint(number)) == (fingerprint(number) not in reference)
        reference.add(fingerprint(number))
    assert len(ours) == len(reference)
    for number in asked + added[:50]:
        assert (fingerprint(number) in ours) == (fingerprint(number) in reference)


def test_keys_move_into_the_sorted_array_as_the_set_grows() -> None:
    ours = FingerprintSet()
    numbers = list(range(60_000))
    random.Random(7).shuffle(numbers)
    for count, number in enumerate(numbers, 1):
        ours.add(fingerprint(number))
        # The Python set of recent keys (about 70 bytes each) stays a small share of the whole.
        assert len(ours._recent) < max(MIN_RECENT, count // 8 + 1)
    assert list(ours._sorted) == sorted(ours._sorted)
    assert len(ours._sorted) + len(ours._recent) == 60_000
    assert all(fingerprint(number) in ours for number in range(0, 60_000, 997))
    assert not any(fingerprint(number) in ours for number in range(60_000, 61_000))


def test_a_fingerprint_shorter_than_its_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 8 bytes"):
        FingerprintSet().add(b"short")
    assert b"short" not in FingerprintSet() and "text" not in FingerprintSet()


def dupefilter(**extra: object) -> CompactDupeFilter:
    crawler = get_crawler(Spider, {"DUPEFILTER_CLASS": project_settings.DUPEFILTER_CLASS, **extra})
    return CompactDupeFilter.from_crawler(crawler)


def test_the_crawl_uses_it_and_it_filters_what_scrapys_filter_filters() -> None:
    assert project_settings.DUPEFILTER_CLASS == "archiver.crawl.dupefilter.CompactDupeFilter"
    ours = dupefilter()
    scrapys = RFPDupeFilter.from_crawler(get_crawler(Spider))
    requests = [Request("https://example.org/a?x=1&y=2"), Request("https://example.org/a?y=2&x=1"),
                Request("https://example.org/a#fragment"), Request("https://example.org/a", method="POST"),
                Request("https://example.org/a", method="POST", body=b"1"), Request("https://example.org/b"),
                Request("https://example.org/a?x=1&y=2")]
    decisions = [ours.request_seen(request) for request in requests]
    assert decisions == [scrapys.request_seen(request) for request in requests]
    assert decisions == [False, True, False, False, False, False, True]
    assert ours.seen_count == 5
    with pytest.raises(NotImplementedError, match="8-byte fingerprint prefixes"):
        ours.fingerprints  # noqa: B018 -- Scrapy's deprecated view would be empty here, not complete


def test_a_job_directory_keeps_the_fingerprints_in_scrapys_format(tmp_path: Path) -> None:
    first = dupefilter(JOBDIR=str(tmp_path))
    assert first.request_seen(Request("https://example.org/a")) is False
    assert first.request_seen(Request("https://example.org/b")) is False
    first.close("finished")
    # Scrapy's own filter reads our file, and ours reads it back.
    scrapys = RFPDupeFilter.from_crawler(get_crawler(Spider, {"JOBDIR": str(tmp_path)}))
    assert scrapys.request_seen(Request("https://example.org/b")) is True
    scrapys.close("finished")
    again = dupefilter(JOBDIR=str(tmp_path))
    assert again.request_seen(Request("https://example.org/a")) is True
    assert again.request_seen(Request("https://example.org/c")) is False
    again.close("finished")
