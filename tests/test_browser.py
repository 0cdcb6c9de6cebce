"""The first minutes in a real browser: headless Chromium, with no network beyond loopback,
against `citykb serve`. `/`, `/docs` and `/redoc` ask no other host for anything (Chromium's
network log says so); `/docs` runs "Try it out" and gets data back; `/` draws its figures,
both charts, the programmes with their targets, the recognitions, people and scenarios, in
Chinese and in English. Screenshots go to tests/artifacts/."""

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine

from app.collections.catalog import DOCUMENTED
from tests.factories import server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOOPBACK_ONLY = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
"""Chromium's resolver answers no host but loopback: a page that needed the internet (a CDN,
fonts, analytics) would fail here as it would behind a closed network."""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("Debian's chromium and chromium-driver are not installed here")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        f"--host-resolver-rules={LOOPBACK_ONLY}",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    # Chromium's network log: every request a page starts, whether or not it could be answered.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def base_url(shared_database: Engine, fresh_database_url: str) -> Iterator[str]:
    with server(fresh_database_url) as (_, base):
        yield base


def screenshot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def requested_urls(driver: WebDriver) -> list[str]:
    """Every URL the browser has started a request for since the last call."""
    urls = []
    for entry in driver.execute("getLog", {"type": "performance"})["value"]:
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


PAGES_DRAWN: dict[str, Callable[[WebDriver], Any]] = {
    "/": lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-loaded"),
    "/docs": ready.presence_of_element_located((By.ID, "operations-projects-getProject")),
    # The foot of ReDoc's menu, where it shows the Redocly logo once it has mounted.
    "/redoc": ready.presence_of_element_located((By.CSS_SELECTOR, "a[href*='redocly.com']")),
}


@pytest.mark.parametrize("page", list(PAGES_DRAWN))
def test_a_page_asks_no_other_host_for_anything(
    browser: WebDriver, base_url: str, page: str
) -> None:
    browser.get(base_url + page)
    WebDriverWait(browser, 30).until(PAGES_DRAWN[page])
    # Two frames more: whatever the page does once drawn (React effects) has started by then.
    browser.execute_async_script(
        "const done = arguments[0];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )
    urls = requested_urls(browser)
    assert base_url + page in urls
    served_here = urlsplit(base_url).netloc
    elsewhere = [
        url
        for url in urls
        if urlsplit(url).scheme in ("http", "https", "ws", "wss")
        and urlsplit(url).netloc != served_here
    ]
    assert elsewhere == [], f"{page} asked another host for {elsewhere}"


def test_docs_try_it_out_returns_a_record(browser: WebDriver, base_url: str) -> None:
    wait = WebDriverWait(browser, 30)
    browser.get(f"{base_url}/docs")
    operation = wait.until(ready.element_to_be_clickable((By.ID, "operations-projects-getProject")))
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".try-out__btn"))).click()
    record_id = operation.find_element(By.CSS_SELECTOR, "input[placeholder='record_id']")
    record_id.clear()
    record_id.send_keys("catl-ly9")
    operation.find_element(By.CSS_SELECTOR, ".execute").click()
    status = wait.until(
        ready.visibility_of_element_located(
            (By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
        )
    )
    assert status.text.strip() == "200"
    body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    assert '"id": "catl-ly9"' in body
    assert "江苏时代新能源灯塔工厂LY9项目" in body
    screenshot(browser, "docs-try-it-out.png")


def test_landing_page_draws_its_knowledge_and_both_charts_in_both_languages(
    browser: WebDriver, base_url: str
) -> None:
    wait = WebDriverWait(browser, 30)
    browser.get(base_url + "/")
    wait.until(lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-loaded"))
    assert not browser.find_elements(By.ID, "load-error")
    counts = browser.find_elements(By.CSS_SELECTOR, "#counts a b")
    assert len(counts) == len(DOCUMENTED)
    assert all(count.text.isdigit() and int(count.text) > 0 for count in counts)
    figures = browser.find_elements(By.CSS_SELECTOR, "#figures .figure")
    assert len(figures) >= 4
    source = figures[0].find_element(By.CSS_SELECTOR, "a.source")
    assert "/api/v1/sources/" in str(source.get_attribute("href"))
    # Each headline card says what its number is, of what, and states a fact no other card does.
    cards = {
        str(card.get_attribute("data-metric")): (
            card.find_element(By.CSS_SELECTOR, ".value").text,
            card.find_element(By.CSS_SELECTOR, ".subject").text,
            card.find_element(By.CSS_SELECTOR, ".label").text,
        )
        for card in figures
    }
    assert len(cards) == len(figures), "two cards show the same metric"
    values = [value for value, _, _ in cards.values()]
    assert len(set(values)) == len(values), values
    assert all(subject and label for _, subject, label in cards.values()), cards
    assert cards["investment_cny"][1:] == ("江苏时代新能源灯塔工厂LY9项目", "Total investment")
    quotes = [card.find_element(By.CSS_SELECTOR, ".quote").text for card in figures]
    assert "“十五五”期间,培育近零碳园区30个" in quotes  # a quote that opens with one: not wrapped
    assert not any(mark * 2 in quote for quote in quotes for mark in "“”"), quotes
    for chart in ("chart-investments", "chart-factory-levels"):
        svg = browser.find_element(By.ID, chart)
        assert int(svg.get_attribute("data-drawn") or 0) > 0, chart
        assert svg.find_elements(By.TAG_NAME, "rect"), chart
    assert browser.find_elements(By.CSS_SELECTOR, "#latest tbody tr")
    programmes = browser.find_element(By.ID, "programmes").text
    assert "十五五" in programmes
    assert "近零碳工厂60家以上" in programmes  # a target, beside its programme
    recognitions = browser.find_element(By.ID, "recognitions").text
    assert "2025年人才友好型城市" in recognitions
    assert "全国50强" in recognitions
    assert "曾毓群" in browser.find_element(By.ID, "people").text
    scenarios = browser.find_element(By.ID, "scenarios").text
    assert "新能源" in scenarios
    assert "超级充电" in scenarios
    assert "城市发展知识库" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "landing-zh.png")

    browser.find_element(By.ID, "lang").click()
    assert "a city's development" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    levels = browser.find_element(By.ID, "chart-factory-levels").text
    assert "near-zero-carbon" in levels
    assert "Robin Zeng" in browser.find_element(By.ID, "people").text
    assert "top 50" in browser.find_element(By.ID, "recognitions").text
    screenshot(browser, "landing-en.png")
