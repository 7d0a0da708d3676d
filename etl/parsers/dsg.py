"""Parsers for the Dedicated Schools Grant (DSG) allocation spreadsheets (ODS, ESFA / DfE).

Two layouts share one sheet design (``docs/data-notes.md`` §7):

* per-year files (``dedicated-schools-grant_YYYY_MM_DD.ods``; the name carries the publication date, the
  financial year comes from ``source.options['financial_year']``): sheet ``Allocations_summary``;
* the combined file (``..._allocations_2019-20_to_2023-24.ods``): one ``Allocations_YYZZ`` sheet a year; only the
  years in ``source.options['financial_years']`` are read.

In each sheet the columns are found through the ``[A]``...``[J]`` letter row (located by content, since the header
wording and offsets change every year): ``[C]`` high needs block and ``[E]`` total DSG, both before academy
recoupment and deductions. The code and name columns are the two columns left of the letters.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from etl.model import (
    LOCAL_AUTHORITY,
    NATIONAL,
    OBS_COLUMNS,
    REGIONAL,
    TOTAL,
    Parsed,
    Source,
    SourceFormatError,
    make_note,
    parse_cell,
)

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

#: Letter column -> indicator id.
LETTER_INDICATORS = {"C": "high_needs_block", "E": "dsg_total"}

#: Region names as printed in the region group (lower-cased, single spaces) -> ONS E12 code.
REGION_CODES = {
    "north east": "E12000001",
    "north west": "E12000002",
    "yorkshire and the humber": "E12000003",
    "east midlands": "E12000004",
    "west midlands": "E12000005",
    "east of england": "E12000006",
    "london": "E12000007",
    "south east": "E12000008",
    "south west": "E12000009",
}

#: Authority-type subtotal rows: their group (which also holds a LONDON row) is skipped.
AUTHORITY_TYPES = {"metropolitan authorities", "unitary authorities", "upper tier authorities", "shire counties"}

_LETTER = re.compile(r"^\[([A-Z])\]$")
_FY = re.compile(r"\b(20\d{2})\s*(?:to|-)\s*(?:20)?(\d{2})\b")

#: ENGLAND [E] below this is taken to be in £ million (the smallest real total is ~£44.9 billion).
_MILLIONS_THRESHOLD = 1e6


def open_ods(path: Path) -> CalamineWorkbook:
    """Open an ODS file with calamine, repairing a missing ``mimetype`` entry in memory.

    Several DfE ODS files (all four per-year DSG files) lack the OpenDocument ``mimetype`` zip entry, which
    calamine rejects. When it is missing, the zip is rewritten in memory with a stored ``mimetype`` entry
    first (members stored, not compressed again); the file on disk is never changed.

    Raises :class:`SourceFormatError` naming the file when it is not a zip, is truncated or corrupt, or
    calamine cannot read it.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFormatError(f"{path.name}: cannot read ({exc})") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "mimetype" not in archive.namelist():
                out = io.BytesIO()
                with zipfile.ZipFile(out, "w") as repacked:
                    repacked.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
                    for info in archive.infolist():
                        repacked.writestr(info, archive.read(info.filename), compress_type=zipfile.ZIP_STORED)
                data = out.getvalue()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise SourceFormatError(f"{path.name}: not a readable ODS (zip) file ({exc})") from exc
    except Exception as exc:  # zlib.error on a damaged member and similar
        raise SourceFormatError(f"{path.name}: damaged ODS (zip) file ({type(exc).__name__}: {exc})") from exc
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # python_calamine.CalamineError and parse errors
        raise SourceFormatError(f"{path.name}: calamine cannot read the ODS file ({exc})") from exc


def _sheet_rows(workbook: CalamineWorkbook, sheet: str, name: str) -> list[list[object]]:
    if sheet not in workbook.sheet_names:
        raise SourceFormatError(f"{name}: no sheet {sheet!r} (sheets: {', '.join(workbook.sheet_names)})")
    try:
        return workbook.get_sheet_by_name(sheet).to_python()
    except Exception as exc:
        raise SourceFormatError(f"{name}: sheet {sheet!r} cannot be read ({exc})") from exc


def _text(cell: object) -> str:
    return " ".join(str(cell).split()) if cell is not None else ""


def _la_code(cell: object) -> str | None:
    """3-digit DfE code from a text ('202') or number (202.0) cell; None when the cell is not a code."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)):
        if cell != int(cell) or not 100 <= cell <= 999:
            return None
        return str(int(cell))
    text = _text(cell)
    return text if re.fullmatch(r"\d{3}", text) else None


def financial_year_end(fy: str) -> int:
    """Calendar year in which a financial year ends: ``'2023-24'`` -> 2024."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", fy)
    if not m:
        raise ValueError(f"financial year {fy!r} is not like '2023-24'")
    return int(m.group(1)) + 1


