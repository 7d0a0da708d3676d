"""Parsers for the DfE "Education, health and care plans" releases (SEN2) on Explore Education Statistics.

Two layouts:

* :func:`parse_release` - the person-level layout of reporting year 2025 (and later releases laid out the same
  way): one tidy CSV per topic under ``data/`` with ``breakdown_topic``/``breakdown`` columns and ``x`` markers.
* :func:`parse_release_2022` - the aggregate SEN2 layout of reporting year 2022 (``sen2_*.csv``, ``z`` markers).

Both read the release zip in place (members are read into memory, never extracted) and return
:class:`etl.model.Parsed` with ``observations`` (:data:`etl.model.OBS_COLUMNS`), ``tables['ees_la']`` (the LA
names and codes printed in the release) and ``notes`` (known publication errors, rows dropped).

Which published column feeds which indicator is declared in :data:`RELEASE_2025`, :data:`PRIMARY_NEED_FILES`,
:data:`PRIMARY_NEEDS` and :data:`RELEASE_2022`; adding a column is a one-line change there.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl import breakdowns
from etl.catalogue import by_id
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
    parse_cell,
)

# --------------------------------------------------------------------------------------------------------------
# Declarative mapping: (file stem under data/, published column) -> indicator_id. Columns match case-insensitively.
# --------------------------------------------------------------------------------------------------------------

#: 2025 person-level layout. Headline rows become breakdown Total/Total; other breakdown rows keep their labels.
RELEASE_2025: dict[tuple[str, str], str] = {
    ("caseload", "ehcplans"): "ehc_plans",
    ("requests", "requests_received_in_year"): "initial_requests",
    ("requests", "requests_decided_to_assess"): "requests_decided_to_assess",
    ("requests", "requests_decided_not_to_assess"): "requests_refused",
    ("requests", "requests_withdrawn"): "requests_withdrawn",
    ("requests", "requests_decision_not_made"): "requests_decision_not_made",
    ("assessments", "assess_in_year"): "ehc_needs_assessments",
    ("assessments", "assess_issued"): "assessments_plan_issued",
    ("assessments", "assess_not_issued"): "assessments_plan_not_issued",
    ("assessments", "assess_not_made"): "assessments_decision_outstanding",
    ("newplans", "new_ehc_plans"): "new_ehc_plans",
    ("timeliness_20_week", "plans_issued_den"): "plans_issued_incl_exceptions",
    ("timeliness_20_week", "plans_issued_den_ex"): "plans_issued_excl_exceptions",
    ("timeliness_20_week", "plans_issued_within_20_weeks"): "plans_within_20_weeks_incl_exceptions",
    ("timeliness_20_week", "plans_issued_20_weeks_ex"): "plans_within_20_weeks",
    ("timeliness_20_week", "pc_plans_issued_within_20_weeks"): "pct_within_20_weeks_incl_exceptions",
    ("timeliness_20_week", "PC_plans_issued_20_weeks_ex"): "pct_within_20_weeks",
    ("timeliness_20_week", "plans_issued_gt_1_year_ex"): "plans_over_1_year",
    ("timeliness_20_week", "PC_plans_issued_gt_1_year_ex"): "pct_over_1_year",
    ("timeliness_20_week", "pc_plans_issued_gt_1_year"): "pct_over_1_year_incl_exceptions",
    ("ceased_plans", "total_ceased"): "ceased_plans",
    ("annual_reviews", "review_expected"): "annual_reviews_expected",
    ("annual_reviews", "total_review_meeting"): "annual_reviews_held",
    ("annual_reviews", "review_completed_{year}"): "annual_reviews_completed",
}

#: Files giving counts by primary need (headline rows only) -> the indicator they break down.
PRIMARY_NEED_FILES: dict[str, str] = {
    "sen_needs_all_plans": "ehc_plans",
    "sen_need_newplans": "new_ehc_plans",
}

#: Primary-need count columns of the PRIMARY_NEED_FILES -> plain-English need (breakdown_topic 'Primary need').
PRIMARY_NEEDS: dict[str, str] = {
    "number_asd": "Autistic spectrum disorder",
    "number_hi": "Hearing impairment",
    "number_mld": "Moderate learning difficulty",
    "number_msi": "Multi-sensory impairment",
    "number_oth": "Other difficulty/disability",
    "number_pd": "Physical disability",
    "number_pmld": "Profound and multiple learning difficulty",
    "number_semh": "Social, emotional and mental health",
    "number_slcn": "Speech, language and communication needs",
    "number_sld": "Severe learning difficulty",
    "number_spld": "Specific learning difficulty",
    "number_vi": "Visual impairment",
    "number_need_unknown": "Need not recorded",
    "number_ds": "Down syndrome",
}
PRIMARY_NEED_TOPIC = "Primary need"

# --------------------------------------------------------------------------------------------------------------
# Layout drift, declared: how later (or earlier) releases name the same files and columns. "{year}" in a column
# name stands for a 4-digit year (review_expected_2025). Names match case-insensitively, so case-only renames
# (PC_plans_issued_20_weeks_ex -> pc_plans_issued_20_weeks_ex, AP_PRU_total_pc) need no entry.
# --------------------------------------------------------------------------------------------------------------

#: Files a later release may drop (the reporting-year-2026 release may have no sen_needs_all_plans.csv).
OPTIONAL_2025 = frozenset({"sen_needs_all_plans", "sen_need_newplans"})

#: A data file under another name in some release: the stem we read -> the other stems it has had.
FILE_ALIASES: dict[str, tuple[str, ...]] = {
    "sen_needs_all_plans": ("sen_needs_caseload",),  # renamed in the 2026 release (2024/25 to 2025/26)
}

#: A column under another name in some release: our name -> the other names it has had.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "review_expected": ("review_expected_{year}",),  # 2026: the year is part of the name, same measure
}

#: Columns we read that not every release publishes: (file stem, column) -> why (missing gives a note).
OPTIONAL_COLUMNS: dict[tuple[str, str], str] = {
    ("annual_reviews", "total_review_meeting"): "the 2026 layout counts reviews completed in the year "
    "(review_completed_<year>) instead of review meetings recorded at any time: a different measure",
    ("annual_reviews", "review_completed_{year}"): "published from the 2026 release",
    **{
        (stem, "number_ds"): "Down syndrome is its own primary need from the 2026 release (before, it was "
        "counted under Other difficulty/disability)"
        for stem in PRIMARY_NEED_FILES
    },
}

#: Published columns we know and deliberately do not load, per file stem (any release). A column that is
#: neither loaded nor listed here is reported as new in a data note; it never stops the build. Split columns
#: are listed with their parts (special_academy_free -> special_academy + special_free_school, 2026).
_PLACEMENTS = (
    "mainstream_la_maintained mainstream_la_maintained_resourced_provision mainstream_la_maintained_senunit "
    "mainstream_academy mainstream_academy_resourced_provision mainstream_academy_senunit mainstream_free_school "
    "mainstream_free_school_resourced_provision mainstream_free_school_senunit mainstream_independent "
    "mainstream_total mainstream_total_pc special_la_maintained special_academy_free special_academy "
    "special_free_school special_independent special_non_maintained special_total special_total_pc ap_pru_academy "
    "ap_pru_free_school ap_pru_la_maintained ap_pru_total ap_pru_total_pc general_fe_tertiary_colleges "
    "specialist_post_16_institutions ukrlp_provider fe_total fe_total_pc elective_home_education "
    "other_arrangements_la other_arrangements_parents online_provider w_settings other_schools "
    "other_placement_settings neet neet_ntci neet_other neet_other_csa ed_elsewhere ed_elsewhere_pc nm_early_years "
    "nm_early_years_pc placement_unknown placement_unknown_pc await_prov_2022 perm_ex_2022 await_prov perm_ex"
)
_NEED_SHARES = "asd_pc ds_pc hi_pc mld_pc msi_pc oth_pc pd_pc pmld_pc semh_pc slcn_pc sld_pc spld_pc vi_pc unknown_pc"
KNOWN_UNUSED: dict[str, str] = {
    "caseload": _PLACEMENTS,
    "newplans": _PLACEMENTS,
    "requests": "requests_rya request_assess_pc request_not_assess_pc request_outstanding_pc request_withdrawn_pc "
    "request_outcome_six_weeks request_outcome_over_6_weeks request_outcome_six_weeks_pc "
    "request_outcome_over_6_weeks_pc mediation_related_request tribunal_related_request "
    "tribunal_after_mediation_request",
    "assessments": "assess_issued_pc assess_not_issued_pc assess_not_made_pc assess_withdrawn assess_withdrawn_pc "
    "outcome_decision_within_time outcome_decision_over_time outcome_decision_within_time_pc "
    "outcome_decision_over_time_pc number_assess_mediation number_assess_tribunal number_asssess_mediation_tribunal "
    "number_other_mediation number_other_tribunal number_other_mediation_tribunal",
    "timeliness_20_week": "plans_issued_gt20weeks_ltyear plans_issued_gt20weeks_ltyear_ex "
    "pc_plans_issued_gt20weeks_ltyear pc_plans_issued_gt20weeks_ltyear_ex plans_issued_gt_1_year",
    "ceased_plans": "max_age needs_met he employ transfer no_engage moved_outside_eng deceased not_rec other",
    "annual_reviews": "total_ehc_plans review_not_expected review_meeting_25 review_meeting_24 "
    "review_meeting_prior_24 no_review_meeting review_decision25 review_decision24 review_decision_prior24 "
    "review_decision_not_due review_decision_outstanding outcome_amend outcome_cease outcome_maintan no_outcome "
    "number_decsion_4weeks number_decision_gt_4weeks pc_decsion_4weeks pc_decision_gt_4weeks "
    "review_not_expected_{year} review_completed_prior_{year} review_not_completed outcome_amended outcome_ceased "
    "outcome_maintained no_outcome_recorded decision_4_weeks decision_over_4_weeks",
    "sen_needs_all_plans": "ehc_plans " + _NEED_SHARES,
    "sen_need_newplans": "ehc_plans " + _NEED_SHARES,
}
#: What each column we load must mean, as the release's data guidance describes it (a regex, case-insensitive).
#: A release whose guidance describes a column otherwise has changed its definition: a layout error, never a
#: silent new series. Columns without an entry, or a release without guidance, are not checked.
_INC, _EXC = r"(?:inc\.|including) exc?eptions", r"(?:exc\.|excluding) exc?eptions"
DEFINITIONS: dict[tuple[str, str], str] = {
    ("caseload", "ehcplans"): r"^total number of ehc plans",
    ("requests", "requests_received_in_year"): r"^total requests for an ehc needs assessment",
    ("requests", "requests_decided_to_assess"): r"decided to proceed with an assessment",
    ("requests", "requests_decided_not_to_assess"): r"decided not to proceed with an assessment",
    ("requests", "requests_withdrawn"): r"requests withdrawn",
    ("requests", "requests_decision_not_made"): r"requests ongoing",
    ("assessments", "assess_in_year"): r"^total number of ehc needs assessments",
    ("assessments", "assess_issued"): r"a plan was issued",
    ("assessments", "assess_not_issued"): r"a plan was not issued",
    ("assessments", "assess_not_made"): r"decision is outstanding",
    ("newplans", "new_ehc_plans"): r"^total number of new ehc plans",
    ("timeliness_20_week", "plans_issued_den"): r"ehc plans issued " + _INC,
    ("timeliness_20_week", "plans_issued_den_ex"): r"ehc plans issued " + _EXC,
    ("timeliness_20_week", "plans_issued_within_20_weeks"): r"within 20 weeks " + _INC + r"$",
    ("timeliness_20_week", "plans_issued_20_weeks_ex"): r"within 20 weeks " + _EXC + r"$",
    ("timeliness_20_week", "pc_plans_issued_within_20_weeks"): r"within 20 weeks " + _INC + r" - %",
    ("timeliness_20_week", "PC_plans_issued_20_weeks_ex"): r"within 20 weeks " + _EXC + r" - %",
    ("timeliness_20_week", "plans_issued_gt_1_year_ex"): r"after 52 weeks " + _EXC + r"$",
    ("timeliness_20_week", "PC_plans_issued_gt_1_year_ex"): r"after 52 weeks " + _EXC + r" - %",
    ("timeliness_20_week", "pc_plans_issued_gt_1_year"): r"after 52 weeks " + _INC + r" - %",
    ("ceased_plans", "total_ceased"): r"^total number of ceased ehc plans",
    ("annual_reviews", "review_expected"): r"annual review (?:was )?expected",
    ("annual_reviews", "total_review_meeting"): r"annual review meeting recorded",
    ("annual_reviews", "review_completed_{year}"): r"reviews completed during",
}

#: Columns of the EES layout around the figures (never reported as new).
LAYOUT_COLUMNS = "time_period time_identifier geographic_level country_code country_name region_code region_name "
LAYOUT_COLUMNS += "new_la_code old_la_code la_name breakdown_topic breakdown"

#: 2022 aggregate layout. Every figure is a total (breakdown Total/Total).
RELEASE_2022: dict[tuple[str, str], str] = {
    ("sen2_age_caseload", "Total_ehc"): "ehc_plans",
    ("sen2_age_caseload", "Total_st"): "statements_of_sen",
    ("sen2_age_caseload", "Total_all"): "statements_and_ehc_plans",
    ("sen2_age_new_plans", "Total_new_ehc"): "new_ehc_plans",
    ("sen2_mi", "InreqEHC"): "initial_requests",
    ("sen2_mi", "AssRefusedEHC"): "requests_refused",
    ("sen2_mi", "NewallEHC"): "assessments_plan_issued",
    ("sen2_mi", "AssnoneEHC"): "assessments_plan_not_issued",
    ("sen2_mi", "AssnodecisionEHC"): "assessments_decision_outstanding",
    ("sen2_mi", "TotIncExcEHC"): "plans_issued_incl_exceptions",
    ("sen2_mi", "IncExc20weekEHC"): "plans_within_20_weeks_incl_exceptions",
    ("sen2_mi", "IncExc20weekRate"): "pct_within_20_weeks_incl_exceptions",
    ("sen2_mi", "TotNoExcEHC"): "plans_issued_excl_exceptions",
    ("sen2_mi", "NoExc20weekEHC"): "plans_within_20_weeks",
    ("sen2_mi", "NoExc20weekRate"): "pct_within_20_weeks",
}

#: 2022 files whose rows are split by age: keep only this value of ``characteristic_age``.
AGE_FILTER_2022 = {"sen2_age_caseload": "Total", "sen2_age_new_plans": "Total"}

#: 2022 files whose calendar-year time_period is really a January snapshot (relabelled 2018 -> 201718).
JANUARY_FILES_2022 = frozenset({"sen2_age_caseload"})

#: Geography columns every EES file carries (matched case-insensitively).
GEO_COLUMNS = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
]
BREAKDOWN_COLUMNS = ["breakdown_topic", "breakdown"]
LEVELS = {NATIONAL, REGIONAL, LOCAL_AUTHORITY}
EES_LA_COLUMNS = ["old_la_code", "new_la_code", "la_name", "region_code", "region_name", "year"]
HEADLINE_EXACT = {"New EHC plans"}
#: Sub-regional areas (Inner/Outer London, E13) that some files publish instead of London (E12000007).
SUB_REGION_PREFIX = "E13"
#: The region Inner London (E13000001) and Outer London (E13000002) belong to.
LONDON = ("E12000007", "London")

_PERCENT_IDS = {i.indicator_id for i in by_id().values() if i.unit == "percent"}


# --------------------------------------------------------------------------------------------------------------
# Public parsers
# --------------------------------------------------------------------------------------------------------------


def parse_release(path: Path, source: Source, resolve) -> Parsed:
    """Parse an EHCP release in the person-level EES layout (reporting year 2025 and later).

    Reads every ``data/*.csv`` member of the zip at ``path`` once (:func:`etl.breakdowns.read_release`); the
    headline figures come from the members ``data/<stem>.csv`` named in :data:`RELEASE_2025` and
    :data:`PRIMARY_NEED_FILES` (stems and column names match case-insensitively and a duplicated column name is
    tolerated). Returns :class:`Parsed` with

    * ``observations`` (:data:`OBS_COLUMNS`): one row per published non-empty cell. ``time_period`` as published
      (``202425`` = January 2025 snapshot -> ``year`` 2025; calendar year ``2024`` -> 2024). Counts are people or
      plans; ``pct_*`` are percentages (0-100) as published. Headline rows (``All ...`` / ``New EHC plans``) get
      breakdown Total/Total, other rows keep the published ``breakdown_topic``/``breakdown``; the two primary-need
      files give ``ehc_plans``/``new_ehc_plans`` by breakdown_topic ``Primary need``. Markers (``x``) are kept
      with value NaN.
    * ``tables['ees_la']``: distinct (old_la_code, new_la_code, la_name, region_code, region_name, year) of the
      LA rows read.
    * ``notes``: Inner/Outer London rows dropped, optional files or columns missing, columns this parser does
      not know. Keys as :func:`etl.model.make_note`. (Footnoted publisher errors: ``etl/corrections.py``.)
    * ``tables['breakdown_cells']``: every cell of every data file of the zip (:func:`etl.breakdowns.read_release`).

    Raises :class:`SourceFormatError` (naming the file and what is missing) if the zip is unreadable, a required
    member or column is absent, or a period / geographic level is not recognised; FileNotFoundError if ``path``
    does not exist. ``source.options['breakdown_topics']`` (a list) limits the demographic breakdown rows loaded
    (age, sex, ethnicity ...); absent means all. ``resolve`` is unused (parser signature).

    Source: DfE, "Education, health and care plans" (SEN2), Explore Education Statistics, release zip.
    """
    path = Path(path)
    # Which published breakdown topics to load besides the headline rows (None: all of them).
    keep_topics = source.options.get("breakdown_topics") if source is not None else None
    plan = _group(RELEASE_2025)
    for stem in PRIMARY_NEED_FILES:
        plan.setdefault(stem, {})
    frames, la_frames, notes = [], [], []
    with _open_zip(path) as zf:
        members = _data_members(zf, path)
        guidance = data_guidance(zf)
        shared: dict = {}  # every file is read once, for all its cells, then its headline columns taken here
        cells = breakdowns.read_release(zf, path, source, guidance, shared)
        for stem, columns in plan.items():
            member = next((members[s] for s in (stem, *FILE_ALIASES.get(stem, ())) if s in members), None)
            if member is None:
                if stem in OPTIONAL_2025:
                    notes.append(make_note(None, None, f"{stem}.csv not in release", PRIMARY_NEED_FILES.get(stem)))
                    continue
                raise SourceFormatError(
                    f"{path.name} ({_release(source)}): data/{stem}.csv is missing (members: {sorted(members)})"
                )
            if stem in PRIMARY_NEED_FILES:
                columns = {c: PRIMARY_NEED_FILES[stem] for c in PRIMARY_NEEDS}
            where = f"{path.name}:{member} ({_release(source)})"
            header = shared[member][0] if member in shared else _header(zf.read(member), where)
            found, layout_notes = resolve_columns(stem, header, list(columns), where)
            check_definitions(stem, found, guidance.get(PurePosixPath(member).name.lower(), {}), where)
            notes += [make_note(None, None, text, PRIMARY_NEED_FILES.get(stem)) for text in layout_notes]
            columns = {found[c]: i for c, i in columns.items() if c in found}
            df = _member_table(zf, member, path, GEO_COLUMNS + BREAKDOWN_COLUMNS, list(columns), shared)
            df, dropped = _drop_sub_regions(df)
            for code, tp in dropped:
                notes.append(
                    make_note(
                        None,
                        tp,
                        f"{stem}.csv publishes Inner/Outer London ({code}) instead of London; those regional rows "
                        "are dropped (not regions in this schema), so London has no regional figure in this file.",
                        PRIMARY_NEED_FILES.get(stem),
                    )
                )
            la_frames.append(_ees_la(df))
            frames.append(_long_2025(df, stem, columns, keep_topics))
    obs = _finish(frames)
    tables = {"ees_la": _distinct(la_frames), breakdowns.TABLE: cells}
    return Parsed(observations=_to_frame(obs), tables=tables, notes=notes)


def parse_release_2022(path: Path, source: Source, resolve) -> Parsed:
    """Parse the reporting-year-2022 EHCP release (aggregate SEN2 collection, ``sen2_*.csv``).

    Reads ``data/sen2_age_caseload.csv`` (``characteristic_age='Total'``: ``Total_ehc`` -> ``ehc_plans``,
    ``Total_st`` -> ``statements_of_sen``, ``Total_all`` -> ``statements_and_ehc_plans``),
    ``data/sen2_age_new_plans.csv`` (``Total_new_ehc`` -> ``new_ehc_plans``) and ``data/sen2_mi.csv`` (requests,
    assessment outcomes, 20-week timeliness; see :data:`RELEASE_2022`). Returns :class:`Parsed` with

    * ``observations`` (:data:`OBS_COLUMNS`), all breakdown Total/Total. The caseload's calendar-year period
      means January of that year and is relabelled to the 2025-release convention (``2018`` -> ``201718``, year
      2018); flow measures keep their calendar year. Percentages (0-100) are rounded to 4 dp to remove the
      published float noise (``57.900000000000`` -> 57.9). Marker ``z`` is kept with value NaN.
    * ``tables['ees_la']``, ``tables['breakdown_cells']``: as :func:`parse_release`.
    * ``notes``: none (footnoted publisher errors are declared in ``etl/corrections.py``).

    Raises :class:`SourceFormatError` if the zip is unreadable or a file/column is missing (FileNotFoundError if
    ``path`` does not exist). ``source`` and ``resolve`` are unused.

    Source: DfE, "Education, health and care plans" reporting year 2022, Explore Education Statistics, release zip.
    """
    path = Path(path)
    frames, la_frames = [], []
    with _open_zip(path) as zf:
        members = _data_members(zf, path)
        shared: dict = {}  # as in parse_release: each file read once
        cells = breakdowns.read_release(zf, path, source, data_guidance(zf), shared)
        for stem, columns in _group(RELEASE_2022).items():
            member = members.get(stem.lower())
            if member is None:
                raise SourceFormatError(f"{path.name}: data/{stem}.csv is missing (members: {sorted(members)})")
            extra = ["characteristic_age"] if stem in AGE_FILTER_2022 else []
            # January files come relabelled (2018 -> 201718) from the shared read, which relabels the same files.
            df = _member_table(zf, member, path, GEO_COLUMNS + extra, list(columns), shared, stem in JANUARY_FILES_2022)
            if stem in AGE_FILTER_2022:
                df = df.filter(pc.equal(df["characteristic_age"], AGE_FILTER_2022[stem]))
            df = _set(df, "breakdown_topic", pa.repeat(pa.scalar(TOTAL), df.num_rows))
            df = _set(df, "breakdown", pa.repeat(pa.scalar(TOTAL), df.num_rows))
            la_frames.append(_ees_la(df))
            frames.append(_melt(df, columns))
    obs = _finish(frames)
    return Parsed(observations=_to_frame(obs), tables={"ees_la": _distinct(la_frames), breakdowns.TABLE: cells})


# --------------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------------


def _member_table(
    zf: _ZipReader, member: str, path: Path, keys: list[str], values: list[str], shared: dict, january: bool = False
) -> pa.Table:
    """The ``keys`` and ``values`` columns of one member with ``year`` added and codes tidied (``january``:
    calendar-year January snapshots relabelled, 2018 -> 201718).

    Taken from ``shared`` (the tables :func:`etl.breakdowns.read_release` read) when it holds the member, else
    read here (:func:`_read_member`: same checks, same errors).
    """
    wanted = list(dict.fromkeys([*keys, *values, "year"]))
    table = shared[member][1] if member in shared else None
    usable = table is not None and set(wanted) <= set(table.column_names)
    if usable and (not january or table["time_identifier"][0].as_py() == "Academic year"):
        return table.select(wanted)
    df = _read_member(zf, member, path, keys, values)
    if january:
        df = _relabel_january(df, f"{path.name}:{member}")
    return _clean_codes(_add_year(df, f"{path.name}:{member}"))


def _group(mapping: dict[tuple[str, str], str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for (stem, column), indicator in mapping.items():
        out.setdefault(stem, {})[column] = indicator
    return out


class _ZipReader:
    """Context manager around ZipFile that turns every zip failure into SourceFormatError."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.zf = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise SourceFormatError(f"{self.path.name}: not a readable zip file ({exc})") from exc

    def __enter__(self) -> _ZipReader:
        return self

    def __exit__(self, *exc) -> None:
        self.zf.close()

    def namelist(self) -> list[str]:
        return self.zf.namelist()

    def size(self, member: str) -> int:
        """Uncompressed size of ``member`` in bytes (KeyError when the zip has no such member)."""
        return self.zf.getinfo(member).file_size

    def read(self, member: str) -> bytes:
        try:
            return self.zf.read(member)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise SourceFormatError(f"{self.path.name}: cannot read member {member} ({exc})") from exc


def _open_zip(path: Path) -> _ZipReader:
    return _ZipReader(path)


def _data_members(zf: _ZipReader, path: Path) -> dict[str, str]:
    """Lower-cased file stem -> member name, for every ``*.csv`` directly inside a ``data/`` folder."""
    members: dict[str, str] = {}
    for name in zf.namelist():
        p = PurePosixPath(name)
        if p.suffix.lower() != ".csv" or p.parent.name.lower() != "data":
            continue
        key = p.stem.lower()
        if key in members:
            raise SourceFormatError(f"{path.name}: two data files named {p.stem}.csv ({members[key]}, {name})")
        members[key] = name
    return members


def _header(data: bytes, where: str) -> list[str]:
    end = data.find(b"\n")
    line = data if end < 0 else data[:end]
    try:
        text = line.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{where}: header is not UTF-8 ({exc})") from exc
    names = next(csv.reader([text]), [])
    if not names or not any(n.strip() for n in names):
        raise SourceFormatError(f"{where}: empty file or header")
    return [n.strip() for n in names]


def _release(source: Source | None) -> str:
    return f"source {source.source_id}" if source is not None else "release unknown"


def _pattern(name: str) -> re.Pattern:
    """A declared column name as a case-insensitive regex ('{year}' = a 4-digit year)."""
    return re.compile(re.escape(name.lower()).replace(r"\{year\}", r"(?:19|20)\d{2}") + "$")


def resolve_columns(stem: str, header: list[str], wanted: list[str], where: str) -> tuple[dict[str, str], list[str]]:
    """Match the columns we read from data file ``stem`` against a release's ``header``, through the declared
    layout (:data:`COLUMN_ALIASES`, :data:`OPTIONAL_COLUMNS`, :data:`KNOWN_UNUSED`).

    Returns (our column name -> the header's column name, notes). Notes: a declared optional column that is
    absent (and why); the header's columns that are neither read nor known (reported as new, not loaded).
    Raises SourceFormatError naming ``where`` (file and release), the column and the aliases tried when a
    column we need is missing or a pattern matches more than one column.
    """
    lower = [h.lower() for h in header]
    found: dict[str, str] = {}
    notes: list[str] = []
    for col in wanted:
        tried = [col, *COLUMN_ALIASES.get(col, ())]
        for name in tried:
            hits = [h for h, low in zip(header, lower, strict=True) if _pattern(name).match(low)]
            if len(set(hits)) > 1:
                raise SourceFormatError(f"{where}: column {name!r} matches {sorted(set(hits))}; expected one")
            if hits:
                found[col] = hits[0]
                break
        else:
            why = OPTIONAL_COLUMNS.get((stem, col))
            if why is None:
                raise SourceFormatError(
                    f"{where}: missing column {col}" + (f" (also tried {', '.join(tried[1:])})" if tried[1:] else "")
                )
            notes.append(f"data/{stem}.csv has no column {col.replace('{year}', '<year>')}: {why}.")
    known = [_pattern(n) for n in (*LAYOUT_COLUMNS.split(), *KNOWN_UNUSED.get(stem, "").split(), *wanted)]
    known += [_pattern(a) for col in wanted for a in COLUMN_ALIASES.get(col, ())]
    new = [h for h, low in zip(header, lower, strict=True) if not any(p.match(low) for p in known)]
    if new:
        notes.append(f"data/{stem}.csv has columns this dashboard does not know (not loaded): {', '.join(new)}.")
    return found, notes


def data_guidance(zf: _ZipReader) -> dict[str, dict[str, str]]:
    """The release's ``data-guidance/data-guidance.txt`` as {file name: {column (lower case): description}};
    empty when the zip has no guidance (EES adds it whenever a data file is present)."""
    name = next((n for n in zf.namelist() if n.lower().endswith("data-guidance.txt")), None)
    if name is None:
        return {}
    text = zf.read(name).decode("utf-8-sig", errors="replace")
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if line.startswith("Filename:"):
            current = out.setdefault(line.split(":", 1)[1].strip().lower(), {})
        elif current is not None and (m := re.match(r"^(\w+)\s*\|\s*(.+?)\s*$", line)):
            current[m.group(1).lower()] = m.group(2)
    return out


def check_definitions(stem: str, found: dict[str, str], described: dict[str, str], where: str) -> None:
    """Fail when the guidance describes a column we load otherwise than :data:`DEFINITIONS` says it must.

    ``found``: our column name -> the release's column name; ``described``: the guidance of this file.
    Raises SourceFormatError naming ``where`` (file and source), the column and both descriptions.
    """
    for ours, theirs in found.items():
        pattern = DEFINITIONS.get((stem, ours))
        text = described.get(theirs.lower())
        if pattern and text and not re.search(pattern, text, re.IGNORECASE):
            raise SourceFormatError(
                f"{where}: the definition of {theirs} changed: the data guidance says {text!r}, where this "
                f"dashboard loads it as /{pattern}/ (see DEFINITIONS in etl/parsers/ehcp.py)"
            )


def _read_member(
    zf: _ZipReader,
    member: str,
    path: Path,
    keys: list[str],
    values: Iterable[str],
    data: bytes | None = None,
    check_values: bool = True,
) -> pa.Table:
    """Read the wanted columns of one CSV member as strings; columns renamed to the spelling asked for.

    Matching is case-insensitive; when a name occurs more than once the first occurrence is used. Key columns
    are stripped of padding. Raises SourceFormatError for a missing column, a member with no data rows or (unless
    ``check_values`` is false: the caller checks them, :func:`_reject_non_finite`) a NaN/inf value cell.
    ``data``: the member's bytes when the caller has read them already.
    """
    where = f"{path.name}:{member}"
    data = zf.read(member) if data is None else data
    names = _header(data, where)
    # Make names unique so that a duplicated header (annual_reviews.csv) cannot confuse the reader.
    unique, first_by_lower, seen = [], {}, {}
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        uname = name if n == 0 else f"{name}__dup{n}"
        unique.append(uname)
        first_by_lower.setdefault(name.lower(), uname)
    wanted = list(dict.fromkeys([*keys, *values]))
    selected: dict[str, str] = {}
    missing = []
    for col in wanted:
        actual = first_by_lower.get(col.lower())
        if actual is None:
            missing.append(col)
        else:
            selected[actual] = col
    if missing:
        raise SourceFormatError(f"{where}: missing column(s) {', '.join(missing)}")
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            # skip_rows=1 drops the header line (and with it any BOM); names come from _header. One thread: the
            # build reads several files at once (etl.breakdowns.read_release), and Arrow's own threads on top of
            # that cost CPU without saving time.
            read_options=pacsv.ReadOptions(column_names=unique, skip_rows=1, use_threads=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(selected),
                column_types={c: pa.string() for c in selected},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowException as exc:
        raise SourceFormatError(f"{where}: cannot parse CSV ({exc})") from exc
    if table.num_rows == 0:  # a truncated download or an export that lost its rows: never load it as "no data"
        raise SourceFormatError(f"{where}: has a header but no data rows")
    table = table.rename_columns([selected[c] for c in table.column_names])
    if check_values:
        _reject_non_finite(table, [c for c in dict.fromkeys(values) if c not in keys], where)
    for col in keys:
        table = table.set_column(table.schema.get_field_index(col), col, pc.utf8_trim_whitespace(table[col]))
    return table


#: Text that Python's float() reads as NaN or infinity (never a published figure).
_NON_FINITE = r"^\s*[+-]?(?i:nan|inf|infinity)\s*$"


def _reject_non_finite(table: pa.Table, columns: list[str], where: str) -> None:
    """Raise SourceFormatError naming the row (line of the CSV) and column of the first NaN/inf cell."""
    for col in columns:
        # Distinct values first: a column has few, and most files have no such cell at all.
        if not pc.any(pc.match_substring_regex(pc.unique(table[col]), _NON_FINITE)).as_py():
            continue
        hits = pc.match_substring_regex(table[col], _NON_FINITE)
        if pc.any(hits).as_py():
            row = pc.index(hits, True).as_py()
            # Line 1 is the header.
            raise SourceFormatError(
                non_finite_message(table[col][row].as_py(), f"{where}, row {row + 2}, column {col}")
            )


# --------------------------------------------------------------------------------------------------------------
# Shaping (pyarrow compute: the 2025 release is ~320,000 cells)
# --------------------------------------------------------------------------------------------------------------


def _period_year(tp: str, identifier: str, where: str) -> int:
    ident = identifier.strip().lower()
    if ident == "academic year" and re.fullmatch(r"\d{6}", tp):
        start, end = int(tp[:4]), int(tp[4:])
        if (start + 1) % 100 != end:
            raise SourceFormatError(f"{where}: academic-year time_period {tp!r} is not consecutive years")
        return start + 1
    if ident == "calendar year" and re.fullmatch(r"\d{4}", tp):
        return int(tp)
    raise SourceFormatError(f"{where}: unrecognised time_period {tp!r} with time_identifier {identifier!r}")


def _set(table: pa.Table, name: str, column) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, name, column) if i >= 0 else table.append_column(name, column)


def _add_year(table: pa.Table, where: str) -> pa.Table:
    """Check geographic levels and periods; add ``year`` (int64)."""
    levels = set(pc.unique(table["geographic_level"]).to_pylist())
    if levels - LEVELS:
        raise SourceFormatError(f"{where}: unknown geographic_level {sorted(levels - LEVELS)}")
    identifiers = pc.unique(table["time_identifier"]).to_pylist()
    if len(identifiers) == 1:  # as in every file so far: each period has that identifier, no pairing needed
        pairs = [(tp, identifiers[0]) for tp in pc.unique(table["time_period"]).to_pylist()]
    else:
        keys = ["time_period", "time_identifier"]
        grouped = table.select(keys).group_by(keys).aggregate([])
        pairs = zip(grouped["time_period"].to_pylist(), grouped["time_identifier"].to_pylist(), strict=True)
    years: dict[str, int] = {}
    for tp, ti in pairs:
        year = _period_year(tp, ti, where)
        if years.setdefault(tp, year) != year:
            raise SourceFormatError(f"{where}: time_period {tp!r} has conflicting time_identifiers")
    periods = pa.array(list(years), pa.string())
    idx = pc.index_in(table["time_period"], value_set=periods)
    return _set(table, "year", pa.array(list(years.values()), pa.int64()).take(idx))


def _relabel_january(table: pa.Table, where: str) -> pa.Table:
    """2022 caseload: calendar year Y (January Y) -> academic-year label (Y-1)(YY), e.g. 2018 -> 201718."""
    periods = pc.unique(table["time_period"]).to_pylist()
    bad = sorted(tp for tp in periods if not re.fullmatch(r"\d{4}", tp))
    if bad:
        raise SourceFormatError(f"{where}: unexpected time_period {bad}")
    labels = pa.array([f"{int(tp) - 1}{int(tp) % 100:02d}" for tp in periods], pa.string())
    idx = pc.index_in(table["time_period"], value_set=pa.array(periods, pa.string()))
    table = _set(table, "time_period", labels.take(idx))
    return _set(table, "time_identifier", pa.repeat(pa.scalar("Academic year"), table.num_rows))


def _drop_sub_regions(table: pa.Table) -> tuple[pa.Table, list[tuple[str, str]]]:
    mask = pc.and_(
        pc.equal(table["geographic_level"], REGIONAL), pc.starts_with(table["region_code"], SUB_REGION_PREFIX)
    )
    if not pc.any(mask).as_py():
        return table, []
    gone = table.filter(mask)
    dropped = sorted(set(zip(gone["region_code"].to_pylist(), gone["time_period"].to_pylist(), strict=True)))
    return table.filter(pc.invert(mask)), dropped


def _clean_codes(table: pa.Table) -> pa.Table:
    """old_la_code as text without decimals ('825', not '825.0'); only rewritten when a '.' is present."""
    col = table["old_la_code"]
    if pc.any(pc.match_substring(col, ".")).as_py():
        table = _set(table, "old_la_code", pc.replace_substring_regex(col, r"\.0+$", ""))
    return table


def _ees_la(table: pa.Table) -> pa.Table:
    """Distinct LA identities of one file. London LAs filed under Inner/Outer London get London (E12000007)."""
    la = table.filter(pc.equal(table["geographic_level"], LOCAL_AUTHORITY)).select(EES_LA_COLUMNS)
    sub = pc.starts_with(la["region_code"], SUB_REGION_PREFIX)
    if pc.any(sub).as_py():
        la = _set(la, "region_code", pc.if_else(sub, pa.scalar(LONDON[0]), la["region_code"]))
        la = _set(la, "region_name", pc.if_else(sub, pa.scalar(LONDON[1]), la["region_name"]))
    return la.group_by(EES_LA_COLUMNS).aggregate([])


def _long_2025(table: pa.Table, stem: str, columns: dict[str, str], keep_topics: list[str] | None) -> pa.Table:
    """Headline rows as Total/Total plus the breakdown topics in ``keep_topics`` (None keeps all)."""
    topic, bd = table["breakdown_topic"], table["breakdown"]
    headline = pc.and_(
        pc.equal(topic, bd), pc.or_(pc.starts_with(topic, "All "), pc.is_in(topic, pa.array(sorted(HEADLINE_EXACT))))
    )
    if stem in PRIMARY_NEED_FILES:
        table = table.filter(headline)
        parts = []
        for col in columns:  # the need columns this release publishes (number_ds from 2026)
            t = _set(table, "breakdown_topic", pa.repeat(pa.scalar(PRIMARY_NEED_TOPIC), table.num_rows))
            t = _set(t, "breakdown", pa.repeat(pa.scalar(PRIMARY_NEEDS[col.lower()]), table.num_rows))
            parts.append(_melt(t, {col: columns[col]}))
        return pa.concat_tables(parts)
    if keep_topics is not None:
        keep = pc.or_(headline, pc.is_in(topic, pa.array(keep_topics, pa.string())))
        table, headline = table.filter(keep), headline.filter(keep)
        topic, bd = table["breakdown_topic"], table["breakdown"]
    total = pa.scalar(TOTAL)
    table = _set(table, "breakdown_topic", pc.if_else(headline, total, topic))
    table = _set(table, "breakdown", pc.if_else(headline, total, bd))
    return _melt(table, columns)


def _melt(table: pa.Table, columns: dict[str, str]) -> pa.Table:
    """One row per (row, mapped column) with the raw cell in ``raw``; geography columns tidied (zero-copy)."""
    level = table["geographic_level"]
    is_la = pc.equal(level, LOCAL_AUTHORITY)
    null = pa.scalar(None, pa.string())
    base = {
        "geographic_level": level,
        "old_la_code": pc.if_else(is_la, table["old_la_code"], null),
        "la_name": pc.if_else(is_la, table["la_name"], null),
        "region_code": pc.if_else(pc.equal(level, REGIONAL), table["region_code"], null),
        "breakdown_topic": table["breakdown_topic"],
        "breakdown": table["breakdown"],
        "time_period": table["time_period"],
        "year": table["year"],
    }
    parts = []
    for col, indicator in columns.items():
        cols = {"indicator_id": pa.repeat(pa.scalar(indicator), table.num_rows), **base, "raw": table[col]}
        parts.append(pa.table(cols))
    return pa.concat_tables(parts)


def _finish(parts: list[pa.Table]) -> pa.Table:
    """Split raw cells into value/marker (parse_cell on each distinct string), drop empty cells, order columns."""
    long = pa.concat_tables(parts)
    raw = long["raw"]
    uniques = pc.unique(raw)
    parsed = [parse_cell(u) for u in uniques.to_pylist()]
    idx = pc.index_in(raw, value_set=uniques)
    value = pa.array([v for v, _ in parsed], pa.float64()).take(idx)
    marker = pa.array([m for _, m in parsed], pa.string()).take(idx)
    is_pct = pc.is_in(long["indicator_id"], pa.array(sorted(_PERCENT_IDS), pa.string()))
    value = pc.if_else(is_pct, pc.round(value, 4), value)
    long = long.drop_columns(["raw"]).append_column("value", value).append_column("marker", marker)
    long = long.filter(pc.invert(pc.fill_null(pc.equal(long["marker"], ""), False)))
    return long.select(OBS_COLUMNS)


def _to_frame(obs: pa.Table) -> pd.DataFrame:
    df = obs.to_pandas()
    df["value"] = df["value"].astype("float64")
    return df


def _distinct(tables: list[pa.Table]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame(columns=EES_LA_COLUMNS)
    out = pa.concat_tables(tables).group_by(EES_LA_COLUMNS).aggregate([]).select(EES_LA_COLUMNS).to_pandas()
    return out.sort_values(["old_la_code", "year", "new_la_code"]).reset_index(drop=True)
