"""Figures in the built database checked against values read by hand from the source files.

Every literal below was read directly from the file named in its comment (opened with Python's zipfile/csv,
python-calamine for the ODS/XLSX files, DuckDB for the parquet, json for the GeoJSON), not from the ETL. The
mirror is ``../shared/data/sources`` (EHCP = ``education-health-and-care-plans/``).
"""

from __future__ import annotations

import pytest
from helpers import obs

ENGLAND = "E92000001"
KENT = "E10000016"  # DfE 886
CUMBRIA = "E10000006"  # DfE 909, abolished 1 April 2023
CUMBERLAND = "E06000063"  # DfE 942, from 1 April 2023
NORTH_YORKSHIRE = "E06000065"  # DfE 815 (EES files print the retired E10000023)
BUCKINGHAMSHIRE = "E06000060"  # DfE 825 (EES files print E10000002 in some years)
NORTHAMPTONSHIRE = "E10000021"  # DfE 928 (the tribunal table prints 892)
NOTTINGHAM = "E06000018"  # DfE 892
DORSET_COUNTY = "E10000009"  # DfE 835, before April 2019
DORSET_COUNCIL = "E06000059"  # DfE 838, from April 2019
LEICESTER = "E06000016"  # DfE 856
ISLES_OF_SCILLY = "E06000053"  # DfE 420
BLACKPOOL = "E06000009"  # DfE 890


def value(con, indicator: str, area: str, period: str) -> float:
    v, marker, _, _ = obs(con, indicator, area, period)
    assert marker is None, f"{indicator} {area} {period} is marker {marker!r}"
    return v


# ------------------------------------------------------------------------------------------------ EHCP 2025


@pytest.mark.parametrize(
    ("indicator", "area", "period", "expected", "level"),
    [
        # education-health-and-care-plans_2025.zip data/caseload.csv, row National 202425 'All EHC plans', ehcplans
        ("ehc_plans", ENGLAND, "202425", 638745, "National"),
        # same file, row Regional E12000001 (North East) 202425 'All EHC plans', ehcplans
        ("ehc_plans", "E12000001", "202425", 29396, "Regional"),
        # same file, row Local authority 886 Kent 202425, ehcplans
        ("ehc_plans", KENT, "202425", 20635, "Local authority"),
        # data/requests.csv, row National 2024 'All requests...', requests_received_in_year
        ("initial_requests", ENGLAND, "2024", 154489, "National"),
        # data/requests.csv, row National 2023, requests_decided_not_to_assess
        ("requests_refused", ENGLAND, "2023", 33141, "National"),
        # data/requests.csv, row LA 886 Kent 2024, requests_received_in_year / requests_decided_not_to_assess
        ("initial_requests", KENT, "2024", 4001, "Local authority"),
        ("requests_refused", KENT, "2024", 2200, "Local authority"),
    ],
)
def test_ehcp_2025_figures(con, indicator, area, period, expected, level):
    v, marker, source_id, geographic_level = obs(con, indicator, area, period)
    assert (v, marker, source_id, geographic_level) == (expected, None, "ehcp", level)


# ------------------------------------------------------------------------------------------------ EHCP 2022


@pytest.mark.parametrize(
    ("indicator", "area", "period", "expected"),
    [
        # education-health-and-care-plans_2022.zip data/sen2_age_caseload.csv, National time_period 2018
        # (January 2018), characteristic_age Total, Total_ehc -> relabelled '201718'
        ("ehc_plans", ENGLAND, "201718", 285722),
        # same file, LA 886 Kent 2018 Total, Total_ehc
        ("ehc_plans", KENT, "201718", 9616),
        # same file, LA 909 Cumbria 2018 Total, Total_ehc
        ("ehc_plans", CUMBRIA, "201718", 2775),
        # same file, LA 825 Buckinghamshire (printed E10000002) 2018 Total, Total_ehc
        ("ehc_plans", BUCKINGHAMSHIRE, "201718", 2929),
        # same file, Regional E12000007 London 2018 Total, Total_ehc
        ("ehc_plans", "E12000007", "201718", 45173),
        # data/sen2_mi.csv, National 2016: InreqEHC / AssRefusedEHC
        ("initial_requests", ENGLAND, "2016", 55235),
        ("requests_refused", ENGLAND, "2016", 14795),
        # data/sen2_mi.csv, LA 886 Kent 2016: InreqEHC
        ("initial_requests", KENT, "2016", 1634),
    ],
)
def test_ehcp_2022_figures(con, indicator, area, period, expected):
    v, marker, source_id, _ = obs(con, indicator, area, period)
    assert (v, marker, source_id) == (expected, None, "ehcp_2022")