def _parse_sheet(rows: list[list[object]], fy: str, where: str) -> tuple[list[tuple], list[dict]]:
    """Tidy records and notes from one allocations sheet (``where`` names file and sheet in errors)."""
    year = financial_year_end(fy)
    # Letter row, by content.
    letter_i = None
    letters: dict[str, int] = {}
    for i, row in enumerate(rows):
        found = {m.group(1): c for c, cell in enumerate(row) if (m := _LETTER.match(_text(cell)))}
        if len(found) >= 3:
            letter_i, letters = i, found
            break
    if letter_i is None:
        raise SourceFormatError(f"{where}: no [A]..[J] letter row")
    missing = [k for k in LETTER_INDICATORS if k not in letters]
    if missing:
        raise SourceFormatError(f"{where}: letter columns {missing} not found (have {sorted(letters)})")
    first_letter = min(letters.values())
    if first_letter < 2:
        raise SourceFormatError(f"{where}: expected code and name columns left of [A]")
    code_col, name_col = first_letter - 2, first_letter - 1

    # The sheet must be for the financial year we were told, when its header names one.
    header_text = " ".join(_text(c) for row in rows[:letter_i] for c in row)
    named = {f"{a}-{b}" for a, b in _FY.findall(header_text)}
    if named and fy not in named:
        raise SourceFormatError(f"{where}: expected financial year {fy}, the header names {sorted(named)}")

    # Unit: from the header above [C]/[E] ("(£s)" or "(£ million)"), checked against the size of ENGLAND [E].
    unit_text = " ".join(_text(rows[r][letters[k]]) for r in range(letter_i) for k in LETTER_INDICATORS).lower()
    header_unit = "million" if "million" in unit_text else ("pounds" if "£" in unit_text else None)

    records: list[tuple] = []
    notes: list[dict] = []
    groups: list[list[tuple[str, list[object]]]] = [[]]  # code-less named rows after ENGLAND, split by blanks
    england: list[object] | None = None
    la_rows: list[tuple[str, str, list[object]]] = []
    for row in rows[letter_i + 1 :]:
        row = list(row) + [""] * (max(letters.values()) + 1 - len(row))
        code = _la_code(row[code_col])
        label = _text(row[code_col]) or _text(row[name_col])
        if code:
            la_rows.append((code, _text(row[name_col]), row))
        elif not label or label.startswith("="):
            if groups[-1]:
                groups.append([])
        elif label.upper() == "ENGLAND":
            england = row
        else:
            groups[-1].append((label, row))
    if england is None:
        raise SourceFormatError(f"{where}: no ENGLAND row")

    e_total, _ = parse_cell(england[letters["E"]])
    if e_total is None:
        raise SourceFormatError(f"{where}: ENGLAND [E] is not a number ({england[letters['E']]!r})")
    size_unit = "million" if abs(e_total) < _MILLIONS_THRESHOLD else "pounds"
    if header_unit and header_unit != size_unit:
        raise SourceFormatError(
            f"{where}: header says {header_unit} but ENGLAND [E] = {e_total:,.2f} looks like {size_unit}"
        )
    scale = 1e6 if size_unit == "million" else 1.0
    if scale != 1.0:
        notes.append(
            make_note(None, fy, f"{where}: published in £ million; converted to £ (x 1,000,000, rounded to the pound).")
        )

    def emit(level: str, old_code: str | None, la_name: str | None, region: str | None, row: list[object]) -> None:
        for letter, indicator in LETTER_INDICATORS.items():
            cell_at = f"{where}, row {_text(row[name_col]) or _text(row[code_col])!r}, column [{letter}]"
            value, marker = parse_cell(row[letters[letter]], cell_at)
            if marker == "":
                continue
            if value is not None:
                value = float(round(value * scale))
            records.append((indicator, level, old_code, la_name, region, TOTAL, TOTAL, fy, year, value, marker))

    emit(NATIONAL, None, None, None, england)
    seen_codes: set[str] = set()
    for code, la_name, row in la_rows:
        if code in seen_codes:
            raise SourceFormatError(f"{where}: LA code {code} appears twice")
        seen_codes.add(code)
        emit(LOCAL_AUTHORITY, code, la_name, None, row)

    seen_regions: set[str] = set()
    for group in groups:
        keys = [label.lower() for label, _ in group]
        if not keys:
            continue
        if any(k in AUTHORITY_TYPES for k in keys):
            unknown = [k for k in keys if k not in AUTHORITY_TYPES and k not in REGION_CODES]
            if unknown:
                raise SourceFormatError(f"{where}: unexpected rows {unknown} in the authority-type subtotals")
            if any(k in REGION_CODES and k != "london" for k in keys):
                raise SourceFormatError(f"{where}: region rows mixed with authority-type subtotals: {keys}")
            continue  # authority-type subtotals (and their LONDON row) overlap the regions: skipped
        unknown = [label for label, _ in group if label.lower() not in REGION_CODES]
        if unknown:
            raise SourceFormatError(f"{where}: unknown subtotal rows {unknown}")
        for label, row in group:
            region = REGION_CODES[label.lower()]
            if region in seen_regions:
                raise SourceFormatError(f"{where}: region {label!r} appears twice in the region rows")
            seen_regions.add(region)
            emit(REGIONAL, None, None, region, row)
    return records, notes


