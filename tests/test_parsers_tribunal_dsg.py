"""Tests of the tribunal appeal-rate and DSG parsers against the real source mirror (values read by hand)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from helpers import MIRROR, mirror_path, one

from etl.model import LOCAL_AUTHORITY, NATIONAL, OBS_COLUMNS, REGIONAL, SourceFormatError
from etl.parsers import dsg, tribunal
from etl.sources import source_by_id

TRIBUNAL = source_by_id("tribunal_2025")
TRIBUNAL_PATH = MIRROR / TRIBUNAL.mirror_path
DSG_2324 = source_by_id("dsg_2023_24")
DSG_COMBINED = source_by_id("dsg_combined")

needs_mirror = pytest.mark.skipif(not TRIBUNAL_PATH.exists(), reason="source mirror not available")


# --------------------------------------------------------------------------------------------- tribunal


@pytest.fixture(scope="module")
def trib():
    return tribunal.parse(TRIBUNAL_PATH, TRIBUNAL, mirror_path)


@needs_mirror
def test_tribunal_contract_and_england(trib):
    obs = trib.observations
    assert list(obs.columns) == OBS_COLUMNS
    eng = obs[obs.geographic_level == NATIONAL]
    assert one(eng, indicator_id="tribunal_appeals", year=2024).value == 22276
    assert one(eng, indicator_id="appealable_decisions", year=2024).value == 689739
    assert one(eng, indicator_id="tribunal_appeal_rate", year=2024).value == pytest.approx(3.2)
    assert one(eng, indicator_id="tribunal_appeals", year=2014).value == 4108
    assert one(eng, indicator_id="appealable_decisions", year=2014).value == 251096
    assert eng.old_la_code.isna().all()
    assert set(obs.time_period) == {str(y) for y in range(2014, 2025)}
    assert (obs.time_period == obs.year.astype(str)).all()
    assert set(obs.breakdown_topic) == {"Total"} and set(obs.breakdown) == {"Total"}


@needs_mirror
def test_tribunal_la_values(trib):
    la = trib.observations[trib.observations.geographic_level == LOCAL_AUTHORITY]
    kent = la[la.old_la_code == "886"]
    assert set(kent.la_name) == {"Kent"}
    assert one(kent, indicator_id="tribunal_appeals", year=2024).value == 1559
    assert one(kent, indicator_id="appealable_decisions", year=2024).value == 23692
    assert one(kent, indicator_id="tribunal_appeal_rate", year=2024).value == pytest.approx(6.6)
    durham = la[la.old_la_code == "840"]
    assert one(durham, indicator_id="appealable_decisions", year=2014).value == 2533
    # England total = sum of LA appeals ('-' counts as nil)
    total = la[(la.indicator_id == "tribunal_appeals") & (la.year == 2024)].value.sum()
    assert total == 22276


@needs_mirror
def test_tribunal_markers_and_blanks(trib):
    la = trib.observations[trib.observations.geographic_level == LOCAL_AUTHORITY]
    darl = one(la, old_la_code="841", indicator_id="tribunal_appeals", year=2014)
    assert darl.marker == "-" and darl.value != darl.value  # NaN
    assert set(trib.observations.marker.dropna()) == {"-", ".."}
    # Isles of Scilly 2023 appeals is blank in the file: no row at all (its rate 0.00% is kept)
    scilly = la[(la.old_la_code == "420") & (la.year == 2023)]
    assert set(scilly.indicator_id) == {"appealable_decisions", "tribunal_appeal_rate"}
    # Northamptonshire 2021: appeals 85 but decisions '..'
    nh = la[(la.la_name == "Northamptonshire") & (la.year == 2021)]
    assert one(nh, indicator_id="tribunal_appeals").value == 85
    assert one(nh, indicator_id="appealable_decisions").marker == ".."


@needs_mirror
def test_tribunal_names_codes_and_skips(trib):
    obs = trib.observations
    la = obs[obs.geographic_level == LOCAL_AUTHORITY]
    names = set(la.la_name)
    assert {"Cumbria", "Dorset", "Bournemouth, Christchurch and Poole", "Kingston Upon Hull, City of"} <= names
    assert not any(n[-1].isdigit() for n in names)
    assert not any(n.isupper() for n in names)  # no region banners
    assert la.old_la_code.str.fullmatch(r"\d{3}").all()
    # code-less rows resolved from the declared table, with a note each
    assert set(la[la.la_name == "Bournemouth"].old_la_code) == {"837"}
    assert set(la[la.la_name == "Poole"].old_la_code) == {"836"}
    assert one(la, la_name="Bournemouth", indicator_id="tribunal_appeals", year=2014).value == 10
    # published errors left as published for the loader to detect
    assert set(la[la.la_name == "Northamptonshire"].old_la_code) == {"892"}
    assert set(la[la.la_name == "Dorset"].old_la_code) == {"838"}
    assert la[la.old_la_code == "838"].year.min() == 2014
    assert la.groupby("year").old_la_code.nunique().loc[2014] == 157
    assert not la.duplicated(["indicator_id", "old_la_code", "year"]).any()
    # in-development 2024 columns and 'excluding suppressed' row skipped, with notes
    assert len(obs[(obs.geographic_level == NATIONAL) & (obs.year == 2024)]) == 3
    text = " ".join(n["note"] for n in trib.notes)
    assert "In development" in text and "excluding suppressed" in text
    assert "837" in text and "836" in text


def _tribunal_rows() -> list[list[str]]:
    with open(TRIBUNAL_PATH, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return path


def _row_index(rows, first_cell):
    return next(i for i, r in enumerate(rows) if r and r[0] == first_cell)


@needs_mirror
def test_tribunal_new_year_column_loads(tmp_path):
    rows = _tribunal_rows()
    year_i = _row_index(rows, "Local Authority")
    kent_i, eng_i = _row_index(rows, "Kent"), _row_index(rows, "England Total4,9")
    for i, row in enumerate(rows):
        extra = ["", "", ""]
        if i == year_i:
            extra = ["2025", "", ""]
        elif i == year_i + 1:
            extra = ["Appeals registered4", "Total Appealable Decisions1,9", "SEND Tribunal Appeal Rate2"]
        elif i == kent_i:
            extra = ["1,700", "25,000", "6.80%"]
        elif i == eng_i:
            extra = ["23,000", "700,000", "3.29%"]
        row.extend(extra)
    obs = tribunal.parse(_write_csv(tmp_path / "t.csv", rows), TRIBUNAL, mirror_path).observations
    y25 = obs[obs.year == 2025]
    assert set(y25.time_period) == {"2025"}
    assert one(y25, old_la_code="886", indicator_id="tribunal_appeals").value == 1700
    assert one(y25, geographic_level=NATIONAL, indicator_id="appealable_decisions").value == 700000
    assert one(y25, geographic_level=NATIONAL, indicator_id="tribunal_appeal_rate").value == pytest.approx(3.29)
    assert len(y25) == 6  # other LAs blank in 2025: no rows
    assert one(obs, geographic_level=NATIONAL, indicator_id="tribunal_appeals", year=2024).value == 22276


@needs_mirror
def test_tribunal_unknown_marker_is_returned(tmp_path):
    rows = _tribunal_rows()
    kent_i = _row_index(rows, "Kent")
    rows[kent_i][2] = " !! "  # 2014 appeals
    obs = tribunal.parse(_write_csv(tmp_path / "t.csv", rows), TRIBUNAL, mirror_path).observations
    cell = one(obs, old_la_code="886", indicator_id="tribunal_appeals", year=2014)
    assert cell.marker == "!!" and cell.value != cell.value


def test_tribunal_2026_layout(tmp_path):
    """The next release's layout (data-notes §16): Sources block, 'Old LA code', unnamed name column, 2 years."""
    rows = [
        ["SEND appealable decisions rate table", "", "", "", "", "", "", ""],
        ["Local authorities in England 2024-2025", "", "", "", "", "", "", ""],
        [""] * 8,
        ["Sources:", "Appeals - HMCTS", "", "", "", "", "", ""],
        ["", "Appealable decisions - DfE SEN2", "", "", "", "", "", ""],
        [""] * 8,
        ["", "", "2024", "", "", "2025", "", ""],
        [
            "",
            "Old LA code",
            "Appeals registered",
            "Total Appealable Decisions",
            "SEND Tribunal Appeal Rate2",
            "Appeals",
            "Total Appealable decisions",
            "SEND Tribunal Appeal Rate",
        ],
        ["NORTH EAST", "", "", "", "", "", "", ""],
        ["Darlington", "841", " - ", "450", "0.0%", "12", "500", "2.4%"],
        ["INNER LONDON", "", "", "", "", "", "", ""],
        ["Camden", "202", "x", " x ", "x", "30", "1000", "3.0%"],
        ["England Total", "", "20000", "600000", "3.3%", "25000", "610000", "4.1%"],
        [""] * 8,
        ["1. Appealable decisions now use annual reviews\nnot the January caseload.", "", "", "", "", "", "", ""],
    ]
    obs = tribunal.parse(_write_csv(tmp_path / "next.csv", rows), TRIBUNAL, mirror_path).observations
    assert set(obs.year) == {2024, 2025}
    assert one(obs, old_la_code="841", indicator_id="tribunal_appeals", year=2025).value == 12
    assert one(obs, old_la_code="841", indicator_id="tribunal_appeals", year=2024).marker == "-"
    assert one(obs, old_la_code="202", indicator_id="appealable_decisions", year=2024).marker == "x"
    assert one(obs, geographic_level=NATIONAL, indicator_id="appealable_decisions", year=2025).value == 610000
    assert set(obs[obs.geographic_level == LOCAL_AUTHORITY].la_name) == {"Darlington", "Camden"}
    assert len(obs) == 18


