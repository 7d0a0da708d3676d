"""Honest framing of comparisons: aggregates the build computes, long series, neighbours, flags.

Literals were read by hand from the source files in the mirror (``../shared/data/sources``,
EHCP = ``education-health-and-care-plans/``), never from the ETL.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import obs

from etl.aggregates import missing_group_rates

ENGLAND = "E92000001"
NORTH_EAST = "E12000001"
KENT = "E10000016"


def headline(con, indicator: str, area: str, period: str) -> tuple:
    """(value, marker, source_id) of one headline figure; fails if absent or repeated."""
    return obs(con, indicator, area, period)[:3]


# ------------------------------------------------------------------------------ regional tribunal rates


def test_north_east_tribunal_rate_2014_counts_nil_as_zero(con):
    # SEND Tribunals and appeal rate 2014-2024.csv, NORTH EAST block, 2014 columns: appeals 34 (Durham), 13, 1,
    # 7, 18, 3, 10, 10 and ' - ' for Darlington, Hartlepool, Middlesbrough, Redcar and Cleveland (96 in all);
    # appealable decisions of the 12 authorities sum to 12,179. 96 / 12,179 = 0.79% (0.98% if the four '-'
    # authorities' decisions were dropped).
    rate, marker, source = headline(con, "tribunal_appeal_rate", NORTH_EAST, "2014")
    assert marker is None and source == "tribunal_2025"
    assert round(rate, 2) == 0.79
    assert headline(con, "tribunal_appeals", NORTH_EAST, "2014")[0] == 96
    assert headline(con, "appealable_decisions", NORTH_EAST, "2014")[0] == 12179
    note = con.execute(
        "SELECT note FROM data_note WHERE area_code = ? AND indicator_id = 'tribunal_appeal_rate' "
        "AND time_period IS NULL",
        [NORTH_EAST],
    ).fetchone()[0]
    assert "computes it from the area's local authorities" in note and "'-' (nil) counts as zero" in note


def test_la_cell_still_shows_nil(con):
    # Darlington (841) 2014 appeals are printed ' - '.
    value, marker, _ = headline(con, "tribunal_appeals", "E06000005", "2014")
    assert value is None and marker == "-"


def test_group_rates_left_out_markers_are_named():
    """Small test-only frame: '-' is zero in the sums, '..' leaves the LA out and says so."""
    la = pd.DataFrame({"new_la_code": ["A", "B", "C"], "la_name": ["Ay", "Bee", "Cee"], "region_code": ["R", "R", "R"]})
    rows = []
    for code, appeals, decisions in (("A", (3.0, None), (100.0, None)), ("B", (None, "-"), (50.0, None))):
        rows.append(("tribunal_appeals", code, *appeals))
        rows.append(("appealable_decisions", code, *decisions))
    rows += [("tribunal_appeals", "C", None, ".."), ("appealable_decisions", "C", None, "..")]
    rows += [("tribunal_appeal_rate", c, 1.0, None) for c in "ABC"]
    obs = pd.DataFrame(rows, columns=["indicator_id", "area_code", "value", "marker"]).assign(
        geographic_level="Local authority", breakdown_topic="Total", breakdown="Total", time_period="2014",
        year=2014, source_id="t",
    )  # fmt: skip
    out, notes = missing_group_rates(obs, la)
    region = out[(out.area_code == "R") & (out.indicator_id == "tribunal_appeal_rate")]
    assert region.value.iloc[0] == pytest.approx(3 / 150 * 100)
    assert out[(out.area_code == "R") & (out.indicator_id == "tribunal_appeals")].value.iloc[0] == 3
    assert any("Cee ('..')" in n["note"] for n in notes)


# ------------------------------------------------------------------------------ statements of SEN


def test_england_statements_and_plans_january_2015(con):
    # education-health-and-care-plans_2022.zip data/sen2_age_caseload.csv, National, 2015, characteristic_age
    # Total: Total_st 235980, Total_ehc 4203, Total_all 240183.
    assert headline(con, "statements_and_ehc_plans", ENGLAND, "201415")[:2] == (240183, None)
    assert headline(con, "statements_of_sen", ENGLAND, "201415")[0] == 235980
    assert headline(con, "ehc_plans", ENGLAND, "201415")[0] == 4203  # plans alone stay available
    # From January 2019 the long series is the EHC plan count of the newest release (caseload.csv 202425: 638745).
    assert headline(con, "statements_and_ehc_plans", ENGLAND, "202425") == (638745, None, "ehcp")
    # Kent (886), 2015: Total_st 6656 + Total_ehc 228 = Total_all 6884.
    assert headline(con, "statements_and_ehc_plans", KENT, "201415")[0] == 6884


def test_growth_sentence_counts_statements(store):
    from send_pressure.compare import long_run_growth

    text = long_run_growth(store, ENGLAND, "ehc_plans")
    assert "240,183 in January 2015 to 638,745 in January 2025 (2.7 times as many)" in text


# ------------------------------------------------------------------------------ counts are not ranked


def test_catalogue_says_which_indicators_compare(store):
    inds = store.indicators
    assert not inds["ehc_plans"].comparable and "how big" in inds["ehc_plans"].not_comparable_because
    assert not inds["high_needs_block"].comparable
    for iid in ("pct_within_20_weeks", "tribunal_appeal_rate", "high_needs_block_per_ehc_plan"):
        assert inds[iid].comparable and not inds[iid].not_comparable_because


def test_count_indicator_has_no_rank_on_any_page(db_path):
    from helpers import open_page

    at = open_page("views/profile.py", la=KENT)
    table = at.dataframe[0].value
    for label in ("EHC plans (January)", "High needs block allocation", "New EHC plans issued"):
        row = table[table.Indicator == label].iloc[0]
        assert row.Rank.startswith("not ranked") and row.Quartile == "", label
    at = open_page("views/compare.py", ind="ehc_plans", period="202425")
    assert not any({"Rank", "Quartile"} & set(d.value.columns) for d in at.dataframe)
    assert any("not ranked" in i.value for i in at.info)
    changes = next(d.value for d in at.dataframe if "% change" in d.value.columns)
    # caseload.csv: Kent All EHC plans 202324 19407, 202425 20635 (+6.3%).
    kent = changes[changes.Code == KENT].iloc[0]
    assert kent["2023/24"] == "19,407" and kent["2024/25"] == "20,635" and kent["% change"] == 6.3


def test_map_legend_sentence_matches_the_figure(store):
    """Read the colour scale off the figure: the darker end must be the end the sentence calls darker."""
    from plotly.colors import hex_to_rgb, unlabel_rgb

    from send_pressure import charts

    def luminance(colour: str) -> float:
        r, g, b = hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for iid in ("tribunal_appeal_rate", "pct_within_20_weeks", "pct_pupils_ehc_plan"):
        ind = store.indicators[iid]
        period = store.latest_period(iid)
        fig = charts.choropleth(store.snapshot(iid, period), store.boundaries, ind, "t")
        bar = next(t for t in fig.data if t.marker and t.marker.showscale)
        low, high = bar.marker.colorscale[0][1], bar.marker.colorscale[-1][1]
        dark_is_high = luminance(high) < luminance(low)
        sentence = charts.map_legend_sentence(ind)
        assert f"Darker shading means a {'higher' if dark_is_high else 'lower'} figure" in sentence, iid
        if ind.polarity != "neutral":
            better_high = ind.polarity == "higher_is_better"
            assert ("which is better" in sentence) == (dark_is_high == better_high), iid
    assert "lower figure, which is better" in charts.map_legend_sentence(store.indicators["tribunal_appeal_rate"])


# ------------------------------------------------------------------------------ neighbours shown


def test_kent_neighbours_median_timeliness_2024(store):
    from send_pressure.profile import headline_table

    # Kent's ten neighbours (sn_may_2025.xlsx, LA 886: 881, 845, 878, 303, 935, 926, 891, 938, 822, 933) and
    # their 2024 PC_plans_issued_20_weeks_ex in timeliness_20_week.csv ('All EHC plans issued'): Essex 15,
    # East Sussex 85.1, Devon 3.2, Bexley 68.6, Suffolk 25.4, Norfolk 56.3, Nottinghamshire 37.5, West Sussex
    # 11.4, Bedford 74.2, Somerset 33.5. Median (33.5 + 37.5) / 2 = 35.5; Kent 33.3, six neighbours do better.
    row = headline_table(store, KENT).set_index("indicator_id").loc["pct_within_20_weeks"]
    assert row.latest_period == "2024" and row.latest_value == 33.3
    assert row.neighbours_value == pytest.approx(35.5)
    assert (row.neighbours_low, row.neighbours_high) == (3.2, 85.1)
    assert row.neighbours_better == 6 and row.neighbours_n == 10
    assert row.neighbours == "median 35.5% (range 3.2% to 85.1%; 10 of 10 neighbours)"


def test_kent_briefing_asks_the_timeliness_question(store):
    from send_pressure.briefing import scrutiny_facts, scrutiny_questions
    from send_pressure.profile import headline_table

    facts = scrutiny_facts(store, headline_table(store, KENT), KENT)
    asked = {rule.rule_id: q for rule, q in scrutiny_questions(facts)}
    assert "6 of its 10 statistical neighbours with a figure did better" in asked["timeliness_below_neighbours"]
    assert "median 35.5%" in asked["timeliness_below_neighbours"]


def test_every_neighbours_figure_names_its_statistic(db_path):
    from helpers import open_page

    at = open_page("views/profile.py", la=KENT)
    headline = at.dataframe[0].value
    column = next(c for c in headline.columns if "neighbour" in c.lower())
    assert "median" in column
    assert all(v.startswith("median ") or v == "not published" for v in headline[column])
    each = next(d.value for d in at.dataframe if "Closeness" in d.value.columns)  # each neighbour's own figures
    assert len(each) == 11 and "Essex" in set(each["Local authority"])
    at = open_page("views/delays.py", la=KENT, ind="pct_within_20_weeks", period="2024")
    texts = [m.value for m in at.markdown]
    line = next(t for t in texts if "statistical neighbours:" in t)
    assert "median 35.5% (range 3.2% to 85.1%; 10 of 10 neighbours)" in line and "pooled (" in line
    assert any("6 of Kent's 10 neighbours" in t for t in texts)
    at = open_page("views/mp.py", pcon="E14001069")  # Ashford, served by Kent
    assert at.table
    for frame in at.table:
        for col in frame.value.columns:
            assert "neighbour" not in col.lower() or "median" in col, col


def test_trend_draws_each_neighbour_one_click_away(store):
    from send_pressure import charts, compare

    rows = compare.benchmarks(store, "pct_within_20_weeks", KENT)
    fig = charts.trend(rows, store.indicators["pct_within_20_weeks"], "t", highlight="Kent")
    (each,) = [t for t in fig.data if t.legendgroup == "each_neighbour"]  # one legend entry, one click
    assert each.visible == "legendonly"
    named = {h.split(" (neighbour)")[0] for h in each.hovertext if h}
    assert len(named) == 10 and "Essex" in named
    essex = [y for y, h in zip(each.y, each.hovertext, strict=True) if h.startswith("Essex") and "2024:" in h]
    assert essex == [15.0]  # timeliness_20_week.csv, Essex (881) 2024: PC_plans_issued_20_weeks_ex 15
    assert any(t.name == compare.NEIGHBOURS and "median" in t.name for t in fig.data)


# ------------------------------------------------------------------------------ data-quality flags

NEWHAM = "E09000025"  # DfE 316
MILTON_KEYNES = "E06000042"  # DfE 826
WEST_BERKSHIRE = "E06000037"  # DfE 869
ISLE_OF_WIGHT = "E06000046"  # DfE 921
DORSET = "E06000059"  # DfE 838


def flags(con, indicator: str, area: str, period: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT rule, explanation FROM data_flag WHERE indicator_id = ? AND area_code = ? AND time_period = ?",
        [indicator, area, period],
    ).fetchall()
    return dict(rows)


def test_flag_jump_newham_caseload_2025(con):
    # caseload.csv, Newham (316), All EHC plans: 202324 2705, 202425 1199 (-56%).
    text = flags(con, "ehc_plans", NEWHAM, "202425")["jump"]
    assert text.startswith("As published; looks implausible because")
    assert "from 2,705 in 2023/24 to 1,199 in 2024/25 (-56%)" in text
    assert "share of its pupils with an EHC plan moved the other way" in text
    assert headline(con, "ehc_plans", NEWHAM, "202425")[0] == 1199  # flagged, never changed


def test_flag_zero_refusals(con):
    # requests.csv, Milton Keynes (826), 2024, All requests: received 846, decided not to assess 0.
    text = flags(con, "requests_refused", MILTON_KEYNES, "2024")["zero_refusals"]
    assert "0 initial requests are published as refused in 2024 against 846 initial requests" in text
    assert "zero_refusals" in flags(con, "requests_refused_pct", MILTON_KEYNES, "2024")


def test_flag_breakdown_sum(con):
    # sen_need_newplans.csv, Isle of Wight (921), 2024: all plans 3 (primary needs 1 + 1 + 1);
    # newplans.csv, Isle of Wight 2024 New EHC plans: 187.
    text = flags(con, "new_ehc_plans", ISLE_OF_WIGHT, "2024")["breakdown_sum"]
    assert "add up to 3, against a headline figure of 187" in text


def test_flag_plans_without_requests(con):
    # requests.csv, West Berkshire (869), 2022: received 0; newplans.csv 2022 New EHC plans 176.
    text = flags(con, "initial_requests", WEST_BERKSHIRE, "2022")["plans_without_requests"]
    assert "0 initial requests are published for 2022, a year in which the authority issued 176 new EHC plans" in text


def test_flag_rules_on_test_only_frames():
    """Small test-only frames: each rule fires on its condition and stays quiet otherwise."""
    from etl import flags as f

    def frame(rows):
        return pd.DataFrame(rows, columns=["indicator_id", "geographic_level", "area_code", "breakdown_topic",
                                           "breakdown", "time_period", "year", "value", "marker"])  # fmt: skip

    la = ("Local authority", "A", "Total", "Total")
    obs = frame([("initial_requests", *la, "2023", 2023, 200.0, None),
                 ("initial_requests", *la, "2024", 2024, 500.0, None),
                 ("initial_requests", "National", "E", "Total", "Total", "2023", 2023, 100.0, None),
                 ("initial_requests", "National", "E", "Total", "Total", "2024", 2024, 110.0, None)])  # fmt: skip
    assert [r["rule"] for r in f.year_on_year_jumps(obs)] == ["jump"]
    small = obs.assign(value=obs.value.where(obs.area_code != "A", [20.0, 50.0, 100.0, 110.0]))
    assert f.year_on_year_jumps(small) == []  # fewer than 100 either side: not implausible
    obs = frame(
        [("requests_refused", *la, "2024", 2024, 0.0, None), ("initial_requests", *la, "2024", 2024, 99.0, None)]
    )
    assert f.zero_refusals(obs) == []
    assert len(f.zero_refusals(obs.assign(value=[0.0, 100.0]))) == 2
    obs = frame([("new_ehc_plans", *la, "2024", 2024, 10.0, None),
                 ("new_ehc_plans", "Local authority", "A", "Primary need", "X", "2024", 2024, 4.0, None),
                 ("new_ehc_plans", "Local authority", "A", "Primary need", "Y", "2024", 2024, 6.0, None)])  # fmt: skip
    assert f.breakdown_mismatch(obs) == []
    assert len(f.breakdown_mismatch(obs.assign(value=[12.0, 4.0, 6.0]))) == 1
    obs = frame([("initial_requests", *la, "2022", 2022, 0.0, None), ("new_ehc_plans", *la, "2022", 2022, 5.0, None)])
    assert len(f.plans_without_requests(obs)) == 1
    assert f.plans_without_requests(obs.assign(value=[1.0, 5.0])) == []


def test_dorset_marker_worded_from_publisher_footnote(store):
    from send_pressure.profile import headline_table

    # timeliness_20_week.csv, Dorset (838) 2024: PC_plans_issued_20_weeks_ex 'x'; data-guidance.txt footnote 1.
    row = headline_table(store, DORSET).set_index("indicator_id").loc["pct_within_20_weeks"]
    assert row.latest == "x"
    assert "classed all new plans as having permitted exceptions to the 20 week statutory timeframe" in row.flag


def test_profile_shows_flag_beside_figure(db_path):
    from helpers import open_page

    at = open_page("views/profile.py", la=NEWHAM)
    table = at.dataframe[0].value
    row = table[table.Indicator == "EHC plans (January)"].iloc[0]
    assert row["Data quality"].startswith("⚠ As published; looks implausible because")


# ------------------------------------------------------------------------------ England and regions page


def test_england_and_regions_page(db_path):
    from helpers import open_page

    at = open_page("views/england.py", ind="tribunal_appeal_rate", period="2014")
    text = "\n".join(m.value for m in at.markdown)
    assert "England went from 240,183 in January 2015 to 638,745 in January 2025" in text
    assert "Darker shading means a lower figure, which is better here." in text
    # The regions chart's data table (areas by period), headed as on screen: Area (the index), Period, Figure.
    regions = next(t.value for t in at.table if "North East" in set(t.value.index))
    ne = regions[(regions.index == "North East") & (regions.Period == "2014")]
    assert ne.Figure.iloc[0] == "0.8%"  # 0.79% (see the tribunal test above), one decimal place as shown
    assert at.title[0].value == "England and regions"


# ------------------------------------------------------------------------------ uncertainty


def test_wilson_interval_known_values():
    from etl.catalogue import by_id
    from send_pressure.uncertainty import comparison, wilson

    higher, lower = by_id()["pct_within_20_weeks"], by_id()["pct_over_1_year"]  # higher / lower is better

    # Textbook Wilson 95% intervals: 1/1 -> 20.65% to 100%; 0/10 -> 0% to 27.75%; 50/100 -> 40.38% to 59.62%.
    for (k, n), (lo, hi) in {(1, 1): (20.65, 100.0), (0, 10): (0.0, 27.75), (50, 100): (40.38, 59.62)}.items():
        low, high = wilson(k, n)
        assert (round(float(low), 2), round(float(high), 2)) == (lo, hi)
    assert comparison(40.0, 60.0, 50.0, higher) == "similar"
    assert comparison(40.0, 45.0, 50.0, higher) == "significantly worse"
    assert comparison(40.0, 45.0, 50.0, lower) == "significantly better"


def test_birmingham_2014_rests_on_one_plan(db_path):
    from helpers import open_page

    # sen2_mi.csv (2022 release), Birmingham (330) 2014: TotNoExcEHC 1, NoExc20weekEHC 1, NoExc20weekRate 100.
    at = open_page("views/compare.py", ind="pct_within_20_weeks", period="2014")
    table = next(d.value for d in at.dataframe if "Small number" in d.value.columns)
    row = table[table["Local authority"] == "Birmingham"].iloc[0]
    assert row.Figure == "100.0%" and row.Denominator == 1
    assert row["95% interval"] == "20.7% to 100.0%" and row["Small number"] == "resting on 1 case"


def test_kent_timeliness_interval_and_england_comparison(store):
    from send_pressure.profile import headline_table

    # timeliness_20_week.csv, Kent 2024: plans_issued_20_weeks_ex 783 of plans_issued_den_ex 2354 (33.3%);
    # Wilson 95%: 31.4% to 35.2%, below England's 46.4%.
    row = headline_table(store, KENT).set_index("indicator_id").loc["pct_within_20_weeks"]
    assert row.denominator == 2354 and row.interval == "31.4% to 35.2%"
    assert row.vs_england == "significantly worse"


# ------------------------------------------------------------------------------ chart captions


def test_caption_period_is_read_from_the_figure(db_path, store):
    from send_pressure import charts, compare, ui

    rows = compare.benchmarks(store, "ehc_plans", KENT)
    assert rows.sort_values("year").time_period.iloc[0] == "200910"  # 'z' before EHC plans existed
    fig = charts.trend(rows, store.indicators["ehc_plans"], "t", highlight="Kent")
    shown = charts.periods_shown(fig)
    first_drawn = min(
        (p for t in fig.data if t.type == "scatter" for p, v in zip(t.x, t.y, strict=True) if p and v == v),
        key=shown.index,
    )
    assert shown[0] == first_drawn == "2014/15" and shown[-1] == "2024/25"
    caption = ui.source_caption(rows, shown)
    assert caption.endswith("Period: 2014/15 to 2024/25.") and "2009/10" not in caption
    assert charts.periods_shown(charts.choropleth(store.snapshot("ehc_plans", "202425"), store.boundaries,
                                                  store.indicators["ehc_plans"], "t")) is None  # fmt: skip


def test_delays_ranking_says_when_a_figure_rests_on_few_cases(db_path):
    from helpers import open_page

    # sen2_mi.csv (2022 release), Birmingham (330) 2014: 1 plan (excluding exceptions), 1 within 20 weeks.
    at = open_page("views/delays.py", la="E08000025", ind="pct_within_20_weeks", period="2014")
    text = "\n".join(m.value for m in at.markdown)
    assert "resting on 1 case." in text
    assert "Birmingham (1)" in text and "rest on fewer than 10 plans" in text


def test_trend_hover_carries_the_flag(db_path):
    from send_pressure import ui

    rows = ui._chart_rows(ui.store(), "ehc_plans", NEWHAM)
    fig = ui._benchmark_figure(ui.store(), "ehc_plans", NEWHAM, "t")
    newham = next(t for t in fig.data if t.name == "Newham")
    hover = [h for h in newham.hovertext if "2024/25" in h][0]
    assert "⚠ As published; looks implausible because" in hover
    assert rows.flag.str.startswith("As published").sum() >= 1


def test_map_shapes_are_simplified_without_losing_an_authority(store):
    """The map draws simplified borders (compare.map_boundaries): every authority keeps its shape, none moves
    further than the tolerance allows, the smallest ones are still there, and the map's figure shrinks."""
    import shapely

    from send_pressure import charts
    from send_pressure.compare import map_boundaries

    full, simple = store.boundaries, map_boundaries(store)
    assert list(simple.new_la_code) == list(full.new_la_code) and list(simple.name) == list(full.name)
    for code, before, after in zip(full.new_la_code, full.geometry, simple.geometry, strict=True):
        a, b = shapely.from_geojson(before), shapely.from_geojson(after)
        assert not b.is_empty and b.area > 0, code
        # Every simplified border lies within the tolerance of the published one (a little slack for shared arcs).
        assert shapely.hausdorff_distance(a.boundary, b.boundary) <= 2 * charts.MAP_TOLERANCE, code
    points = sum(len(charts._outline(g)[0]) for g in simple.geometry)
    assert points < 0.5 * sum(len(charts._outline(g)[0]) for g in full.geometry)
    small = dict(zip(simple.name, simple.geometry, strict=True))
    for name in ("City of London", "Isles of Scilly", "Rutland"):
        assert shapely.from_geojson(small[name]).area > 0, name
    ind = store.indicators["ehc_plans"]
    fig = charts.choropleth(store.snapshot("ehc_plans", "202425"), simple, ind, "t")
    assert len(fig.data) == len(simple) + 1 and len(fig.to_json()) < 250_000