def _frame(records: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=OBS_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype(int)
    return frame


def parse_year_file(path: Path, source: Source, resolve: Callable[[str], Path]) -> Parsed:
    """Parse one year's DSG allocations file (sheet ``Allocations_summary``).

    Source: ``dedicated-schools-grant_YYYY_MM_DD.ods`` (ESFA, GOV.UK); ``source.options['financial_year']``
    (e.g. ``'2023-24'``) says which year it holds (the file name is a publication date) and is checked against
    the sheet title.

    Indicators, in £ (float whole pounds): ``high_needs_block`` (column [C]) and ``dsg_total`` ([E]), before
    academy recoupment and deductions. ``time_period`` is the financial year (``'2023-24'``), ``year`` the
    calendar year it ends (2024); ``breakdown`` ``Total``/``Total``. Rows: ``ENGLAND`` -> ``National``; LA rows
    (code text or number -> 3-digit text, ``la_name`` as printed) -> ``Local authority``; the region group ->
    ``Regional`` with its E12 ``region_code``. The authority-type subtotals (with the first ``LONDON``) are
    skipped. City of London and Isles of Scilly are not in the file.

    Raises :class:`SourceFormatError` (naming the file) when the file is not a readable ODS, the sheet, letter
    row, ``[C]``/``[E]`` or ``ENGLAND`` row is missing, the unit or year is inconsistent, or a subtotal row
    is unknown.
    """
    fy = source.options["financial_year"]
    sheet, rows = allocations_sheet(open_ods(path), path.name)
    records, notes = _parse_sheet(rows, fy, f"{path.name} [{sheet}]")
    if sheet != SUMMARY_SHEET:
        notes.append(make_note(None, fy, f"{path.name}: allocations read from sheet {sheet!r} (found by content)."))
    return Parsed(observations=_frame(records), notes=notes)


#: The sheet the allocations summary has had so far; a file without it is searched by content.
SUMMARY_SHEET = "Allocations_summary"


def allocations_sheet(workbook: CalamineWorkbook, name: str) -> tuple[str, list[list[object]]]:
    """(sheet name, rows) of the allocations summary: ``Allocations_summary`` when present, else the first
    sheet (summary-like names first) with an ``[A]``... letter row holding ``[C]`` and ``[E]`` and an
    ``ENGLAND`` row. Raises SourceFormatError naming the file and every sheet tried."""
    names = list(workbook.sheet_names)
    if SUMMARY_SHEET in names:
        return SUMMARY_SHEET, _sheet_rows(workbook, SUMMARY_SHEET, name)
    ordered = sorted(names, key=lambda n: (not re.search(r"alloc|summary", n, re.IGNORECASE), names.index(n)))
    for sheet in ordered:
        rows = _sheet_rows(workbook, sheet, name)
        letters = next(
            ({m.group(1) for c in row if (m := _LETTER.match(_text(c)))} for row in rows[:30] if _has_letters(row)),
            set(),
        )
        if set(LETTER_INDICATORS) <= letters and any(_text(c).upper() == "ENGLAND" for row in rows for c in row[:4]):
            return sheet, rows
    raise SourceFormatError(
        f"{name}: no sheet holds the allocations summary (an [A]..[E] letter row with [C] and [E], and an "
        f"ENGLAND row); sheets: {', '.join(names)}"
    )


def _has_letters(row: list[object]) -> bool:
    return sum(bool(_LETTER.match(_text(c))) for c in row) >= 3


def parse_combined_file(path: Path, source: Source, resolve: Callable[[str], Path]) -> Parsed:
    """Parse the selected years of the combined DSG allocations file (sheets ``Allocations_YYZZ``).

    Source: ``dedicated-schools-grant_allocations_2019-20_to_2023-24.ods``. Only the financial years in
    ``source.options['financial_years']`` (e.g. ``['2019-20']``) are read; the combined file is a different
    vintage from the per-year files for 2022-23 and 2023-24, so those come from the per-year files.

    Same columns, units and rows as :func:`parse_year_file`. The 2019-20 sheet is published in £ million
    (floats); the unit is read from the column headers (``'(£ million)'`` vs ``'(£s)'``), cross-checked against
    the size of ENGLAND [E] (below 1,000,000 means millions), and values are multiplied by 1,000,000 and
    rounded to the nearest pound (a note records the conversion).

    Raises :class:`SourceFormatError` as :func:`parse_year_file`, and when a requested year has no sheet.
    """
    workbook = open_ods(path)
    frames, notes = [], []
    for fy in source.options["financial_years"]:
        start, end = fy.split("-")
        sheet = f"Allocations_{start[2:]}{end}"
        records, sheet_notes = _parse_sheet(_sheet_rows(workbook, sheet, path.name), fy, f"{path.name} [{sheet}]")
        frames.append(_frame(records))
        notes.extend(sheet_notes)
    observations = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OBS_COLUMNS)
    return Parsed(observations=observations, notes=notes)
