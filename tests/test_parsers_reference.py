"""Tests for the LAIT and reference-table parsers against the real source mirror.

Expected values were read from the raw files by hand (DuckDB / calamine / csv).
Tests that need the mirror are skipped when it is absent; the bad-input tests use
small files written to ``tmp_path``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from helpers import MIRROR, mirror_path, one

from etl.model import OBS_COLUMNS, SourceFormatError
from etl.parsers import get_parser
from etl.parsers.lait import interpret_year
from etl.parsers.reference import parse_boundaries, parse_mp_lookup, parse_statistical_neighbours
from etl.sources import source_by_id

needs_mirror = pytest.mark.skipif(not MIRROR.exists(), reason=f"source mirror {MIRROR} not present")


def run(source_id: str):
    source = source_by_id(source_id)
    return get_parser(source.parser)(mirror_path(source_id), source, mirror_path)


# --------------------------------------------------------------------------------------------------------------------
# LAIT


@pytest.fixture(scope="module")
def lait():
    return run("lait")


@pytest.mark.parametrize(
    ("label", "year_type", "expected"),
    [
        ("2025", "Academic Year", ("202425", 2025)),
        ("2024/25", "Academic Year", ("202425", 2025)),
        ("2025", "Annual - January", ("202425", 2025)),
        ("2023-24", "Financial Year", ("2023-24", 2024)),
        ("2023/24", "Financial Year", ("2023-24", 2024)),
        ("2023-24 (OT)", "Financial Year", ("2023-24", 2024)),
        ("2024", "Calendar Year", ("2024", 2024)),
        ("2014-16", "Academic Year", None),
        ("2013/14-15/16", "Academic Year", None),
        ("2018 (Rev)", "Academic Year", None),
        ("2025 (prov)", "Calendar Year", None),
        ("0", "Academic Year", None),
        ("2015-17", "Financial Year", None),
        ("2023-24 (OT)", "Academic Year", None),
    ],
)
def test_interpret_year(label, year_type, expected):
    assert interpret_year(label, year_type) == expected


@needs_mirror
def test_lait_contract_and_values(lait):
    obs = lait.observations
    assert list(obs.columns) == OBS_COLUMNS
    assert set(obs["indicator_id"]) == {"pct_pupils_ehc_plan", "pct_pupils_sen_support", "sen_unit_cost_s251"}
    # England SEN_TotStat January 2025 = '5.3'; SEN_TotSENSuP = '14.2'.
    england = one(obs, indicator_id="pct_pupils_ehc_plan", geographic_level="National", year=2025)
    assert england["time_period"] == "202425" and england["value"] == 5.3
    assert england["old_la_code"] is None and england["region_code"] is None and england["marker"] is None
    assert one(obs, indicator_id="pct_pupils_sen_support", geographic_level="National", year=2025)["value"] == 14.2
    # Kent (886) 2025: SEN support 13.1 %, EHC plan 5.8 %; SENFinance 2024-25 (OT) = 115.
    kent = one(obs, indicator_id="pct_pupils_sen_support", old_la_code="886", year=2025)
    assert (kent["value"], kent["la_name"], kent["geographic_level"]) == (13.1, "Kent", "Local authority")
    assert one(obs, indicator_id="pct_pupils_ehc_plan", old_la_code="886", year=2025)["value"] == 5.8
    unit = one(obs, indicator_id="sen_unit_cost_s251", old_la_code="886", time_period="2024-25")
    assert (unit["value"], unit["year"]) == (115.0, 2025)
    # City of London 201 keeps three digits.
    assert one(obs, indicator_id="pct_pupils_sen_support", old_la_code="201", year=2025)["value"] == 13.9


@needs_mirror
def test_lait_geography(lait):
    obs = lait.observations
    year = obs[(obs["indicator_id"] == "pct_pupils_ehc_plan") & (obs["year"] == 2025)]
    # 153 current LAs + 835/836/837/909/928; England; 9 regions (Inner/Outer London dropped).
    assert (year["geographic_level"] == "Local authority").sum() == 158
    assert (year["geographic_level"] == "National").sum() == 1
    regions = year[year["geographic_level"] == "Regional"]
    assert sorted(regions["region_code"]) == [f"E1200000{i}" for i in range(1, 10)]
    assert one(regions, region_code="E12000007")["value"] == 5.4  # London (986)
    assert year["old_la_code"].dropna().str.fullmatch(r"\d{3}").all()
    old = year[year["old_la_code"].isin(["835", "836", "837", "909", "928"])]
    assert dict(zip(old["old_la_code"], old["la_name"], strict=True))["835"] == "Dorset (Pre LG)"
    assert (old["marker"] == "-").all() and old["value"].isna().all()


@needs_mirror
def test_lait_values_clean(lait):
    obs = lait.observations
    numbers = obs["value"].dropna()
    assert (numbers.round(4) == numbers).all()  # no 2.2999999999999998 artefacts
    assert set(obs["marker"].dropna()) == {"-"}
    assert obs.loc[obs["marker"].notna(), "value"].isna().all()
    assert set(obs[obs["indicator_id"] == "sen_unit_cost_s251"]["time_period"]) >= {"2016-17", "2024-25"}
    assert not obs.duplicated(["indicator_id", "geographic_level", "old_la_code", "region_code", "year"]).any()


def test_lait_missing_column(tmp_path):
    import duckdb

    parquet = tmp_path / "bds.parquet"
    duckdb.sql(f"COPY (SELECT 'SEN_TotStat' AS \"Short Desc\", '2025' AS \"Years\") TO '{parquet}' (FORMAT parquet)")
    dictionary = tmp_path / "dict.csv"
    dictionary.write_text(
        "Measure_short,Year_Type,dps\nSEN_TotStat,Academic Year,NA\nSEN_TotSENSuP,Academic Year,NA\n"
        "SENFinance,Financial Year,0\n",
        encoding="utf-8",
    )
    source = source_by_id("lait")
    with pytest.raises(SourceFormatError, match="lacks column"):
        get_parser("lait")(parquet, source, lambda _sid: dictionary)


# --------------------------------------------------------------------------------------------------------------------
# Statistical neighbours


@needs_mirror
def test_statistical_neighbours():
    parsed = run("statistical_neighbours")
    assert parsed.observations.empty and list(parsed.observations.columns) == OBS_COLUMNS
    sn = parsed.tables["statistical_neighbour"]
    assert list(sn.columns) == ["old_la_code", "la_name", "neighbour_old_la_code", "rank", "closeness", "version"]
    assert sn["old_la_code"].nunique() == 158 and len(sn) == 1580
    assert set(sn["rank"]) == set(range(1, 11))
    assert set(sn["closeness"]) == {"Extremely close", "Very close", "Close", "Somewhat close", "Not close"}
    assert (sn["version"] == "May 2025").all()
    first = sn[sn["rank"] == 1].set_index("old_la_code")
    assert tuple(first.loc["886", ["neighbour_old_la_code", "closeness"]]) == ("881", "Very close")
    assert first.loc["942", "neighbour_old_la_code"] == "943"
    assert tuple(first.loc["815", ["neighbour_old_la_code", "closeness"]]) == ("893", "Extremely close")
    assert first.loc["835", "la_name"] == "Dorset (Pre LG)"  # Old SNs block included
    assert {"835", "836", "837", "909", "928"} <= set(sn["old_la_code"])
    assert (sn["old_la_code"] != sn["neighbour_old_la_code"]).all()
    counts = sn["closeness"].value_counts()
    assert counts["Very close"] == 865 and counts["Extremely close"] == 16  # 820+45, 12+4 across cases


def _write_xlsx(path: Path, sheet: str, rows: list[list[object]]) -> None:
    """A minimal xlsx (inline strings, no styles) so the tests need no Excel writer."""

    def cell(ref: str, value: object) -> str:
        if isinstance(value, (int, float)):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    def col(i: int) -> str:
        name = ""
        i += 1
        while i:
            i, rem = divmod(i - 1, 26)
            name = chr(65 + rem) + name
        return name

    body = "".join(
        f'<row r="{r + 1}">' + "".join(cell(f"{col(c)}{r + 1}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows)
    )
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="{rel_ns}">'
            f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel_ns}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>{body}</sheetData></worksheet>',
        )


SN_HEADER = ["LA num", "LA Name", "LA number", "GOInd", "GOReg"] + [h for k in range(1, 11) for h in (f"SN{k}", "SNP")]


def test_sn_small_workbook_parses(tmp_path):
    path = tmp_path / "sn.xlsx"
    row = [886, "Kent", 886, 6, "South East"] + [v for k in range(10) for v in (881 + k, "Very Close")]
    _write_xlsx(
        path, "LA SN Groups", [["junk"], SN_HEADER, row, [], ["", "Old SNs:"], [909, "Cumbria", 909, 5, "NW"] + row[5:]]
    )
    table = parse_statistical_neighbours(path, source_by_id("statistical_neighbours"), mirror_path).tables[
        "statistical_neighbour"
    ]
    assert len(table) == 20 and set(table["closeness"]) == {"Very close"}
    assert table.iloc[0][["old_la_code", "neighbour_old_la_code", "rank"]].tolist() == ["886", "881", 1]


def test_sn_without_header_raises(tmp_path):
    path = tmp_path / "sn.xlsx"
    row = [886, "Kent", 886, 6, "South East"] + [v for k in range(10) for v in (881 + k, "Close")]
    _write_xlsx(path, "LA SN Groups", [["A", "B"], row])
    with pytest.raises(SourceFormatError, match="sn.xlsx.*header"):
        parse_statistical_neighbours(path, source_by_id("statistical_neighbours"), mirror_path)


def test_sn_missing_sheet_raises(tmp_path):
    path = tmp_path / "sn.xlsx"
    _write_xlsx(path, "Sheet1", [SN_HEADER])
    with pytest.raises(SourceFormatError, match="no sheet"):
        parse_statistical_neighbours(path, source_by_id("statistical_neighbours"), mirror_path)


def test_sn_unknown_closeness_raises(tmp_path):
    path = tmp_path / "sn.xlsx"
    row = [886, "Kent", 886, 6, "South East"] + [v for k in range(10) for v in (881 + k, "Near")]
    _write_xlsx(path, "LA SN Groups", [SN_HEADER, row])
    with pytest.raises(SourceFormatError, match="closeness"):
        parse_statistical_neighbours(path, source_by_id("statistical_neighbours"), mirror_path)


# --------------------------------------------------------------------------------------------------------------------
# MP look-up


@needs_mirror
def test_mp_lookup():
    parsed = run("mp_lookup")
    assert parsed.observations.empty
    mp = parsed.tables["constituency"]
    assert list(mp.columns) == [
        "pcon_code",
        "pcon_name",
        "mp_name",
        "party",
        "old_la_code",
        "la_name",
        "new_la_code_2024",
    ]
    assert mp["pcon_code"].nunique() == 543 and mp["pcon_code"].str.startswith("E14").all()
    assert len(mp) == 543 + 110 + 2 * 4  # 110 constituencies span 2 LAs, 4 span 3
    assert mp["old_la_code"].nunique() == 153 and mp["new_la_code_2024"].nunique() == 153
    barrow = mp[mp["pcon_name"] == "Barrow and Furness"]
    assert sorted(barrow["old_la_code"]) == ["942", "943"]
    assert sorted(barrow["la_name"]) == ["Cumberland", "Westmorland and Furness"]
    assert set(barrow["mp_name"]) == {"Michelle Scrogham"} and set(barrow["party"]) == {"Labour"}
    assert "Bristol, City of" in set(mp["la_name"])  # commas are not separators
    sheffield = mp[mp["old_la_code"] == "373"]
    assert set(sheffield["new_la_code_2024"]) == {"E08000019"}  # not the 2025 code E08000039
    assert set(mp.loc[mp["old_la_code"] == "815", "new_la_code_2024"]) == {"E06000065"}


def _write_mp_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


MP_ROW = {
    "pcon_name": "Barrow and Furness",
    "pcon_code": "E14001076",
    "display_as": "Michelle Scrogham",
    "party_text": "Labour",
    "la_names": "Cumberland / Westmorland and Furness",
    "new_la_codes_2024": "E06000063 / E06000064",
    "old_la_codes_2024": "942 / 943",
    "country_name": "England",
}


def test_mp_lookup_small_file(tmp_path):
    path = tmp_path / "mp.csv"
    scot = MP_ROW | {"pcon_code": "S14000001", "country_name": "Scotland", "old_la_codes_2024": "z"}
    _write_mp_csv(path, list(MP_ROW), [MP_ROW, scot])
    # (a two-row file: without the declared count of English constituencies, which it would fail)
    source = dataclasses.replace(source_by_id("mp_lookup"), options={})
    table = parse_mp_lookup(path, source, mirror_path).tables["constituency"]
    assert table[["old_la_code", "new_la_code_2024"]].values.tolist() == [["942", "E06000063"], ["943", "E06000064"]]
    with pytest.raises(SourceFormatError, match="1 English constituencies where mp_lookup declares 543"):
        parse_mp_lookup(path, source_by_id("mp_lookup"), mirror_path)


def test_mp_lookup_cut_mid_row_raises(tmp_path):
    path = tmp_path / "mp.csv"
    _write_mp_csv(path, list(MP_ROW), [MP_ROW])
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\n") + 20], encoding="utf-8")  # the header and a cut first row
    with pytest.raises(SourceFormatError, match="row 2 has fewer columns than the header"):
        parse_mp_lookup(path, source_by_id("mp_lookup"), mirror_path)


def test_mp_lookup_missing_column_raises(tmp_path):
    path = tmp_path / "mp.csv"
    columns = [c for c in MP_ROW if c != "old_la_codes_2024"]
    _write_mp_csv(path, columns, [{c: MP_ROW[c] for c in columns}])
    with pytest.raises(SourceFormatError, match="mp.csv.*old_la_codes_2024"):
        parse_mp_lookup(path, source_by_id("mp_lookup"), mirror_path)


def test_mp_lookup_misaligned_raises(tmp_path):
    path = tmp_path / "mp.csv"
    _write_mp_csv(path, list(MP_ROW), [MP_ROW | {"old_la_codes_2024": "942"}])
    with pytest.raises(SourceFormatError, match="line up"):
        parse_mp_lookup(path, source_by_id("mp_lookup"), mirror_path)


# --------------------------------------------------------------------------------------------------------------------
# Boundaries


@needs_mirror
def test_boundaries():
    parsed = run("boundaries_2023")
    assert parsed.observations.empty
    b = parsed.tables["boundary"]
    assert list(b.columns) == ["new_la_code", "name", "geometry"]
    assert len(b) == 153 and b["new_la_code"].str.startswith("E").all()
    assert {"E06000065", "E06000066", "E08000016", "E08000019"} <= set(b["new_la_code"])
    assert not {"E10000023", "E10000027"} & set(b["new_la_code"])
    nyorks = b.set_index("new_la_code").loc["E06000065"]
    assert nyorks["name"] == "North Yorkshire"
    geometry = json.loads(nyorks["geometry"])
    assert geometry["type"] in {"Polygon", "MultiPolygon"}
    assert ", " not in nyorks["geometry"] and ": " not in nyorks["geometry"]  # compact
    first = geometry["coordinates"][0][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0][0]
    assert -3 < first[0] < 0 and 53 < first[1] < 55.5 and round(first[0], 5) == first[0]
    # Every boundary joins to the MP look-up's 2024 codes.
    mp = run("mp_lookup").tables["constituency"]
    assert set(b["new_la_code"]) == set(mp["new_la_code_2024"])


def test_boundaries_bad_properties_raise(tmp_path):
    path = tmp_path / "b.geojson"
    feature = {
        "type": "Feature",
        "properties": {"code": "E06000001"},
        "geometry": {"type": "Point", "coordinates": [0, 0]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    with pytest.raises(SourceFormatError, match="b.geojson"):
        parse_boundaries(path, source_by_id("boundaries_2023"), mirror_path)
