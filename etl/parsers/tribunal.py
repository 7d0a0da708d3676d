"""Parser for the SEND Tribunal appeal-rate table (a supporting file of the EHC plans release).

The file is a presentation table, not a data file (``docs/data-notes.md`` §6, §16): title rows, blank rows,
sometimes a ``Sources:`` block, then a *year row* (each year over its measure columns, merged cells
flattened) and a *measure row* (``Appeals registered4``, ``Total Appealable Decisions1,9``,
``SEND Tribunal Appeal Rate2`` ...), then LA rows under upper-case region banners, an ``England Total`` row
and footnotes. Nothing is read at a fixed offset: the header rows are found by content, the name and code
columns by their header (or position), and each value column by the keywords of its label, so a release
with another year, another column order or the 2026 layout (``Old LA code``, unnamed name column) loads.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from etl.model import (
    LOCAL_AUTHORITY,
    NATIONAL,
    OBS_COLUMNS,
    TOTAL,
    Parsed,
    Source,
    SourceFormatError,
    make_note,
    parse_cell,
)

#: Rows the publisher prints without an LA code, with the DfE number each one means. Only these names may
#: lack a code; any other code-less row fails the parse. Bournemouth (837) and Poole (836) existed until
#: 31 March 2019 and are shown, without codes, for 2014-2018 (data-notes §12).
CODELESS_LA_CODES: dict[str, str] = {
    "Bournemouth": "837",
    "Poole": "836",
}

#: A year cell in the year row: four digits, optionally with glued footnote digits ("20242" / "20242,3").
_YEAR = re.compile(r"^((?:19|20)\d{2})(?:\d(?:,\d)*)?$")
#: Footnote digits glued to the end of a name or header ("Cumbria8", "England Total4,9", "Rate2").
_FOOTNOTE = re.compile(r"(?<=[^\d\s,])\d+(?:,\d+)*$")
_LA_CODE = re.compile(r"^\d{3}$")


def strip_footnote(text: str) -> str:
    """Remove footnote digits glued to the end of a label and collapse whitespace.

    ``'Cumbria8'`` -> ``'Cumbria'``, ``'England Total4,9'`` -> ``'England Total'``,
    ``'Total Appealable Decisions1,9'`` -> ``'Total Appealable Decisions'``.
    """
    text = " ".join(str(text).split())
    return _FOOTNOTE.sub("", text).strip()


def measure_for_label(label: str) -> str | None:
    """Indicator id for a measure-column header, by keywords; None for a column to skip (``In development``).

    Raises :class:`SourceFormatError` for a label that names none of the known measures.
    """
    low = strip_footnote(label).lower()
    if "in development" in low:
        return None
    if "rate" in low:
        return "tribunal_appeal_rate"
    if "appealable" in low or "decision" in low:
        return "appealable_decisions"
    if "appeal" in low:
        return "tribunal_appeals"
    raise SourceFormatError(f"unknown measure column {label!r}")


def _read_rows(path: Path) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceFormatError(f"{path.name}: cannot read as CSV ({exc})") from exc
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _year_cells(row: list[str]) -> dict[int, int]:
    """Column -> year for the cells of a row that hold a year."""
    out = {}
    for col, cell in enumerate(row):
        m = _YEAR.match(cell.strip())
        if m:
            out[col] = int(m.group(1))
    return out


def _is_measure_row(row: list[str], first_col: int) -> bool:
    return any(re.search(r"appeal|rate", cell, re.IGNORECASE) for cell in row[first_col:])


def _find_header(rows: list[list[str]], name: str) -> tuple[int, int, dict[int, int]]:
    """Locate (year row, measure row, column -> year) by content."""
    for i, row in enumerate(rows):
        years = _year_cells(row)
        if not years:
            continue
        first = min(years)
        # The measure row is the next non-blank row (allow a blank row between them).
        for j in range(i + 1, min(i + 4, len(rows))):
            if not any(c.strip() for c in rows[j]):
                continue
            if _is_measure_row(rows[j], first):
                return i, j, years
            break
    raise SourceFormatError(
        f"{name}: no header found (a row of years followed by a row of 'Appeals'/'Appealable'/'Rate' labels)"
    )


def _label_columns(year_row: list[str], measure_row: list[str], first_year_col: int, name: str) -> tuple[int, int]:
    """(name column, code column) among the columns left of the first year."""
    headers = {c: f"{year_row[c]} {measure_row[c]}".strip().lower() for c in range(first_year_col)}
    code_cols = [c for c, h in headers.items() if "code" in h]
    if not code_cols:
        raise SourceFormatError(f"{name}: no LA code column left of the year columns (headers: {headers})")
    old = [c for c in code_cols if "old" in headers[c]]
    code_col = (old or code_cols)[0]
    named = [c for c, h in headers.items() if c != code_col and ("authority" in h or "name" in h)]
    others = [c for c in headers if c != code_col]
    if not (named or others):
        raise SourceFormatError(f"{name}: no LA name column left of the year columns")
    return (named or others)[0], code_col


def parse(path: Path, source: Source, resolve: Callable[[str], Path]) -> Parsed:
    """Parse the SEND Tribunal appeal-rate table into tidy observations.

    Source: ``SEND Tribunals and appeal rate 2014-2024.csv`` (MoJ/HMCTS appeals, DfE SEN2 decisions), a
    supporting file of the EHC plans release; also the 2026 layout (data-notes §16).

    Indicators (calendar years; ``time_period`` is the year as text, ``year`` the int):
    ``tribunal_appeals`` (count), ``appealable_decisions`` (count) and ``tribunal_appeal_rate`` (percent,
    ``'3.20%'`` -> 3.2). ``breakdown_topic``/``breakdown`` are ``Total``/``Total``.

    Rows: LA rows -> ``Local authority`` with ``old_la_code`` as published (the loader checks each
    name/code pair: ``Northamptonshire`` is published with 892, Nottingham's code, and Dorset 838 before
    2019 is the old county 835; neither is changed here) and ``la_name`` without footnote digits;
    ``England Total`` -> ``National``. Code-less rows get their code from :data:`CODELESS_LA_CODES` (with a
    note). Skipped with a note: ``In development`` columns and ``England total excluding suppressed``.
    Skipped silently: title, ``Sources:`` and footnote rows, region banners (no values), blank cells.
    Non-numeric cells are kept as ``marker`` (stripped: ``'-'``, ``'..'``, ``'x'`` ... or anything else;
    the loader rejects markers it does not know) with ``value`` None.

    Raises :class:`SourceFormatError` (naming the file) when the header rows cannot be found, a measure
    label is unknown, a (year, measure) pair appears twice, or an LA row has no usable code.
    """
    name = path.name
    rows = _read_rows(path)
    year_i, measure_i, years = _find_header(rows, name)
    year_row, measure_row = rows[year_i], rows[measure_i]
    first_year_col = min(years)
    name_col, code_col = _label_columns(year_row, measure_row, first_year_col, name)

    notes: list[dict] = []
    columns: dict[int, tuple[str, int]] = {}  # column -> (indicator_id, year)
    skipped: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    current_year = None
    for col in range(first_year_col, len(measure_row)):
        if col in years:
            current_year = years[col]
        label = measure_row[col].strip()
        if not label:
            continue
        try:
            indicator = measure_for_label(label)
        except SourceFormatError as exc:
            raise SourceFormatError(f"{name}: column {col + 1}: {exc}") from None
        if indicator is None:
            skipped.append(f"{strip_footnote(label)!r} ({current_year})")
            continue
        key = (indicator, current_year)
        if key in seen:
            raise SourceFormatError(
                f"{name}: columns {seen[key] + 1} and {col + 1} both give {indicator} for {current_year}"
            )
        seen[key] = col
        columns[col] = key
    if not columns:
        raise SourceFormatError(f"{name}: no measure columns under the year row")
    if skipped:
        notes.append(
            make_note(
                None,
                None,
                f"Skipped columns not yet official statistics: {', '.join(skipped)} "
                "(the publisher's 'In development' measures).",
            )
        )

    records = []
    for line, row in enumerate(rows[measure_i + 1 :], start=measure_i + 2):
        cells = {col: row[col] for col in columns if row[col].strip()}
        if not cells:
            continue  # blank row, region banner, Sources/Notes block, footnote or legend
        label = strip_footnote(row[name_col])
        low = label.lower()
        code = row[code_col].strip()
        if low in ("england total", "england"):
            level, old_code, la_name = NATIONAL, None, None
        elif low.startswith("england"):
            notes.append(
                make_note(
                    None,
                    None,
                    f"Row {label!r} skipped: a partial England figure, not the published total (in the 2025 file "
                    "it covers 2024 only and its appeals, 22,082, do not reconcile with the non-suppressed LA rows, "
                    "which sum to 20,771).",
                )
            )
            continue
        else:
            if not code:
                if label not in CODELESS_LA_CODES:
                    raise SourceFormatError(f"{name}: row {label!r} has values but no LA code")
                code = CODELESS_LA_CODES[label]
                notes.append(
                    make_note(
                        code,
                        None,
                        f"{label!r} is published without an LA code; code {code} assigned from the declared "
                        "table of code-less rows.",
                    )
                )
            elif not _LA_CODE.match(code):
                raise SourceFormatError(f"{name}: row {label!r} has LA code {code!r}, not a 3-digit DfE number")
            level, old_code, la_name = LOCAL_AUTHORITY, code, label
        for col, raw in cells.items():
            indicator, year = columns[col]
            value, marker = parse_cell(raw, f"{name}, row {line} ({label}), column {col + 1} ({indicator} {year})")
            if marker == "":
                continue
            records.append((indicator, level, old_code, la_name, None, TOTAL, TOTAL, str(year), year, value, marker))

    if not any(r[1] == NATIONAL for r in records):
        raise SourceFormatError(f"{name}: no 'England Total' row")
    frame = pd.DataFrame.from_records(records, columns=OBS_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype(int)
    return Parsed(observations=frame, notes=notes)
