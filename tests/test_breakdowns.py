"""Every published cell of the EHC plans releases: ``breakdown_value`` / ``measure`` (etl/breakdowns.py).

Every literal below was read by hand from the file named beside it (the release zips of the mirror opened with
Python's zipfile and csv, ``../shared/data/sources/education-health-and-care-plans/``), not from the ETL. The
first half asserts them through the database contract (SQL on the session database); the second half runs the
reader over the 2026 layout extract (``../shared/data/fixtures/ehcp-2026-extract``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile

import pandas as pd
import pyarrow.compute as pc
import pytest
from helpers import MIRROR, mirror_path

from etl import breakdowns
from etl.parsers import ehcp
from etl.sources import source_by_id
from send_pressure.queries import BREAKDOWN_ROW_COLUMNS

ENGLAND = "E92000001"
KENT = "E10000016"  # DfE 886
SURREY = "E10000030"  # DfE 936
BARNSLEY = "E08000016"  # DfE 370
INNER_LONDON, OUTER_LONDON = "E13000001", "E13000002"


def cell(con, measure, area, period, topic="Total", breakdown="Total"):
    """(value, marker, source_id, geographic_level) of one cell of the breakdown_value view."""
    rows = con.execute(
        """SELECT value, marker, source_id, geographic_level FROM breakdown_value
           WHERE measure_id = ? AND area_code = ? AND time_period = ? AND breakdown_topic = ? AND breakdown = ?""",
        [measure, area, period, topic, breakdown],
    ).fetchall()
    assert len(rows) == 1, f"{measure} {area} {period} {topic}/{breakdown}: {len(rows)} rows"
    return rows[0]


SEX = "Sex"
# (measure, area, period, topic, breakdown, expected value, geographic level); source file of the 2025 release zip
# in the comment before each group (row and column named by the measure id: '<file>.<column>').
RELEASE_2025 = [
    # data/requests.csv: decisions within 6 weeks, mediation and tribunal (2024)
    ("requests.request_outcome_six_weeks", ENGLAND, "2024", "Total", "Total", 126160, "National"),
    ("requests.request_outcome_six_weeks_pc", ENGLAND, "2024", "Total", "Total", 84.8, "National"),
    ("requests.mediation_related_request", ENGLAND, "2024", "Total", "Total", 10507, "National"),
    ("requests.tribunal_related_request", ENGLAND, "2024", "Total", "Total", 4655, "National"),
    ("requests.request_outcome_six_weeks_pc", "E12000004", "2024", "Total", "Total", 77.3, "Regional"),
    ("requests.request_outcome_six_weeks", KENT, "2024", SEX, "Female", 1260, "Local authority"),
    # data/assessments.csv: decisions not to issue within / after 16 weeks, tribunals (2024)
    ("assessments.outcome_decision_over_time", ENGLAND, "2024", "Total", "Total", 4212, "National"),
    ("assessments.number_assess_tribunal", ENGLAND, "2024", "Total", "Total", 1445, "National"),
    ("assessments.outcome_decision_within_time", KENT, "2024", "Total", "Total", 174, "Local authority"),
    # data/timeliness_20_week.csv: the 20-52-week band (2024)
    ("timeliness_20_week.plans_issued_gt20weeks_ltyear", ENGLAND, "2024", "Total", "Total", 42402, "National"),
    ("timeliness_20_week.pc_plans_issued_gt20weeks_ltyear", "E12000008", "2024", "Total", "Total", 51, "Regional"),
    ("timeliness_20_week.plans_issued_gt20weeks_ltyear", KENT, "2024", SEX, "Male", 878, "Local authority"),
    # data/caseload.csv: placement, age, years held (January 2025)
    ("caseload.special_independent", ENGLAND, "202425", "Total", "Total", 29647, "National"),
    ("caseload.mainstream_total_pc", ENGLAND, "202425", "Total", "Total", 43.6, "National"),
    ("caseload.ehcplans", "E12000007", "202425", "Child or young persons age", "Age 10", 6454, "Regional"),
    ("caseload.ehcplans", KENT, "202425", "Years EHC plan in place", "10", 1274, "Local authority"),
    # data/newplans.csv: placement of new plans (2024)
    ("newplans.special_independent", ENGLAND, "2024", "Total", "Total", 2344, "National"),
    # data/ceased_plans.csv: reasons (2024)
    ("ceased_plans.needs_met", ENGLAND, "2024", "Total", "Total", 3955, "National"),
    ("ceased_plans.needs_met", "E12000002", "2024", "Total", "Total", 714, "Regional"),
    ("ceased_plans.total_ceased", KENT, "2024", SEX, "Female", 584, "Local authority"),
    # data/annual_reviews.csv: outcomes and 4-week decisions (2024)
    ("annual_reviews.outcome_cease", ENGLAND, "2024", "Total", "Total", 4087, "National"),
    ("annual_reviews.pc_decsion_4weeks", ENGLAND, "2024", "Total", "Total", 44.4, "National"),
    ("annual_reviews.outcome_amend", "E12000009", "2024", SEX, "Female", 6752, "Regional"),
    # data/personal_budgets.csv (January 2025)
    ("personal_budgets.pb_social", ENGLAND, "202425", "Total", "Total", 12580, "National"),
    ("personal_budgets.personal_budget", KENT, "202425", "Total", "Total", 64, "Local authority"),
    # data/residential_settings.csv (January 2025)
    ("residential_settings.res_52", ENGLAND, "202425", "Total", "Total", 825, "National"),
    ("residential_settings.res_tot", "E12000006", "202425", SEX, "Male", 262, "Regional"),
    # data/work_based_placements.csv (January 2025)
    ("work_based_placements.open_supp_intern", ENGLAND, "202425", "Total", "Total", 2673, "National"),
    ("work_based_placements.open_wbp", KENT, "202425", "Total", "Total", 54, "Local authority"),
    # data/sen_need_newplans.csv: Inner and Outer London are their own areas (2024)
    ("sen_need_newplans.number_asd", INNER_LONDON, "2024", "Total", "Total", 1551, "Regional"),
    ("sen_need_newplans.number_asd", OUTER_LONDON, "2024", SEX, "Female", 953, "Regional"),
    # data/sen_needs_all_plans.csv (January 2025)
    ("sen_needs_all_plans.number_semh", KENT, "202425", SEX, "Female", 1075, "Local authority"),
]


@pytest.mark.parametrize(("measure", "area", "period", "topic", "breakdown", "expected", "level"), RELEASE_2025)
def test_release_2025_cells(con, measure, area, period, topic, breakdown, expected, level):
    assert cell(con, measure, area, period, topic, breakdown) == (expected, None, "ehcp", level)


# education-health-and-care-plans_2022.zip (aggregate collection; January files relabelled 2014 -> 201314)
RELEASE_2022 = [
    # data/sen2_mi.csv: mediation, mediations followed by an appeal, personal budgets
    ("sen2_mi.newehcmediation", ENGLAND, "2021", "Total", "Total", 5097, "National"),
    ("sen2_mi.newehctribunal", ENGLAND, "2021", "Total", "Total", 1302, "National"),
    ("sen2_mi.newehcmediation", "E12000003", "2019", "Total", "Total", 545, "Regional"),
    ("sen2_mi.newehctribunal", KENT, "2021", "Total", "Total", 5, "Local authority"),
    # data/sen2_age_caseload.csv: statements of SEN, January 2014, age 11 to 15
    ("sen2_age_caseload.total_st", ENGLAND, "201314", "Age band", "Age 11 to 15", 113796, "National"),
    # data/sen2_estab_caseload.csv: Kent, January 2022, independent special schools
    (
        "sen2_estab_caseload.total_ehc",
        KENT,
        "202122",
        "Establishment type",
        "Special school: Special - Independent",
        1338,
        "Local authority",
    ),
    # data/sen2_estab_new_plans.csv: North East, 2021, mainstream schools in all
    (
        "sen2_estab_new_plans.total_new_ehc",
        "E12000001",
        "2021",
        "Establishment type",
        "Mainstream school: Total",
        1880,
        "Regional",
    ),
    # data/sen2_wbp_residential_dmo.csv: Kent 2022, supported internships and 52-week residential placements
    ("sen2_wbp_residential_dmo.msuppintehc", KENT, "2022", "Total", "Total", 16, "Local authority"),
    ("sen2_wbp_residential_dmo.totmres52weekehc", KENT, "2022", "Total", "Total", 38, "Local authority"),
]


@pytest.mark.parametrize(("measure", "area", "period", "topic", "breakdown", "expected", "level"), RELEASE_2022)
def test_release_2022_cells(con, measure, area, period, topic, breakdown, expected, level):
    assert cell(con, measure, area, period, topic, breakdown) == (expected, None, "ehcp_2022", level)


@pytest.mark.parametrize(
    ("measure", "area", "period", "topic", "marker", "source"),
    [
        # data/annual_reviews.csv, Surrey 2024 'All annual reviews': outcome_cease 'x' (suppressed)
        ("annual_reviews.outcome_cease", SURREY, "2024", "Total", "x", "ehcp"),
        # data/requests.csv, Kent 2019: request_outcome_six_weeks 'x' (not collected before 2023)
        ("requests.request_outcome_six_weeks", KENT, "2019", "Total", "x", "ehcp"),
        # 2022 zip data/sen2_mi.csv, Yorkshire and The Humber 2019: Mtosi 'z'
        ("sen2_mi.mtosi", "E12000003", "2019", "Total", "z", "ehcp_2022"),
        # 2022 zip data/sen2_age_caseload.csv, England January 2014, age 11 to 15: Total_ehc 'z'
        ("sen2_age_caseload.total_ehc", ENGLAND, "201314", "Age band", "z", "ehcp_2022"),
    ],
)
def test_markers_keep_their_row(con, measure, area, period, topic, marker, source):
    breakdown = "Age 11 to 15" if topic == "Age band" else "Total"
    value, got, sid, _ = cell(con, measure, area, period, topic, breakdown)
    assert (value, got, sid) == (None, marker, source)


def test_withheld_headline_cell_only(con):
    # data/newplans.csv, Barnsley 2022 'New EHC plans': new_ehc_plans 6078 (the region's total, withheld as in
    # observation), special_independent 11 (a real figure, kept).
    assert cell(con, "newplans.new_ehc_plans", BARNSLEY, "2022")[:2] == (None, "w")
    assert cell(con, "newplans.special_independent", BARNSLEY, "2022")[:2] == (11, None)
    assert con.execute(
        "SELECT count(*) FROM data_note WHERE area_code = ? AND note LIKE 'newplans.new_ehc_plans%withheld%'",
        [BARNSLEY],
    ).fetchone() == (1,)


def test_catalogue_from_the_data_guidance(con):
    m = con.execute(
        "SELECT label, unit, numerator_id, denominator_id, indicator_id, topic FROM measure WHERE measure_id = ?",
        ["timeliness_20_week.pc_plans_issued_gt20weeks_ltyear"],
    ).fetchone()
    # data-guidance.txt of the 2025 zip: 'EHC plans issued between 20 and 52 weeks including exceptions- %'
    assert m == (
        "EHC plans issued between 20 and 52 weeks including exceptions- %",
        "percent",
        "timeliness_20_week.plans_issued_gt20weeks_ltyear",
        "timeliness_20_week.plans_issued_den",
        None,
        "Plans issued within 20 weeks",
    )
    feeds = con.execute("SELECT indicator_id FROM measure WHERE measure_id = 'requests.requests_received_in_year'")
    assert feeds.fetchone() == ("initial_requests",)
    undescribed = con.execute("SELECT count(*) FROM measure WHERE definition LIKE '%not described%'").fetchone()
    assert undescribed == (0,)


def test_ceased_plan_reasons_labelled_by_their_column_not_the_swapped_guidance(con):
    # data-guidance.txt of the 2025 zip, ceased_plans.csv: 'not_rec | Number ceased for other reasons' and
    # 'other | Number where reason is not recorded'. data/ceased_plans.csv, England, 2022 (All ceased EHC plans):
    # not_rec 5, other 2193; the 2022 zip's data/sen2_mi.csv, England, 2021: DisothEHC ('EHC plan discontinued
    # for other reasons') 1091. 'Other reasons' is the column named 'other'.
    labels = dict(con.execute("SELECT measure_id, label FROM measure WHERE dataset = 'ceased_plans'").fetchall())
    assert labels["ceased_plans.other"] == "Number ceased for other reasons"
    assert labels["ceased_plans.not_rec"] == "Number where reason is not recorded"
    assert cell(con, "ceased_plans.other", ENGLAND, "2022")[:2] == (2193, None)
    assert cell(con, "ceased_plans.not_rec", ENGLAND, "2022")[:2] == (5, None)
    definition = con.execute("SELECT definition FROM measure WHERE measure_id = 'ceased_plans.other'").fetchone()[0]
    assert "swapped" in definition
    # Only while the guidance prints the swapped text: a correct description is kept as it is.
    assert breakdowns._description("ceased_plans", "other", {"other": "Number ceased for other reasons"}) == (
        "Number ceased for other reasons",
        None,
    )


def test_declared_percentages_match_their_parts(con):
    """Each declared (numerator, denominator) gives the published percentage (to its 1 dp) in >= 99.9% of rows."""
    # The three cells of one published row share its row_id (breakdown_row), so they are joined on it.
    rows = con.execute(
        """SELECT m.measure_id, count(*) AS n,
                  count(*) FILTER (WHERE abs(100 * n.value / d.value - p.value) > 0.051) AS off
           FROM measure m
           JOIN measure mn ON mn.measure_id = m.numerator_id
           JOIN measure md ON md.measure_id = m.denominator_id
           JOIN breakdown_cell p ON p.measure_no = m.measure_no
           JOIN breakdown_cell n ON n.row_id = p.row_id AND n.measure_no = mn.measure_no
           JOIN breakdown_cell d ON d.row_id = p.row_id AND d.measure_no = md.measure_no
           WHERE d.value > 0
           GROUP BY m.measure_id"""
    ).fetchall()
    assert len(rows) >= 50
    for measure, n, off in rows:
        assert off <= n / 1000, f"{measure}: {off} of {n} rows do not match"


def test_every_numeric_cell_of_the_2025_release_is_loaded(con):
    """Cells of the 2025 zip's data files, counted here with the csv module, against the database."""
    layout = set(breakdowns.GEO_COLUMNS) | set(breakdowns.DIMENSIONS)
    published = 0
    with zipfile.ZipFile(mirror_path("ehcp")) as z:
        for name in z.namelist():
            if name.startswith("data/") and name.endswith(".csv"):
                reader = csv.reader(io.StringIO(z.read(name).decode("utf-8-sig")))
                header = [h.lower() for h in next(reader)]
                first = {h: i for i, h in reversed(list(enumerate(header)))}  # a repeated column counts once
                cols = [i for h, i in first.items() if h not in layout]
                for row in reader:
                    published += sum(1 for i in cols if row[i].strip() not in ("", *breakdowns.MARKER_MEANINGS))
    loaded = con.execute("SELECT count(value) FROM breakdown_value WHERE source_id = 'ehcp'").fetchone()[0]
    # Everything but the headline cells withheld (marker w: 15 Yorkshire and The Humber authorities, 2022).
    assert published - loaded == 15


