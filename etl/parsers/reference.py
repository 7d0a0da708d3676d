"""Reference-table parsers: statistical neighbours, MP look-up and LA boundaries.

These sources carry no statistics; each parser returns an empty observation frame
and one table in :attr:`etl.model.Parsed.tables` whose columns match
``etl/schema.sql``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from python_calamine import CalamineWorkbook

from etl.model import Parsed, Source, SourceFormatError, empty_observations

# --------------------------------------------------------------------------------------------------------------------
# Statistical neighbours

SN_SHEET = "LA SN Groups"
SN_COLUMNS = ["old_la_code", "la_name", "neighbour_old_la_code", "rank", "closeness", "version"]
N_NEIGHBOURS = 10
#: Closeness labels (lower-cased as found) -> the one spelling we store.
CLOSENESS = {
    "extremely close": "Extremely close",
    "very close": "Very close",
    "close": "Close",
    "somewhat close": "Somewhat close",
    "not close": "Not close",
}


def _code(raw: object) -> str | None:
    """A DfE LA number cell (float, int or text) as 3-digit text; None when it is not a number."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        if raw != raw or int(raw) != raw:  # NaN or fractional
            return None
        return f"{int(raw):03d}"
    text = str(raw).strip()
    if re.fullmatch(r"\d{1,3}(\.0+)?", text):
        return f"{int(float(text)):03d}"
    return None


def _norm(cell: object) -> str:
    return str(cell).strip().lower() if cell is not None else ""


def parse_statistical_neighbours(path: Path, source: Source, resolve: Callable[[str], Path]) -> Parsed:
    """Parse the DfE children's services statistical neighbours workbook (``sn_may_2025.xlsx``).

    Source: DfE, published with LAIT; sheet ``LA SN Groups`` (or ``source.options['sheet']``).
    The header row is found by content (the row whose first cells are ``LA num`` and
    ``LA Name``), not by position; each ``SN<k>`` column is followed by an ``SNP``
    column holding the closeness of that neighbour (the ``SNP`` header repeats).
    Every row with a numeric LA number is read, including the ``Old SNs:`` block
    (835-837 Bournemouth/Dorset/Poole pre-2019, 928 Northamptonshire, 909 Cumbria).

    Returns ``tables['statistical_neighbour']`` with columns ``old_la_code`` (3-digit
    text), ``la_name`` (as printed), ``neighbour_old_la_code`` (3-digit text), ``rank``
    (int 1-10), ``closeness`` (normalised case: ``Extremely close``, ``Very close``,
    ``Close``, ``Somewhat close``, ``Not close``) and ``version``
    (``source.options['version']``); 10 rows per LA.

    Raises :class:`SourceFormatError` if the sheet, the header row or an ``SN1..SN10``/
    ``SNP`` column is missing, a neighbour code is not a number, or a closeness label
    is unknown.
    """
    path = Path(path)
    sheet = source.options.get("sheet", SN_SHEET)
    version = source.options.get("version", source.release)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise SourceFormatError(f"{path.name}: cannot open workbook ({exc})") from exc
    if sheet not in workbook.sheet_names:
        raise SourceFormatError(f"{path.name}: no sheet {sheet!r} (found {workbook.sheet_names})")
    rows = workbook.get_sheet_by_name(sheet).to_python()

    header_at = next(
        (i for i, row in enumerate(rows) if len(row) >= 2 and _norm(row[0]) == "la num" and _norm(row[1]) == "la name"),
        None,
    )
    if header_at is None:
        raise SourceFormatError(f"{path.name}: sheet {sheet!r} has no header row starting 'LA num', 'LA Name'")
    header = [_norm(c) for c in rows[header_at]]
    sn_cols: list[tuple[int, int]] = []  # (neighbour column, closeness column) for SN1..SN10
    for k in range(1, N_NEIGHBOURS + 1):
        try:
            col = header.index(f"sn{k}")
        except ValueError:
            raise SourceFormatError(f"{path.name}: header row {header_at + 1} has no 'SN{k}' column") from None
        if col + 1 >= len(header) or header[col + 1] != "snp":
            raise SourceFormatError(f"{path.name}: 'SN{k}' is not followed by an 'SNP' (closeness) column")
        sn_cols.append((col, col + 1))

    records = []
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        la_code = _code(row[0]) if row else None
        if la_code is None:
            continue  # blank rows, the 'Old SNs:' label row
        la_name = str(row[1]).strip()
        for rank, (n_col, p_col) in enumerate(sn_cols, start=1):
            neighbour = _code(row[n_col]) if n_col < len(row) else None
            if neighbour is None:
                raise SourceFormatError(f"{path.name}: row {offset} ({la_name}) SN{rank} is not an LA number")
            label = _norm(row[p_col]) if p_col < len(row) else ""
            if label not in CLOSENESS:
                raise SourceFormatError(f"{path.name}: row {offset} ({la_name}) has unknown closeness {row[p_col]!r}")
            records.append((la_code, la_name, neighbour, rank, CLOSENESS[label], version))
    if not records:
        raise SourceFormatError(f"{path.name}: sheet {sheet!r} has a header but no LA rows")
    table = pd.DataFrame(records, columns=SN_COLUMNS, dtype=object).astype({"rank": "int64"})
    duplicated = table.duplicated(["old_la_code", "rank"])
    if duplicated.any():
        codes = sorted(set(table.loc[duplicated, "old_la_code"]))
        raise SourceFormatError(f"{path.name}: LA(s) {codes} listed more than once")
    return Parsed(observations=empty_observations(), tables={"statistical_neighbour": table})


