"""The reporting-year-2026 layout of the EHC plans release, from the extract in ../shared/data/fixtures.

The extract holds every 2026 file's real header and a few real rows (its README). Each test zips it the way EES
does (``data/``, ``supporting-files/``, ``data-guidance/``) in a temporary folder and parses it with the same
parser as the 2025 release: renamed files and columns are absorbed through the declared layout, the rows load
to the exact published values, a missing needed column is a layout error naming file, column and source, and
an unknown new column is reported, not fatal. Nothing from the extract is written into the repository.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from helpers import MIRROR, mirror_path, one

from etl import corrections
from etl.model import LOCAL_AUTHORITY, NATIONAL, REGIONAL, SourceFormatError
from etl.parsers import ehcp, tribunal
from etl.sources import source_by_id

EXTRACT = MIRROR.parent / "fixtures" / "ehcp-2026-extract"
if not EXTRACT.is_dir():
    pytest.skip(f"no 2026 extract at {EXTRACT}", allow_module_level=True)

SOURCE = source_by_id("ehcp")
YORKSHIRE = "E12000003"
#: newplans.csv (2026 extract), time_period 2022, 'All new EHC plans', new_ehc_plans of the 15 authorities of
#: Yorkshire and The Humber (the 2025 release printed the region's 6078 for each).
YORKSHIRE_2022 = {
    "370": 319,
    "371": 243,
    "372": 285,
    "373": 955,
    "380": 796,
    "381": 317,
    "382": 404,
    "383": 357,
    "384": 462,
    "810": 364,
    "811": 402,
    "812": 111,
    "813": 149,
    "815": 814,
    "816": 100,
}


def release_zip(folder: Path, change: dict[str, bytes | None] | None = None) -> Path:
    """The extract zipped like an EES release; ``change`` replaces or adds (bytes) or drops (None) members."""
    target = folder / "education-health-and-care-plans_2026.zip"
    members = {
        p.relative_to(EXTRACT).as_posix(): p.read_bytes()
        for p in sorted(EXTRACT.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }
    members.update(change or {})
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            if data is not None:
                out.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    return ehcp.parse_release(release_zip(tmp_path_factory.mktemp("r2026")), SOURCE, None)


def cell(parsed, indicator, period, level, code=None, region=None, breakdown="Total"):
    obs = parsed.observations
    sel = obs[(obs.indicator_id == indicator) & (obs.time_period == period) & (obs.geographic_level == level)]
    sel = sel[sel.breakdown == breakdown]
    if code is not None:
        sel = sel[sel.old_la_code == code]
    if region is not None:
        sel = sel[sel.region_code == region]
    assert len(sel) == 1, (indicator, period, level, code, region, len(sel))
    return sel.iloc[0]


def test_every_file_of_the_extract_parses(parsed):
    # Files the dashboard does not read (personal_budgets, phase_transfers, residential_settings,
    # work_based_placements, supporting files) are ignored, whatever their layout.
    assert set(parsed.observations.indicator_id) >= {
        "ehc_plans",
        "new_ehc_plans",
        "initial_requests",
        "assessments_plan_issued",
        "plans_within_20_weeks",
        "ceased_plans",
        "annual_reviews_expected",
        "annual_reviews_completed",
    }
    notes = [n["note"] for n in parsed.notes]
    # sen_needs_all_plans.csv was renamed sen_needs_caseload.csv, which the public copy lacks
    assert "sen_needs_all_plans.csv not in release" in notes


def test_yorkshire_new_plans_2022_are_published_figures(parsed):
    for code, expected in YORKSHIRE_2022.items():
        assert cell(parsed, "new_ehc_plans", "2022", LOCAL_AUTHORITY, code=code).value == expected
    # National and regional 2022 rows of the same file: 66706 and 6078
    assert cell(parsed, "new_ehc_plans", "2022", NATIONAL).value == 66706
    assert cell(parsed, "new_ehc_plans", "2022", REGIONAL, region=YORKSHIRE).value == 6078


def test_somerset_january_2026_caseload_and_2025_flows(parsed):
    # caseload.csv 202526 (January 2026), Somerset 933 'All EHC plans', ehcplans 6350
    row = cell(parsed, "ehc_plans", "202526", LOCAL_AUTHORITY, code="933")
    assert (row.value, row.year) == (6350, 2026)
    # requests.csv 2025 Somerset: requests_received_in_year 1437, requests_decided_not_to_assess 438
    assert cell(parsed, "initial_requests", "2025", LOCAL_AUTHORITY, code="933").value == 1437
    assert cell(parsed, "requests_refused", "2025", LOCAL_AUTHORITY, code="933").value == 438
    # newplans.csv 2021 Somerset 874
    assert cell(parsed, "new_ehc_plans", "2021", LOCAL_AUTHORITY, code="933").value == 874


def test_renamed_and_year_suffixed_columns(parsed):
    # annual_reviews.csv 2025 National 'All reviews of EHC plans': review_expected_2025 596987 (the measure
    # review_expected was) and review_completed_2025 339027 (a new measure, not total_review_meeting)
    assert cell(parsed, "annual_reviews_expected", "2025", NATIONAL).value == 596987
    assert cell(parsed, "annual_reviews_completed", "2025", NATIONAL).value == 339027
    assert cell(parsed, "annual_reviews_completed", "2025", REGIONAL, region="E12000001").value == 16669
    assert not (parsed.observations.indicator_id == "annual_reviews_held").any()
    # timeliness_20_week.csv: PC_plans_issued_20_weeks_ex is now pc_plans_issued_20_weeks_ex (case only);
    # 2019 National 60.4, Liverpool (341) 7.5; plans_issued_20_weeks_ex National 29895
    assert cell(parsed, "pct_within_20_weeks", "2019", NATIONAL).value == 60.4
    assert cell(parsed, "pct_within_20_weeks", "2019", LOCAL_AUTHORITY, code="341").value == 7.5
    assert cell(parsed, "plans_within_20_weeks", "2019", NATIONAL).value == 29895
    # ceased_plans.csv lost not_rec; total_ceased 2022 National 34724, York (816) 72
    assert cell(parsed, "ceased_plans", "2022", NATIONAL).value == 34724
    assert cell(parsed, "ceased_plans", "2022", LOCAL_AUTHORITY, code="816").value == 72
    # caseload.csv split special_academy_free; the headline is unchanged: 201819 National ehcplans 353995
    assert cell(parsed, "ehc_plans", "201819", NATIONAL).value == 353995


def test_new_primary_need_column_number_ds(parsed):
    # sen_need_newplans.csv 2024 National 'All EHC plans': number_ds 'x', number_oth 1168, number_asd 26864
    ds = cell(parsed, "new_ehc_plans", "2024", NATIONAL, breakdown="Down syndrome")
    assert pd.isna(ds.value) and ds.marker == "x"
    assert cell(parsed, "new_ehc_plans", "2024", NATIONAL, breakdown="Other difficulty/disability").value == 1168
    assert cell(parsed, "new_ehc_plans", "2024", NATIONAL, breakdown="Autistic spectrum disorder").value == 26864


def test_new_columns_are_reported_not_fatal(parsed):
    notes = " ".join(n["note"] for n in parsed.notes)
    assert "data/timeliness_20_week.csv has columns this dashboard does not know (not loaded): " in notes
    assert "avg_weeks_issue_plan, avg_weeks_issue_plan_exc" in notes
    assert "no column total_review_meeting" in notes  # dropped in 2026, with why


def test_2025_release_has_no_unknown_columns():
    notes = [n["note"] for n in ehcp.parse_release(mirror_path("ehcp"), SOURCE, None).notes]
    assert not [n for n in notes if "does not know" in n]
    assert "data/annual_reviews.csv has no column review_completed_<year>: published from the 2026 release." in notes


def _without_column(name: str, column: str) -> bytes:
    rows = list(csv.reader(io.StringIO((EXTRACT / name).read_text(encoding="utf-8-sig"))))
    i = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:i] + r[i + 1 :] for r in rows])
    return out.getvalue().encode()


def test_missing_needed_column_names_file_column_and_source(tmp_path):
    damaged = release_zip(
        tmp_path, {"data/annual_reviews.csv": _without_column("data/annual_reviews.csv", "review_expected_2025")}
    )
    with pytest.raises(SourceFormatError) as err:
        ehcp.parse_release(damaged, SOURCE, None)
    message = str(err.value)
    assert "education-health-and-care-plans_2026.zip:data/annual_reviews.csv" in message
    assert "missing column review_expected (also tried review_expected_{year})" in message
    assert "source ehcp" in message


def test_renamed_primary_need_file_is_read(tmp_path):
    # A release that has sen_needs_caseload.csv (the 2026 name) instead of sen_needs_all_plans.csv: the
    # 2025 file's bytes under the new name stand in for it (the public 2026 copy lacks the file).
    with zipfile.ZipFile(mirror_path("ehcp")) as z:
        data = z.read("data/sen_needs_all_plans.csv")
    got = ehcp.parse_release(release_zip(tmp_path, {"data/sen_needs_caseload.csv": data}), SOURCE, None)
    need = got.observations[got.observations.breakdown_topic == ehcp.PRIMARY_NEED_TOPIC]
    # sen_needs_all_plans.csv 202425 National 'All EHC plans' number_asd
    row = one(need, indicator_id="ehc_plans", geographic_level=NATIONAL, breakdown="Autistic spectrum disorder")
    assert row.time_period == "202425" and row.value > 0


def test_tribunal_table_of_the_extract_parses():
    got = tribunal.parse(EXTRACT / "supporting-files" / "SEND appealable decisions rate 2024-2025.csv", None, None)
    england = got.observations[got.observations.geographic_level == NATIONAL]
    # 'England Total' row: 2024 22276 / 364912 / 6.10%, 2025 26977 / 405735 / 6.60%
    assert one(england, indicator_id="appealable_decisions", time_period="2024").value == 364912
    assert one(england, indicator_id="tribunal_appeal_rate", time_period="2025").value == 6.6


# ---------------------------------------------------------------------------- corrections, both ways


def _with_areas(obs: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """Parser rows with the loader's area_code (here: the LA number, or the region code) and source."""
    obs = obs.copy()
    obs["area_code"] = obs.old_la_code.where(obs.geographic_level == LOCAL_AUTHORITY, obs.region_code)
    obs["source_id"] = source_id
    return obs


