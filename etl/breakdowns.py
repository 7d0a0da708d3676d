"""Every published cell of the EHC plans releases: the ``breakdown_value`` view and its ``measure`` catalogue.

The headline indicators (``observation``) take a few declared columns of the releases. This module takes all
of them: every numeric column of every ``data/*.csv`` of a release zip, every breakdown row (age, sex,
ethnicity, placement, years held, primary need ...), national, regional (Inner and Outer London kept as their
own areas) and local authority. A *measure* is one published column of one data file, named
``<dataset>.<column>`` (``requests.request_outcome_six_weeks``); its catalogue entry (label, unit, definition)
comes from the release's own data guidance (``data-guidance/data-guidance.txt``).

Two steps, in Arrow (no per-row Python; the two releases hold about 5 million cells):

* :func:`read_release` (called by the EHCP parsers, once per release zip): reads each file as text with
  pyarrow, parses each column's distinct texts once into numbers or markers, and returns one row per data row
  and one cell per non-empty published cell (numbers and markers apart, as the database stores them), plus what
  the guidance says about each column. The headline parser takes its columns from the same read.
* :func:`combine` (called when the database is assembled): gives each row its ``area_code`` (LA rows through
  the ``local_authority`` table), keeps the newest release where two publish the same cell, withholds the
  cells the headline figures withhold, and builds the ``measure`` table. :func:`write` stores them.

Layout drift is declared, as for the headline columns (``etl/parsers/ehcp.py``): :data:`DATASET_ALIASES` (a
renamed file), :data:`COLUMN_ALIASES` (a renamed or year-suffixed column), :data:`TOPIC_ALIASES` and
:data:`BREAKDOWN_REWRITES` (breakdown labels). A column no declaration knows is loaded under its own name and
reported in a data note; a column holding only text (the designated-officer flags ``Y``/``N``) is reported
and not loaded.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.catalogue import PLACEMENT_GROUPS
from etl.model import ENGLAND_CODE, LOCAL_AUTHORITY, MARKER_MEANINGS, NATIONAL, REGIONAL, TOTAL, Source
from etl.model import SourceFormatError as LayoutError

#: Name of the :class:`ReleaseCells` entry in a parser's ``Parsed.tables``.
TABLE = "breakdown_cells"

#: Columns of the row table :func:`read_release` returns (one row per data row of a file; ``row_id`` from 0).
ROW_COLUMNS = [
    "row_id",
    "dataset",
    "geographic_level",
    "old_la_code",
    "region_code",
    "breakdown_topic",
    "breakdown",
    "time_period",
    "year",
]
#: Columns of the ``breakdown_row`` table (``etl/schema.sql``).
ROW_TABLE_COLUMNS = [
    "row_id",
    "geographic_level",
    "area_code",
    "breakdown_topic",
    "breakdown",
    "time_period",
    "year",
    "source_id",
]
#: Columns of the cells holding a number (``read_release``: ``measure_no`` indexes its own ``columns``; the
#: ``breakdown_cell`` table: ``measure.measure_no``) and of those holding a marker (``breakdown_marker``).
NUMBER_COLUMNS = ["row_id", "measure_no", "value"]
MARKER_COLUMNS = ["row_id", "measure_no", "marker"]
#: Columns of the ``breakdown_value`` view (``etl/schema.sql``).
VALUE_COLUMNS = [
    "measure_id",
    "geographic_level",
    "area_code",
    "breakdown_topic",
    "breakdown",
    "time_period",
    "year",
    "value",
    "marker",
    "source_id",
]
#: Columns of the ``measure`` table (``etl/schema.sql``).
MEASURE_COLUMNS = [
    "measure_id",
    "measure_no",
    "publication",
    "dataset",
    "file_name",
    "column_name",
    "topic",
    "label",
    "unit",
    "numerator_id",
    "denominator_id",
    "indicator_id",
    "definition",
    "time_identifier",
    "source_id",
]

#: Journey stage of each data file (the ``measure.topic``); a file not listed takes the guidance's title.
DATASET_TOPICS = {
    "requests": "Requests for an EHC needs assessment",
    "assessments": "EHC needs assessments",
    "timeliness_20_week": "Plans issued within 20 weeks",
    "newplans": "New EHC plans",
    "sen_need_newplans": "New EHC plans by primary need",
    "caseload": "EHC plans (January caseload)",
    "sen_needs_all_plans": "EHC plans by primary need",
    "annual_reviews": "Annual reviews",
    "ceased_plans": "Ceased EHC plans",
    "personal_budgets": "Personal budgets",
    "residential_settings": "Residential placements",
    "work_based_placements": "Work-based placements",
    "phase_transfers": "Phase transfers",
    "sen2_age_caseload": "Statements and EHC plans by age (aggregate collection)",
    "sen2_estab_caseload": "Statements and EHC plans by establishment (aggregate collection)",
    "sen2_age_new_plans": "New statements and EHC plans by age (aggregate collection)",
    "sen2_estab_new_plans": "New statements and EHC plans by establishment (aggregate collection)",
    "sen2_mi": "Requests, assessments, timeliness, mediation and budgets (aggregate collection)",
    "sen2_wbp_residential_dmo": "Work-based and residential placements (aggregate collection)",
}

#: A data file under another name in some release: the name other releases use -> our dataset name.
DATASET_ALIASES = {"sen_needs_caseload": "sen_needs_all_plans"}

#: A column under another name in some release, per dataset: published name (``{year}`` = a 4-digit year,
#: case-insensitive) -> our column name. Only where the guidance describes the same measure.
COLUMN_ALIASES: dict[str, dict[str, str]] = {
    "annual_reviews": {
        "review_expected_{year}": "review_expected",
        "review_not_expected_{year}": "review_not_expected",
        "review_completed_{year}": "review_completed",
        "review_completed_prior_{year}": "review_completed_prior",
    },
    "caseload": {"await_prov_2022": "await_prov", "perm_ex_2022": "perm_ex"},
    "newplans": {"await_prov_2022": "await_prov", "perm_ex_2022": "perm_ex"},
}

#: Column descriptions the data guidance prints against the wrong column, per (dataset, our column): the
#: description printed (the evidence: applied only while a release still prints it), the right one, and why.
#: The 2025 release describes ``not_rec`` as 'ceased for other reasons' and ``other`` as 'reason is not
#: recorded': swapped against the column names and against the series before it (the 2022 release's
#: 'EHC plan discontinued for other reasons', DisothEHC: 1,091 in England in 2021, where ``other`` is 2,193
#: in 2022 and ``not_rec`` 5).
GUIDANCE_FIXES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("ceased_plans", "not_rec"): (
        "Number ceased for other reasons",
        "Number where reason is not recorded",
        "The release's data guidance prints this column's description against the 'other' column (swapped).",
    ),
    ("ceased_plans", "other"): (
        "Number where reason is not recorded",
        "Number ceased for other reasons",
        "The release's data guidance prints this column's description against the 'not_rec' column (swapped).",
    ),
}


def _description(dataset: str, column: str, described: dict[str, str]) -> tuple[str | None, str | None]:
    """(description, note): the guidance's description of a published column (``described``: the file's
    guidance), corrected where :data:`GUIDANCE_FIXES` knows the guidance prints it against the wrong column,
    with the fix's reason as ``note`` (None when nothing was corrected)."""
    text = described.get(column.lower())
    printed, right, why = GUIDANCE_FIXES.get((dataset, _our_column(dataset, column.lower())), (None, None, None))
    return (right, why) if printed is not None and text == printed else (text, None)