def test_store_breakdown_rows(store):
    df = store.breakdown_rows(dataset="sen_need_newplans", area_codes=[INNER_LONDON, ENGLAND], topic="Sex")
    assert list(df.columns) == BREAKDOWN_ROW_COLUMNS
    assert set(df.area_name) == {"Inner London", "England"}
    assert {"Female", "Male"} <= set(df.breakdown)
    caseload = store.breakdown_rows(measure_ids=["caseload.ehcplans"], area_codes=[KENT], periods=["202425"])
    assert set(caseload.period) == {"2024/25"} and set(caseload.release) == {"Reporting year 2025 (June 2025)"}
    assert caseload.breakdown_topic.iloc[0] == "Total"  # headline row first
    assert store.breakdown_topics("caseload.ehcplans")[0] == "Total"
    assert "Years EHC plan in place" in store.breakdown_topics("caseload.ehcplans")
    assert store.measures.set_index("measure_id").at["caseload.ehcplans", "indicator_id"] == "ehc_plans"
    with pytest.raises(ValueError):
        store.breakdown_rows()


# ------------------------------------------------------------------------------------------ the 2026 layout

EXTRACT = MIRROR.parent / "fixtures" / "ehcp-2026-extract"
needs_extract = pytest.mark.skipif(not EXTRACT.is_dir(), reason=f"no 2026 extract at {EXTRACT}")