def test_2022_caseload_calendar_labels_are_not_loaded(con):
    # The 2022 release's caseload '2018' is January 2018; it must exist only as '201718', never as '2018'.
    n = con.execute(
        "SELECT count(*) FROM observation WHERE indicator_id = 'ehc_plans' AND time_period = '2018'"
    ).fetchone()
    assert n[0] == 0
    assert con.execute(
        "SELECT year FROM observation WHERE indicator_id = 'ehc_plans' AND area_code = ? AND time_period = '201718'",
        [ENGLAND],
    ).fetchone() == (2018,)


def test_overlap_period_comes_from_newer_release(con):
    # January 2019 caseload is in both releases: 2022 zip sen2_age_caseload.csv 2019 Total_ehc = 353995 and
    # 2025 zip caseload.csv 201819 ehcplans = 353995. The 2025 release must be the one loaded.
    assert obs(con, "ehc_plans", ENGLAND, "201819") == (353995, None, "ehcp", "National")
    # Kent: 2022 file 2019 Total_ehc 11763; 2025 file 201819 ehcplans 11763.
    assert obs(con, "ehc_plans", KENT, "201819")[2] == "ehcp"
    # 2022 release sen2_mi.csv National 2021 InreqEHC = 93302 = 2025 requests.csv 2021; loaded from 2025.
    assert obs(con, "initial_requests", ENGLAND, "2021") == (93302, None, "ehcp", "National")


# ------------------------------------------------------------------------------------------------- tribunal


@pytest.mark.parametrize(
    ("indicator", "area", "period", "expected"),
    [
        # SEND Tribunals and appeal rate 2014-2024.csv (2025 release), row 'England Total4,9', 2023 columns
        # '15,615', '617,776', 2.50%
        ("tribunal_appeals", ENGLAND, "2023", 15615),
        ("appealable_decisions", ENGLAND, "2023", 617776),
        ("tribunal_appeal_rate", ENGLAND, "2023", 2.5),
        # same file, row 'Northamptonshire7' printed with LA code 892 (Nottingham's number), 2018 appeals 145,
        # decisions '4,530'
        ("tribunal_appeals", NORTHAMPTONSHIRE, "2018", 145),
        ("appealable_decisions", NORTHAMPTONSHIRE, "2018", 4530),
        # row 'Nottingham' printed with 891, 2018 appeals 20 (loaded under the real Nottingham 892)
        ("tribunal_appeals", NOTTINGHAM, "2018", 20),
        # row 'Dorset6' 838: 2014 appeals 20 and 2018 appeals 44 belong to the old county (835) ...
        ("tribunal_appeals", DORSET_COUNTY, "2014", 20),
        ("tribunal_appeals", DORSET_COUNTY, "2018", 44),
        # ... and 2019 appeals 57 to Dorset Council (838)
        ("tribunal_appeals", DORSET_COUNCIL, "2019", 57),
        # row 'Cumbria8' 909, 2014 appeals 16
        ("tribunal_appeals", CUMBRIA, "2014", 16),
    ],
)
def test_tribunal_figures(con, indicator, area, period, expected):
    v, marker, source_id, _ = obs(con, indicator, area, period)
    assert (marker, source_id) == (None, "tribunal_2025")
    assert v == pytest.approx(expected)


