"""The EHC plan journey and the breakdowns pages: real published figures on screen, markers kept, links that
round-trip; unit tests of the journey and breakdown frames."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from helpers import open_page

from send_pressure import journey

KENT = "E10000016"
SURREY = "E10000030"
PAGES = ["views/journey.py", "views/explore.py"]


def _shown(text):
    """A Markdown-escaped table cell as a reader sees it ('33\\.3%' -> '33.3%')."""
    return re.sub(r"\\(.)", r"\1", text) if isinstance(text, str) else text


def tables(at) -> list[pd.DataFrame]:
    """Every st.table on the page, cells, headings and index as shown (the app escapes them for Markdown)."""
    out = []
    for t in at.table:
        v = t.value.map(_shown)
        v.columns = [_shown(c) for c in v.columns]
        v.index = v.index.map(_shown)
        out.append(v)
    return out


def texts(at) -> str:
    return "\n".join(str(m.value) for m in [*at.markdown, *at.caption, *at.info])


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(db_path, page):
    at = open_page(page)
    assert at.title


def test_journey_shows_kents_2024_figures(db_path):
    at = open_page("views/journey.py", la=KENT, year="2024")
    row = next(t for t in tables(at) if journey.NEIGHBOURS_COLUMN in t.columns)
    # requests.csv (2025 release), 2024, Kent, all requests: received 4001, decided to assess 1602,
    # not to assess 2200, withdrawn 13; England (National row) received 154489.
    assert row.at["Step 1: Initial requests for an EHC needs assessment", "Kent"] == "4,001"
    assert row.at["Step 1: Initial requests for an EHC needs assessment", "England"] == "154,489"
    assert row.at["Step 2: Requests: decided to assess", "Kent"] == "1,602"
    assert row.at["↳ Requests: decided not to assess", "Kent"] == "2,200"
    assert row.at["↳ Requests: withdrawn", "Kent"] == "13"
    # assessments.csv: assess_in_year 3197; timeliness_20_week.csv: PC_plans_issued_20_weeks_ex 33.3
    assert row.at["Step 3: EHC needs assessments", "Kent"] == "3,197"
    assert row.at["% of new EHC plans issued within 20 weeks", "Kent"] == "33.3%"
    # caseload.csv, 202425 (January 2025, the January after 2024), Kent: 20635
    assert row.at["Step 5: EHC plans (January) (2024/25)", "Kent"] == "20,635"
    # Counts are compared through the neighbours' median and range, never ranked.
    assert (
        row.at["Step 1: Initial requests for an EHC needs assessment", journey.NEIGHBOURS_COLUMN]
        == "1,992 (473 to 4,255)"
    )
    assert "Kent, 2024: Initial requests for an EHC needs assessment 4,001" in texts(at)
    # requests.csv: request_outcome_six_weeks_pc 90.8 (England 84.8); mediation_related_request 154
    assert row.at["% of decisions on requests made within 6 weeks", "Kent"] == "90.8%"
    assert row.at["% of decisions on requests made within 6 weeks", "England"] == "84.8%"
    assert row.at["↳ Requests that went to mediation", "Kent"] == "154"
    # Why plans ceased: ceased_plans.csv, 2024, Kent: max_age 32 of 2081 (1.5%)
    ceased = next(t for t in tables(at) if "Kent: share" in t.columns)
    assert ceased.at["Maximum age reached", "Kent: share"] == "1.5%"


def test_journey_history_keeps_markers(db_path):
    at = open_page("views/journey.py", la=KENT)
    history = next(t for t in tables(at) if "2019" in t.columns and "2024" in t.columns)
    # requests.csv, 2019, Kent: requests_decided_to_assess is published as 'x' (not collected then).
    assert history.at["Requests: decided to assess", "2019"] == "x"
    assert history.at["Requests: decided to assess", "2023"] == "2,575"
    # 2022 release, sen2_mi.csv, 2016, Kent: InreqEHC 1634, AssRefusedEHC 433, NoExc20weekRate 85.8
    assert history.at["Initial requests for an EHC needs assessment", "2016"] == "1,634"
    assert history.at["↳ Requests: decided not to assess", "2016"] == "433"
    assert history.at["% of new EHC plans issued within 20 weeks", "2016"] == "85.8%"


def test_journey_link_round_trip_and_bad_parameters(db_path):
    at = open_page("views/journey.py", la="886", year="2023", step="issued")
    assert at.query_params["year"] in (["2023"], "2023")
    assert at.query_params["step"] in (["issued"], "issued")
    assert any("% of new EHC plans issued within 20 weeks: Kent" in str(m.value) for m in at.markdown)
    at = open_page("views/journey.py", year="1850", step="NOPE")
    notes = " ".join(str(i.value) for i in at.info)
    assert "Unknown year" in notes and "Unknown step" in notes


def test_explore_shows_kents_primary_need(db_path):
    at = open_page("views/explore.py", la=KENT, fig="ehc_plans", bd="need", period="202425")
    table = next(t for t in tables(at) if "Kent: share" in t.columns)
    # sen_needs_all_plans.csv, 202425, Kent: number_asd 9535, asd_pc 46.2 (of 20635 plans); England asd_pc 31.5
    asd = table.loc["Autistic spectrum disorder"]
    assert (asd["Kent: number"], asd["Kent: share"], asd["England"]) == ("9,535", "46.2%", "31.5%")
    # 4 plans of 20,635 (oth_pc published as 0): a share that is not nil never reads as zero.
    assert table.at["Other difficulty/disability", "Kent: share"] == "under 0.1%"


def test_explore_placement_and_ceased_reasons(db_path):
    at = open_page("views/explore.py", la=KENT, fig="ehc_plans", bd="placement", period="202425")
    table = next(t for t in tables(at) if "Kent: share" in t.columns)
    # caseload.csv, 202425, Kent: mainstream_total 7452 (36.1%), special_total 8050 (39.0%)
    assert tuple(table.loc["Mainstream schools", ["Kent: number", "Kent: share"]]) == ("7,452", "36.1%")
    assert tuple(table.loc["Special schools", ["Kent: number", "Kent: share"]]) == ("8,050", "39.0%")
    at = open_page(
        "views/explore.py", la=KENT, fig="ceased_plans", bd="ceased_reason", period="2024", **{"as": "count"}
    )
    table = next(t for t in tables(at) if "Kent: number" in t.columns)
    # ceased_plans.csv, 2024, Kent, all ceased plans: he (moved to higher education) 122, needs_met 102
    assert table.at["Moved to higher education", "Kent: number"] == "122"
    assert at.query_params["as"] in (["count"], "count")


def test_explore_keeps_markers(db_path):
    at = open_page("views/explore.py", la=SURREY, fig="new_ehc_plans", bd="new_need", period="2024")
    table = next(t for t in tables(at) if "Surrey: number" in t.columns)
    # sen_need_newplans.csv, 2024, Surrey: every primary need count is 'x' (total 2580 published).
    assert set(table["Surrey: number"]) == {"x"} and set(table["Surrey: share"]) == {"x"}


def test_explore_bad_link_falls_back_with_a_notice(db_path):
    at = open_page("views/explore.py", fig="ehc_plans", bd="nope", period="1999", cat="Nope")
    notes = " ".join(str(i.value) for i in at.info)
    assert "Unknown breakdown" in notes and "Unknown period" in notes and "Unknown category" in notes


def test_breakdown_shares_keep_markers(store):
    from send_pressure import breakdowns

    by_key = {t.key: t for t in breakdowns.topics(store)}
    rows = breakdowns.area_rows(store, by_key["new_need"], (SURREY,))
    surrey = rows[rows.time_period == "2024"]
    assert surrey.value.isna().all() and set(surrey.marker) == {"x"} and set(surrey.total) == {2580}
    kent = breakdowns.benchmark_rows(store, by_key["need"], KENT)
    asd = kent[(kent.role == "la") & (kent.breakdown == "Autistic spectrum disorder")].iloc[0]
    assert round(asd.value, 1) == 46.2 and asd["count"] == 9535
    # Ages in number order, sub-totals ('Mainstream - total') left out of a row breakdown.
    ages = breakdowns.benchmark_rows(store, by_key["caseload.ehcplans|Child or young persons age"], KENT)
    assert list(dict.fromkeys(ages.breakdown))[:3] == ["under 3", "Age 3", "Age 4"]
    placed = breakdowns.benchmark_rows(store, by_key["ceased_plans.total_ceased|Type of placement"], KENT)
    assert not placed.breakdown.str.contains("total", case=False).any()


def test_journey_rows_have_every_role(store):
    from send_pressure import journey

    rows = journey.journey_rows(store, KENT, 2024)
    per_measure = rows.groupby("indicator_id").role.nunique()
    assert (per_measure == 4).all()
    assert set(rows.role) == {"la", "region", "england", "neighbours"}
    assert set(rows[rows.role == "england"].series) == {"England"}
    # Counts are never given a rank anywhere in the journey frame.
    assert "rank" not in rows


def test_charts_never_draw_a_marker_as_zero(store):
    from send_pressure import breakdowns, charts

    rows = journey.journey_rows(store, KENT, 2019)  # 2019: decided to assess is published as 'x'
    flow = journey.flow_frame(rows, 2019)
    fig = charts.flow(flow, store.indicators["initial_requests"], "t")
    bar = fig.data[0]
    withheld = flow.index[flow.indicator_id == "requests_decided_to_assess"][0]
    assert bar.x[withheld] is None or bar.x[withheld] != bar.x[withheld]  # no bar (NaN), not 0
    labels = [a.text.replace("<br>", " ") for a in fig.layout.annotations]  # wrapped for a phone
    assert any("Requests: decided to assess: no figure ('x'" in t for t in labels), labels
    by_key = {t.key: t for t in breakdowns.topics(store)}
    surrey = breakdowns.benchmark_rows(store, by_key["new_need"], SURREY)
    surrey = surrey[surrey.time_period == "2024"]
    fig = charts.distribution(surrey, store.indicators["new_ehc_plans"], "t")
    assert all(v != v for v in fig.data[0].x)  # Surrey's bars: none drawn
    assert any("Surrey x" in a.text for a in fig.layout.annotations)


def test_measures_compare_like_indicators(store):
    from send_pressure import compare, measures

    mid = "requests.request_outcome_six_weeks_pc"
    rows = measures.benchmarks(store, mid, KENT)
    same = compare.benchmarks(store, "initial_requests", KENT)
    assert list(rows.columns) == [c for c in same.columns if c in rows.columns] == measures.COLUMNS
    assert set(rows.role) == set(compare.ROLES)
    # data/requests.csv of the 2025 zip, 2024: England 84.8 (% of decisions made within 6 weeks).
    eng = rows[(rows.role == "england") & (rows.time_period == "2024")]
    assert eng.value.tolist() == [84.8] and eng.series.tolist() == ["England"]
    assert measures.benchmarks_many(store, (mid,), KENT)[mid] is rows  # memoised on the store, shared
    ind = measures.as_indicator(store, mid)
    assert (ind.kind, ind.unit, ind.additive, ind.comparable, ind.decimals) == ("rate", "percent", False, True, 1)
    assert ind.topic == "request_path" and ind.short_label == ind.label and "{value}" in ind.sentence
    count = measures.as_indicator(store, "requests.mediation_related_request")
    assert (count.kind, count.additive, count.comparable, count.topic) == ("count", True, False, "tribunal")
    assert count.better_than(5, 3) is None