def _read(path):
    with ehcp._open_zip(path) as zf:
        return breakdowns.read_release(zf, path, source_by_id("ehcp"), ehcp.data_guidance(zf))


def _cells(tables) -> pd.DataFrame:
    """The numbers and markers of a ReleaseCells or Breakdowns as one frame (row_id, measure_no, value, marker)."""
    return pd.concat([tables.numbers.to_pandas(), tables.markers.to_pandas()], ignore_index=True)


def _frame(cells: breakdowns.ReleaseCells) -> pd.DataFrame:
    rows = cells.rows.to_pandas()
    out = _cells(cells).merge(rows, on="row_id")
    out["measure_id"] = cells.columns.measure_id.to_numpy()[out.measure_no]
    return out


def _one(frame: pd.DataFrame, **where):
    sel = frame
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"{where}: {len(sel)} rows"
    return sel.iloc[0]


@pytest.fixture(scope="module")
def extract_2026(tmp_path_factory):
    from test_layout_2026 import release_zip

    return _read(release_zip(tmp_path_factory.mktemp("cells2026")))


@needs_extract
def test_2026_extract_every_data_file_is_read(extract_2026):
    datasets = set(extract_2026.columns.dataset)
    # The 12 data files of the extract (sen_needs_caseload.csv is not in it, see its README).
    assert len(datasets) == 12 and "phase_transfers" in datasets and "personal_budgets" in datasets
    assert extract_2026.notes == []