#: A breakdown topic under another name in some release -> the name we keep.
TOPIC_ALIASES = {"Age on plan start date": "Age when plan started"}

#: Headline rows of the person-level layout: topic == breakdown, 'All ...' or one of these.
HEADLINE_EXACT = ("New EHC plans",)

#: Breakdown labels that differ between releases only in spelling (regex -> replacement): the 2025 release
#: prints ages in lower case ('age 18'), the 2026 release mostly capitalised ('Age 18').
BREAKDOWN_REWRITES = {r"^age (\d)": r"Age \1"}

#: Aggregate-collection (2022 release) dimension columns -> how they become (breakdown_topic, breakdown).
AGE_TOPIC = "Age band"
ESTABLISHMENT_TOPIC = "Establishment type"

#: 2022-release files whose calendar-year ``time_period`` is a January snapshot (2018 -> 201718).
JANUARY_FILES = frozenset({"sen2_age_caseload", "sen2_estab_caseload"})

#: Percentage columns and the published count columns they are computed from: (numerator, denominator)
#: per dataset, by our column name. ``None`` for a side the file does not publish as one column. Each pair was
#: checked against the published national figures (tests/test_breakdowns.py).
PERCENT_PARTS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    **{
        stem: {f"{group}_pc": (group, total) for group in PLACEMENT_GROUPS}
        for stem, total in (("caseload", "ehcplans"), ("newplans", "new_ehc_plans"))
    },
    **{
        stem: {
            **{
                f"{need}_pc": (f"number_{need}", "ehc_plans")
                for need in ["asd", "ds", "hi", "mld", "msi", "oth", "pd", "pmld", "semh", "slcn", "sld", "spld", "vi"]
            },
            "unknown_pc": ("number_need_unknown", "ehc_plans"),
        }
        for stem in ("sen_needs_all_plans", "sen_need_newplans")
    },
    "requests": {
        "request_assess_pc": ("requests_decided_to_assess", "requests_received_in_year"),
        "request_not_assess_pc": ("requests_decided_not_to_assess", "requests_received_in_year"),
        "request_outstanding_pc": ("requests_decision_not_made", "requests_received_in_year"),
        "request_withdrawn_pc": ("requests_withdrawn", "requests_received_in_year"),
        "request_outcome_six_weeks_pc": ("request_outcome_six_weeks", None),
        "request_outcome_over_6_weeks_pc": ("request_outcome_over_6_weeks", None),
    },
    "assessments": {
        "assess_issued_pc": ("assess_issued", None),
        "assess_not_issued_pc": ("assess_not_issued", None),
        "assess_not_made_pc": ("assess_not_made", None),
        "assess_withdrawn_pc": ("assess_withdrawn", None),
        "outcome_decision_within_time_pc": ("outcome_decision_within_time", None),
        "outcome_decision_over_time_pc": ("outcome_decision_over_time", None),
    },
    "timeliness_20_week": {
        "pc_plans_issued_within_20_weeks": ("plans_issued_within_20_weeks", "plans_issued_den"),
        "pc_plans_issued_20_weeks_ex": ("plans_issued_20_weeks_ex", "plans_issued_den_ex"),
        "pc_plans_issued_gt20weeks_ltyear": ("plans_issued_gt20weeks_ltyear", "plans_issued_den"),
        "pc_plans_issued_gt20weeks_ltyear_ex": ("plans_issued_gt20weeks_ltyear_ex", "plans_issued_den_ex"),
        "pc_plans_issued_gt_1_year": ("plans_issued_gt_1_year", "plans_issued_den"),
        "pc_plans_issued_gt_1_year_ex": ("plans_issued_gt_1_year_ex", "plans_issued_den_ex"),
    },
    "annual_reviews": {
        "pc_decsion_4weeks": ("number_decsion_4weeks", None),
        "pc_decision_gt_4weeks": ("number_decision_gt_4weeks", None),
    },
    "sen2_mi": {
        "newallehc_pc": ("newallehc", "newallehc_assnoneehc_sum"),
        "assnoneehc_pc": ("assnoneehc", "newallehc_assnoneehc_sum"),
        "assrefusedehc_pc": ("assrefusedehc", "inreqehc"),
        "incexc20weekrate": ("incexc20weekehc", "totincexcehc"),
        "noexc20weekrate": ("noexc20weekehc", "totnoexcehc"),
        "newehctribunal_pc": ("newehctribunal", "newehcmediation"),
    },
}

#: Text a percentage column's name carries (``_pc``, ``pc_``, ``...Rate``); average weeks are their own unit.
_PERCENT_NAME = re.compile(r"(^pc_|_pc$|_pc_|rate$)")
_WEEKS_NAME = re.compile(r"^avg_weeks")

#: Columns of the EES layout around the figures (never measures).
GEO_COLUMNS = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
]
#: The geography and period columns every data file must have to be read.
_KEYS = ["time_period", "time_identifier", "geographic_level", "region_code", "old_la_code"]
#: Names printed beside the codes (read when present, for the headline parser's check of LA names).
_NAMES = ["region_name", "new_la_code", "la_name"]
#: Columns that say which breakdown a row is (person-level layout; the 2022 release's age and establishment).
DIMENSIONS = ["breakdown_topic", "breakdown", "characteristic_age", "establishment_type", "establishment_group"]