@pytest.mark.parametrize(("path", "applies"), [("2025", True), ("2026", False)])
def test_yorkshire_withhold_applies_only_to_the_release_with_the_error(parsed, path, applies):
    obs = parsed.observations if path == "2026" else ehcp.parse_release(mirror_path("ehcp"), SOURCE, None).observations
    obs = _with_areas(obs[obs.indicator_id == "new_ehc_plans"], "ehcp")
    region_of = pd.Series({code: YORKSHIRE for code in YORKSHIRE_2022})
    ledger = corrections.Ledger({"ehcp": SOURCE})
    hits = corrections.withhold(obs, region_of, ledger)
    row = ledger.table().set_index("correction_id").loc["ehcp-yorkshire-new-plans-2022"]
    if applies:
        assert len(hits) == 15 and {h[3] for h in hits} == {6078}
        assert row.status == "active"
    else:
        assert hits == [] and row.status == "retired"
        la = obs[(obs.time_period == "2022") & (obs.geographic_level == LOCAL_AUTHORITY)]
        assert la.marker.isna().all()  # the published figures stay


def _tribunal_ledger(file_source_ids: dict[str, str]) -> tuple[corrections.Ledger, dict[str, pd.DataFrame]]:
    sources = {
        sid: dataclasses.replace(source_by_id(sid), precedence=int(rank)) for sid, rank in file_source_ids.items()
    }
    frames = {sid: tribunal.parse(mirror_path(sid), sources[sid], None).observations for sid in sources}
    return corrections.Ledger(sources), frames


