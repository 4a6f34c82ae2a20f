"""`uninews serve` in a real browser (headless Chromium, the system's): a Chinese search, a
result, the versions diff, the archived page; hostile content never runs. Screenshots of each
page go to test-artifacts/screenshots/ ($UNINEWS_TEST_ARTIFACTS)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage import open_store
from tests.webarchive import HOSTILE_TITLE, Archive, populate, screenshot_dir, serving
from uninews.web.app import create_app

# Debian's chromium here; GitHub's Ubuntu runners come with Google Chrome and its driver.
CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no system Chromium with chromedriver (Debian: apt-get install chromium chromium-driver;"
    " .ci/run installs them where it may)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Archive]]:
    db = tmp_path_factory.mktemp("browser") / "archive.sqlite3"
    writer = open_store(f"sqlite:///{db}")
    archive = populate(writer)
    writer.close()
    store = open_store(f"sqlite:///{db}", readonly=True)
    with serving(create_app(store)) as base:
        yield base, archive
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--lang=zh-CN"):  # fmt: skip
        options.add_argument(arg)
    # The system driver: Selenium Manager would try to download one (no internet here).
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _shot(driver: Any, name: str) -> Path:
    path = screenshot_dir() / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 5000  # a page was drawn, not a blank
    return path


def _no_alert(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - the lookup is the check


def test_search_read_compare_and_open_the_archived_page(
    site: tuple[str, Archive], browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, archive = site
    browser.get(base + "/")
    sites = browser.find_element(By.CSS_SELECTOR, "table.sites").text
    assert "清华大学新闻网 tsinghua" in sites and "MIT News mit" in sites  # titles, slugs beside
    _shot(browser, "1-home")

    box = browser.find_element(By.CSS_SELECTOR, "form.quick input[name=q]")
    box.send_keys("党建", Keys.ENTER)
    assert "q=%E5%85%9A%E5%BB%BA" in browser.current_url  # the search is in the address
    assert browser.find_element(By.ID, "count").text == "3 articles, newest first"
    marks = browser.find_elements(By.CSS_SELECTOR, ".snippet mark")
    assert marks and all(m.text == "党建" for m in marks)
    # the highlight is visible: a background other than the page's
    assert marks[0].value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "")
    _shot(browser, "2-search-chinese")

    newest = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".result a.title")]

    # One a page, most relevant first: to page 2 by its number, back by « Previous.
    found = browser.current_url
    browser.get(found + "&limit=1")
    browser.find_element(By.LINK_TEXT, "most relevant first").click()
    assert "sort=relevance" in browser.current_url
    browser.find_element(By.CSS_SELECTOR, "nav.pages").find_element(By.LINK_TEXT, "2").click()
    assert "page=2" in browser.current_url and "sort=relevance" in browser.current_url
    count = browser.find_element(By.ID, "count").text
    assert count == "3 articles, most relevant first · page 2 of 3", count
    second = browser.find_element(By.CSS_SELECTOR, ".result a.title").text
    _shot(browser, "2b-search-page-2-of-3-by-relevance")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Previous").click()
    first = browser.find_element(By.CSS_SELECTOR, ".result a.title").text
    browser.find_element(By.LINK_TEXT, "3").click()
    third = browser.find_element(By.CSS_SELECTOR, ".result a.title").text
    assert sorted([first, second, third]) == sorted(newest)  # each once, in another order
    browser.get(found)

    titles = browser.find_elements(By.CSS_SELECTOR, ".result a.title")
    assert [t.text for t in titles][-1] == "清华首次举行各单位党委书记抓基层党建工作现场述职评议会"
    titles[-1].click()
    assert browser.find_element(By.ID, "headline").text.startswith("清华首次举行各单位")
    facts = browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "李含" in facts and "杨艳宾" in facts and "清芷" in facts and "+08:00" in facts
    _shot(browser, "3-article")

    browser.find_element(By.PARTIAL_LINK_TEXT, "diff with v1").click()
    assert browser.find_element(By.ID, "diff-heading").text == "Changes from v1 to v2"
    # Only the words added to the line are marked, not the line (issue #23).
    added = browser.find_elements(By.CSS_SELECTOR, ".textdiff ins")
    assert [a.text for a in added] == ["，提出四点要求"]
    _shot(browser, "4-diff")

    browser.get(f"{base}/articles/{archive.ids['party']}")
    browser.find_element(By.CSS_SELECTOR, "a.raw").click()
    assert browser.find_element(By.TAG_NAME, "body").text == "v2"  # the latest page as fetched
    _shot(browser, "5-archived-page")


def test_hostile_content_never_runs(site: tuple[str, Archive], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    base, archive = site
    aid = archive.ids["hostile"]
    browser.get(f"{base}/articles/{aid}")
    _no_alert(browser)
    assert browser.find_element(By.ID, "headline").text == HOSTILE_TITLE  # as text, visibly
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0
    links = browser.execute_script(
        "return [...document.querySelectorAll('a[href], img[src]')]"
        ".map(e => e.getAttribute('href') || e.getAttribute('src'))"
    )
    assert not [u for u in links if u.strip().lower().startswith("javascript:")], links
    # The archived page, framed: its script would retitle both documents and wipe the app's
    # page; sandboxed, it does not run at all.
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.raw")
    browser.switch_to.frame(frame)
    assert browser.find_element(By.ID, "archived-heading").text == "The archived page"
    # its own title, untouched by its script
    assert browser.find_element(By.TAG_NAME, "title").get_attribute("textContent") == "archived"
    browser.switch_to.default_content()
    assert "pwned" not in browser.find_element(By.TAG_NAME, "body").text
    assert browser.title.startswith(HOSTILE_TITLE[:20])
    _shot(browser, "6-hostile-article")

    # Opened on its own (the link), still inert: the CSP sandbox header, not only the frame.
    browser.get(f"{base}/articles/{aid}/raw")
    _no_alert(browser)
    assert browser.title == "archived"
    assert browser.execute_script(
        "try { return localStorage.getItem('pwned') } catch (e) { return 'blocked' }"
    ) in (None, "blocked")
    _shot(browser, "7-hostile-archived-page")


def test_site_dashboard_draws_its_chart(site: tuple[str, Archive], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(f"{base}/sites/tsinghua")
    bars = browser.find_elements(By.CSS_SELECTOR, ".chart svg rect")
    assert len(bars) == 31 and sum(1 for b in bars if float(b.get_attribute("height")) > 0) == 3
    assert "Last runs" in browser.find_element(By.TAG_NAME, "main").text
    _shot(browser, "8-site-dashboard")