@pytest.mark.parametrize(
    ("indicator", "area", "period", "expected"),
    [
        # SEND appealable decisions rate 2024-2025.csv (2026 release), row 'England Total': 2024 (revised to the
        # new method; the 2025 release printed 689,739 decisions and 3.20%) and 2025
        ("tribunal_appeals", ENGLAND, "2024", 22276),
        ("appealable_decisions", ENGLAND, "2024", 364912),
        ("tribunal_appeal_rate", ENGLAND, "2024", 6.1),
        ("tribunal_appeals", ENGLAND, "2025", 26977),
        ("appealable_decisions", ENGLAND, "2025", 405735),
        ("tribunal_appeal_rate", ENGLAND, "2025", 6.6),
        # row 'Kent' 886: 2024 1559 / 14675 / 10.60% (the 2025 release: 23,692 decisions, 6.60%); 2025 1756
        ("tribunal_appeals", KENT, "2024", 1559),
        ("appealable_decisions", KENT, "2024", 14675),
        ("tribunal_appeal_rate", KENT, "2024", 10.6),
        ("tribunal_appeals", KENT, "2025", 1756),
        # row 'Cumberland' 942: 2024 appeals 65, 2025 decisions 1968
        ("tribunal_appeals", CUMBERLAND, "2024", 65),
        ("appealable_decisions", CUMBERLAND, "2025", 1968),
    ],
)
def test_tribunal_figures_of_the_newest_release(con, indicator, area, period, expected):
    v, marker, source_id, _ = obs(con, indicator, area, period)
    assert (marker, source_id) == (None, "tribunal")
    assert v == pytest.approx(expected)


def test_tribunal_new_method_is_a_recorded_break_and_never_mixed_with_the_old(con):
    rows = con.execute("SELECT indicator_id, first_period, source_id FROM series_break ORDER BY 1").fetchall()
    assert rows == [("appealable_decisions", "2024", "tribunal"), ("tribunal_appeal_rate", "2024", "tribunal")]
    # Blackpool 890 2024 decisions are ' x ' in the 2026 file; the 2025 file's old-method number is not used.
    assert obs(con, "appealable_decisions", BLACKPOOL, "2024")[:3] == (None, "x", "tribunal")
    # The revision table keeps what the 2025 release printed: England 2024 689,739 -> 364,912.
    old_new = con.execute(
        "SELECT old_value, new_value, old_source_id, series_break FROM revision WHERE indicator_id = "
        "'appealable_decisions' AND area_code = ? AND time_period = '2024'",
        [ENGLAND],
    ).fetchone()
    assert old_new == (689739, 364912, "tribunal_2025", True)


def test_tribunal_misprinted_codes_are_not_loaded_under_the_printed_code(con):
    # Northamptonshire's 2018 figure (145) must not appear under Nottingham (892 = E06000018), whose own is 20.
    assert value(con, "tribunal_appeals", NOTTINGHAM, "2018") != 145
    # Dorset before 2019 is never under the successor Dorset Council.
    rows = con.execute(
        "SELECT count(*) FROM observation WHERE source_id = 'tribunal_2025' AND area_code = ? AND year < 2019",
        [DORSET_COUNCIL],
    ).fetchone()
    assert rows[0] == 0
    notes = [n for (n,) in con.execute("SELECT note FROM data_note WHERE area_code = ?", [NORTHAMPTONSHIRE]).fetchall()]
    assert any("892" in n for n in notes)


# ------------------------------------------------------------------------------------------------------ DSG


