"""What people see: the running app in headless Chromium (Debian's package) driven by Playwright.

Opens every page, changes the local authority, reopens the copied link in a fresh
browser context and expects the same view; no error on any page. Screenshots go
to artifacts/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import CHROMIUM, settle

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
#: URL path of each page ("" is the default page, Overview, which Streamlit serves at the root).
PAGES = {
    "overview": "",
    "england": "england",
    "delays": "delays",
    "requests": "requests",
    "journey": "journey",
    "explore": "explore",
    "funding": "funding",
    "profile": "profile",
    "compare": "compare",
    "mp": "mp",
    "about": "about",
    "guide": "guide",
    "accessibility": "accessibility",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (scripts/test.sh installs it)"),
]


def _errors(page) -> list[str]:
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()
    return errors + page.get_by_text("Page not found").all_inner_texts()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_opens_without_error(app_url, browser, name):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/{PAGES[name]}")
    settle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert _errors(page) == []
    assert page.locator("h1").count() >= 1
    page.close()


def test_changed_la_survives_a_shared_link(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/profile")
    settle(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Local authority").first
    box.click()
    page.keyboard.type("Leeds")
    page.keyboard.press("Enter")
    page.wait_for_url("**la=E08000035**", timeout=30_000)
    settle(page)
    link = page.url
    assert "Leeds" in page.locator("h1").first.inner_text() or page.get_by_text("Leeds").count() > 0
    page.close()

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    again = fresh.new_page()
    again.goto(link)
    settle(again)
    assert "la=E08000035" in again.url
    body = again.locator('[data-testid="stMain"]').inner_text()
    assert "Leeds (E08000035, DfE number 383)" in body  # the profile's own heading line for the linked LA
    assert _errors(again) == []
    again.screenshot(path=str(SHOTS / "profile-shared-link.png"), full_page=True)
    fresh.close()


def test_bad_link_gives_a_notice_not_a_traceback(app_url, browser):
    page = browser.new_page()
    page.goto(f"{app_url}/delays?la=NOPE&ind=bogus")
    settle(page)
    assert _errors(page) == []
    assert page.get_by_text("Unknown local authority").count() >= 1
    page.close()


def test_briefing_downloads_from_the_profile(app_url, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{app_url}/profile?la=E06000063")  # Cumberland
    settle(page)
    with page.expect_download(timeout=120_000) as html_download:
        page.get_by_role("button", name="Download briefing (HTML)").click()
    html_file = tmp_path / "briefing.html"
    html_download.value.save_as(html_file)
    text = html_file.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html") and "Cumberland" in text
    with page.expect_download(timeout=120_000) as pdf_download:
        page.get_by_role("button", name="Download briefing (PDF)").click()
    pdf_file = tmp_path / "briefing.pdf"
    pdf_download.value.save_as(pdf_file)
    assert pdf_file.read_bytes().startswith(b"%PDF")
    assert _errors(page) == []
    context.close()


def test_chart_data_downloads_as_csv_with_markers_sources_and_periods(app_url, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{app_url}/delays?la=E10000016&ind=pct_within_20_weeks&period=2024")
    settle(page)
    page.get_by_text("Data table: ").first.click()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download CSV").first.click()
    csv_file = tmp_path / "chart.csv"
    download.value.save_as(csv_file)
    header = csv_file.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"time_period", "period", "value", "marker", "marker_meaning", "source_id", "source_release"} <= set(header)
    assert "33.3" in csv_file.read_text(encoding="utf-8")  # Kent 2024, timeliness_20_week.csv
    context.close()


def test_chosen_la_follows_the_user_to_the_next_page(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/delays?la=E10000020")  # Norfolk
    settle(page)
    page.get_by_role("link", name="Requests and assessments").click()
    page.wait_for_url("**/requests**", timeout=30_000)
    settle(page)
    assert "la=E10000020" in page.url
    assert "Norfolk" in page.locator('[data-testid="stMain"]').inner_text()
    page.close()