@needs_extract
def test_2026_extract_values(extract_2026):
    f = _frame(extract_2026)
    # data/phase_transfers.csv (no breakdown columns: every row Total/Total), National 2025: due_26 142257
    row = _one(f, measure_id="phase_transfers.due_26", geographic_level="National", time_period="2025")
    assert (row.value, row.breakdown_topic, row.breakdown) == (142257, "Total", "Total")
    # data/annual_reviews.csv, National 2025 'All reviews of EHC plans': review_expected_2025 596987 (our
    # review_expected), review_completed_2025 339027 (review_completed)
    national = f[(f.geographic_level == "National") & (f.time_period == "2025") & (f.breakdown == "Total")]
    assert _one(national, measure_id="annual_reviews.review_expected").value == 596987
    assert _one(national, measure_id="annual_reviews.review_completed").value == 339027
    assert _one(national, measure_id="annual_reviews.outcome_ceased").breakdown == "Total"
    # data/caseload.csv National 201819 'All EHC plans': special_academy 35065, special_free_school 'x' (split)
    jan19 = f[(f.geographic_level == "National") & (f.time_period == "201819") & (f.breakdown == "Total")]
    assert _one(jan19, measure_id="caseload.special_academy").value == 35065
    assert _one(jan19, measure_id="caseload.special_free_school").marker == "x"
    ids = set(extract_2026.columns.measure_id)
    assert {"newplans.await_prov", "newplans.perm_ex", "sen_need_newplans.number_ds"} <= ids
    assert "timeliness_20_week.avg_weeks_issue_plan" in ids