@dataclass
class ReleaseCells:
    """What :func:`read_release` found in one release zip, in Arrow.

    ``rows``: :data:`ROW_COLUMNS`, one per data row of each file (geography, breakdown, period). ``numbers``
    (:data:`NUMBER_COLUMNS`) and ``markers`` (:data:`MARKER_COLUMNS`): one per non-empty published cell, holding
    a number (``value``, float64) or a marker (``marker``, the published symbol); ``row_id`` into ``rows``,
    ``measure_no`` the position of its measure in ``columns``. ``columns``: one row per measure (measure_id,
    dataset, file_name, column_name, description, file_title, time_identifier). ``notes``: texts for
    ``data_note`` (new columns, text columns and files not loaded).
    """

    rows: pa.Table
    numbers: pa.Table
    markers: pa.Table
    columns: pd.DataFrame
    notes: list[str]

    def __len__(self) -> int:  # the build log counts a parser's rows with len()
        return self.numbers.num_rows + self.markers.num_rows


def read_release(
    zf, path: Path, source: Source | None, guidance: dict[str, dict[str, str]], shared: dict | None = None
) -> ReleaseCells:
    """Every numeric cell of every ``data/*.csv`` member of an EHCP release zip.

    ``zf``: the open zip (``etl.parsers.ehcp._ZipReader``); ``guidance``: the release's data guidance as
    ``{file name: {column (lower case): description}}`` (:func:`etl.parsers.ehcp.data_guidance`). ``shared``:
    when a dict, it receives member name -> (header, table) of every file read (all columns as text, geography
    tidied, ``year`` added), so that the headline parser reads each file once.

    Never fails on one file or column: a file that is not in the EES layout or cannot be read (no rows, an
    unknown period) and a column mixing numbers with text that is not a known marker are reported in
    ``notes`` and left out; the headline parser (``etl/parsers/ehcp.py``) stays strict about what it needs.
    Cells that are empty are not rows (nothing was published). Raises SourceFormatError only for a member the
    zip cannot give (``etl.parsers.ehcp._ZipReader.read``).
    """
    from etl.parsers import ehcp

    where_release = f"source {source.source_id}" if source is not None else "release unknown"
    titles = _guidance_titles(zf)
    members = ehcp._data_members(zf, path)
    stems = sorted(members)
    # Two files at a time, the largest first: unzipping and Arrow's reading and parsing release the GIL, so a
    # release is read on both cores (the build parses the other sources meanwhile, also on two threads).
    largest_first = sorted(stems, key=lambda stem: -zf.size(members[stem]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            stem: pool.submit(_read_file, zf, path, members[stem], stem, where_release, guidance, titles)
            for stem in largest_first
        }
        files = [futures[stem].result() for stem in stems]
    row_parts: list[pa.Table] = []
    number_parts: list[pa.Table] = []
    marker_parts: list[pa.Table] = []
    catalogue: list[dict] = []
    notes: list[str] = []
    n_rows = 0
    for member, f in zip((members[stem] for stem in stems), files, strict=True):
        notes += f.notes
        if f.rows is None:
            continue
        if shared is not None:
            shared[member] = f.shared
        # The file's row ids and measure numbers, counted from 0 in the file, become the release's.
        first_row, first_measure = np.int32(n_rows), np.int16(len(catalogue))
        row_parts.append(f.rows.set_column(0, "row_id", pc.add(f.rows["row_id"], first_row)))
        for parts, cells in ((number_parts, f.numbers), (marker_parts, f.markers)):
            parts.append(_renumber(cells, first_row, pc.add(cells["measure_no"], first_measure)))
        catalogue += f.catalogue
        n_rows += f.rows.num_rows
    rows = pa.concat_tables(row_parts) if row_parts else _empty(ROW_COLUMNS)
    numbers = pa.concat_tables(number_parts) if number_parts else _empty(NUMBER_COLUMNS)
    markers = pa.concat_tables(marker_parts) if marker_parts else _empty(MARKER_COLUMNS)
    return ReleaseCells(rows, numbers, markers, pd.DataFrame(catalogue), notes)


def _renumber(cells: pa.Table, first_row: np.int32, measure_no) -> pa.Table:
    """``cells`` (numbers or markers) with ``first_row`` added to each ``row_id`` and ``measure_no`` (an Arrow
    column of their length) as their measure numbers."""
    cells = cells.set_column(0, "row_id", pc.add(cells["row_id"], first_row))
    return cells.set_column(1, "measure_no", measure_no)


@dataclass
class _FileCells:
    """What :func:`_read_file` found in one data file: ``rows`` (:data:`ROW_COLUMNS`, ``row_id`` from 0; None
    when the file is not loaded), ``numbers`` and ``markers`` (:data:`NUMBER_COLUMNS`, :data:`MARKER_COLUMNS`,
    ``measure_no`` from 0 in ``catalogue`` order; None when the file is not loaded), ``catalogue`` (one dict per
    loaded column), ``notes``, and ``shared`` (the member's (header, table) for the headline parser)."""

    rows: pa.Table | None
    numbers: pa.Table | None
    markers: pa.Table | None
    catalogue: list[dict]
    notes: list[str]
    shared: tuple[list[str], pa.Table] | None = None


def _read_file(
    zf, path: Path, member: str, stem: str, where_release: str, guidance: dict, titles: dict[str, str]
) -> _FileCells:
    """One data file of a release for :func:`read_release` (same arguments; ``stem``: the member's lower-case
    file stem, ``where_release`` names the source in messages, ``titles``: :func:`_guidance_titles`)."""
    from etl.parsers import ehcp

    file_name = PurePosixPath(member).name
    dataset = DATASET_ALIASES.get(stem, stem)
    where = f"{path.name}:{member} ({where_release})"
    data = zf.read(member)
    try:
        header = ehcp._header(data, where)
    except LayoutError as exc:  # an empty file or a header that is not UTF-8 text
        return _FileCells(
            None, None, None, [], [f"data/{file_name} could not be read, its cells are not loaded: {exc}"]
        )
    lower = [h.lower() for h in header]
    lacking = [c for c in _KEYS if c not in lower]
    if lacking:  # not a data file of the EES layout: reported, never fatal
        return _FileCells(
            None,
            None,
            None,
            [],
            [f"data/{file_name} is not laid out as an EES data file (no {', '.join(lacking)}); not loaded."],
        )
    dims = [d for d in DIMENSIONS if d in lower]
    measures: dict[str, str] = {}  # published column -> our column name (first occurrence of a name)
    seen: set[str] = set()
    for h, low in zip(header, lower, strict=True):
        if low in GEO_COLUMNS or low in dims or low in seen:
            continue
        seen.add(low)
        measures[h] = _our_column(dataset, low)
    if not measures:
        return _FileCells(None, None, None, [], [])
    keys = [*_KEYS, *(c for c in _NAMES if c in lower), *dims]
    try:
        table = ehcp._read_member(zf, member, path, keys, measures, data=data, check_values=False)
        # The cells of all the published columns, one column after the other, as indexes into their distinct
        # texts: one hash pass serves the NaN check (the same error _read_member gives) and the parsing below.
        encoded = pc.dictionary_encode(pa.chunked_array([c for h in measures for c in table[h].chunks], pa.string()))
        if pc.any(pc.match_substring_regex(encoded.chunk(0).dictionary, ehcp._NON_FINITE)).as_py():
            ehcp._reject_non_finite(table, list(measures), f"{path.name}:{member}")  # raises, naming the cell
        if dataset in JANUARY_FILES:
            table = ehcp._relabel_january(table, where)
        table = ehcp._clean_codes(ehcp._add_year(table, where))
    except LayoutError as exc:
        return _FileCells(
            None, None, None, [], [f"data/{file_name} could not be read, its cells are not loaded: {exc}"]
        )
    described = guidance.get(file_name.lower(), {})
    time_identifier = table["time_identifier"][0].as_py()
    row_ids = pa.array(np.arange(table.num_rows, dtype=np.int32))
    numbers, markers, unloaded = _cells(encoded, list(measures), table.num_rows, where)
    found = _FileCells(_rows(table, dims, dataset, row_ids), numbers, markers, [], [], (header, table))
    text_columns = [h for h, why in unloaded.items() if why is None]
    found.notes += [f"data/{file_name}, column {h} is not loaded: {why}" for h, why in unloaded.items() if why]
    for h, ours in measures.items():
        if h in unloaded:
            continue
        found.catalogue.append(
            {
                "measure_id": f"{dataset}.{ours}",
                "dataset": dataset,
                "file_name": file_name,
                "column_name": h,
                **dict(zip(("description", "guidance_note"), _description(dataset, h, described), strict=True)),
                "file_title": titles.get(file_name.lower()),
                "time_identifier": time_identifier,
            }
        )
    unknown = [h for h in measures if h.lower() not in described and described]
    if unknown:
        found.notes.append(
            f"data/{file_name} has columns the release's data guidance does not describe (loaded under their "
            f"published names): {', '.join(unknown)}."
        )
    if text_columns:
        found.notes.append(
            f"data/{file_name}: columns holding text, not figures, are not loaded: {', '.join(text_columns)}."
        )
    return found


def previous_cells(con: duckdb.DuckDBPyConnection, source_id: str) -> ReleaseCells | None:
    """One source's cells from a previous database (its last good copy, when its file cannot be read now).

    ``con``: an open connection to the previous database. Returns None when that database has no
    breakdown tables (built before they existed) or no cells from the source.
    """
    try:
        rows = con.execute(
            f"""WITH datasets AS (SELECT c.row_id, any_value(m.dataset) AS dataset
                                  FROM (SELECT row_id, measure_no FROM breakdown_cell
                                        UNION ALL SELECT row_id, measure_no FROM breakdown_marker) c
                                  JOIN measure m USING (measure_no) GROUP BY c.row_id)
                SELECT (row_number() OVER (ORDER BY r.row_id) - 1)::INTEGER AS row_id, d.dataset, r.geographic_level,
                       l.old_la_code, CASE WHEN r.geographic_level = '{REGIONAL}' THEN r.area_code END AS region_code,
                       r.breakdown_topic, r.breakdown, r.time_period, r.year::BIGINT AS year, r.row_id AS old_id
                FROM breakdown_row r JOIN datasets d USING (row_id)
                LEFT JOIN local_authority l ON l.new_la_code = r.area_code AND r.geographic_level = '{LOCAL_AUTHORITY}'
                WHERE r.source_id = ? ORDER BY r.row_id""",
            [source_id],
        ).df()
    except duckdb.Error:
        return None
    if rows.empty:
        return None
    con.register("old_rows", rows[["row_id", "old_id"]])
    measures = con.execute(
        """SELECT m.measure_id, m.dataset, m.file_name, m.column_name, m.label AS description, m.topic AS file_title,
                  m.time_identifier, m.definition, m.measure_no AS old_no
           FROM measure m WHERE m.measure_no IN (SELECT DISTINCT c.measure_no FROM breakdown_value_cells c
                                                 JOIN old_rows o ON o.old_id = c.row_id)
           ORDER BY m.measure_no"""
    ).df()
    local = {old: i for i, old in enumerate(measures.old_no)}
    tables = []
    for table, columns in (("breakdown_cell", NUMBER_COLUMNS), ("breakdown_marker", MARKER_COLUMNS)):
        cells = con.execute(
            f"""SELECT o.row_id, c.measure_no AS old_no, c.{columns[-1]}
                FROM {table} c JOIN old_rows o ON o.old_id = c.row_id ORDER BY o.row_id, c.measure_no"""
        ).df()
        cells["measure_no"] = cells.old_no.map(local).astype("int16")
        tables.append(pa.Table.from_pandas(cells[columns], schema=_schema(columns)))
    con.unregister("old_rows")
    row_table = pa.Table.from_pandas(rows[ROW_COLUMNS], schema=_schema(ROW_COLUMNS))
    return ReleaseCells(row_table, *tables, measures.drop(columns=["old_no"]), [])


def _our_column(dataset: str, published: str) -> str:
    """Our name for a published column (lower case, through :data:`COLUMN_ALIASES`)."""
    for pattern, ours in COLUMN_ALIASES.get(dataset, {}).items():
        if re.fullmatch(re.escape(pattern).replace(r"\{year\}", r"(?:19|20)\d{2}"), published):
            return ours
    return published


def _rows(table: pa.Table, dims: list[str], dataset: str, row_ids: pa.Array) -> pa.Table:
    """The :data:`ROW_COLUMNS` of one file's rows: geography tidied, breakdown from its dimension columns."""
    level = table["geographic_level"]
    null = pa.scalar(None, pa.string())
    topic, breakdown = _dimensions(table, dims)
    return pa.table(
        {
            "row_id": row_ids,
            "dataset": pa.repeat(pa.scalar(dataset), table.num_rows),
            "geographic_level": level,
            "old_la_code": pc.if_else(pc.equal(level, LOCAL_AUTHORITY), table["old_la_code"], null),
            "region_code": pc.if_else(pc.equal(level, REGIONAL), table["region_code"], null),
            "breakdown_topic": topic,
            "breakdown": breakdown,
            "time_period": table["time_period"],
            "year": table["year"],
        }
    )


def _cells(encoded: pa.ChunkedArray, columns: list[str], n_rows: int, where: str) -> tuple[pa.Table, pa.Table, dict]:
    """The non-empty cells of a file's published ``columns``, those holding a number (:data:`NUMBER_COLUMNS`) and
    those holding a marker (:data:`MARKER_COLUMNS`), ``row_id`` the row's position and ``measure_no`` the column's
    position among those loaded; and the columns not loaded: column -> None when it holds only text, else why
    (text that is neither a number nor a known marker in a column of numbers, naming ``where``).

    ``encoded``: the columns' cells one column after the other (``n_rows`` each), dictionary-encoded
    (``pc.dictionary_encode``: one dictionary for all chunks). All columns at once: each distinct text of the file
    is parsed once (a file has a few thousand), then spread to the cells by index.
    """
    indices = np.concatenate([c.indices.to_numpy() for c in encoded.chunks])
    text = pc.utf8_trim_whitespace(encoded.chunk(0).dictionary)
    is_number = pc.match_substring_regex(text, _NUMBER)
    number, empty = is_number.to_numpy(zero_copy_only=False), pc.equal(text, "").to_numpy(zero_copy_only=False)
    marker = pc.is_in(text, pa.array(list(MARKER_MEANINGS), pa.string())).to_numpy(zero_copy_only=False)
    kind = np.select([number, empty, marker], [_NUMBER_CELL, _EMPTY_CELL, _MARKER_CELL], _TEXT_CELL).astype(np.int8)
    cell_kind = kind[indices].reshape(len(columns), n_rows)  # one row per column
    unloaded: dict[str, str | None] = {}
    for i in np.flatnonzero((cell_kind == _TEXT_CELL).any(axis=1)):  # rare: most files have none
        if not (cell_kind[i] == _NUMBER_CELL).any():
            unloaded[columns[i]] = None
            continue
        texts = text.take(np.unique(indices[i * n_rows : (i + 1) * n_rows][cell_kind[i] == _TEXT_CELL]))
        unloaded[columns[i]] = (
            f"{where}, column {columns[i]}: {sorted(texts.to_pylist())[0]!r} is neither a number nor a known marker "
            f"({', '.join(MARKER_MEANINGS)})"
        )
    loaded = np.array([c not in unloaded for c in columns])
    local = np.cumsum(loaded, dtype=np.int16) - 1  # a loaded column's position among those loaded
    null = pa.scalar(None, pa.string())
    # Each distinct text as a number (null for a marker) and as a marker, then spread to the cells of that kind.
    as_number = pc.cast(pc.if_else(is_number, pc.replace_substring(text, ",", ""), null), pa.float64())
    row_ids = np.tile(np.arange(n_rows, dtype=np.int32), len(columns))  # of the cells, one column after the other
    tables = []
    for cell, name, parsed in ((_NUMBER_CELL, "value", as_number), (_MARKER_CELL, "marker", text)):
        kept = (cell_kind == cell) & loaded[:, None]  # one row per column; empty cells and columns not loaded dropped
        keep = kept.ravel()
        measure_no = np.repeat(local, kept.sum(axis=1))
        tables.append(pa.table({"row_id": row_ids[keep], "measure_no": measure_no, name: parsed.take(indices[keep])}))
    return *tables, unloaded


#: The kinds of cell :func:`_cells` tells apart.
_NUMBER_CELL, _EMPTY_CELL, _MARKER_CELL, _TEXT_CELL = range(4)

#: A published number: digits with optional thousands separators, sign and decimals.
_NUMBER = r"^-?[0-9][0-9,]*(\.[0-9]+)?$"


def _dimensions(table: pa.Table, dims: list[str]) -> tuple[pa.Array, pa.Array]:
    """(breakdown_topic, breakdown) of each row from a file's dimension columns; headline rows are Total/Total."""
    total = pa.scalar(TOTAL)
    n = table.num_rows
    if "breakdown_topic" in dims:
        topic, label = table["breakdown_topic"], table["breakdown"]
        headline = pc.and_(
            pc.equal(topic, label),
            pc.or_(pc.starts_with(topic, "All "), pc.is_in(topic, pa.array(list(HEADLINE_EXACT), pa.string()))),
        )
        for old, new in TOPIC_ALIASES.items():
            topic = pc.if_else(pc.equal(topic, old), pa.scalar(new), topic)
        # Rewritten once per distinct label (a file has a few hundred), then spread back to the rows.
        labels = pc.dictionary_encode(label).combine_chunks()
        distinct = labels.dictionary
        for pattern, replacement in BREAKDOWN_REWRITES.items():
            distinct = pc.replace_substring_regex(distinct, pattern, replacement)
        return pc.if_else(headline, total, topic), pc.if_else(headline, total, distinct.take(labels.indices))
    if "characteristic_age" in dims:
        age = table["characteristic_age"]
        is_total = pc.equal(age, total)
        return pc.if_else(is_total, total, pa.scalar(AGE_TOPIC)), age
    if "establishment_type" in dims:
        kind, group = table["establishment_type"], table["establishment_group"]
        is_total = pc.and_(pc.equal(kind, total), pc.equal(group, total))
        joined = pc.binary_join_element_wise(group, kind, ": ")
        return pc.if_else(is_total, total, pa.scalar(ESTABLISHMENT_TOPIC)), pc.if_else(is_total, total, joined)
    return pa.repeat(total, n), pa.repeat(total, n)


_TYPES = {"row_id": pa.int32(), "measure_no": pa.int16(), "year": pa.int64(), "value": pa.float64()}


def _schema(columns: list[str]) -> pa.Schema:
    return pa.schema([(c, _TYPES.get(c, pa.string())) for c in columns])


def _empty(columns: list[str]) -> pa.Table:
    return _schema(columns).empty_table()


def _guidance_titles(zf) -> dict[str, str]:
    """File name (lower case) -> the title line the data guidance prints above its ``Filename:`` line."""
    name = next((n for n in zf.namelist() if n.lower().endswith("data-guidance.txt")), None)
    if name is None:
        return {}
    lines = zf.read(name).decode("utf-8-sig", errors="replace").splitlines()
    titles = {}
    for i, line in enumerate(lines):
        if line.startswith("Filename:"):
            above = next((prev.strip() for prev in reversed(lines[:i]) if prev.strip()), "")
            titles[line.split(":", 1)[1].strip().lower()] = above
    return titles


# --------------------------------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Breakdowns:
    """The tables :func:`combine` builds: ``measure`` (pandas, :data:`MEASURE_COLUMNS`), ``rows`` (Arrow,
    :data:`ROW_TABLE_COLUMNS`: table ``breakdown_row``), ``numbers`` (Arrow, :data:`NUMBER_COLUMNS`: table
    ``breakdown_cell``) and ``markers`` (Arrow, :data:`MARKER_COLUMNS`: table ``breakdown_marker``)."""

    measure: pd.DataFrame
    rows: pa.Table
    numbers: pa.Table
    markers: pa.Table


def empty() -> Breakdowns:
    """No measures, rows or cells (a build without an EHC plans release)."""
    return Breakdowns(
        pd.DataFrame(columns=MEASURE_COLUMNS), _empty(ROW_TABLE_COLUMNS), _empty(NUMBER_COLUMNS), _empty(MARKER_COLUMNS)
    )


def combine(
    releases: dict[str, ReleaseCells],
    sources: dict[str, Source],
    local_authorities: pd.DataFrame,
    withheld: pd.DataFrame,
) -> tuple[Breakdowns, list[dict]]:
    """The every-cell tables (:class:`Breakdowns`: measures, rows, numbers, markers) from every release read, and
    notes.

    ``releases``: source id -> :class:`ReleaseCells`; ``sources``: Source entries with their precedence (the
    newer release's cell wins where two publish the same measure for the same area, breakdown and period);
    ``local_authorities``: the ``local_authority`` table (LA rows are joined on the DfE number); ``withheld``:
    the ``observation`` rows the build withholds (indicator_id, area_code, time_period, source_id): the cell of
    the column feeding that indicator in the same headline row is withheld too (marker ``w``).
    Raises :class:`etl.load.BuildError` when an LA code resolves to no authority or an authority has a figure
    for a year it did not exist.

    The two steps, :func:`gather` (the heavy one, which needs no ``withheld``) and :func:`withhold`, may also be
    called apart. The build gathers and writes the cells (:func:`write`) while it assembles the headline figures,
    then withholds in the database (:func:`held_cells`, :func:`write_held`).
    """
    tables, notes = gather(releases, sources, local_authorities)
    return withhold(tables, withheld, notes)


def gather(
    releases: dict[str, ReleaseCells], sources: dict[str, Source], local_authorities: pd.DataFrame
) -> tuple[Breakdowns, list[dict]]:
    """:func:`combine` without the withholding: the tables (their rows still carrying ``dataset``) and notes.

    Raises as :func:`combine`.
    """
    from etl.load import BuildError

    notes = [_note(sid, text) for sid, r in releases.items() for text in r.notes]
    releases = {sid: r for sid, r in releases.items() if len(r)}
    if not releases:
        return empty(), notes
    measures = _measures(releases, sources)
    number = dict(zip(measures.measure_id, measures.measure_no, strict=True))
    row_parts, number_parts, marker_parts, offset = [], [], [], 0
    for sid, r in releases.items():
        rows = r.rows.append_column("source_id", pa.repeat(pa.scalar(sid), r.rows.num_rows))
        rows = rows.set_column(0, "row_id", pc.add(rows["row_id"], np.int32(offset)))
        row_parts.append(rows.append_column("precedence", pa.repeat(pa.scalar(sources[sid].precedence), rows.num_rows)))
        local = pa.array([number[m] for m in r.columns.measure_id], pa.int16())
        for parts, cells in ((number_parts, r.numbers), (marker_parts, r.markers)):
            parts.append(_renumber(cells, np.int32(offset), local.take(cells["measure_no"])))
        offset += r.rows.num_rows
    rows, numbers, markers = (pa.concat_tables(parts) for parts in (row_parts, number_parts, marker_parts))

    rows, unresolved = _resolve(rows, local_authorities)
    if unresolved:
        raise BuildError(
            "Build stopped: breakdown rows name LA codes not in the local authority list: "
            + ", ".join(f"{code} ({sid})" for sid, code in unresolved)
        )
    # As for the headline figures: marker-only cells for authorities outside their lifetime carry nothing, and a
    # number there stops the build (never a figure for an authority that did not exist).
    outside = rows["outside"].combine_chunks()
    if pc.any(outside).as_py():
        figures = numbers.filter(outside.take(numbers["row_id"]))
        if figures.num_rows:
            first = rows.take(figures["row_id"][:1]).to_pylist()[0]
            raise BuildError(
                f"Build stopped: {figures.num_rows} breakdown figures for a local authority in years it did not "
                f"exist, e.g. {first['source_id']} {first['dataset']} {first['area_code']} {first['time_period']}"
            )
        gone = outside.take(markers["row_id"])
        for sid, n in _count_by_source(rows, markers.filter(gone)):
            notes.append(
                _note(sid, f"{n} marker-only breakdown cells for authorities outside their lifetime not loaded.")
            )
        markers = markers.filter(pc.invert(gone))
    numbers, markers = _newest_wins(numbers, markers, rows)
    return Breakdowns(measures, rows.select([*ROW_TABLE_COLUMNS, "dataset"]), numbers, markers), notes


def withhold(tables: Breakdowns, withheld: pd.DataFrame, notes: list[dict]) -> tuple[Breakdowns, list[dict]]:
    """The second step of :func:`combine`: the cells of ``withheld`` (as there) become markers ``w``; ``tables``
    from :func:`gather`, ``notes`` its notes (returned with the withholding's added)."""
    masks, held_notes = _held(tables, withheld)
    numbers, markers = tables.numbers, tables.markers
    if masks is not None:
        held = _held_keys(masks)
        numbers, markers = (cells.filter(pc.invert(mask)) for cells, mask in masks)
        markers = pa.concat_tables([markers, held.append_column("marker", pa.repeat(pa.scalar("w"), held.num_rows))])
    return Breakdowns(tables.measure, tables.rows.select(ROW_TABLE_COLUMNS), numbers, markers), notes + held_notes


def held_cells(tables: Breakdowns, withheld: pd.DataFrame) -> tuple[pa.Table, list[dict]]:
    """The cells :func:`withhold` marks ``w`` (``row_id``, ``measure_no``; numbers or markers as published; none
    when nothing is withheld), and its notes: also for a build that writes the cells of :func:`gather` first and
    withholds in the database (:func:`write_held`)."""
    masks, notes = _held(tables, withheld)
    return (_empty(["row_id", "measure_no"]) if masks is None else _held_keys(masks)), notes


def _held_keys(masks: list[tuple[pa.Table, pa.Array]]) -> pa.Table:
    """``row_id``, ``measure_no`` of the cells under the masks :func:`_held` returns."""
    return pa.concat_tables([cells.select(["row_id", "measure_no"]).filter(mask) for cells, mask in masks])


def _resolve(rows: pa.Table, local_authorities: pd.DataFrame) -> tuple[pa.Table, list[tuple[str, str]]]:
    """``rows`` with ``area_code`` (England, the region / sub-region code, or the LA's new_la_code looked up by
    its DfE number) and ``outside`` (an LA row for a year the authority did not exist); and the (source_id,
    code) pairs of LA codes not in the list (at most 10)."""
    la = local_authorities
    index = pc.index_in(rows["old_la_code"], value_set=pa.array(la.old_la_code.astype(str).tolist(), pa.string()))
    gss = pa.array(la.new_la_code.tolist(), pa.string()).take(index)
    level = rows["geographic_level"]
    area = pc.if_else(
        pc.equal(level, NATIONAL),
        pa.scalar(ENGLAND_CODE),
        pc.if_else(pc.equal(level, REGIONAL), rows["region_code"], gss),
    )
    years = rows["year"]
    first = pa.array(la.first_year.astype("Int64"), pa.int64()).take(index)
    last = pa.array(la.last_year.astype("Int64"), pa.int64()).take(index)
    outside = pc.fill_null(pc.or_kleene(pc.less(years, first), pc.greater(years, last)), False)
    missing = rows.filter(pc.is_null(area)).select(["source_id", "old_la_code"]).to_pylist()
    unresolved = sorted({(r["source_id"], r["old_la_code"]) for r in missing})[:10]
    return rows.append_column("area_code", area).append_column("outside", outside), unresolved


def _count_by_source(rows: pa.Table, cells: pa.Table) -> list[tuple[str, int]]:
    sids = rows["source_id"].combine_chunks().take(cells["row_id"])
    counts = pc.value_counts(sids)
    return sorted((c["values"].as_py(), c["counts"].as_py()) for c in counts)


def _newest_wins(numbers: pa.Table, markers: pa.Table, rows: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Drop a cell (number or marker) where a newer release publishes the same measure for the same area,
    breakdown and period.

    Only releases of the same layout overlap (the 2026 and 2025 releases), so the key check runs only when two
    sources publish a dataset.
    """
    pairs = rows.select(["dataset", "source_id"]).group_by(["dataset", "source_id"]).aggregate([])
    if pairs.num_rows == len(set(pairs["dataset"].to_pylist())):
        return numbers, markers
    keys = ["row_id", "measure_no"]
    con = duckdb.connect()
    con.register("all_cells", pa.concat_tables([numbers.select(keys), markers.select(keys)]))
    con.register("all_rows", rows.select([*ROW_TABLE_COLUMNS, "precedence"]))
    losers = con.sql(
        """SELECT c.row_id::BIGINT * 65536 + c.measure_no AS cell_key
           FROM all_cells c JOIN all_rows r ON r.row_id = c.row_id
           QUALIFY row_number() OVER (PARTITION BY c.measure_no, r.geographic_level, r.area_code, r.breakdown_topic,
                                      r.breakdown, r.time_period ORDER BY r.precedence DESC) > 1"""
    ).to_arrow_table()
    con.close()
    if not losers.num_rows:
        return numbers, markers
    lost = losers["cell_key"].combine_chunks()
    return tuple(cells.filter(pc.invert(pc.is_in(_cell_key(cells), value_set=lost))) for cells in (numbers, markers))


def _cell_key(cells: pa.Table) -> pa.Array:
    return pc.add(pc.multiply(pc.cast(cells["row_id"], pa.int64()), 65536), pc.cast(cells["measure_no"], pa.int64()))


def _held(tables: Breakdowns, withheld: pd.DataFrame) -> tuple[list[tuple[pa.Table, pa.Array]] | None, list[dict]]:
    """The headline cells whose ``observation`` figure the build withholds, or None when there are none: (numbers,
    mask over them), (markers, mask over them); and notes."""
    rows, measures = tables.rows, tables.measure
    if withheld.empty or not (tables.numbers.num_rows or tables.markers.num_rows):
        return None, []
    feeds = measures.dropna(subset=["indicator_id"])[["indicator_id", "measure_id", "measure_no", "dataset"]]
    targets = withheld.merge(feeds, on="indicator_id")
    near = pc.and_(
        pc.equal(rows["breakdown_topic"], TOTAL), pc.is_in(rows["area_code"], pa.array(sorted(set(targets.area_code))))
    )
    # A few thousand rows: plain Python objects merge faster than Arrow-backed strings.
    frame = pd.DataFrame(
        rows.filter(near).select(["row_id", "dataset", "area_code", "time_period", "source_id"]).to_pydict()
    )
    hits = targets.merge(frame, on=["dataset", "area_code", "time_period", "source_id"])
    if hits.empty:
        return None, []
    concerned = np.zeros(pc.max(rows["row_id"]).as_py() + 1, dtype=bool)
    concerned[hits.row_id.to_numpy()] = True
    keys = hits.row_id.to_numpy(np.int64) * 65536 + hits.measure_no.to_numpy(np.int64)
    masks = []
    for cells in (tables.numbers, tables.markers):
        # The cells of the few rows concerned (an array lookup per cell, no hashing), then their measures.
        row_ids = cells["row_id"].to_numpy()
        mask = concerned[row_ids]
        mask[mask] = np.isin(row_ids[mask].astype(np.int64) * 65536 + cells["measure_no"].to_numpy()[mask], keys)
        masks.append((cells, pa.array(mask)))
    notes = [
        {
            "source_id": h.source_id,
            "area_code": h.area_code,
            "time_period": h.time_period,
            "indicator_id": None,
            "note": f"{h.measure_id} (Total) is withheld (marker w), as the headline figure it feeds: the release "
            "prints the region's total for this authority (see the correction).",
        }
        for h in hits.sort_values(["source_id", "area_code", "measure_id"]).itertuples()
    ]
    return masks, notes


def _note(sid: str, text: str) -> dict:
    return {"source_id": sid, "area_code": None, "time_period": None, "indicator_id": None, "note": text}


def _measures(releases: dict[str, ReleaseCells], sources: dict[str, Source]) -> pd.DataFrame:
    """The catalogue: one row per measure, described by the newest release that publishes it."""
    from etl.parsers.ehcp import RELEASE_2022, RELEASE_2025

    frames = []
    for sid, r in releases.items():
        if not r.columns.empty:
            frames.append(r.columns.assign(source_id=sid, precedence=sources[sid].precedence))
    if not frames:
        return pd.DataFrame(columns=MEASURE_COLUMNS)
    cat = pd.concat(frames, ignore_index=True).sort_values("precedence", ascending=False, kind="stable")
    cat = cat.drop_duplicates("measure_id").sort_values("measure_id").reset_index(drop=True)
    cat["measure_no"] = np.arange(len(cat), dtype=np.int16)
    feeds = {
        f"{stem.lower()}.{_our_column(stem.lower(), col.lower().replace('{year}', '2000'))}": iid
        for (stem, col), iid in {**RELEASE_2025, **RELEASE_2022}.items()
    }
    column = cat.measure_id.str.split(".", n=1).str[1]
    parts = [PERCENT_PARTS.get(d, {}).get(c, (None, None)) for d, c in zip(cat.dataset, column, strict=True)]
    cat["numerator_id"] = [f"{d}.{n}" if n else None for d, (n, _) in zip(cat.dataset, parts, strict=True)]
    cat["denominator_id"] = [f"{d}.{m}" if m else None for d, (_, m) in zip(cat.dataset, parts, strict=True)]
    cat["unit"] = [
        "percent" if _PERCENT_NAME.search(c) else "weeks" if _WEEKS_NAME.search(c) else "count" for c in column
    ]
    cat["indicator_id"] = cat.measure_id.map(feeds)
    cat["topic"] = [DATASET_TOPICS.get(d) or t or d for d, t in zip(cat.dataset, cat.file_title, strict=True)]
    cat["label"] = [(d or c).strip() for d, c in zip(cat.description, cat.column_name, strict=True)]
    given = cat["definition"] if "definition" in cat else pd.Series(None, index=cat.index, dtype=object)
    fixed = cat["guidance_note"] if "guidance_note" in cat else pd.Series(None, index=cat.index, dtype=object)
    # A last good copy (previous_cells) brings its definitions along; a file read now is described here.
    cat["definition"] = [
        g
        if isinstance(g, str)
        else f"{d.strip()}. From {f} ({t or 'data file'}).{f' {n}' if isinstance(n, str) else ''}"
        if d
        else f"Column {c} of {f} (not described in the data guidance)."
        for g, d, c, f, t, n in zip(
            given, cat.description, cat.column_name, cat.file_name, cat.file_title, fixed, strict=True
        )
    ]
    cat["publication"] = [sources[s].publication for s in cat.source_id]
    return cat[MEASURE_COLUMNS]


#: The every-cell tables :func:`write` writes.
TABLES = ("measure", "breakdown_row", "breakdown_cell", "breakdown_marker")


def write(con: duckdb.DuckDBPyConnection, tables: Breakdowns) -> None:
    """Insert ``measure``, ``breakdown_row``, ``breakdown_cell`` (numbers) and ``breakdown_marker`` (markers)
    into the database being written (``con``). Numbers and markers apart: a text column of mostly nulls beside
    millions of numbers costs a quarter of the write."""
    for name in TABLES:
        frame, cols = _frame(tables, name)
        con.register("frame", frame)
        con.execute(f"INSERT INTO {name} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM frame")
        con.unregister("frame")


def write_held(con: duckdb.DuckDBPyConnection, held: pa.Table) -> None:
    """Withhold, in the database written by :func:`write` (``con``), the cells ``held`` (``row_id``,
    ``measure_no``: :func:`held_cells`): their number or marker is replaced by marker ``w``. A build writes the
    cells as soon as they are gathered and withholds the few concerned once the headline figures are known."""
    if not held.num_rows:
        return
    con.register("held", held)
    for name in ("breakdown_cell", "breakdown_marker"):
        con.execute(
            f"DELETE FROM {name} USING held WHERE {name}.row_id = held.row_id AND {name}.measure_no = held.measure_no"
        )
    con.execute("INSERT INTO breakdown_marker SELECT row_id, measure_no, 'w' FROM held")
    con.unregister("held")


def _frame(tables: Breakdowns, name: str) -> tuple[pd.DataFrame | pa.Table, list[str]]:
    """(rows, columns) of table ``name`` for :func:`write`."""
    if name == "measure":
        return tables.measure, MEASURE_COLUMNS
    table, cols = {
        "breakdown_row": (tables.rows, ROW_TABLE_COLUMNS),
        "breakdown_cell": (tables.numbers, NUMBER_COLUMNS),
        "breakdown_marker": (tables.markers, MARKER_COLUMNS),
    }[name]
    # One chunk per column: DuckDB's scan of one chunk costs less CPU than of one per data file (0.43 s against
    # 0.60 s for the numbers), and far less than of thousands.
    return table.select(cols).combine_chunks(), cols
