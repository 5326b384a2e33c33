"""The replay address scheme shared by `archiver serve` and `archiver cite`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from archiver.replay import public_base_url, replay_address, replay_path, wayback_timestamp


def test_timestamp_is_utc_whatever_the_input_offset() -> None:
    berlin = timezone(timedelta(hours=1))
    assert wayback_timestamp(datetime(2026, 1, 2, 0, 30, 5, tzinfo=berlin)) == "20260101233005"
    assert wayback_timestamp("2026-01-02T00:30:05+01:00") == "20260101233005"
    assert wayback_timestamp("2026-01-01T23:30:05Z") == "20260101233005"
    assert wayback_timestamp(datetime(2026, 1, 1, 23, 30, 5)) == "20260101233005"  # naive: already UTC


def test_path_and_absolute_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVER_PUBLIC_URL", raising=False)
    url = "https://tarnkappe.info/artikel/a-b/"
    assert replay_path(url, "2026-03-04T05:06:07Z") == "/replay/20260304050607/https://tarnkappe.info/artikel/a-b/"
    assert replay_address(url, "2026-03-04T05:06:07Z") == replay_path(url, "2026-03-04T05:06:07Z")
    monkeypatch.setenv("ARCHIVER_PUBLIC_URL", "https://archive.example.org/")
    assert public_base_url() == "https://archive.example.org"
    assert replay_address(url, "2026-03-04T05:06:07Z") == \
        "https://archive.example.org/replay/20260304050607/https://tarnkappe.info/artikel/a-b/"
    assert replay_address(url, "2026-03-04T05:06:07Z", "http://127.0.0.1:8001") == \
        "http://127.0.0.1:8001/replay/20260304050607/https://tarnkappe.info/artikel/a-b/"
