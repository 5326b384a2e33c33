"""The crawl's duplicate-request filter, in about 16 bytes per request instead of about 90 (``DUPEFILTER_CLASS``).

Scrapy's ``RFPDupeFilter`` keeps each request's 20-byte fingerprint as a ``bytes`` object in a ``set``: 56 bytes
for the object and about 35 for its slot in the set's table: 5 MB at 57,000 requests, the one structure of
a crawl that grows with the site (docs/benchmarks.md, "Crawl memory"). ``FingerprintSet`` holds the
fingerprints' first 8 bytes as machine integers in a sorted array plus a small set of recent ones.

Exact up to a collision of 64-bit prefixes of SHA-1 fingerprints: for n requests the chance that any two
share one is about n² / 2⁶⁵ (3·10⁻⁸ at a million requests, 3·10⁻⁴ at a hundred million). A collision would
skip one request as a duplicate. A Bloom filter would be smaller, but at its usual sizes it skips real pages
as a matter of course (1 % of new requests at 10 bits each).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import RequestFingerprinterProtocol

from ._compat import take_fingerprints

PREFIX_BYTES = 8
MIN_RECENT = 1024  # below this, merging into the array is not worth its cost


def _key(fingerprint: bytes) -> int:
    return int.from_bytes(fingerprint[:PREFIX_BYTES], "big")


class FingerprintSet:
    """A set of fingerprints (bytes of at least 8) with membership and insertion only.

    New keys go to a Python set; once it holds an eighth of the sorted array (at least ``MIN_RECENT``), they
    are merged into a new sorted array. Merges copy the whole array (in C, between the new keys), but each one
    is at least an eighth larger than the last, so every key is copied about nine times over a crawl; the array
    holds 8 bytes per key where a set of Python integers would hold about 70.
    """

    def __init__(self, fingerprints: Iterable[bytes] = ()) -> None:
        self._sorted = array("Q")
        self._recent: set[int] = set()
        self.update(fingerprints)

    def __contains__(self, fingerprint: object) -> bool:
        return isinstance(fingerprint, bytes) and self._has(_key(fingerprint))

    def _has(self, key: int) -> bool:
        if key in self._recent:
            return True
        at = bisect_left(self._sorted, key)
        return at < len(self._sorted) and self._sorted[at] == key

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def add(self, fingerprint: bytes) -> bool:
        """Add one fingerprint; False if it was already there."""
        if len(fingerprint) < PREFIX_BYTES:
            raise ValueError(f"a fingerprint needs at least {PREFIX_BYTES} bytes, got {len(fingerprint)}")
        key = _key(fingerprint)
        if self._has(key):
            return False
        self._recent.add(key)
        if len(self._recent) >= max(MIN_RECENT, len(self._sorted) >> 3):
            self._merge()
        return True

    def update(self, fingerprints: Iterable[bytes]) -> None:
        for fingerprint in fingerprints:
            self.add(fingerprint)

    def _merge(self) -> None:
        # The array's runs between two new keys are copied as slices, in C: Python touches the new keys only,
        # and no list of every key as Python integers is built on the way (that would be the peak).
        merged, old, start = array("Q"), self._sorted, 0
        for key in sorted(self._recent):
            at = bisect_left(old, key, start)
            merged.extend(old[start:at])
            merged.append(key)
            start = at
        merged.extend(old[start:])
        self._sorted = merged
        self._recent = set()


class CompactDupeFilter(RFPDupeFilter):
    """Scrapy's ``RFPDupeFilter`` (same fingerprints, ``JOBDIR`` file, logging and stats) over a ``FingerprintSet``."""

    def __init__(self, path: str | None = None, debug: bool = False, *,
                 fingerprinter: RequestFingerprinterProtocol | None = None) -> None:
        super().__init__(path, debug, fingerprinter=fingerprinter)
        # Those a JOBDIR file held, read by Scrapy's constructor; its set is not used again.
        self._seen = FingerprintSet(take_fingerprints(self))

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        if not self._seen.add(fingerprint):
            return True
        if self.file:
            # The JOBDIR file keeps whole fingerprints, in Scrapy's format (2-byte big-endian length first).
            self.file.write(len(fingerprint).to_bytes(2, "big") + fingerprint)
        return False

    @property
    def seen_count(self) -> int:
        return len(self._seen)

    @property
    def fingerprints(self) -> frozenset[str]:
        # Scrapy's deprecated view of every whole fingerprint: this filter keeps 8-byte prefixes only, and an
        # empty set (what the parent's attribute holds) would be a silent lie.
        raise NotImplementedError("CompactDupeFilter keeps 8-byte fingerprint prefixes, not whole fingerprints")


__all__ = ["CompactDupeFilter", "FingerprintSet"]