# --------------------------------------------------------------------------------------------------------------------
# MP look-up

MP_COLUMNS = ["pcon_code", "pcon_name", "mp_name", "party", "old_la_code", "la_name", "new_la_code_2024"]
MP_REQUIRED = [
    "pcon_code",
    "pcon_name",
    "display_as",
    "party_text",
    "la_names",
    "old_la_codes_2024",
    "new_la_codes_2024",
    "country_name",
]
MULTI_SEPARATOR = " / "


def parse_mp_lookup(path: Path, source: Source, resolve: Callable[[str], Path]) -> Parsed:
    """Parse the DfE MP look-up (``mp_lookup.csv``): English constituencies and the LAs they overlap.

    Source: DfE "MP look-up" CSV, one row per Westminster constituency. Only rows with
    ``country_name == 'England'`` are kept. The multi-valued LA fields (``la_names``,
    ``old_la_codes_2024``, ``new_la_codes_2024``) are split on ``' / '`` only (LA names
    contain commas, e.g. ``Bristol, City of``) and must have the same number of parts.

    Returns ``tables['constituency']`` with one row per constituency x LA and columns
    ``pcon_code`` (E14...), ``pcon_name``, ``mp_name`` (``display_as``), ``party``
    (``party_text``), ``old_la_code`` (3-digit text), ``la_name`` and
    ``new_la_code_2024`` (GSS code matching the December 2023 boundaries; the file's
    ``new_la_codes`` already has the 2025 Barnsley/Sheffield codes and is not used).

    Raises :class:`SourceFormatError` if a required column is missing, a row has fewer cells
    than the header, England has another number of constituencies than the source declares
    (``options['english_constituencies']``, when given), the LA fields of a row do not line up,
    or an LA code is not a 3-digit number.
    """
    path = Path(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in MP_REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceFormatError(f"{path.name}: MP look-up lacks column(s) {missing}")
        rows = []
        for line, r in enumerate(reader, start=2):
            if None in r.values():  # fewer cells than the header: the file was cut short
                raise SourceFormatError(f"{path.name}: row {line} has fewer columns than the header (a cut file?)")
            if (r["country_name"] or "").strip() == "England":
                rows.append(r)
    if not rows:
        raise SourceFormatError(f"{path.name}: no English constituencies")
    records = []
    for row in rows:
        names = [p.strip() for p in row["la_names"].split(MULTI_SEPARATOR)]
        old_codes = [p.strip() for p in row["old_la_codes_2024"].split(MULTI_SEPARATOR)]
        new_codes = [p.strip() for p in row["new_la_codes_2024"].split(MULTI_SEPARATOR)]
        if not len(names) == len(old_codes) == len(new_codes):
            raise SourceFormatError(
                f"{path.name}: {row['pcon_name']}: la_names / old_la_codes_2024 / new_la_codes_2024 do not line up"
            )
        for name, old, new in zip(names, old_codes, new_codes, strict=True):
            if not re.fullmatch(r"\d{3}", old):
                raise SourceFormatError(f"{path.name}: {row['pcon_name']}: LA code {old!r} is not a 3-digit number")
            records.append(
                (
                    row["pcon_code"].strip(),
                    row["pcon_name"].strip(),
                    row["display_as"].strip(),
                    row["party_text"].strip(),
                    old,
                    name,
                    new,
                )
            )
    table = pd.DataFrame(records, columns=MP_COLUMNS, dtype=object)
    expected = source.options.get("english_constituencies")
    if expected and table.pcon_code.nunique() != expected:
        raise SourceFormatError(
            f"{path.name}: {table.pcon_code.nunique()} English constituencies where {source.source_id} declares "
            f"{expected}: the file may be cut short, or be for other boundaries (then declare the new number)"
        )
    return Parsed(observations=empty_observations(), tables={"constituency": table})


# --------------------------------------------------------------------------------------------------------------------
# Boundaries

BOUNDARY_COLUMNS = ["new_la_code", "name", "geometry"]
COORD_DECIMALS = 5  # ~1 m at UK latitudes; the BSC (super-generalised) file is far coarser than that


def _round_coords(coords: object, ndigits: int) -> object:
    """Round every number in a nested GeoJSON coordinate array, as ``round(number, ndigits)`` does."""
    if isinstance(coords, list) and coords:
        if isinstance(coords[0], (int, float)):
            return [round(c, ndigits) for c in coords]
        if isinstance(coords[0], list) and coords[0] and isinstance(coords[0][0], (int, float)):
            return _round_positions(coords, ndigits)
        return [_round_coords(c, ndigits) for c in coords]
    return coords


def _round_positions(positions: list, ndigits: int) -> list:
    """Round a list of positions ([x, y], ...) with numpy, to exactly what ``round(c, ndigits)`` gives each number.

    ``round`` goes half to even on the float's exact value, then to the float nearest that decimal: an integer
    ``k`` over ``10**ndigits``, which one (correctly rounded) division gives as long as ``k`` is exact. Rounding
    the scaled float can pick another ``k`` only where it lies within a rounding error of a half: those numbers,
    and positions that are not all floats (ints stay ints) or not all of one length, are rounded by ``round``.
    """
    if not all(type(c) is float for position in positions for c in position):
        return [[round(c, ndigits) for c in position] for position in positions]
    try:
        values = np.array(positions, dtype=np.float64)
    except ValueError:  # positions of different lengths (some with an altitude)
        return [[round(c, ndigits) for c in position] for position in positions]
    scale = 10.0**ndigits
    scaled = values * scale
    rounded = np.rint(scaled) / scale
    unsure = (np.abs(scaled - np.floor(scaled) - 0.5) <= np.spacing(np.abs(scaled))) | (np.abs(scaled) >= 2.0**52)
    for i, j in zip(*np.nonzero(unsure), strict=True):
        rounded[i, j] = round(positions[i][j], ndigits)
    return rounded.tolist()


def parse_boundaries(path: Path, source: Source, resolve: Callable[[str], Path]) -> Parsed:
    """Parse the ONS Counties and Unitary Authorities boundaries GeoJSON (English features only).

    Source: ONS Open Geography Portal, ``Counties_and_Unitary_Authorities_December_2023_
    Boundaries_UK_BSC.geojson`` (WGS84 longitude/latitude). The code and name
    properties are found by pattern (``CTYUA23CD``/``CTYUA23NM``, or another year's
    ``<prefix><yy>CD``/``NM``), so next year's file parses unchanged.

    Returns ``tables['boundary']`` with columns ``new_la_code`` (GSS code, ``E...``),
    ``name`` (ONS name) and ``geometry`` (the feature's GeoJSON geometry as compact
    JSON text, coordinates rounded to ``source.options.get('coord_decimals', 5)``
    decimals; None keeps full precision).

    Raises :class:`SourceFormatError` if the file is not a FeatureCollection, has no
    code/name properties, or an English feature has no geometry.
    """
    path = Path(path)
    ndigits = source.options.get("coord_decimals", COORD_DECIMALS)
    try:
        collection = orjson.loads(path.read_bytes())  # a third of the time json takes for the 3 MB file
    except (OSError, ValueError) as exc:
        raise SourceFormatError(f"{path.name}: cannot read GeoJSON ({exc})") from exc
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list) or not features:
        raise SourceFormatError(f"{path.name}: not a GeoJSON FeatureCollection with features")
    properties = features[0].get("properties") or {}
    code_key = next((k for k in properties if re.fullmatch(r"[A-Z]+\d{2}CD", k)), None)
    name_key = next((k for k in properties if re.fullmatch(r"[A-Z]+\d{2}NM", k)), None)
    if code_key is None or name_key is None:
        raise SourceFormatError(f"{path.name}: no '<area><yy>CD'/'<area><yy>NM' properties (found {list(properties)})")
    records = []
    for feature in features:
        props = feature.get("properties") or {}
        code = str(props.get(code_key) or "").strip()
        if not code.startswith("E"):
            continue
        geometry = feature.get("geometry")
        if not geometry or "coordinates" not in geometry:
            raise SourceFormatError(f"{path.name}: feature {code} has no geometry")
        if ndigits is not None:
            geometry = {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"], ndigits)}
        records.append((code, str(props.get(name_key) or "").strip(), json.dumps(geometry, separators=(",", ":"))))
    table = pd.DataFrame(records, columns=BOUNDARY_COLUMNS, dtype=object)
    if table["new_la_code"].duplicated().any():
        dupes = sorted(set(table.loc[table["new_la_code"].duplicated(), "new_la_code"]))
        raise SourceFormatError(f"{path.name}: duplicated feature code(s) {dupes}")
    return Parsed(observations=empty_observations(), tables={"boundary": table})
