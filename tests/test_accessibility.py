"""Accessibility of the running app (WCAG 2.2 AA): axe-core on every page and main selection, page titles
that name the view, heading order, reflow at 320 px, and a keyboard-only path to a chart's data.

axe-core comes from node_modules/ (``npm ci``, pinned by package-lock.json); Chromium from Debian.
Screenshots at 1400 px and 320 px go to artifacts/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os

import pytest
from browsing import AXE_JS, CHROMIUM, ROOT, VIEWS, run_axe, serious, settle

SHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (scripts/test.sh installs it)"),
]


def _open(browser, url: str, width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.goto(url)
    settle(page)
    return page


@pytest.mark.parametrize("view", VIEWS)
def test_no_serious_or_critical_axe_violation(app_url, browser, view):
    if not AXE_JS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is missing at {AXE_JS}: scripts/test.sh runs `npm ci`")
        pytest.skip("axe-core is not installed (run `npm ci`)")
    page = _open(browser, f"{app_url}/{VIEWS[view]}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"a11y-{view}-1400.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert serious(run_axe(page)) == []
    page.close()


@pytest.mark.parametrize(
    "view", ["overview", "profile-leeds", "delays", "journey", "explore", "about", "accessibility"]
)
def test_headings_never_skip_a_level(app_url, browser, view):
    page = _open(browser, f"{app_url}/{VIEWS[view]}")
    levels = page.eval_on_selector_all(
        "[data-testid=stMain] :is(h1,h2,h3,h4,h5,h6)", "hs => hs.map(h => +h.tagName[1])"
    )
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    page.close()


def test_title_names_the_page_and_the_chosen_authority(app_url, browser):
    page = _open(browser, f"{app_url}/profile?la=E08000035")
    assert page.title() == "Local authority profile: Leeds | SEND Pressure Dashboard"
    page.get_by_role("link", name="Assessment delays").click()
    page.wait_for_url("**/delays**", timeout=30_000)
    settle(page)
    assert page.title().startswith("Assessment delays: Leeds, % of new EHC plans issued within 20 weeks, 2024")
    page.close()


@pytest.mark.parametrize(
    "view", ["overview", "delays-leeds-over-1-year", "profile-leeds", "compare", "journey", "explore"]
)
def test_reflows_at_320_px(app_url, browser, view):
    page = _open(browser, f"{app_url}/{VIEWS[view]}", width=320)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"a11y-{view}-320.png"), full_page=True)
    # No horizontal scrolling of the page itself (wide tables scroll inside their own box).
    overflow = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]'); return m.scrollWidth - m.clientWidth; }"
    )
    assert overflow <= 1
    if AXE_JS.exists():
        assert serious(run_axe(page)) == []
    page.close()


def test_keyboard_only_picks_an_authority_and_reaches_a_chart_table(app_url, browser):
    page = _open(browser, f"{app_url}/delays")

    def focused() -> str:
        return page.evaluate(
            "() => { const e = document.activeElement; return (e.getAttribute('aria-label') || '') + '|' + "
            "(e.textContent || '').trim().slice(0, 80) + '|' + e.tagName; }"
        )

    # Tab to the local authority box (keyboard only: no clicks, no element handles).
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('[data-testid=stSelectbox]')"):
            break
    else:
        pytest.fail("the local authority box is not reachable with Tab")
    assert "Local authority" in page.evaluate(
        "() => document.activeElement.closest('[data-testid=stSelectbox]').innerText"
    )
    page.keyboard.type("Leeds")
    page.keyboard.press("Enter")
    page.wait_for_url("**la=E08000035**", timeout=30_000)
    settle(page)
    # Tab on to the first chart's data table and open it with Enter.
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        seen.append(focused())
        if "Data table:" in seen[-1]:
            break
    else:
        pytest.fail(f"no chart data table reachable with Tab: {seen}")
    page.keyboard.press("Enter")
    page.wait_for_timeout(800)
    table = page.locator("[data-testid=stExpander] details[open] table").first
    table.wait_for(timeout=10_000)
    text = table.inner_text()
    assert "Leeds" in text and "9.3%" in text  # Leeds 2024, timeliness_20_week.csv (PC_plans_issued_20_weeks_ex)
    assert len(seen) < 30, f"{len(seen)} tab stops from the authority box to the first chart's data: {seen}"
    page.close()
