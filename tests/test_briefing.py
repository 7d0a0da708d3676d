"""The printable scrutiny briefing: generated for every LA, figures equal the database, PDF prints."""

from __future__ import annotations

import html
import io
import math
import sys
from datetime import date

import pandas as pd
import pytest

from etl.catalogue import by_id
from send_pressure import briefing
from send_pressure.briefing import GroupRank, briefing_html, briefing_pdf, group_rank, scrutiny_questions
from send_pressure.catalogue import format_value, ordinal

TODAY = date(2026, 11, 29)
NAMED = {"E10000016": "Kent", "E06000063": "Cumberland", "E06000053": "Isles of Scilly"}
CHECKED = ["pct_within_20_weeks", "requests_refused_pct", "tribunal_appeal_rate", "ehc_plans", "initial_requests"]


def _db_latest(store, iid: str, code: str) -> tuple[str, float | None, str | None]:
    """The LA's figure in the indicator's latest period, straight from SQL."""
    period = store.query(
        """SELECT time_period FROM observation WHERE indicator_id = ? AND breakdown_topic = 'Total'
           AND breakdown = 'Total' ORDER BY year DESC, time_period DESC LIMIT 1""",
        [iid],
    ).time_period.iloc[0]
    row = store.query(
        """SELECT value, marker FROM observation WHERE indicator_id = ? AND area_code = ? AND time_period = ?
           AND breakdown_topic = 'Total' AND breakdown = 'Total'""",
        [iid, code, period],
    )
    if row.empty:
        return period, None, None
    v, m = row.value.iloc[0], row.marker.iloc[0]
    return period, (None if pd.isna(v) else float(v)), (m if isinstance(m, str) else None)


@pytest.mark.slow
def test_every_current_authority_builds(store):
    for code, name in zip(store.current_authorities.new_la_code, store.current_authorities.la_name, strict=True):
        page = briefing_html(store, code, TODAY, charts=False)
        assert page.startswith("<!DOCTYPE html>")
        assert f"<h1>SEND scrutiny briefing: {html.escape(name)}</h1>" in page
        assert ">nan<" not in page and " nan " not in page and ">None<" not in page, code
        assert "@page" in page and "size: A4" in page


@pytest.mark.parametrize("code", list(NAMED))
def test_headline_figures_equal_the_database(store, code):
    page = briefing_html(store, code, TODAY)
    assert NAMED[code] in page
    assert 'src="http' not in page and "<link" not in page  # self-contained
    assert page.count("data:image/svg+xml;base64,") >= 3
    for iid in CHECKED:
        unit = store.indicators[iid].unit
        period, value, marker = _db_latest(store, iid, code)
        shown = html.escape(format_value(value, marker, unit))
        assert f"<td>{shown}<span" in page, (iid, shown)
        _, eng, _ = _db_latest(store, iid, "E92000001")
        assert f"<td>{html.escape(format_value(eng, None, unit))}</td>" in page, iid


def test_kent_sentence_matches_database(store):
    page = briefing_html(store, "E10000016", TODAY, charts=False)
    _, kent, _ = _db_latest(store, "pct_within_20_weeks", "E10000016")
    _, eng, _ = _db_latest(store, "pct_within_20_weeks", "E92000001")
    word = "below" if kent < eng else "above"
    gr = group_rank(store, store.indicators["pct_within_20_weeks"], "E10000016", "2024")
    expected = f"In 2024, Kent issued {kent:.1f}% of new EHC plans within 20 weeks"  # previous year follows in brackets
    assert expected in page
    assert f"{word} England ({eng:.1f}%) and {gr.text(store.indicators['pct_within_20_weeks'])}." in page


def test_group_rank_against_sql(store):
    codes = ["E10000016", *store.neighbours("E10000016").neighbour_code]
    snap = store.query(
        f"""SELECT area_code, value FROM observation WHERE indicator_id = 'pct_within_20_weeks' AND time_period = '2024'
            AND breakdown_topic = 'Total' AND area_code IN ({",".join("?" * len(codes))}) AND value IS NOT NULL""",
        codes,
    )
    kent = snap.set_index("area_code").value["E10000016"]
    expected = 1 + int((snap.value > kent).sum())
    gr = group_rank(store, store.indicators["pct_within_20_weeks"], "E10000016", "2024")
    assert (gr.rank, gr.of, gr.group_size) == (expected, len(snap), 11)


