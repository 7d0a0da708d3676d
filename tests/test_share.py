"""Provenance of shared charts: stamped SVG/PNG downloads, share cards a crawler can read (plain HTTP GET,
no JavaScript) and the tagged briefing PDF.

Figures asserted are Leeds and England, calendar year 2024, % of new EHC plans issued within 20 weeks
excluding exceptions, as published in timeliness_20_week.csv (EHC plans, reporting year 2025): 9.3 and 46.4.
"""

from __future__ import annotations

import io
import re
import shutil
import urllib.request
from datetime import date
from html.parser import HTMLParser

import pytest
from browsing import CHROMIUM, LAUNCH_ARGS, free_port, settle, start_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (scripts/test.sh installs it)"),
]
LEEDS = "E08000035"


class _Meta(HTMLParser):
    """<meta> property/name -> content, as a crawler reads them."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name") or a.get("http-equiv")):
            self.meta[a.get("property") or a.get("name") or a.get("http-equiv")] = a.get("content", "")


def test_stamped_svg_and_png_carry_title_period_source_and_link(store):
    from PIL import Image

    from send_pressure import charts, compare, export

    ind = store.indicators["pct_within_20_weeks"]
    rows = compare.benchmarks(store, ind.indicator_id, LEEDS)
    fig = charts.trend(rows, ind, "% of new EHC plans issued within 20 weeks: Leeds", highlight="Leeds")
    link = "https://dashboard.example/delays?la=E08000035"
    stamped = export.stamped(fig, "2014 to 2024", "Source: Department for Education, EHC plans.", link)
    svg = export.to_image(stamped, "svg").decode()
    text = " ".join(re.findall(r">([^<>]+)<", svg))
    assert "% of new EHC plans issued within 20 weeks: Leeds" in text
    assert "Source: Department for Education, EHC plans. Period: 2014 to 2024." in text
    assert f"View and data: {link}" in text
    png = export.to_image(stamped, "png", {"Title": "Leeds", "Source": "DfE", "Period": "2014 to 2024", "URL": link})
    info = Image.open(io.BytesIO(png)).text
    assert info["URL"] == link and info["Period"] == "2014 to 2024"


@pytest.fixture(scope="module")
def cards(store):
    """Leeds's cards and the overview, built into the app's static folder (files this test added are removed)."""
    from send_pressure import share

    tmp = share.STATIC_DIR.with_name(".test-share")
    n = share.build_cards(store, tmp, base_url="https://dashboard.example", la_codes=[LEEDS])
    share.STATIC_DIR.mkdir(parents=True, exist_ok=True)
    added = [f.name for f in tmp.iterdir() if not (share.STATIC_DIR / f.name).exists()]
    for f in tmp.iterdir():
        shutil.copy2(f, share.STATIC_DIR / f.name)
    shutil.rmtree(tmp)
    yield n
    for name in added:
        (share.STATIC_DIR / name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def app_url(db_path, cards):
    port = free_port()
    proc = start_app(db_path, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


def test_a_crawler_sees_the_share_card_metadata(app_url, cards):
    assert cards == 5  # the overview and Leeds's four views
    with urllib.request.urlopen(f"{app_url}/app/static/share/delays-{LEEDS}.html", timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/html")
        html = r.read().decode()
    parser = _Meta()
    parser.feed(html)
    m = parser.meta
    assert m["og:title"] == "Assessment delays: Leeds"
    assert m["og:description"] == "% of new EHC plans issued within 20 weeks, 2024: Leeds 9.3%; England 46.4%."
    assert m["og:image"] == f"https://dashboard.example/app/static/share/delays-{LEEDS}.png"
    assert m["twitter:card"] == "summary_large_image" and m["twitter:description"] == m["og:description"]
    assert m["refresh"] == f"0; url=https://dashboard.example/delays?la={LEEDS}"
    with urllib.request.urlopen(f"{app_url}/app/static/share/delays-{LEEDS}.png", timeout=30) as r:
        assert r.headers["Content-Type"] == "image/png" and r.read(8) == b"\x89PNG\r\n\x1a\n"


def test_chart_svg_download_from_the_page_is_stamped(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
        page.goto(f"{app_url}/delays?la={LEEDS}&ind=pct_within_20_weeks&period=2024")
        settle(page)
        page.get_by_text("Share: copy link or citation, download the chart").first.click()
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="Download chart (SVG, with source)").first.click()
        svg = tmp_path / "chart.svg"
        download.value.save_as(svg)
        # The share box also offers the card's link with a preview.
        assert page.get_by_text(f"/app/static/share/delays-{LEEDS}.html").count() >= 1
        browser.close()
    text = " ".join(re.findall(r">([^<>]+)<", svg.read_text(encoding="utf-8")))
    assert "% of new EHC plans issued within 20 weeks: Leeds against benchmarks" in text
    assert "Department for Education" in text and "Period: 2014 to 2024" in text
    assert f"/delays?la={LEEDS}" in text


def test_briefing_pdf_is_tagged_with_title_and_language(store):
    from pypdf import PdfReader

    from send_pressure.briefing import briefing_html, briefing_pdf, pdf_engine_problem

    if pdf_engine_problem():
        pytest.skip(pdf_engine_problem())
    reader = PdfReader(io.BytesIO(briefing_pdf(briefing_html(store, LEEDS, date(2026, 12, 1)))))
    root = reader.trailer["/Root"]
    assert reader.metadata.title == "SEND scrutiny briefing: Leeds"
    assert root["/Lang"] == "en"
    assert root["/MarkInfo"]["/Marked"].value is True and "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert "pdfuaid" in reader.xmp_metadata.stream.get_data().decode()