@pytest.mark.parametrize(
    ("correction_id", "code", "name", "to"),
    [
        ("tribunal-northamptonshire-892", "892", "northamptonshire", "928"),
        ("tribunal-nottingham-891", "891", "nottingham", "892"),
        ("tribunal-nottinghamshire-928", "928", "nottinghamshire", "891"),
        ("tribunal-central-bedfordshire-873", "873", "central bedfordshire", "823"),
        ("tribunal-cambridgeshire-823", "823", "cambridgeshire", "873"),
    ],
)
def test_code_corrections_apply_to_the_printed_pair_and_retire_without_it(correction_id, code, name, to):
    ledger, frames = _tribunal_ledger({"tribunal": "2026", "tribunal_2025": "2025"})
    for sid, obs in frames.items():
        la = obs[obs.geographic_level == LOCAL_AUTHORITY]
        for printed, label in la[["old_la_code", "la_name"]].drop_duplicates().itertuples(index=False):
            ledger.code_for(sid, printed, label.lower())
    row = ledger.table().set_index("correction_id").loc[correction_id]
    assert "tribunal_2025" in row.applied_to  # the 2014-2024 table prints every one of the five
    still_printed = correction_id.startswith(("tribunal-central", "tribunal-cambridgeshire"))
    # The 2024-2025 table still prints the Central Bedfordshire / Cambridgeshire swap, not the other three.
    assert row.status == ("active" if still_printed else "retired")
    assert ("tribunal" in row.applied_to.split(", ")) == still_printed
    assert ledger.code_for("tribunal", code, name) == to  # the evidence, when printed, is always corrected