def test_scilly_is_not_ranked_in_its_group(store):
    gr = group_rank(store, store.indicators["pct_within_20_weeks"], "E06000053", "2024")
    assert gr.rank is None and gr.text(store.indicators["pct_within_20_weeks"]) == ""
    page = briefing_html(store, "E06000053", TODAY, charts=False)
    assert "too small to compare fairly" in page


def test_cumberland_reorganisation_caveat(store):
    page = briefing_html(store, "E06000063", TODAY, charts=False)
    assert "Cumberland was formed on 1 April 2023 when Cumbria (E10000006) was split" in page
    assert "which also formed Westmorland and Furness" in page
    assert "change in the tribunal data collection" in page


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"),
     (22, "22nd"), (101, "101st"), (111, "111th"), (112, "112th")],
)  # fmt: skip
def test_ordinals(n, text):
    assert ordinal(n) == text


def test_group_rank_text_ties_and_missing():
    higher, lower, neutral = (
        by_id()[i] for i in ("pct_within_20_weeks", "requests_refused_pct", "pct_pupils_ehc_plan")
    )
    assert GroupRank(3, 11, 11, True).text(higher) == "joint 3rd of the 11 authorities in its comparison group"
    assert GroupRank(8, 9, 11, False).text(lower) == (
        "8th of the 9 authorities in its comparison group with a published figure"
    )
    assert GroupRank(2, 11, 11, False).text(neutral) == "2nd highest of the 11 authorities in its comparison group"
    assert GroupRank(None, 9, 11, False).text(higher) == ""


def test_marker_sentence_says_not_published(store):
    row = pd.Series(
        {
            "indicator_id": "pct_within_20_weeks",
            "latest_period": "2024",
            "latest_value": math.nan,
            "latest_marker": "z",
            "latest": "z",
            "previous_period": "2023",
            "previous_value": math.nan,
            "previous": "x",
            "england_value": 46.4,
            "england": "46.4%",
        }
    )
    text = briefing.indicator_sentence(store, row, "Testshire", "E10000016")
    assert text.startswith(
        "In 2024, Testshire's figure for % of new EHC plans issued within 20 weeks was not published"
    )
    assert "'z': not applicable" in text


def test_rules_fire_on_their_conditions():
    facts = {
        "la": "Testshire",
        "nb_of": 10,
        **{"t": 30.0, "t_f": "30.0%", "t_p": "2024", "t_prev": 40.0, "t_prev_f": "40.0%", "t_prev_p": "2023"},
        **{"req": 1200.0, "req_f": "1,200", "req_prev": 1000.0, "req_prev_f": "1,000"},
        **{"ref": 30.0, "ref_f": "30.0%", "ref_p": "2024", "ref_eng": 25.0, "ref_eng_f": "25.0%"},
        **{"app": 2.0, "app_f": "2.0%", "app_p": "2024", "app_eng": 3.0, "app_eng_f": "3.0%"},
        **{"t_nb": 30.0, "t_nb_f": "30.0%", "t_nb_n": 10},
    }
    fired = {r.rule_id: q for r, q in scrutiny_questions(facts)}
    assert set(fired) == {"timeliness_falling_demand_rising", "refusals_above_england"}
    assert "fell from 40.0% in 2023 to 30.0% in 2024" in fired["timeliness_falling_demand_rising"]
    assert "Testshire refused 30.0%" in fired["refusals_above_england"]
    # Missing figures never fire a rule.
    assert scrutiny_questions({"la": "Testshire", "t": math.nan, "t_nb": 50.0}) == []


def test_text_is_escaped(store, monkeypatch):
    la = store.local_authorities.copy()
    la.loc[la.new_la_code == "E10000016", "la_name"] = "Kent <script>alert(1)</script> & Co"
    monkeypatch.setitem(store.__dict__, "local_authorities", la)  # the cached property's value
    page = briefing_html(store, "E10000016", TODAY, charts=False)
    assert "<script>" not in page
    assert "Kent &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


def test_pdf_prints_with_the_authority_name(store):
    pypdf = pytest.importorskip("pypdf")
    try:
        pdf = briefing_pdf(briefing_html(store, "E06000063", TODAY))
    except RuntimeError as e:
        pytest.skip(str(e))
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Cumberland" in text


def test_pdf_engine_missing_raises_runtime_error(monkeypatch):
    from send_pressure.briefing import pdf_engine_problem

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes the import fail
    pdf_engine_problem.cache_clear()
    try:
        assert "PDF engine" in pdf_engine_problem()
        with pytest.raises(RuntimeError, match="PDF engine"):
            briefing_pdf("<p>x</p>")
    finally:
        pdf_engine_problem.cache_clear()