@needs_extract
def test_new_column_is_loaded_and_reported(tmp_path):
    from test_layout_2026 import release_zip

    text = (EXTRACT / "data" / "personal_budgets.csv").read_text(encoding="utf-8-sig").splitlines()
    changed = [text[0] + ",pb_new"] + [line + ",7" for line in text[1:]]
    got = _read(release_zip(tmp_path, {"data/personal_budgets.csv": "\r\n".join(changed).encode()}))
    assert "personal_budgets.pb_new" in set(got.columns.measure_id)
    assert any("pb_new" in n and "does not describe" in n for n in got.notes)


@needs_extract
def test_text_in_a_column_of_numbers_is_reported_and_the_column_left_out(tmp_path):
    from test_layout_2026 import release_zip

    text = (EXTRACT / "data" / "personal_budgets.csv").read_text(encoding="utf-8-sig").splitlines()
    parts = text[1].split(",")
    parts[-1] = "n/k"
    changed = "\r\n".join([text[0], ",".join(parts), *text[2:]]).encode()
    got = _read(release_zip(tmp_path, {"data/personal_budgets.csv": changed}))
    ids = set(got.columns.measure_id)
    assert "personal_budgets.pb_integrated" not in ids and "personal_budgets.pb_social" in ids
    assert any("pb_integrated" in n and "'n/k'" in n for n in got.notes)