def test_dorset_reattribution_applies_to_years_before_2019_only_where_printed():
    ledger, frames = _tribunal_ledger({"tribunal": "2026", "tribunal_2025": "2025"})
    moved = {sid: corrections.reattribute(obs.assign(source_id=sid), ledger) for sid, obs in frames.items()}
    assert [n for _, _, n in moved["tribunal_2025"]] == [15]  # 838 rows 2014-2018: 5 years x 3 measures
    assert moved["tribunal"] == []
    assert ledger.table().set_index("correction_id").loc["tribunal-dorset-before-2019"].status == "retired"


@pytest.mark.parametrize(("sid", "applies"), [("tribunal_2025", True), ("tribunal", False)])
def test_2024_decisions_caveat_only_where_the_doubtful_figures_are_shown(sid, applies):
    ledger, frames = _tribunal_ledger({"tribunal": "2026", "tribunal_2025": "2025"})
    obs = frames[sid]
    # after the code corrections: 873 (Cambridgeshire) and 823 (Central Bedfordshire)
    obs = obs.assign(old_la_code=obs.old_la_code.replace({"873": "823", "823": "873"}))
    obs = _with_areas(obs, sid)
    by_code = pd.DataFrame({"new_la_code": ["873", "823"]}, index=["873", "823"])
    hits = corrections.caveats(obs, by_code, ledger)
    assert len(hits) == (2 if applies else 0)


@pytest.mark.parametrize(
    ("correction_id", "code", "indicator", "published"),
    [
        ("ehcp-st-helens-2021-refusals", "342", "requests_refused", 0),
        ("ehcp-medway-2021-not-issued", "887", "assessments_plan_not_issued", 223),
    ],
)
def test_footnoted_2021_errors_apply_while_printed_and_retire_once_corrected(correction_id, code, indicator, published):
    obs = ehcp.parse_release(mirror_path("ehcp"), SOURCE, None).observations
    obs = _with_areas(obs[obs.indicator_id == indicator], "ehcp")
    by_code = pd.DataFrame({"new_la_code": [code]}, index=[code])
    row = (obs.old_la_code == code) & (obs.time_period == "2021") & (obs.breakdown == "Total")
    assert obs.value[row].tolist() == [published]  # the 2025 release still prints the error
    ledger = corrections.Ledger({"ehcp": SOURCE})
    assert [h[0].correction_id for h in corrections.caveats(obs, by_code, ledger)] == [correction_id]
    assert ledger.table().set_index("correction_id").loc[correction_id].status == "active"
    # A release printing the footnote's figure instead (test-only change of that one cell): retired.
    fixed = obs.assign(value=obs.value.mask(row, {"342": 107, "887": 16}[code]))
    ledger = corrections.Ledger({"ehcp": SOURCE})
    assert corrections.caveats(fixed, by_code, ledger) == []
    assert ledger.table().set_index("correction_id").loc[correction_id].status == "retired"


def test_every_declared_definition_is_checked_against_both_guidances(tmp_path):
    for path in (mirror_path("ehcp"), release_zip(tmp_path)):
        with zipfile.ZipFile(path) as z:
            assert any(n.endswith("data-guidance.txt") for n in z.namelist())
        guidance = ehcp.data_guidance(ehcp._open_zip(path))
        described = {
            (stem, col)
            for stem, col in ehcp.DEFINITIONS
            for name in (f"{stem}.csv",)
            if any(
                ehcp._pattern(c).match(k)
                for c in (col, *ehcp.COLUMN_ALIASES.get(col, ()))
                for k in guidance.get(name, {})
            )
        }
        # every column we load that the release publishes has its guidance entry checked
        assert len(described) >= 18, sorted(set(ehcp.DEFINITIONS) - described)


def test_a_changed_definition_is_a_layout_error(tmp_path):
    text = (EXTRACT / "data-guidance" / "data-guidance.txt").read_text(encoding="utf-8")
    changed = text.replace("Annual review was expected in 2025", "Annual review meetings held in 2025")
    assert changed != text
    damaged = release_zip(tmp_path, {"data-guidance/data-guidance.txt": changed.encode()})
    with pytest.raises(SourceFormatError) as err:
        ehcp.parse_release(damaged, SOURCE, None)
    message = str(err.value)
    assert "data/annual_reviews.csv" in message and "the definition of review_expected_2025 changed" in message
    assert "'Annual review meetings held in 2025'" in message and "source ehcp" in message