def test_tribunal_errors(tmp_path):
    bad = _write_csv(tmp_path / "bad.csv", [["no", "header", "here"], ["1", "2", "3"]])
    with pytest.raises(SourceFormatError, match="bad.csv"):
        tribunal.parse(bad, TRIBUNAL, mirror_path)
    rows = [
        ["Local Authority", "LA code", "2024", "", ""],
        ["", "", "Appeals registered", "Total Appealable Decisions", "Appeal rate"],
        ["Nowhere5", "", "1", "10", "10%"],
        ["England Total", "", "1", "10", "10%"],
    ]
    with pytest.raises(SourceFormatError, match="Nowhere"):
        tribunal.parse(_write_csv(tmp_path / "codeless.csv", rows), TRIBUNAL, mirror_path)
    rows[2][1] = "E06000001"
    with pytest.raises(SourceFormatError, match="3-digit"):
        tribunal.parse(_write_csv(tmp_path / "gss.csv", rows), TRIBUNAL, mirror_path)
    rows[2][1] = "841"
    rows[1][4] = "Median wait"
    with pytest.raises(SourceFormatError, match="unknown measure"):
        tribunal.parse(_write_csv(tmp_path / "measure.csv", rows), TRIBUNAL, mirror_path)


def test_strip_footnote():
    assert tribunal.strip_footnote("Cumbria8") == "Cumbria"
    assert tribunal.strip_footnote("England Total4,9") == "England Total"
    assert tribunal.strip_footnote("Total Appealable Decisions1,9") == "Total Appealable Decisions"
    assert tribunal.strip_footnote("Bristol, City of") == "Bristol, City of"
    assert tribunal.strip_footnote("  Kent ") == "Kent"


