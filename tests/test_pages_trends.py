"""The Overview, Assessment delays and Requests pages, run headless with Streamlit's AppTest.

Expected figures were read by hand from the 2025 EHC plans release
(education-health-and-care-plans_2025.zip in the mirror):

* timeliness_20_week.csv, 2024, Kent (886), All EHC plans issued: PC_plans_issued_20_weeks_ex = 33.3;
  England 46.4.
* requests.csv, 2024, Kent: requests_received_in_year = 4001; England = 154489, not-assess 25.2%.
* supporting-files/SEND Tribunals and appeal rate 2014-2024.csv, Kent 2024: 1,559 appeals.
"""

from __future__ import annotations

import pytest
from helpers import open_page
from streamlit.testing.v1 import AppTest

from etl.catalogue import INDICATORS

KENT = "E10000016"


def text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("page", ["views/overview.py", "views/delays.py", "views/requests.py"])
def test_page_renders(db_path, page):
    at = open_page(page)
    assert not at.exception
    assert not at.info  # no notices without link parameters


def test_overview_tiles_show_england_figures(db_path):
    at = open_page("views/overview.py")
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["Initial requests for an EHC needs assessment"][0] == "154,489"
    value, delta = metrics["% of initial requests refused"]
    assert value == "25.2%"
    assert delta.endswith("pp")
    # One tile per headline indicator of the catalogue (eight today), the block per EHC plan among them.
    assert len(at.metric) == sum(i.headline for i in INDICATORS) == 8
    assert metrics["High needs block per EHC plan"][0].startswith("£")


def test_overview_biggest_changes_round_trip(db_path):
    at = open_page("views/overview.py", ind="pct_within_20_weeks")
    assert not at.exception
    assert at.selectbox(key="w_ind").value == "pct_within_20_weeks"
    assert at.query_params["ind"] == "pct_within_20_weeks"
    assert "City of London and Isles of Scilly" in "\n".join(c.value for c in at.caption)
    assert len(at.dataframe) >= 1


def test_delays_kent_figure_and_rank(db_path):
    at = open_page("views/delays.py", la=KENT, ind="pct_within_20_weeks", period="2024")
    assert not at.exception
    body = text(at)
    assert "In 2024, Kent issued 33.3% of new EHC plans within 20 weeks (excluding exceptions)" in body
    assert "below England (46.4%)" in body
    assert "Kent ranks 106th of 150" in body
    assert "Dorset" in body  # listed as having no figure, with its marker meaning
    assert "statistical neighbours: median 35.5% (range 3.2% to 85.1%; 10 of 10 neighbours)" in body


def test_delays_url_round_trip(db_path):
    at = open_page("views/delays.py", la="E08000025", ind="pct_over_1_year", period="2023")
    assert not at.exception
    assert at.selectbox(key="w_la").value == "E08000025"
    assert at.selectbox(key="w_ind").value == "pct_over_1_year"
    assert at.selectbox(key="w_period_pct_over_1_year").value == "2023"
    assert [at.query_params[k] for k in ("la", "ind", "period")] == ["E08000025", "pct_over_1_year", "2023"]
    assert "In 2023, Birmingham issued" in text(at)


def test_delays_widget_change_updates_url(db_path):
    at = open_page("views/delays.py", la=KENT)
    at.selectbox(key="w_la").set_value("E06000001").run()
    assert not at.exception
    assert at.query_params["la"] == "E06000001"
    assert "Hartlepool" in text(at)


def test_requests_kent_figures(db_path):
    at = open_page("views/requests.py", la=KENT)
    assert not at.exception
    body = text(at)
    assert "Kent received **4,001** initial requests in 2024" in body
    # SEND appealable decisions rate 2024-2025.csv (2026 release), Kent 886: 2025 appeals 1756
    assert "1,756 appeals registered against Kent in 2025" in body
    warnings = "\n".join(w.value for w in at.warning)
    assert "change in the tribunal data collection" in warnings
    assert "series break from 2024" in warnings  # the 2026 release's new appealable-decisions method
    assert "Per 1,000 pupils" in "\n".join(c.value for c in at.caption)


def test_requests_round_trip_by_dfe_number(db_path):
    at = open_page("views/requests.py", la="886")  # the 3-digit DfE number also works
    assert not at.exception
    assert at.selectbox(key="w_la").value == KENT


@pytest.mark.parametrize("page", ["views/overview.py", "views/delays.py", "views/requests.py"])
def test_bad_parameters_show_a_notice(db_path, page):
    at = open_page(page, la="NOPE", ind="NOPE", period="NOPE")
    assert not at.exception
    assert any("NOPE" in i.value for i in at.info)
