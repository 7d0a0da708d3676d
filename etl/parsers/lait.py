"""LAIT long file (``bds_long_0.parquet``) -> tidy observations for a few mapped measures.

The Local Authority Interactive Tool publishes ~430 measures in one long table
(``Short Desc``, ``Years``, ``LA and Regions``, ``Values``, ``LA Number``,
``Region``). Only the measures in :data:`MEASURES` are read; the filter runs in
DuckDB so the 640k-row file is never loaded whole.

Year labels are interpreted with the data dictionary's ``Year_Type`` (see
:func:`interpret_year`); values are rounded to the dictionary's ``dps``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

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
    non_finite_message,
)

#: LAIT ``Short Desc`` -> our indicator id. Adding a measure is a one-line change
#: (the indicator must also exist in ``etl/catalogue.py``).
MEASURES: dict[str, str] = {
    # "% of Pupils with Statement of (SEN) of (EHC) Plans (All Schools)", January school census.
    "SEN_TotStat": "pct_pupils_ehc_plan",
    # "% of Pupils with Special Educational Needs (SEN) Support (All Schools)", January school census.
    "SEN_TotSENSuP": "pct_pupils_sen_support",
    # "SEN - S251/Outturn weekly unit costs": S251 SEN services spend / children with a plan, per week, £.
    "SENFinance": "sen_unit_cost_s251",
}

#: LAIT pseudo-codes for England and the regions (980-990), checked against the
#: names printed in the file. 987/988 (Inner/Outer London) double count 986 and are dropped.
NATIONAL_CODE = 970
REGIONS: dict[int, tuple[str, str]] = {
    980: ("E12000001", "North East"),
    981: ("E12000002", "North West"),
    982: ("E12000003", "Yorkshire and the Humber"),
    983: ("E12000004", "East Midlands"),
    984: ("E12000005", "West Midlands"),
    985: ("E12000006", "East of England"),
    986: ("E12000007", "London"),
    989: ("E12000008", "South East"),
    990: ("E12000009", "South West"),
}
DROPPED_CODES = {987: "London (Inner)", 988: "London (Outer)"}

PARQUET_COLUMNS = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"]
DICTIONARY_COLUMNS = ["Measure_short", "Year_Type", "dps"]
DEFAULT_DPS = 4

_YEAR = re.compile(r"^(\d{4})$")
_SPAN = re.compile(r"^(\d{4})[-/](\d{2})(?: \(OT\))?$")  # 2023-24, 2023/24, 2023-24 (OT) (outturn)


def interpret_year(label: str, year_type: str) -> tuple[str, int] | None:
    """Map a LAIT ``Years`` label to ``(time_period, year)`` using the dictionary's ``Year_Type``.

    * Academic year / ``Annual - January`` (January census): ``2025`` or ``2024/25`` ->
      ``("202425", 2025)``.
    * Financial year: ``2023-24``, ``2023/24`` or ``2023-24 (OT)`` -> ``("2023-24", 2024)``.
    * Calendar year: ``2024`` -> ``("2024", 2024)``.

    Anything else (rolling ``2014-16``, ``2018 (Rev)``, ``2025 (prov)``, ``0``, or a
    label that does not fit the year type) gives None: the row is skipped.
    """
    label = (label or "").strip()
    kind = (year_type or "").strip().lower()
    single = _YEAR.match(label)
    span = _SPAN.match(label)
    if span:
        start, end2 = int(span.group(1)), int(span.group(2))
        if (start + 1) % 100 != end2:
            return None  # not a one-year span
        if "(OT)" in label and not kind.startswith("financial"):
            return None
    if kind in ("academic year", "annual - january"):
        if single:
            end = int(single.group(1))
        elif span and "(OT)" not in label:
            end = int(span.group(1)) + 1
        else:
            return None
        return f"{end - 1}{end % 100:02d}", end
    if kind.startswith("financial"):
        if span:
            start = int(span.group(1))
            return f"{start}-{(start + 1) % 100:02d}", start + 1
        return None
    if kind.startswith("calendar"):
        if single:
            return label, int(label)
        return None
    return None


def _read_dictionary(path: Path, con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int]]:
    """``{measure: (Year_Type, dps)}`` for the mapped measures, deduplicated on ``Measure_short``."""
    try:
        rel = con.read_csv(str(path), all_varchar=True, header=True)
    except duckdb.Error as exc:
        raise SourceFormatError(f"{path.name}: cannot read the LAIT data dictionary ({exc})") from exc
    missing = [c for c in DICTIONARY_COLUMNS if c not in rel.columns]
    if missing:
        raise SourceFormatError(f"{path.name}: data dictionary lacks column(s) {missing}")
    rows = (
        rel.filter(_in_list('trim("Measure_short")'))
        .project('trim("Measure_short"), trim("Year_Type"), trim(dps)')
        .fetchall()
    )
    found: dict[str, set[tuple[str, int]]] = {}
    for measure, year_type, dps in rows:
        found.setdefault(measure, set()).add((year_type, _dps(dps)))
    conflicting = sorted(m for m, entries in found.items() if len(entries) > 1)
    if conflicting:
        raise SourceFormatError(f"{path.name}: measure(s) {conflicting} listed with different Year_Type/dps")
    absent = sorted(set(MEASURES) - set(found))
    if absent:
        raise SourceFormatError(f"{path.name}: measure(s) {absent} not in the data dictionary")
    return {m: next(iter(entries)) for m, entries in found.items()}


def _in_list(expr: str) -> str:
    """SQL ``expr IN ('m1', 'm2', ...)`` over the mapped measures."""
    return f"{expr} IN ({', '.join(repr(m) for m in MEASURES)})"


def parse(path: Path, source: Source, resolve: Callable[[str], Path]) -> Parsed:
    """Parse the LAIT long parquet into tidy observations for the measures in :data:`MEASURES`.

    Source: DfE Local Authority Interactive Tool, ``bds_long_0.parquet`` plus the
    data dictionary (``resolve(source.options['dictionary_source'])``).

    Returns :data:`etl.model.OBS_COLUMNS` rows, one per (measure, year, area):

    * ``indicator_id`` from :data:`MEASURES`; ``breakdown_topic``/``breakdown`` = ``Total``;
    * ``geographic_level``: 970 -> National (``region_code``/``old_la_code`` None);
      980-990 -> Regional with the E12 code (987/988 Inner/Outer London dropped as they
      double count London); other numbers -> Local authority with ``old_la_code`` as
      3-digit text and ``la_name`` as printed (``Dorset (Pre LG)`` etc. kept as published);
    * ``time_period``/``year`` from :func:`interpret_year` (rows with rolling or
      revised/provisional labels are skipped, with a note);
    * ``value`` in the measure's unit (percent for the pupil shares, £ per week for
      ``SENFinance``) rounded to the dictionary's ``dps`` (4 when ``NA``); ``'-'`` gives
      ``value`` None and ``marker`` ``'-'``.

    Raises :class:`SourceFormatError` when a required column is missing from either
    file, a mapped measure is absent, a row has no LA Number, an aggregate pseudo-code
    is unknown or its name does not match, or a value is neither a number nor ``'-'``.
    """
    path = Path(path)
    dict_path = Path(resolve(source.options["dictionary_source"]))
    con = duckdb.connect()
    try:
        dictionary = _read_dictionary(dict_path, con)
        try:
            rel = con.read_parquet(str(path))
        except duckdb.Error as exc:
            raise SourceFormatError(f"{path.name}: cannot read the LAIT parquet ({exc})") from exc
        missing = [c for c in PARQUET_COLUMNS if c not in rel.columns]
        if missing:
            raise SourceFormatError(f"{path.name}: LAIT parquet lacks column(s) {missing}")
        rows = (
            rel.filter(_in_list('"Short Desc"'))
            .project('"Short Desc", "Years", trim("LA and Regions"), trim("Values"), CAST("LA Number" AS INTEGER)')
            .fetchall()
        )
    finally:
        con.close()

    absent = sorted(set(MEASURES) - {r[0] for r in rows})
    if absent:
        raise SourceFormatError(f"{path.name}: measure(s) {absent} not in the LAIT file")

    periods: dict[tuple[str, str], tuple[str, int] | None] = {}
    records = []
    for measure, label, name, raw_value, number in rows:
        if number is None:
            raise SourceFormatError(f"{path.name}: {measure} {label} row {name!r} has no LA Number")
        if number in DROPPED_CODES:
            continue
        key = (measure, label)
        if key not in periods:
            periods[key] = interpret_year(label, dictionary[measure][0])
        period = periods[key]
        if period is None:
            continue
        if number == NATIONAL_CODE:
            if name != "England":
                raise SourceFormatError(f"{path.name}: LA Number 970 is {name!r}, expected 'England'")
            level, la_code, la_name, region = NATIONAL, None, None, None
        elif number in REGIONS:
            region, expected = REGIONS[number]
            if name != expected:
                raise SourceFormatError(f"{path.name}: LA Number {number} is {name!r}, expected region {expected!r}")
            level, la_code, la_name = REGIONAL, None, None
        elif number >= 970:
            raise SourceFormatError(f"{path.name}: unknown aggregate LA Number {number} ({name!r})")
        else:
            level, la_code, la_name, region = LOCAL_AUTHORITY, f"{number:03d}", name, None
        if raw_value == "-":
            value, marker = None, "-"
        else:
            try:
                value, marker = round(float(raw_value), dictionary[measure][1]), None
            except (TypeError, ValueError):
                raise SourceFormatError(
                    f"{path.name}: {measure} {label} {name!r} has unexpected value {raw_value!r}"
                ) from None
            if not math.isfinite(value):
                where = f"{path.name}, row {measure} {label} {name!r} (LA Number {number}), column 'Values'"
                raise SourceFormatError(non_finite_message(raw_value, where))
        records.append(
            (MEASURES[measure], level, la_code, la_name, region, TOTAL, TOTAL, period[0], period[1], value, marker)
        )

    notes = [
        make_note(
            None,
            label,
            f"LAIT {measure}: year label {label!r} is not a single {dictionary[measure][0]} period; rows skipped",
            MEASURES[measure],
        )
        for (measure, label), period in sorted(periods.items())
        if period is None
    ]
    records.sort(key=lambda r: (r[0], r[8], r[1], r[2] or "", r[4] or ""))
    # object dtype keeps None (not NaN) in the text columns, as the contract says.
    obs = pd.DataFrame(records, columns=OBS_COLUMNS, dtype=object).astype({"year": "int64", "value": "float64"})
    return Parsed(observations=obs, notes=notes)


def _dps(raw: object) -> int:
    """Decimal places from the dictionary (``NA`` or blank -> :data:`DEFAULT_DPS`)."""
    try:
        return int(str(raw).strip())
    except ValueError:
        return DEFAULT_DPS