# --------------------------------------------------------------------------------------------- DSG


@pytest.fixture(scope="module")
def dsg_2324():
    return dsg.parse_year_file(mirror_path("dsg_2023_24"), DSG_2324, mirror_path)


@pytest.fixture(scope="module")
def dsg_1920():
    return dsg.parse_combined_file(mirror_path("dsg_combined"), DSG_COMBINED, mirror_path)


@needs_mirror
def test_dsg_2023_24_values(dsg_2324):
    obs = dsg_2324.observations
    assert list(obs.columns) == OBS_COLUMNS
    assert set(obs.time_period) == {"2023-24"} and set(obs.year) == {2024}
    kent = one(obs, old_la_code="886", indicator_id="high_needs_block")
    assert kent.value == 311663662 and kent.la_name == "Kent"
    assert one(obs, geographic_level=NATIONAL, indicator_id="dsg_total").value == 57135884056
    assert one(obs, geographic_level=NATIONAL, indicator_id="high_needs_block").value == 9952172126
    assert obs.marker.isna().all()


@needs_mirror
def test_dsg_regions_and_sums(dsg_2324):
    obs = dsg_2324.observations
    reg = obs[obs.geographic_level == REGIONAL]
    assert sorted(reg.region_code.unique()) == [f"E1200000{i}" for i in range(1, 10)]
    assert len(reg) == 18  # one LONDON only (the authority-type group is skipped)
    assert one(reg, region_code="E12000007", indicator_id="high_needs_block").value == 1931692936
    assert one(reg, region_code="E12000003", indicator_id="dsg_total").value == 5634403559
    for ind in ("high_needs_block", "dsg_total"):
        part = obs[obs.indicator_id == ind]
        nat = part[part.geographic_level == NATIONAL].value.iloc[0]
        assert part[part.geographic_level == LOCAL_AUTHORITY].value.sum() == nat
        assert part[part.geographic_level == REGIONAL].value.sum() == nat


