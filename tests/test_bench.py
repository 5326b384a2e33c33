"""The benchmark harness works (a quick smoke run); it never asserts a speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .conftest import Replica

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)
@pytest.mark.needs("nginx", "valgrind", "wget")
def test_quick_bench_run_writes_every_result(tmp_path: Path) -> None:
    # With this checkout as --against: the benchmarks that compare checkouts run it beside this one in the same
    # run (their comparison is checked below), and run.py is the one that hands them the option.
    output = tmp_path / "results.json"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--output", str(output),
                             "--against", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(output.read_text())
    assert data["quick"] is True and data["versions"]["archiver"]
    assert data["command"].endswith(f"--quick --output {output} --against {ROOT}") and "commit" in data
    assert data["extraction"]["tk-theme (real sample page)"]["ratio"] > 0
    counted = data["extraction_instructions"]["pages"]["wordpress (replica, Twenty Twenty-One)"]
    assert 100_000 < counted["ours_instructions_per_page"] < 1_000_000_000
    assert data["storage"]["sqlite"]["articles_per_second"]["median"] > 0
    assert data["update"]["update"]["requests"] > 0
    crawl = data["crawl"]["variants"]
    assert {"archiver", "archiver_no_capture", "bare_scrapy", "wget"} <= set(crawl)
    assert all(v["pages"] > 10 and v["cpu_ms_per_page"]["median"] > 0 for v in crawl.values())
    assert data["crawl"]["archiver_vs_bare_scrapy"] > 0
    handover = data["capture_handover"]
    assert handover["responses"] == 100 and handover["writer_child_us_per_response"] > 0
    assert all(handover["crawler_us_per_response"][w]["median"] > 0 for w in ("process", "inline"))
    assert set(data["distributed"]["workers"]) == {"1", "2"}
    assert all(w["worker_cpu_ms_per_page"]["median"] > 0 and w["machine_cores_busy"]["median"] > 0
               for w in data["distributed"]["workers"].values())
    # wget over the same replica in the same invocation: the baseline of the two-worker target.
    wget = data["distributed"]["wget"]
    assert wget["pages"] > 10 and wget["pages_per_second"]["n"] == 1
    two = data["distributed"]["workers"]["2"]
    assert two["vs_wget"] == pytest.approx(two["pages_per_second"]["median"] / wget["pages_per_second"]["median"])
    assert two["site_time_vs_wget"] == pytest.approx(wget["seconds"]["median"] / two["seconds"]["median"])
    # Scrapy's floor fetched the archiver's own responses again (robots.txt aside: the archiver reads it twice).
    floor = data["distributed"]["floor"]
    for n, figures in data["distributed"]["workers"].items():
        assert figures["pages"] - 2 <= floor[n]["pages"] <= figures["pages"]
        assert figures["vs_floor"] == pytest.approx(
            figures["pages_per_second"]["median"] / floor[n]["pages_per_second"]["median"])
    assert floor["2"]["vs_wget"] > 0 and floor["2"]["worker_cpu_ms_per_page"]["median"] > 0
    assert data["crawl_memory"]["large"]["max_rss_mb"] > 0 and data["export_memory"]
    assert_compared_checkouts(data)
    reparse = data["reparse"]
    assert reparse["articles"] == 30 and reparse["workers"] >= 1
    assert all(reparse["sqlite"][command]["speedup"]["median"] > 0 for command in ("reparse", "reextract"))
    startup = data["cli_startup"]["commands"]
    assert startup["archiver --help"]["imports"] == [] and startup["archiver --help"]["vs_python"] > 0
    desk = data["desk"]
    assert desk["articles"] == 400 and desk["pages"]["count"] == 400
    assert all(page["median_ms"] > 0 for name, page in desk["pages"].items() if isinstance(page, dict))


def assert_compared_checkouts(data: dict[str, Any]) -> None:
    """crawl_memory and distributed ran this checkout beside itself: both columns come from real crawls of the same
    replicas."""
    memory = data["crawl_memory"]
    for figures in (memory, memory["baseline"]):
        assert figures["small"]["responses"] < figures["large"]["responses"]
        assert figures["large"]["max_rss_mb_spread"]["n"] == 1 and figures["large"]["max_rss_mb"] > 0
    assert memory["baseline"]["tree"] == str(ROOT)
    distributed = data["distributed"]
    for workers in (distributed["workers"], distributed["baseline"]["workers"]):
        assert set(workers) == {"1", "2"}
        for figures in workers.values():
            assert figures["pages"] > 20 and figures["worker_cpu_ms_per_page"]["n"] == 1
            assert figures["vs_wget"] > 0 and figures["site_time_vs_wget"] > 0 and figures["vs_floor"] > 0
    assert distributed["baseline"]["tree"] == str(ROOT)


@pytest.mark.parametrize("script", ["crawl_memory.py", "distributed.py"])
def test_against_a_directory_that_is_no_checkout_is_a_usage_error(script: str, tmp_path: Path) -> None:
    # The comparison with a real checkout runs in the quick run above.
    refused = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--against", str(tmp_path)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "not a checkout of the archiver" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_checkout_given_with_against_is_the_code_the_archiver_command_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in checkout whose ``python -m archiver`` answers with where it was imported from.
    tree = tmp_path / "other"
    (tree / "archiver").mkdir(parents=True)
    (tree / "archiver" / "__init__.py").write_text("")
    (tree / "archiver" / "__main__.py").write_text("import json\nprint(json.dumps({'file': __file__}))\n")
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from common import Checkout, run_archiver_measured
    # From this checkout's directory, as bench/run.py runs every benchmark: ``-m`` would import this one first.
    monkeypatch.chdir(ROOT)
    _, summary = run_archiver_measured("crawl", "http://127.0.0.1:9", str(tmp_path), code=Checkout(str(tree)))
    assert Path(summary["file"]) == tree / "archiver" / "__main__.py"


@pytest.mark.timeout(60)
def test_a_replica_that_cannot_start_is_one_clear_error_not_an_nginx_complaint(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from common import start_replica
    with pytest.raises(SystemExit, match="the replica did not start \\(exit 2\\)"):
        start_replica(5, "nginx")
    assert "--articles" in capfd.readouterr().err


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.timeout(120)
@pytest.mark.needs("nginx")
def test_nginx_front_serves_the_replicas_answers_from_its_cache(replica: Replica) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from front import NginxFront
    finally:
        sys.path.remove(str(ROOT / "bench"))
    front = NginxFront(replica.base_url)
    try:
        assert front.warm() > replica.articles  # every article, listing and image, with and without gzip
        before = json.loads(_get(replica.base_url + "/_replica/stats")[2])["__total__"]
        # The replica writes absolute links from the Host header: through the front they name the front.
        _, listing_headers, listing_body = _get(front.base_url + "/", **{"Accept-Encoding": "identity"})
        listing = listing_body.decode()
        # The replica sends listings chunked; from the cache every answer has a Content-Length.
        assert listing_headers["Content-Length"] == str(len(listing_body))
        assert replica.base_url not in listing
        path = re.findall(re.escape(front.base_url) + r"(/[a-z0-9/-]+-\d+\.html)", listing)[0]
        for encoding in ("gzip", "identity"):
            status, headers, body = _get(front.base_url + path, **{"Accept-Encoding": encoding})
            direct_status, direct_headers, direct_body = _get(replica.base_url + path, **{
                "Accept-Encoding": encoding, "Host": front.base_url.removeprefix("http://")})
            assert (status, body) == (direct_status, direct_body) == (200, body)
            assert headers.get("Content-Encoding") == direct_headers.get("Content-Encoding")
            assert headers["ETag"] == direct_headers["ETag"] and "Transfer-Encoding" not in headers
            # Conditional requests are answered by nginx from the cached validators.
            conditional = {"Accept-Encoding": encoding, "If-None-Match": headers["ETag"]}
            assert _get(front.base_url + path, **conditional)[0] == 304
        assert _get(front.base_url + "/no-such-page/")[0] == 404
        # Warmed URLs came from the cache: the replica saw only this test's direct requests and the 404.
        after = json.loads(_get(replica.base_url + "/_replica/stats")[2])["__total__"]
        assert after - before == 2 + 1 + 1  # two direct GETs, the stats call itself, the cold 404
    finally:
        front.terminate()


def test_an_unknown_page_for_the_instruction_count_is_one_usage_error() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "instructions.py"), "--page",
                             "wordpress (replica, Twenty Twenty-One)", "no such page"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--page 'no such page': not one of tk-theme (real sample page)" in result.stderr
    assert "Traceback" not in result.stderr
