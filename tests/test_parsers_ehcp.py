"""Tests of the EHCP release parsers: the real 2025 and 2022 releases (values read by hand from the CSVs) and
small hand-made zips for the failure modes."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from helpers import MIRROR, mirror_path, one

from etl.model import LOCAL_AUTHORITY, MARKER_MEANINGS, NATIONAL, OBS_COLUMNS, REGIONAL, TOTAL, SourceFormatError
from etl.parsers import ehcp, get_parser
from etl.sources import source_by_id

SRC_2025 = source_by_id("ehcp_2025")
SRC_2022 = source_by_id("ehcp_2022")
PATH_2025 = MIRROR / SRC_2025.mirror_path
PATH_2022 = MIRROR / SRC_2022.mirror_path

needs_mirror = pytest.mark.skipif(
    not (PATH_2025.exists() and PATH_2022.exists()), reason=f"source mirror not found at {MIRROR}"
)

KEY = ["indicator_id", "geographic_level", "old_la_code", "region_code", "breakdown_topic", "breakdown", "time_period"]


def _total(obs, indicator, time_period, level=NATIONAL, **where):
    return one(
        obs,
        indicator_id=indicator,
        time_period=time_period,
        geographic_level=level,
        breakdown_topic=TOTAL,
        breakdown=TOTAL,
        **where,
    )


@pytest.fixture(scope="module")
def r2025():
    return ehcp.parse_release(PATH_2025, SRC_2025, mirror_path)


@pytest.fixture(scope="module")
def r2022():
    return ehcp.parse_release_2022(PATH_2022, SRC_2022, mirror_path)


# ------------------------------------------------------------------------------------------- 2025 release


@needs_mirror
def test_registered_parsers_are_these_functions():
    assert get_parser(SRC_2025.parser) is ehcp.parse_release
    assert get_parser(SRC_2022.parser) is ehcp.parse_release_2022


@needs_mirror
def test_2025_contract(r2025):
    obs = r2025.observations
    assert list(obs.columns) == OBS_COLUMNS
    assert not obs.duplicated(KEY).any()
    assert set(obs["geographic_level"]) == {NATIONAL, REGIONAL, LOCAL_AUTHORITY}
    # Markers kept, empty cells dropped, only known symbols.
    markers = set(obs["marker"].dropna())
    assert markers == {"x"}
    assert markers <= set(MARKER_MEANINGS)
    assert obs.loc[obs["marker"].notna(), "value"].isna().all()
    assert obs.loc[obs["marker"].isna(), "value"].notna().all()
    # Codes: LA rows carry a 3-digit old_la_code and a name, regional rows an E12 code, nothing else.
    la = obs[obs["geographic_level"] == LOCAL_AUTHORITY]
    assert la["old_la_code"].str.fullmatch(r"\d{3}").all()
    assert la["la_name"].notna().all() and la["region_code"].isna().all()
    reg = obs[obs["geographic_level"] == REGIONAL]
    assert reg["region_code"].str.fullmatch(r"E12\d{6}").all() and reg["old_la_code"].isna().all()
    assert obs.loc[obs["geographic_level"] == NATIONAL, ["old_la_code", "region_code"]].isna().all().all()
    # Every mapped indicator is a catalogue id.
    from etl.catalogue import by_id

    # (annual_reviews_completed is published from the 2026 release: tests/test_layout_2026.py)
    assert set(obs["indicator_id"]) == set(ehcp.RELEASE_2025.values()) - {"annual_reviews_completed"}
    assert set(obs["indicator_id"]) <= set(by_id())


@needs_mirror
def test_2025_national_headlines(r2025):
    obs = r2025.observations
    row = _total(obs, "ehc_plans", "202425")
    assert (row["value"], row["year"]) == (638745, 2025)
    assert _total(obs, "ehc_plans", "201819")["year"] == 2019
    row = _total(obs, "initial_requests", "2023")
    assert (row["value"], row["year"]) == (138242, 2023)
    assert _total(obs, "requests_refused", "2019")["value"] == 18755
    assert _total(obs, "requests_decided_to_assess", "2023")["value"] == 92985
    assert _total(obs, "new_ehc_plans", "2024")["value"] == 97747
    assert _total(obs, "pct_within_20_weeks", "2024")["value"] == 46.4
    assert _total(obs, "pct_within_20_weeks_incl_exceptions", "2024")["value"] == 45.9
    assert _total(obs, "plans_issued_excl_exceptions", "2019")["value"] == 49519
    assert _total(obs, "plans_within_20_weeks", "2019")["value"] == 29895
    assert _total(obs, "pct_over_1_year", "2024")["value"] == 7.3
    assert _total(obs, "ceased_plans", "2022")["value"] == 34724
    assert _total(obs, "ehc_needs_assessments", "2022")["value"] == 73040
    # annual_reviews.csv has a duplicated column name; it must still parse.
    assert _total(obs, "annual_reviews_expected", "2024")["value"] == 524654
    assert _total(obs, "annual_reviews_held", "2024")["value"] == 453761


@needs_mirror
def test_2025_markers_kept(r2025):
    obs = r2025.observations
    row = _total(obs, "requests_decided_to_assess", "2019")
    assert row["marker"] == "x" and row["value"] != row["value"]  # NaN
    row = _total(obs, "ehc_needs_assessments", "2019")
    assert row["marker"] == "x"


@needs_mirror
def test_2025_local_authorities(r2025):
    obs = r2025.observations
    kent = _total(obs, "ehc_plans", "202425", LOCAL_AUTHORITY, old_la_code="886")
    assert (kent["la_name"], kent["value"]) == ("Kent", 20635)
    assert _total(obs, "ehc_plans", "201819", LOCAL_AUTHORITY, old_la_code="886")["value"] == 11763
    # Cumbria (909) until January 2023, Cumberland (942) from January 2024.
    cumbria = _total(obs, "ehc_plans", "202223", LOCAL_AUTHORITY, old_la_code="909")
    assert (cumbria["la_name"], cumbria["value"], cumbria["year"]) == ("Cumbria", 4489, 2023)
    cumberland = _total(obs, "ehc_plans", "202324", LOCAL_AUTHORITY, old_la_code="942")
    assert (cumberland["la_name"], cumberland["value"], cumberland["year"]) == ("Cumberland", 2656, 2024)
    assert obs[(obs["old_la_code"] == "909") & (obs["year"] >= 2024)].empty
    # Buckinghamshire keeps its 3-digit code whatever GSS code the row carries.
    assert _total(obs, "ehc_plans", "202425", LOCAL_AUTHORITY, old_la_code="825")["la_name"] == "Buckinghamshire"


@needs_mirror
def test_2025_loads_headline_and_primary_need_by_default(r2025):
    assert set(r2025.observations["breakdown_topic"]) == {TOTAL, "Primary need"}


@needs_mirror
def test_2025_breakdowns_kept_when_asked():
    every_topic = dataclasses.replace(SRC_2025, options={})
    obs = ehcp.parse_release(PATH_2025, every_topic, mirror_path).observations
    topics = set(obs.loc[obs["indicator_id"] == "initial_requests", "breakdown_topic"])
    assert {TOTAL, "Sex", "Ethnicity"} <= topics
    # 'age 10' under two topics stays two rows (breakdown_topic is part of the key).
    age10 = obs[(obs["indicator_id"] == "ehc_plans") & (obs["time_period"] == "202425")]
    age10 = age10[(age10["geographic_level"] == NATIONAL) & (age10["breakdown"].str.lower() == "age 10")]
    assert len(age10) >= 2 and age10["breakdown_topic"].nunique() == len(age10)
    # No headline wording survives.
    assert not obs["breakdown"].str.startswith("All ").any()
    assert "New EHC plans" not in set(obs["breakdown"])


@needs_mirror
def test_2025_primary_need(r2025):
    obs = r2025.observations
    need = obs[(obs["breakdown_topic"] == "Primary need") & (obs["geographic_level"] == NATIONAL)]
    plans = need[need["indicator_id"] == "ehc_plans"]
    # every need but Down syndrome, its own primary need only from the 2026 release (tests/test_layout_2026.py)
    assert set(plans["breakdown"]) == set(ehcp.PRIMARY_NEEDS.values()) - {"Down syndrome"}
    assert set(plans["time_period"]) == {"202425"}
    assert plans.set_index("breakdown").loc["Autistic spectrum disorder", "value"] == 201183
    assert plans.set_index("breakdown").loc["Need not recorded", "value"] == 4870
    assert plans["value"].sum() == 638745  # needs add up to the caseload
    new = need[need["indicator_id"] == "new_ehc_plans"]
    assert new.set_index("breakdown").loc["Social, emotional and mental health", "value"] == 25640
    assert new["value"].sum() == 97563  # sen_need_newplans' own total (newplans.csv says 97,747)
    # Inner/Outer London rows dropped and noted; the E12 regions remain.
    regional = obs[(obs["breakdown_topic"] == "Primary need") & (obs["geographic_level"] == REGIONAL)]
    assert regional["region_code"].str.startswith("E12").all()
    assert "E12000007" not in set(regional.loc[regional["indicator_id"] == "new_ehc_plans", "region_code"])
    assert "E12000007" in set(regional.loc[regional["indicator_id"] == "ehc_plans", "region_code"])
    london_notes = [n["note"] for n in r2025.notes if "Inner/Outer London" in n["note"]]
    assert len(london_notes) == 2
    assert {"E13000001", "E13000002"} == {c for c in ("E13000001", "E13000002") for t in london_notes if c in t}


@needs_mirror
def test_2025_known_errors_not_changed(r2025):
    # Loaded as published; the notes come from etl/corrections.py (tests/test_layout_2026.py checks them).
    obs = r2025.observations
    assert _total(obs, "requests_refused", "2021", LOCAL_AUTHORITY, old_la_code="342")["value"] == 0
    assert _total(obs, "assessments_plan_not_issued", "2021", LOCAL_AUTHORITY, old_la_code="887")["value"] == 223
    for note in r2025.notes:
        assert {"old_la_code", "time_period", "indicator_id", "note"} <= set(note) and note["note"]


@needs_mirror
def test_2025_ees_la_table(r2025):
    la = r2025.tables["ees_la"]
    assert list(la.columns) == ["old_la_code", "new_la_code", "la_name", "region_code", "region_name", "year"]
    assert not la.duplicated().any()
    assert la["old_la_code"].str.fullmatch(r"\d{3}").all()
    assert la["region_code"].str.fullmatch(r"E12\d{6}").all()  # Inner/Outer London folded into London
    kent = la[(la["old_la_code"] == "886") & (la["year"] == 2025)]
    assert kent[["new_la_code", "la_name", "region_name"]].values.tolist() == [["E10000016", "Kent", "South East"]]
    assert set(la.loc[la["year"] == 2025, "old_la_code"]) >= {"942", "943"}
    # Buckinghamshire's GSS code is not stable inside the release (both codes in 2023).
    assert set(la.loc[(la["old_la_code"] == "825") & (la["year"] == 2023), "new_la_code"]) == {
        "E06000060",
        "E10000002",
    }


# ------------------------------------------------------------------------------------------- 2022 release


@needs_mirror
def test_2022_values(r2022):
    obs = r2022.observations
    assert list(obs.columns) == OBS_COLUMNS
    assert not obs.duplicated(KEY).any()
    assert set(obs["breakdown_topic"]) == {TOTAL} and set(obs["breakdown"]) == {TOTAL}
    assert set(obs["indicator_id"]) == set(ehcp.RELEASE_2022.values())
    assert _total(obs, "initial_requests", "2016")["value"] == 55235
    assert _total(obs, "requests_refused", "2016")["value"] == 14795
    assert _total(obs, "new_ehc_plans", "2016")["value"] == 36094
    assert _total(obs, "assessments_plan_issued", "2016")["value"] == 36094
    assert _total(obs, "pct_within_20_weeks", "2016")["value"] == 58.6
    assert _total(obs, "pct_within_20_weeks_incl_exceptions", "2016")["value"] == 55.7
    # '57.900000000000' -> exactly 57.9
    assert _total(obs, "pct_within_20_weeks_incl_exceptions", "2021")["value"] == 57.9
    pct = obs.loc[obs["indicator_id"].str.startswith("pct_"), "value"].dropna()
    assert (pct == pct.round(4)).all()


@needs_mirror
def test_2022_caseload_relabelled_to_january_convention(r2022):
    obs = r2022.observations
    row = _total(obs, "ehc_plans", "201718")
    assert (row["value"], row["year"]) == (285722, 2018)
    assert _total(obs, "ehc_plans", "202122")["value"] == 473255
    caseload_periods = set(obs.loc[obs["indicator_id"] == "ehc_plans", "time_period"])
    assert caseload_periods == {f"{y - 1}{y % 100:02d}" for y in range(2010, 2023)}
    # Flow measures keep calendar years.
    assert set(obs.loc[obs["indicator_id"] == "new_ehc_plans", "time_period"]) == {str(y) for y in range(2009, 2022)}
    cumbria = _total(obs, "ehc_plans", "202122", LOCAL_AUTHORITY, old_la_code="909")
    assert (cumbria["la_name"], cumbria["value"]) == ("Cumbria", 4292)


@needs_mirror
def test_2022_markers_and_notes(r2022):
    obs = r2022.observations
    assert set(obs["marker"].dropna()) == {"z"}
    row = _total(obs, "initial_requests", "2014")
    assert row["marker"] == "z" and row["value"] != row["value"]
    assert _total(obs, "requests_refused", "2021", LOCAL_AUTHORITY, old_la_code="342")["value"] == 0
    assert _total(obs, "assessments_plan_not_issued", "2021", LOCAL_AUTHORITY, old_la_code="887")["value"] == 223
    assert r2022.notes == []  # footnoted errors: etl/corrections.py
    la = r2022.tables["ees_la"]
    assert list(la.columns) == ["old_la_code", "new_la_code", "la_name", "region_code", "region_name", "year"]
    assert la[(la["old_la_code"] == "909")]["la_name"].unique().tolist() == ["Cumbria"]


@needs_mirror
def test_releases_agree_in_overlap_years(r2025, r2022):
    """The data notes say the overlapping periods are identical in every row: check caseload and requests."""
    cols = ["geographic_level", "old_la_code", "region_code", "time_period"]
    for indicator, periods in [("ehc_plans", ["201819", "202122"]), ("initial_requests", ["2019", "2021"])]:
        a = r2025.observations
        b = r2022.observations
        a = a[(a["indicator_id"] == indicator) & a["time_period"].isin(periods) & (a["breakdown"] == TOTAL)]
        b = b[(b["indicator_id"] == indicator) & b["time_period"].isin(periods)]
        merged = a.merge(b, on=cols, suffixes=("_25", "_22"))
        assert len(merged) == len(a) == len(b) > 300
        assert (merged["value_25"] == merged["value_22"]).all()


# ------------------------------------------------------------------------------------------- bad inputs

GEO = "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
GEO_2025 = GEO + "new_la_code,old_la_code,la_name,breakdown_topic,breakdown"


def _csv_2025(stem: str, columns: list[str], headline: str = "All things") -> str:
    """A small EES file: national, regional and one LA headline row plus one LA breakdown row."""
    period, ident = ("202425", "Academic year") if stem == "caseload" else ("2024", "Calendar year")
    nums = ",".join(str(10 + i) for i in range(len(columns)))
    xs = ",".join("x" for _ in columns)
    geo = [
        f"{period},{ident},National,E92000001,England,,,,,",
        f"{period},{ident},Regional,E92000001,England,E12000008,South East,,,",
        f'{period},{ident},Local authority,E92000001,England,E12000008,South East,E10000016,886,"Kent"',
    ]
    lines = [GEO_2025 + "," + ",".join(columns)]
    lines += [f"{g},{headline},{headline},{nums}" for g in geo]
    lines.append(f"{geo[2]},Sex,Female,{xs}")
    return "\r\n".join(lines) + "\r\n"


def _files_2025() -> dict[str, str]:
    files = {}
    for stem, cols in ehcp._group(ehcp.RELEASE_2025).items():
        files[stem] = _csv_2025(stem, list(cols), "New EHC plans" if stem == "newplans" else "All things")
    for stem in ehcp.PRIMARY_NEED_FILES:
        files[stem] = _csv_2025(stem, ["ehc_plans", *ehcp.PRIMARY_NEEDS], "All EHC plans")
    return files


def _zip(path: Path, files: dict[str, str], bom: bool = True, extra: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for stem, text in files.items():
            zf.writestr(f"data/{stem}.csv", ("\ufeff" if bom else "") + text)
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
    return path


def _drop_column(text: str, name: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    i = rows[0].index(name)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([r[:i] + r[i + 1 :] for r in rows])
    return out.getvalue()


def _parse(path: Path):
    """Parse a hand-made release keeping every breakdown topic."""
    return ehcp.parse_release(path, dataclasses.replace(SRC_2025, options={}), mirror_path)


def test_minimal_release_parses(tmp_path):
    parsed = _parse(_zip(tmp_path / "r.zip", _files_2025()))
    obs = parsed.observations
    assert list(obs.columns) == OBS_COLUMNS
    kent = _total(obs, "initial_requests", "2024", LOCAL_AUTHORITY, old_la_code="886")
    assert (kent["value"], kent["la_name"], kent["year"]) == (10, "Kent", 2024)
    assert _total(obs, "ehc_plans", "202425")["year"] == 2025
    assert _total(obs, "new_ehc_plans", "2024")["value"] == 10
    female = one(obs, indicator_id="initial_requests", breakdown_topic="Sex", breakdown="Female")
    assert female["marker"] == "x"
    need = one(obs, indicator_id="ehc_plans", breakdown="Hearing impairment", geographic_level=REGIONAL)
    assert (need["region_code"], need["value"]) == ("E12000008", 12)
    assert parsed.tables["ees_la"].values.tolist() == [
        ["886", "E10000016", "Kent", "E12000008", "South East", 2024],
        ["886", "E10000016", "Kent", "E12000008", "South East", 2025],  # caseload's January 2025
    ]


def test_bom_and_no_bom_give_the_same_result(tmp_path):
    with_bom = _parse(_zip(tmp_path / "bom.zip", _files_2025(), bom=True)).observations
    without = _parse(_zip(tmp_path / "nobom.zip", _files_2025(), bom=False)).observations
    assert len(with_bom) > 0
    assert with_bom.equals(without)


def test_missing_column_is_a_clear_error(tmp_path):
    files = _files_2025()
    files["timeliness_20_week"] = _drop_column(files["timeliness_20_week"], "plans_issued_den_ex")
    with pytest.raises(SourceFormatError) as err:
        _parse(_zip(tmp_path / "r.zip", files))
    assert "timeliness_20_week.csv" in str(err.value) and "plans_issued_den_ex" in str(err.value)


def test_renamed_column_is_a_clear_error(tmp_path):
    files = _files_2025()
    files["requests"] = files["requests"].replace("requests_received_in_year", "requests_received", 1)
    with pytest.raises(SourceFormatError, match=r"requests\.csv.*requests_received_in_year"):
        _parse(_zip(tmp_path / "r.zip", files))


def test_column_case_and_duplicates_are_tolerated(tmp_path):
    files = _files_2025()
    head, rest = files["timeliness_20_week"].split("\r\n", 1)
    files["timeliness_20_week"] = head.lower() + "\r\n" + rest  # PC_ -> pc_
    head, rest = files["annual_reviews"].split("\r\n", 1)
    # review_expected appears twice (same data, as review_meeting_prior_24 does in the real file).
    files["annual_reviews"] = "\r\n".join(
        [head + ",review_expected"] + [line + ",10" for line in rest.split("\r\n") if line]
    )
    obs = _parse(_zip(tmp_path / "r.zip", files)).observations
    assert _total(obs, "pct_within_20_weeks", "2024")["value"] == 15  # 6th mapped column: 10 + 5
    assert _total(obs, "annual_reviews_expected", "2024")["value"] == 10


def test_extra_unknown_files_are_ignored(tmp_path):
    extra = {
        "data/phase_transfers.csv": "not,the,layout\r\n1,2,3\r\n",
        "supporting-files/whatever.csv": "garbage",
        "data-guidance/data-guidance.txt": "text",
    }
    plain = _parse(_zip(tmp_path / "a.zip", _files_2025())).observations
    with_extra = _parse(_zip(tmp_path / "b.zip", _files_2025(), extra=extra)).observations
    assert with_extra.equals(plain)


def test_missing_required_file_is_a_clear_error(tmp_path):
    files = _files_2025()
    del files["requests"]
    with pytest.raises(SourceFormatError, match=r"r\.zip.*requests\.csv"):
        _parse(_zip(tmp_path / "r.zip", files))


def test_optional_need_file_may_be_absent(tmp_path):
    files = _files_2025()
    del files["sen_needs_all_plans"]
    parsed = _parse(_zip(tmp_path / "r.zip", files))
    assert "Primary need" in set(parsed.observations["breakdown_topic"])  # from sen_need_newplans
    assert any("sen_needs_all_plans" in n["note"] for n in parsed.notes)


def test_truncated_zip_is_a_source_format_error(tmp_path):
    good = _zip(tmp_path / "good.zip", _files_2025())
    data = good.read_bytes()
    for size in (len(data) // 2, 100):
        bad = tmp_path / f"bad{size}.zip"
        bad.write_bytes(data[:size])
        with pytest.raises(SourceFormatError, match=f"bad{size}.zip"):
            _parse(bad)


def test_not_a_zip_and_missing_file(tmp_path):
    bad = tmp_path / "page.zip"
    bad.write_text("<html>Service unavailable</html>")
    with pytest.raises(SourceFormatError):
        _parse(bad)
    with pytest.raises(FileNotFoundError):
        _parse(tmp_path / "nowhere.zip")


def test_unknown_time_identifier_is_an_error(tmp_path):
    files = _files_2025()
    files["ceased_plans"] = files["ceased_plans"].replace("Calendar year", "Financial year")
    with pytest.raises(SourceFormatError, match=r"ceased_plans\.csv.*Financial year"):
        _parse(_zip(tmp_path / "r.zip", files))


def test_periods_of_two_time_identifiers_in_one_file():
    """A file mixing academic and calendar years gives each period its own year (test-only rows)."""
    import pyarrow as pa

    table = pa.table(
        {
            "time_period": ["202324", "2024", "202324"],
            "time_identifier": ["Academic year", "Calendar year", "Academic year"],
            "geographic_level": ["National"] * 3,
        }
    )
    assert ehcp._add_year(table, "t.csv")["year"].to_pylist() == [2024, 2024, 2024]
    clash = table.set_column(1, "time_identifier", pa.array(["Academic year", "Calendar year", "Calendar year"]))
    with pytest.raises(SourceFormatError, match=r"t\.csv: unrecognised time_period '202324'"):
        ehcp._add_year(clash, "t.csv")


def test_ragged_csv_is_a_source_format_error(tmp_path):
    files = _files_2025()
    files["requests"] += "2024,Calendar year,National\r\n"
    with pytest.raises(SourceFormatError, match=r"requests\.csv"):
        _parse(_zip(tmp_path / "r.zip", files))


def _files_2022() -> dict[str, str]:
    geo = [
        'National,E92000001,England,"","","","",""',
        'Local authority,E92000001,England,E12000002,North West,342,E08000013,"St. Helens"',
    ]
    head = GEO + "old_la_code,new_la_code,la_name"
    # Statements of SEN ended in 2018: by 2021 the release prints them as 'z' (not applicable).
    age = {
        "sen2_age_caseload": {"Total_st": ("z", "z"), "Total_ehc": ("5", "1"), "Total_all": ("5", "1")},
        "sen2_age_new_plans": {"Total_new_ehc": ("5", "1")},
    }
    files = {}
    for stem, cols in age.items():
        lines = [f"{head},characteristic_age,{','.join(cols)}"]
        for row, pick in (("Total", 0), ("Under 5", 1)):
            lines += [f"2021,Calendar year,{g},{row}," + ",".join(v[pick] for v in cols.values()) for g in geo]
        files[stem] = "\n".join(lines) + "\n"
    mi = [c for (stem, c) in ehcp.RELEASE_2022 if stem == "sen2_mi"]
    lines = [f"{head},{','.join(mi)}"]
    lines += [f"2021,Calendar year,{g}," + ",".join("57.900000000000" if "Rate" in c else "z" for c in mi) for g in geo]
    files["sen2_mi"] = "\n".join(lines) + "\n"
    return files


def test_2022_minimal_release(tmp_path):
    parsed = ehcp.parse_release_2022(_zip(tmp_path / "r.zip", _files_2022(), bom=False), SRC_2022, mirror_path)
    obs = parsed.observations
    row = _total(obs, "ehc_plans", "202021")  # January 2021
    assert (row["value"], row["year"]) == (5, 2021)
    assert _total(obs, "statements_and_ehc_plans", "202021")["value"] == 5
    assert _total(obs, "statements_of_sen", "202021")["marker"] == "z"
    assert _total(obs, "new_ehc_plans", "2021")["value"] == 5
    assert _total(obs, "pct_within_20_weeks", "2021")["value"] == 57.9
    assert _total(obs, "initial_requests", "2021", LOCAL_AUTHORITY, old_la_code="342")["marker"] == "z"
    assert parsed.notes == []  # the St Helens row here does not carry the published error


def test_2022_missing_column_and_truncation(tmp_path):
    files = _files_2022()
    files["sen2_mi"] = files["sen2_mi"].replace("AssRefusedEHC", "AssRefused_EHC", 1)
    with pytest.raises(SourceFormatError, match=r"sen2_mi\.csv.*AssRefusedEHC"):
        ehcp.parse_release_2022(_zip(tmp_path / "r.zip", files), SRC_2022, mirror_path)
    good = _zip(tmp_path / "good.zip", _files_2022())
    bad = tmp_path / "bad.zip"
    bad.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(SourceFormatError):
        ehcp.parse_release_2022(bad, SRC_2022, mirror_path)