@pytest.mark.parametrize(
    ("indicator", "area", "period", "expected", "source_id"),
    [
        # dedicated-schools-grant_2024_07_20.ods (FY 2023-24), Allocations_summary row 129 Kent (886): [C] and [E]
        ("high_needs_block", KENT, "2023-24", 311663662, "dsg_2023_24"),
        ("dsg_total", KENT, "2023-24", 1624348991, "dsg_2023_24"),
        # same sheet, row 5 ENGLAND: [C]
        ("high_needs_block", ENGLAND, "2023-24", 9952172126, "dsg_2023_24"),
        # same sheet, row 155 Cumberland (942): [C]
        ("high_needs_block", CUMBERLAND, "2023-24", 38664270, "dsg_2023_24"),
        # dedicated-schools-grant_2023_07_20.ods (FY 2022-23), Allocations_summary row 141 Cumbria (909): [C]
        ("high_needs_block", CUMBRIA, "2022-23", 60979351, "dsg_2022_23"),
        # ..._allocations_2019-20_to_2023-24.ods, sheet Allocations_1920 (in £ million): Kent [C] 204.03277037120196
        ("high_needs_block", KENT, "2019-20", 204_032_770.37, "dsg_combined"),
        # same sheet, ENGLAND [E] 44867.52032684354 (£m)
        ("dsg_total", ENGLAND, "2019-20", 44_867_520_326.84, "dsg_combined"),
        # same sheet, Northamptonshire (928) [C] 77.90869096331782 (£m)
        ("high_needs_block", NORTHAMPTONSHIRE, "2019-20", 77_908_690.96, "dsg_combined"),
    ],
)
def test_dsg_figures(con, indicator, area, period, expected, source_id):
    v, marker, sid, _ = obs(con, indicator, area, period)
    assert (marker, sid) == (None, source_id)
    assert v == pytest.approx(expected, abs=1.0)  # the £m sheet is rounded to the pound


def test_dsg_per_year_file_wins_over_combined_vintage(con):
    # Combined file sheet Allocations_2324 prints Kent [C] as 311,984,606; the per-year file's 311,663,662 is loaded.
    assert value(con, "high_needs_block", KENT, "2023-24") == 311663662


# ----------------------------------------------------------------------------------------------------- LAIT


@pytest.mark.parametrize(
    ("indicator", "area", "period", "expected"),
    [
        # lait/bds_long_0.parquet, Short Desc SEN_TotStat, Years '2025', LA Number 970 England, Values '5.3'
        ("pct_pupils_ehc_plan", ENGLAND, "202425", 5.3),
        # SEN_TotStat, '2025', LA Number 886 Kent, '5.8'
        ("pct_pupils_ehc_plan", KENT, "202425", 5.8),
        # SEN_TotStat, '2024', LA Number 815 North Yorkshire, '4.0999999999999996' (float artefact)
        ("pct_pupils_ehc_plan", NORTH_YORKSHIRE, "202324", 4.1),
        # SEN_TotStat, '2023', LA Number 909 Cumbria, '4.7'
        ("pct_pupils_ehc_plan", CUMBRIA, "202223", 4.7),
        # SEN_TotSENSuP, '2025', LA Number 984 West Midlands, '14.9'
        ("pct_pupils_sen_support", "E12000005", "202425", 14.9),
        # SEN_TotSENSuP, '2024', LA Number 942 Cumberland, '13.1'
        ("pct_pupils_sen_support", CUMBERLAND, "202324", 13.1),
    ],
)
def test_lait_figures(con, indicator, area, period, expected):
    v, marker, source_id, _ = obs(con, indicator, area, period)
    assert (marker, source_id) == (None, "lait")
    assert v == pytest.approx(expected, abs=1e-9)


# --------------------------------------------------------------------------------------- reference tables


def test_statistical_neighbours(con):
    # lait/sn_may_2025.xlsx sheet 'LA SN Groups': Kent 886 SN1 = 881 (Essex) 'Very close', SN2 = 845 (East Sussex)
    rows = con.execute(
        "SELECT rank, neighbour_code, closeness FROM statistical_neighbour WHERE new_la_code = ? AND rank <= 2 "
        "ORDER BY rank",
        [KENT],
    ).fetchall()
    assert rows == [(1, "E10000012", "Very close"), (2, "E10000011", "Very close")]
    # North Yorkshire 815 SN1 = 893 (Shropshire, E06000051) 'Extremely close'
    assert con.execute(
        "SELECT neighbour_code, closeness FROM statistical_neighbour WHERE new_la_code = ? AND rank = 1",
        [NORTH_YORKSHIRE],
    ).fetchone() == ("E06000051", "Extremely close")
    # 153 current LAs x 10 neighbours
    assert con.execute("SELECT count(DISTINCT new_la_code) FROM statistical_neighbour").fetchone()[0] >= 153


