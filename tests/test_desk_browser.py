"""The desk in a real browser (Debian's headless Chromium through Selenium and Debian's chromedriver): what a person
sees on the landing page, after a facet click, on an article page, in the replay frame and on the charts page.

``make screenshots`` runs this file with ARCHIVER_SCREENSHOTS=docs/screenshots to refresh the documentation's images.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import CrawledArchive
from .test_desk import newest_first, start_desk

# Without these Chromium reaches for Google's services at start; the test machine has no other network either.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1000")

pytestmark = pytest.mark.needs("chromium", "pywb")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def desk_url(crawled: CrawledArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("datasette")
    server, base = start_desk(crawled, tmp_path_factory.mktemp("browser-desk-cache"))
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def screenshot(driver: Any, name: str) -> None:
    directory = os.environ.get("ARCHIVER_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(directory) / f"{name}.png"))


def requested_urls(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_a_researcher_browses_the_desk(browser: Any, desk_url: str, crawled: CrawledArchive) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    truth = crawled.replica.truth()
    wait = WebDriverWait(browser, 30)

    # The landing page: the newest article first, its date in ISO UTC, facets beside.
    browser.get(desk_url + "/")
    titles = browser.find_elements(By.CSS_SELECTOR, "td.col-title a")
    newest = newest_first(truth)
    assert [t.text for t in titles[:3]] == [item["title"] for item in newest[:3]]
    first_date = browser.find_element(By.CSS_SELECTOR, "td.col-published").text
    assert first_date == newest[0]["published"]
    assert browser.find_element(By.ID, "facet-authors").is_displayed()
    screenshot(browser, "landing")

    # A facet click: the year facet's first value narrows the list to that year.
    year_link = browser.find_element(By.CSS_SELECTOR, "#facet-year li a")
    year = year_link.text.split()[0]
    year_link.click()
    wait.until(ec.url_contains("year="))
    years = {cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.col-year")}
    assert years == {year}
    expected = sum(item["published"].startswith(year) for item in truth["items"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.col-title")) == min(expected, 50)

    # The article page of the seed article: authors, versions, provenance.
    seed = next(item for item in truth["items"] if item["post_id"] == truth["seed_article_post_id"])
    browser.get(desk_url + "/archive/v_desk_articles?_search=" + "Telegram")
    browser.find_element(By.LINK_TEXT, seed["title"]).click()
    wait.until(ec.presence_of_element_located((By.ID, "desk-title")))
    assert browser.find_element(By.ID, "desk-title").text == seed["title"]
    body = browser.find_element(By.TAG_NAME, "body").text
    assert seed["authors"][0]["name"] in body and "Version 1, captured" in body and "record ID" in body
    images = browser.find_elements(By.CSS_SELECTOR, ".desk-figure img")
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete", i) for i in images))
    assert images and all(browser.execute_script("return arguments[0].naturalWidth", i) > 0 for i in images)
    screenshot(browser, "article")

    # One click to the page as it was served: pywb's frame with the archived page and its images inside.
    browser.get_log("performance")  # forget what came before
    browser.find_element(By.ID, "desk-replay").click()
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe")))
    wait.until(lambda d: seed["title"].split(":")[0] in d.title)
    browser.switch_to.frame(frame)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert seed["title"] in browser.find_element(By.TAG_NAME, "h1").text
    archived = [i for i in browser.find_elements(By.TAG_NAME, "img")
                if browser.execute_script("return arguments[0].naturalWidth", i) > 0]
    assert archived
    browser.switch_to.default_content()
    screenshot(browser, "replay")
    # Where the pixels came from: every request of the replay went to the desk, none to the (still running) site;
    # the images came through the archive's replay path. (Asking the page is no proof: pywb's client-side
    # rewriting shows scripts the original addresses.)
    fetched = [u for u in requested_urls(browser) if u.startswith(("http:", "https:"))]
    assert fetched and all(u.startswith(desk_url + "/") for u in fetched), [u for u in fetched
                                                                           if not u.startswith(desk_url)]
    assert any(u.startswith(desk_url + "/replay/") and "/wp-content/uploads/" in u for u in fetched)

    # The charts: drawn, visible.
    browser.get(desk_url + "/charts")
    charts = browser.find_elements(By.CSS_SELECTOR, ".desk-chart img")
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete", c) for c in charts))
    assert len(charts) >= 3 and all(browser.execute_script("return arguments[0].naturalWidth", c) > 0
                                    for c in charts)
    screenshot(browser, "charts")