@needs_mirror
@pytest.mark.parametrize(
    ("source_id", "count"),
    [("dsg_2020_21", 149), ("dsg_2021_22", 150), ("dsg_2022_23", 150), ("dsg_2023_24", 151)],
)
def test_dsg_la_counts(source_id, count):
    source = source_by_id(source_id)
    obs = dsg.parse_year_file(mirror_path(source_id), source, mirror_path).observations
    la = obs[obs.geographic_level == LOCAL_AUTHORITY]
    assert la.old_la_code.nunique() == count
    assert la.old_la_code.str.fullmatch(r"\d{3}").all()  # text codes (2020-21) and numbers alike
    assert not ({"201", "420"} & set(la.old_la_code))  # no City of London, no Isles of Scilly
    assert set(obs.time_period) == {source.options["financial_year"]}


@needs_mirror
def test_dsg_2019_20_from_millions(dsg_1920):
    obs = dsg_1920.observations
    assert set(obs.time_period) == {"2019-20"} and set(obs.year) == {2020}
    # Kent [C] 204.03277037120196 (£m) -> £204,032,770
    assert one(obs, old_la_code="886", indicator_id="high_needs_block").value == 204032770
    # ENGLAND [E] 44,867.52032684354 (£m) -> £44,867,520,327
    assert one(obs, geographic_level=NATIONAL, indicator_id="dsg_total").value == 44867520327
    assert obs[obs.geographic_level == LOCAL_AUTHORITY].old_la_code.nunique() == 149
    assert (obs.value == obs.value.round()).all()
    assert one(obs, region_code="E12000007", indicator_id="high_needs_block").value == 1269314513  # 'London'
    assert any("million" in n["note"] for n in dsg_1920.notes)


def _repack(src: Path, dest: Path, drop_mimetype: bool) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if drop_mimetype and info.filename == "mimetype":
                continue
            zout.writestr(info.filename, zin.read(info.filename))
    return dest


@needs_mirror
def test_dsg_ods_without_mimetype_parses(tmp_path):
    src = mirror_path("dsg_combined")
    assert "mimetype" in zipfile.ZipFile(src).namelist()
    stripped = _repack(src, tmp_path / "no_mimetype.ods", drop_mimetype=True)
    assert "mimetype" not in zipfile.ZipFile(stripped).namelist()
    obs = dsg.parse_combined_file(stripped, DSG_COMBINED, mirror_path).observations
    assert one(obs, old_la_code="886", indicator_id="high_needs_block").value == 204032770


@needs_mirror
def test_dsg_bad_files(tmp_path):
    data = mirror_path("dsg_2023_24").read_bytes()
    truncated = tmp_path / "truncated.ods"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError, match="truncated.ods"):
        dsg.parse_year_file(truncated, DSG_2324, mirror_path)
    not_zip = tmp_path / "not_zip.ods"
    not_zip.write_text("this is not a spreadsheet")
    with pytest.raises(SourceFormatError, match="not_zip.ods"):
        dsg.parse_year_file(not_zip, DSG_2324, mirror_path)
    # a zip that is not an ODS
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    empty = tmp_path / "empty.ods"
    empty.write_bytes(buf.getvalue())
    with pytest.raises(SourceFormatError, match="empty.ods"):
        dsg.parse_year_file(empty, DSG_2324, mirror_path)


@needs_mirror
def test_dsg_wrong_year_or_sheet(tmp_path):
    wrong = source_by_id("dsg_2022_23")
    with pytest.raises(SourceFormatError, match="2022-23"):
        dsg.parse_year_file(mirror_path("dsg_2023_24"), wrong, mirror_path)
    from dataclasses import replace

    missing = replace(DSG_COMBINED, options={"financial_years": ["2018-19"]})
    with pytest.raises(SourceFormatError, match="Allocations_1819"):
        dsg.parse_combined_file(mirror_path("dsg_combined"), missing, mirror_path)