def test_constituencies(con):
    # mp-lookup/mp_lookup.csv: E14001076 Barrow and Furness, Michelle Scrogham, Labour, old_la_codes_2024 '942 / 943'
    rows = con.execute(
        "SELECT pcon_name, mp_name, party, new_la_code FROM constituency WHERE pcon_code = 'E14001076' ORDER BY 4"
    ).fetchall()
    assert rows == [
        ("Barrow and Furness", "Michelle Scrogham", "Labour", "E06000063"),
        ("Barrow and Furness", "Michelle Scrogham", "Labour", "E06000064"),
    ]
    # E14001467 Sheffield Central: new_la_codes_2024 E08000019 (not the 2025 code E08000039)
    assert con.execute("SELECT new_la_code FROM constituency WHERE pcon_code = 'E14001467'").fetchall() == [
        ("E08000019",)
    ]
    # 543 English constituencies in the file (country_name = 'England')
    assert con.execute("SELECT count(DISTINCT pcon_code) FROM constituency").fetchone()[0] == 543


def test_boundaries(con):
    # boundaries/..._December_2023_Boundaries_UK_BSC.geojson: 218 features, 153 with an E code
    assert con.execute("SELECT count(*), count(DISTINCT new_la_code) FROM boundary").fetchone() == (153, 153)
    assert con.execute(
        "SELECT count(*) FROM boundary WHERE new_la_code IN ('E06000063', 'E06000065', 'E06000060')"
    ).fetchone() == (3,)


# ------------------------------------------------------------------------------------------- reorganisations


def test_cumbria_until_2023_then_cumberland(con):
    # caseload.csv (2025): 909 Cumbria E10000006 202223 ehcplans 4489; 942 Cumberland E06000063 202324 2656
    assert value(con, "ehc_plans", CUMBRIA, "202223") == 4489
    assert value(con, "ehc_plans", CUMBERLAND, "202324") == 2656
    periods = con.execute(
        "SELECT max(time_period) FROM observation WHERE indicator_id = 'ehc_plans' AND area_code = ?", [CUMBRIA]
    ).fetchone()
    assert periods == ("202223",)
    first = con.execute(
        "SELECT min(time_period) FROM observation WHERE indicator_id = 'ehc_plans' AND area_code = ?", [CUMBERLAND]
    ).fetchone()
    assert first == ("202324",)


def test_recoded_authorities_use_current_code(con):
    # caseload.csv prints North Yorkshire as E10000023 in every year; 202425 ehcplans 5486, 201819 2825
    assert value(con, "ehc_plans", NORTH_YORKSHIRE, "202425") == 5486
    assert value(con, "ehc_plans", NORTH_YORKSHIRE, "201819") == 2825
    # caseload.csv prints Buckinghamshire E10000002 in 201819 (4054) and 202425 (7217), E06000060 in 202223 (5890)
    assert value(con, "ehc_plans", BUCKINGHAMSHIRE, "201819") == 4054
    assert value(con, "ehc_plans", BUCKINGHAMSHIRE, "202223") == 5890
    assert value(con, "ehc_plans", BUCKINGHAMSHIRE, "202425") == 7217
    retired = con.execute(
        "SELECT count(*) FROM observation WHERE area_code IN ('E10000023', 'E10000027', 'E10000002')"
    ).fetchone()
    assert retired == (0,)


# ------------------------------------------------------------------------------------------------- markers


def test_markers_are_kept_not_zero(con):
    # requests.csv LA 856 Leicester 2023: requests_received_in_year 'x'
    assert obs(con, "initial_requests", LEICESTER, "2023")[:2] == (None, "x")
    # sen2_age_caseload.csv (2022) National 2010 Total_ehc 'z' -> '200910'
    assert obs(con, "ehc_plans", ENGLAND, "200910")[:2] == (None, "z")
    # tribunal CSV row 'Isles of Scilly' 420, 2018 appeals ' - ' (nil), decisions 11
    assert obs(con, "tribunal_appeals", ISLES_OF_SCILLY, "2018")[:2] == (None, "-")
    assert value(con, "appealable_decisions", ISLES_OF_SCILLY, "2018") == 11
    # LAIT SEN_TotStat '2023' Cumberland (942): '-'
    assert obs(con, "pct_pupils_ehc_plan", CUMBERLAND, "202223")[:2] == (None, "-")
    # No row is both or neither.
    assert con.execute("SELECT count(*) FROM observation WHERE (value IS NULL) = (marker IS NULL)").fetchone() == (0,)