@needs_extract
def test_newest_release_wins_where_both_publish(extract_2026):
    older = _read(mirror_path("ehcp"))
    la = pd.DataFrame(columns=["old_la_code", "new_la_code", "first_year", "last_year"])
    both = {"ehcp_2025": older, "ehcp": extract_2026}
    ranked = {
        "ehcp_2025": dataclasses.replace(source_by_id("ehcp_2025"), precedence=2025),
        "ehcp": dataclasses.replace(source_by_id("ehcp"), precedence=2026),
    }
    # National and regional rows only (no LA list here): drop the LA rows of both.
    for r in both.values():
        keep = pc.is_null(r.rows["old_la_code"]).combine_chunks()
        r.rows = r.rows.filter(keep)
        r.numbers = r.numbers.filter(keep.take(r.numbers["row_id"]))
        r.markers = r.markers.filter(keep.take(r.markers["row_id"]))
    none = pd.DataFrame(columns=["indicator_id", "area_code", "time_period", "source_id"])
    tables, _ = breakdowns.combine(both, ranked, la, none)
    rows = tables.rows.to_pandas()
    cells = _cells(tables).merge(rows, on="row_id")
    cells["measure_id"] = tables.measure.set_index("measure_no").measure_id.reindex(cells.measure_no).to_numpy()
    national = cells[(cells.area_code == ENGLAND) & (cells.breakdown == "Total")]
    # caseload.ehcplans January 2019: both releases print 353995; the 2026 release's row is the one kept.
    assert _one(national, measure_id="caseload.ehcplans", time_period="201819").source_id == "ehcp"
    # January 2025 (in the 2025 zip, not in the extract's rows): kept from the 2025 release.
    assert _one(national, measure_id="caseload.ehcplans", time_period="202425").source_id == "ehcp_2025"
    # A measure only the older release publishes keeps its cells; the catalogue describes it from that release.
    assert tables.measure.set_index("measure_id").at["newplans.special_academy_free", "source_id"] == "ehcp_2025"


def test_last_good_copy_of_the_cells(con):
    """A source whose file cannot be read keeps its cells from the previous database (etl/load.previous_copies)."""
    copy = breakdowns.previous_cells(con, "ehcp_2022")
    held = con.execute("SELECT count(*) FROM breakdown_value WHERE source_id = 'ehcp_2022'").fetchone()[0]
    assert copy is not None and len(copy) == held
    la = con.execute("SELECT * FROM local_authority").df()
    none = pd.DataFrame(columns=["indicator_id", "area_code", "time_period", "source_id"])
    tables, _ = breakdowns.combine({"ehcp_2022": copy}, {"ehcp_2022": source_by_id("ehcp_2022")}, la, none)
    rows = tables.rows.to_pandas().merge(_cells(tables), on="row_id")
    number = tables.measure.set_index("measure_id").measure_no
    # 2022 zip data/sen2_mi.csv, Kent 2021: NewEHCTribunal 5 (as in test_release_2022_cells)
    kent = rows[(rows.measure_no == number["sen2_mi.newehctribunal"]) & (rows.area_code == KENT)]
    assert kent.set_index("time_period").value["2021"] == 5
    assert (
        tables.measure.set_index("measure_id").at["sen2_mi.newehctribunal", "definition"]
        == con.execute("SELECT definition FROM measure WHERE measure_id = 'sen2_mi.newehctribunal'").fetchone()[0]
    )


def test_la_codes_and_lifetimes_are_checked(con):
    """Rows resolve through local_authority; an unknown code or a figure outside an authority's life stops the build."""
    from etl.load import BuildError

    cells = breakdowns.previous_cells(con, "ehcp_2022")
    la = con.execute("SELECT * FROM local_authority").df()
    none = pd.DataFrame(columns=["indicator_id", "area_code", "time_period", "source_id"])
    sources = {"ehcp_2022": source_by_id("ehcp_2022")}
    with pytest.raises(BuildError, match=r"LA codes not in the local authority list: 886 \(ehcp_2022\)"):
        breakdowns.combine({"ehcp_2022": cells}, sources, la[la.old_la_code != "886"], none)
    ended = la.assign(last_year=la.last_year.mask(la.old_la_code == "886", 2015))  # as if Kent had ended in 2015
    with pytest.raises(BuildError, match="years it did not exist"):
        breakdowns.combine({"ehcp_2022": cells}, sources, ended, none)


def test_summary_counts_every_cell(db_path, con, capsys):
    from etl.report import print_summary

    print_summary(db_path)
    cells = con.execute("SELECT count(*), count(value) FROM breakdown_value").fetchone()
    assert f"breakdown_value        {cells[0]:,} cells ({cells[1]:,} figures" in capsys.readouterr().out


def test_a_data_file_whose_header_is_not_utf8_is_a_note_not_a_failure(tmp_path):
    """One unreadable file leaves the release's other cells loaded (a test-only zip, not published data)."""
    path = tmp_path / "release.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data/extra.csv", "time_period,caf\xe9\n2024,1\n".encode("cp1252"))
    with ehcp._open_zip(path) as zf:
        cells = breakdowns.read_release(zf, path, None, {})
    assert len(cells) == 0
    assert len(cells.notes) == 1 and cells.notes[0].startswith("data/extra.csv could not be read")