# ------------------------------------------------------------------------------------------------- derived


def test_requests_refused_pct_recomputed(con):
    # requests.csv Kent 2024: 2200 / 4001; sen2_mi.csv England 2016: 14795 / 55235 (AssRefusedEHC_pc 26.7856)
    assert value(con, "requests_refused_pct", KENT, "2024") == pytest.approx(2200 / 4001 * 100)
    assert value(con, "requests_refused_pct", ENGLAND, "2016") == pytest.approx(14795 / 55235 * 100)
    assert value(con, "requests_refused_pct", ENGLAND, "2016") == pytest.approx(26.7856, abs=1e-4)
    # A marker on the numerator/denominator is carried, never a number: Leicester 2023 'x'
    assert obs(con, "requests_refused_pct", LEICESTER, "2023")[:2] == (None, "x")


def test_high_needs_block_per_ehc_plan_recomputed(con):
    # DSG 2023-24 Kent [C] 311663662 / January 2024 caseload (caseload.csv 202324 Kent ehcplans 19407)
    assert value(con, "high_needs_block_per_ehc_plan", KENT, "2023-24") == pytest.approx(311663662 / 19407)
    # DSG 2019-20 (£m sheet) Cumbria [C] 43.07964257210592 / caseload.csv 201920 Cumbria ehcplans 3495
    assert value(con, "high_needs_block_per_ehc_plan", CUMBRIA, "2019-20") == pytest.approx(
        43_079_642.57 / 3495, rel=1e-7
    )


# ----------------------------------------------------------------------------------- withdrawn and integrity


def test_withheld_yorkshire_new_plans_2022(con):
    # newplans.csv 2022 prints the Yorkshire and The Humber total 6078 for every LA in the region (Barnsley 370 ...)
    assert value(con, "new_ehc_plans", "E12000003", "2022") == 6078
    rows = con.execute(
        "SELECT count(*), count(value), list(DISTINCT marker) FROM observation o JOIN local_authority l "
        "ON o.area_code = l.new_la_code WHERE o.indicator_id = 'new_ehc_plans' AND o.time_period = '2022' "
        "AND l.region_code = 'E12000003'"
    ).fetchone()
    assert rows == (15, 0, ["w"])  # each keeps its row, withheld with our own marker
    notes = con.execute(
        "SELECT count(DISTINCT area_code) FROM data_note WHERE indicator_id = 'new_ehc_plans' AND time_period = '2022' "
        "AND note LIKE '%6,078%'"
    ).fetchone()
    assert notes == (15,)  # the 15 authorities of Yorkshire and The Humber
    # Other regions keep their 2022 LA figures; national 2022 new plans = 66706 (newplans.csv National 2022)
    assert value(con, "new_ehc_plans", ENGLAND, "2022") == 66706


def test_no_duplicate_keys(con):
    dupes = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM observation GROUP BY indicator_id, geographic_level, area_code, "
        "breakdown_topic, breakdown, time_period HAVING count(*) > 1)"
    ).fetchone()
    assert dupes == (0,)


def test_every_la_code_resolves(con):
    orphans = con.execute(
        "SELECT DISTINCT area_code FROM observation WHERE geographic_level = 'Local authority' "
        "AND area_code NOT IN (SELECT new_la_code FROM local_authority)"
    ).fetchall()
    assert orphans == []
    for table, col in (
        ("statistical_neighbour", "neighbour_code"),
        ("constituency", "new_la_code"),
        ("boundary", "new_la_code"),
    ):
        missing = con.execute(
            f"SELECT count(*) FROM {table} WHERE {col} NOT IN (SELECT new_la_code FROM local_authority)"
        ).fetchone()
        assert missing == (0,), table


def test_every_observation_names_a_loaded_source(con):
    assert con.execute(
        "SELECT count(*) FROM observation WHERE source_id NOT IN (SELECT source_id FROM source)"
    ).fetchone() == (0,)
