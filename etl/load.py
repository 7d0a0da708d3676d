"""Assemble parsed sources into the database tables (``etl/schema.sql``) and write them atomically.

Steps: resolve every LA code to ``local_authority`` (joining on the DfE number,
checking each source's names against the EES spelling), re-attribute rows the
publisher printed under the wrong authority (declared in ``etl/geography.py``),
drop marker-only rows for authorities that did not exist, keep the newest
release for each figure, compute derived ratios, then hand over to validation.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from duckdb import ConstraintException

from etl import aggregates, breakdowns, breaks, corrections, flags, geography
from etl.catalogue import INDICATORS, Indicator
from etl.model import (
    ENGLAND_CODE,
    LOCAL_AUTHORITY,
    MARKER_MEANINGS,
    NATIONAL,
    OBS_COLUMNS,
    REGIONAL,
    Parsed,
    Source,
    map_text,
)

SCHEMA = Path(__file__).with_name("schema.sql")
KEY = ["indicator_id", "geographic_level", "area_code", "breakdown_topic", "breakdown", "time_period"]
#: Columns the assembly carries once LA codes are resolved (fewer columns to copy at every step).
WORK_COLUMNS = [*KEY, "year", "value", "marker", "source_id", "precedence"]
#: Columns of the ``new_period`` table: periods of an indicator that only the newest release of its table has.
NEW_PERIOD_COLUMNS = ["indicator_id", "time_period", "year", "source_id"]
#: Columns of the ``revision`` table: a figure two loaded releases both publish, as each prints it.
REVISION_COLUMNS = [
    *KEY,
    "old_value",
    "old_marker",
    "old_source_id",
    "new_value",
    "new_marker",
    "new_source_id",
    "series_break",
]


#: :func:`etl.geography.name_key`, remembered: every source prints the same few hundred names.
_name_key = functools.lru_cache(maxsize=None)(geography.name_key)


class BuildError(RuntimeError):
    """The sources could not be turned into a valid database; the message is a readable report."""


@dataclass
class Tables:
    """Every table of the database as pandas frames, ready to validate and write (but the every-cell tables,
    which :func:`assemble` writes as it goes)."""

    local_authority: pd.DataFrame
    la_succession: pd.DataFrame
    region: pd.DataFrame
    indicator: pd.DataFrame
    observation: pd.DataFrame
    source: pd.DataFrame
    statistical_neighbour: pd.DataFrame
    constituency: pd.DataFrame
    boundary: pd.DataFrame
    data_note: pd.DataFrame
    series_break: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=breaks.BREAK_COLUMNS))
    revision: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REVISION_COLUMNS))
    new_period: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NEW_PERIOD_COLUMNS))
    correction: pd.DataFrame = field(default_factory=pd.DataFrame)
    data_flag: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=flags.COLUMNS))
    notes: list[str] = field(default_factory=list)  # human-readable build log lines


class _Problems:
    """Collects every problem of a build so the report lists them all at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def raise_if_any(self, title: str) -> None:
        if self.lines:
            raise BuildError(title + "\n" + "\n".join(f"  - {line}" for line in self.lines))


def assemble(
    parsed: dict[str, Parsed], sources: dict[str, Source], source_rows: pd.DataFrame, out: NewDatabase
) -> Tables:
    """Turn parser output into the database tables.

    ``parsed``: Parsed bundle per source id; ``sources``: the Source entries;
    ``source_rows``: the ``source`` table (one row per source, checksums included).
    ``out``: the database being written. The every-cell tables (:mod:`etl.breakdowns`) go straight to it, from
    another thread, before this returns: written (:meth:`NewDatabase.write_cells`) as soon as they are
    gathered, their withheld cells marked (:meth:`NewDatabase.withhold_cells`) once the headline figures are
    known. The other tables are written too, each as soon as it is complete (:meth:`NewDatabase.write_tables`),
    and returned for validation. Raises BuildError listing every unresolved code, name disagreement, unknown
    marker or duplicate key (the new file is then discarded with what was written).
    """
    # The every-cell tables are gathered in a thread of their own while the headline figures are assembled here
    # (Arrow and DuckDB release the GIL); only their withholding waits for the headline figures.
    with _EveryCell(out) as every_cell:
        return _assemble(parsed, sources, source_rows, every_cell, out)


class _EveryCell:
    """The every-cell tables (:mod:`etl.breakdowns`), gathered and written from a worker thread: :meth:`start`
    with the releases' cells and the LA list, :meth:`withhold` once the headline figures are known,
    :meth:`result` for the notes. Leaving the ``with`` block waits for the worker (cancelled when the assembly
    stopped before withholding)."""

    def __init__(self, out: NewDatabase) -> None:
        self._out = out
        self._withheld: Future = Future()
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._done: Future | None = None

    def __enter__(self) -> _EveryCell:
        return self

    def __exit__(self, *exc) -> None:
        self._withheld.cancel()  # no-op once withhold() was called
        self._pool.shutdown(wait=True)

    def start(self, cells: dict[str, breakdowns.ReleaseCells], sources: dict[str, Source], la: pd.DataFrame) -> None:
        self._done = self._pool.submit(self._run, cells, sources, la)

    def _run(self, cells, sources, la) -> list[dict]:
        tables, notes = breakdowns.gather(cells, sources, la)
        self._out.write_cells(tables)
        held, held_notes = breakdowns.held_cells(tables, self._withheld.result())
        self._out.withhold_cells(held)
        return notes + held_notes

    def withhold(self, withheld: pd.DataFrame) -> None:
        """The ``observation`` rows the build withholds (see :func:`etl.breakdowns.combine`)."""
        self._withheld.set_result(withheld)

    def result(self) -> list[dict]:
        """The notes of the every-cell tables (``data_note`` rows); raises what :func:`etl.breakdowns.gather`
        raises."""
        return self._done.result()


def _assemble(
    parsed: dict[str, Parsed],
    sources: dict[str, Source],
    source_rows: pd.DataFrame,
    every_cell: _EveryCell,
    out: NewDatabase,
) -> Tables:
    problems = _Problems()
    ledger = corrections.Ledger(sources)
    ees_la = pd.concat([p.tables["ees_la"] for p in parsed.values() if "ees_la" in p.tables], ignore_index=True)
    try:
        la = geography.build_local_authorities(ees_la)
    except ValueError as e:  # the release's own LA codes disagree (e.g. one GSS code for two authorities)
        raise BuildError(f"Build stopped: the local authority list does not hold together: {e}") from e
    every_cell.start(
        {sid: p.tables[breakdowns.TABLE] for sid, p in parsed.items() if breakdowns.TABLE in p.tables}, sources, la
    )
    # Written while the rest is assembled (so that only the last few tables are left to write at the end).
    reference = {
        "source": source_rows,
        "region": pd.DataFrame(sorted(geography.REGIONS.items()), columns=["region_code", "region_name"]),
        "local_authority": la,
        "la_succession": geography.build_successions(la),
        "indicator": _indicator_table(),
    }
    out.write_tables(reference)
    by_code = la.set_index("old_la_code")
    notes: list[dict] = []
    for sid, p in parsed.items():
        for n in p.notes:
            code = n.get("old_la_code")
            area = n.get("area_code") or (by_code.at[code, "new_la_code"] if code in by_code.index else None)
            notes.append(
                _note(sid, area, n["note"], time_period=n.get("time_period"), indicator_id=n.get("indicator_id"))
            )

    printed, resolved = [], []  # rows as the sources print them; a previous build's rows (last good copies)
    for sid, p in parsed.items():
        obs = p.observations
        if obs is None or obs.empty:
            continue
        missing = set(OBS_COLUMNS) - set(obs.columns)
        if missing:
            raise BuildError(f"parser for {sid} returned no {sorted(missing)} column(s)")
        if "area_code" in obs.columns:
            resolved.append(
                _as_text(obs[[*OBS_COLUMNS, "area_code"]]).assign(source_id=sid, precedence=sources[sid].precedence)
            )
        else:
            printed.append(_as_text(obs[OBS_COLUMNS]).assign(source_id=sid, precedence=sources[sid].precedence))
    # Every source's rows at once: each pandas step costs about the same for 300 rows as for 30,000.
    frames = [pd.concat(f, ignore_index=True) for f in (printed, resolved) if f]
    if printed:
        frames[0] = _resolve_codes(frames[0], by_code, problems, notes, ledger)
    obs = pd.concat([f[WORK_COLUMNS] for f in frames], ignore_index=True)
    obs = _check_markers(obs, problems)
    for c, sid, area, printed in corrections.withhold(obs, la.set_index("new_la_code").region_code, ledger):
        text = f"{c.description} Printed figure: {printed:,.0f}."
        notes.append(_note(sid, area, text, time_period=c.period, indicator_id=c.indicator_id))
    obs = _drop_outside_lifetime(obs, la, notes)
    problems.raise_if_any("Build stopped: source rows do not resolve to known local authorities")

    # One integer per key: duplicates, ranks and joins on it instead of on six text columns.
    kid = pd.Series(obs.groupby(KEY, sort=False, dropna=False).ngroup().to_numpy(), index=obs.index)
    dupes = obs[pd.DataFrame({"kid": kid, "source_id": obs.source_id}).duplicated(keep=False)]
    if len(dupes):
        sample = dupes.sort_values(KEY).head(6)[KEY + ["source_id"]].to_string(index=False)
        raise BuildError(f"Build stopped: {len(dupes)} rows share a key within one source:\n{sample}")
    series_breaks = breaks.found(obs, sources)
    new_periods = _new_periods(obs, sources)
    obs, revisions = _newest_wins(obs, kid, series_breaks, sources, notes)
    for c, sid, area in corrections.caveats(obs, by_code, ledger):
        notes.append(_note(sid, area, c.description, time_period=c.period, indicator_id=c.indicator_id))
    obs, caseload_notes = aggregates.long_caseload(obs)
    notes += caseload_notes
    # Regional and England rates a source omits (tribunal regions), computed once here for every reader.
    group_rows, group_notes = aggregates.missing_group_rates(obs, la)
    obs = pd.concat([obs, group_rows], ignore_index=True)
    notes += group_notes
    obs = pd.concat([obs, *[_derive(obs, ind) for ind in INDICATORS if ind.derived]], ignore_index=True)
    obs = obs.sort_values(KEY).reset_index(drop=True)
    notes += flags.footnote_notes(la)
    every_cell.withhold(obs.loc[obs.marker == "w", ["indicator_id", "area_code", "time_period", "source_id"]])
    figures = {
        # Markers as text, as the other columns (not Python objects): half the CPU to write, without the GIL.
        "observation": obs[KEY[:5] + ["time_period", "year", "value", "marker", "source_id"]]
        .reset_index(drop=True)
        .astype({"marker": "str"}),
        "series_break": series_breaks,
        "revision": revisions,
        "new_period": new_periods,
    }
    out.write_tables(figures)  # while the flags are computed

    notes += every_cell.result()
    rest = {
        "statistical_neighbour": _neighbours(parsed, by_code, problems, notes, ledger),
        "constituency": _constituencies(parsed, by_code, problems, notes, ledger),
        "boundary": _boundaries(parsed, la, problems),
        "correction": ledger.table(),
        "data_flag": flags.compute_flags(obs),
    }
    rest["data_note"] = pd.DataFrame(notes, columns=["source_id", "area_code", "time_period", "indicator_id", "note"])
    problems.raise_if_any("Build stopped: reference tables do not match the local authority list")
    out.write_tables(rest)
    return Tables(**reference, **figures, **rest)


def _new_periods(obs: pd.DataFrame, sources: dict[str, Source]) -> pd.DataFrame:
    """(indicator, period) pairs published only by the newest loaded release of a table that has older ones."""
    families: dict[tuple[str, str], list[Source]] = {}
    for s in sources.values():
        families.setdefault(corrections.table_of(s), []).append(s)
    frames = []
    for family in families.values():
        if len(family) < 2:
            continue
        newest = max(family, key=lambda s: s.precedence).source_id
        rows = obs.loc[
            obs.source_id.isin([s.source_id for s in family]), ["indicator_id", "time_period", "year", "source_id"]
        ]
        pairs = rows.drop_duplicates()
        older = pairs[pairs.source_id != newest].set_index(["indicator_id", "time_period"]).index
        mine = pairs[pairs.source_id == newest]
        frames.append(mine[~mine.set_index(["indicator_id", "time_period"]).index.isin(older)])
    if not frames:
        return pd.DataFrame(columns=NEW_PERIOD_COLUMNS)
    return pd.concat(frames, ignore_index=True)[NEW_PERIOD_COLUMNS]


def _newest_wins(
    obs: pd.DataFrame, kid: pd.Series, series_breaks: pd.DataFrame, sources: dict[str, Source], notes: list
):
    """One row per key: the newest release's, except where it prints only a marker and an older one a number.

    ``kid``: one integer per distinct :data:`KEY`, aligned with ``obs``. Returns (observations without
    ``precedence``, the ``revision`` table). An older release's number fills a newer release's marker (with a
    note naming both releases) unless a series break lies between them: figures of releases older than a
    break's source are never used for periods from the break on. The revision table lists every key two
    releases publish differently (newest vs the next older).
    """
    shared = kid.duplicated(keep=False)
    if not shared.any():
        return obs.drop(columns=["precedence"]), pd.DataFrame(columns=REVISION_COLUMNS)
    # Only the rows of keys that several releases publish are ordered, newest release first (a quarter of them).
    multi = obs[shared].assign(kid=kid[shared]).sort_values("precedence", ascending=False, kind="stable")
    multi["rank"] = multi.groupby("kid", sort=False).cumcount()
    # Across a break: which (indicator, year) rows of which releases belong to the old method.
    multi["old_method"] = False
    for b in series_breaks.itertuples():
        after = (multi.indicator_id == b.indicator_id) & (multi.year >= b.first_year)
        multi.loc[after & (multi.precedence < sources[b.source_id].precedence), "old_method"] = True
    newest = multi[multi["rank"] == 0]
    older = multi[multi["rank"] > 0]
    nxt = older.drop_duplicates("kid", keep="first")[["kid", "value", "marker", "source_id", "old_method"]]
    rev = newest.merge(nxt, on="kid", suffixes=("", "_old"))
    changed = (rev.value.isna() != rev.value_old.isna()) | ((rev.value - rev.value_old).abs() > 1e-9)
    changed |= rev.marker.fillna("") != rev.marker_old.fillna("")
    rev = rev[changed]
    revisions = pd.DataFrame(
        {
            **{k: rev[k] for k in KEY},
            "old_value": rev.value_old,
            "old_marker": rev.marker_old,
            "old_source_id": rev.source_id_old,
            "new_value": rev.value,
            "new_marker": rev.marker,
            "new_source_id": rev.source_id,
            "series_break": rev.old_method_old & ~rev.old_method,
        }
    )[REVISION_COLUMNS]

    # Fill a marker of the newest release with the newest older number of the same method.
    gaps = newest[newest.value.isna() & (newest.marker != "w")]
    donors = older[older.value.notna()].drop_duplicates("kid", keep="first")
    fill = gaps[["kid", "old_method", "source_id", "marker"]].merge(donors, on="kid", suffixes=("_new", ""))
    fill = fill[fill.old_method_new == fill.old_method]
    for (iid, new_sid, marker, sid), rows in fill.groupby(["indicator_id", "source_id_new", "marker_new", "source_id"]):
        periods = ", ".join(sorted(set(rows.time_period)))
        notes.append(
            _note(
                sid,
                None,
                f"{len(rows)} figures ({periods}) are shown from {sources[sid].release} where the newer "
                f"{sources[new_sid].release} prints {marker!r} for them.",
                indicator_id=iid,
            )
        )
    keep = pd.concat([newest[~newest.kid.isin(fill.kid)], fill[newest.columns]])
    out = pd.concat([obs[~shared], keep], ignore_index=True)
    return out.drop(columns=["precedence", "rank", "old_method", "kid"], errors="ignore"), revisions


def _check_name(
    sid: str, code: str, name: str, ees_names: dict[str, str], problems: _Problems, ledger: corrections.Ledger
) -> str | None:
    """Return the old_la_code a published (code, name) pair belongs to, or None after reporting it.

    ``ees_names``: old_la_code -> the authority's name in EES.
    """
    key = _name_key(name)
    corrected = ledger.code_for(sid, code, key)
    if corrected:
        return corrected
    if code not in ees_names:
        problems.add(f"{sid}: LA code {code!r} ({name}) is not in the EES local authority list")
        return None
    if name and key != _name_key(ees_names[code]):
        problems.add(
            f"{sid}: code {code} is printed as {name!r} but EES code {code} is {ees_names[code]!r} "
            "(publisher error: add it to corrections.CORRECTIONS once checked)"
        )
        return None
    return code


def _note(sid: str, area_code: str | None, text: str, time_period=None, indicator_id=None) -> dict:
    """One row of the ``data_note`` table."""
    return {
        "source_id": sid,
        "area_code": area_code,
        "time_period": time_period,
        "indicator_id": indicator_id,
        "note": text,
    }


def _resolve_pairs(
    sids: pd.Series, codes: pd.Series, names: pd.Series, by_code, problems: _Problems, notes: list, ledger
):
    """The old_la_code each published (source, code, name) triple belongs to, aligned with ``codes`` (text; missing
    if unresolved).

    Each distinct triple is checked once (:func:`_check_name`), in the order the triples first appear; a declared
    correction adds a note.
    """
    # One integer per distinct (source, code, name), numbered in order of first appearance (a missing value is a
    # value).
    sid_ids, _ = pd.factorize(sids, use_na_sentinel=False)
    code_ids, code_values = pd.factorize(codes, use_na_sentinel=False)
    name_ids, name_values = pd.factorize(names, use_na_sentinel=False)
    triple_ids = (sid_ids * (len(code_values) + 1) + code_ids) * (len(name_values) + 1) + name_ids
    triple_of_row, _ = pd.factorize(triple_ids)
    first = np.unique(triple_of_row, return_index=True)[1]
    ees_names = dict(zip(by_code.index.tolist(), by_code.la_name.tolist(), strict=True))
    gss_of = dict(zip(by_code.index.tolist(), by_code.new_la_code.tolist(), strict=True))
    resolved = []
    for sid, code, name in zip(
        sids.iloc[first].tolist(), codes.iloc[first].tolist(), names.iloc[first].tolist(), strict=True
    ):
        text = "" if pd.isna(name) else str(name)
        to = _check_name(sid, str(code), text, ees_names, problems, ledger)
        resolved.append(to)
        if to and to != code:
            gss, proper = gss_of[to], ees_names[to]
            notes.append(
                _note(sid, gss, f"The source prints {text} with LA code {code}; loaded under {to} ({proper}).")
            )
    return pd.Series(pd.array(resolved, dtype="str").take(triple_of_row), index=codes.index)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its object columns as text (``str``; None becomes missing)."""
    objects = [c for c in frame.columns if frame[c].dtype == object]
    return frame.astype(dict.fromkeys(objects, "str")) if objects else frame


def _resolve_codes(obs: pd.DataFrame, by_code: pd.DataFrame, problems: _Problems, notes: list, ledger) -> pd.DataFrame:
    """Give every row its area_code, checking LA (code, name) pairs and applying declared corrections.

    ``obs``: rows as the sources print them, ``source_id`` naming each row's source.
    """
    is_la = obs.geographic_level == LOCAL_AUTHORITY
    codes = obs.old_la_code[is_la]
    resolved = _resolve_pairs(obs.source_id[is_la], codes, obs.la_name[is_la], by_code, problems, notes, ledger)
    if (resolved != codes).any():  # most sources print every code right
        obs.loc[is_la, "old_la_code"] = resolved
    for c, sid, _ in corrections.reattribute(obs, ledger):
        notes.append(_note(sid, by_code.at[c.to, "new_la_code"], c.description))
    regions = obs.loc[obs.geographic_level == REGIONAL, ["source_id", "region_code"]].drop_duplicates()
    for sid, code in sorted(regions[~regions.region_code.isin(list(geography.REGIONS))].itertuples(index=False)):
        problems.add(f"{sid}: region code {code!r} is not an English region")
    area = map_text(obs.old_la_code, by_code["new_la_code"])
    area = area.where(obs.geographic_level != REGIONAL, obs.region_code.astype("str"))
    obs["area_code"] = area.where(obs.geographic_level != NATIONAL, ENGLAND_CODE)
    return obs[obs.area_code.notna() | ~is_la]


def _check_markers(obs: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """Reject symbols nobody has defined; drop empty cells (nothing was published)."""
    obs["marker"] = obs.marker.where(obs.marker.isna(), obs.marker.astype("string").str.strip())
    obs = obs[~(obs.value.isna() & (obs.marker.isna() | (obs.marker == "")))].copy()
    obs.loc[obs.value.notna(), "marker"] = None
    unknown = obs[obs.marker.notna() & ~obs.marker.isin(list(MARKER_MEANINGS))]
    for (sid, marker), rows in unknown.groupby(["source_id", "marker"]):
        first = rows.iloc[0]
        problems.add(
            f"{sid}: unknown marker {marker!r} in {len(rows)} cell(s), e.g. {first.indicator_id} {first.time_period} "
            f"{first.area_code}; known markers: {', '.join(MARKER_MEANINGS)}"
        )
    return obs


def _drop_outside_lifetime(obs: pd.DataFrame, la: pd.DataFrame, notes: list) -> pd.DataFrame:
    """Drop marker-only rows for years an authority did not exist; fail on numbers there."""
    life = la.set_index("new_la_code")[["first_year", "last_year"]]
    life = life[life.first_year.notna() | life.last_year.notna()]  # the few authorities that began or ended
    outside = pd.Series(False, index=obs.index)
    limited = (obs.geographic_level == LOCAL_AUTHORITY) & obs.area_code.isin(life.index)
    rows = obs.loc[limited, ["area_code", "year"]]
    first, last = map_text(rows.area_code, life.first_year), map_text(rows.area_code, life.last_year)
    outside[limited] = (first.notna() & (rows.year < first)) | (last.notna() & (rows.year > last))
    numbers = obs[outside & obs.value.notna()]
    if len(numbers):
        sample = numbers.head(6)[["source_id", "indicator_id", "area_code", "time_period", "value"]]
        raise BuildError(
            "Build stopped: figures for a local authority in years it did not exist (never invented for a "
            f"successor):\n{sample.to_string(index=False)}"
        )
    for sid, n in obs[outside].groupby("source_id").size().items():
        notes.append(_note(sid, None, f"{n} marker-only cells for authorities outside their lifetime were not loaded."))
    return obs[~outside]


def _derive(obs: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Compute a ratio indicator from its published numerator and denominator (never averaged).

    Joined on level, area, breakdown and ``year``; a marker on either side is
    carried through, a zero denominator gives 'z' (not applicable).
    """
    num_id, den_id, scale = ind.ratio
    join = ["geographic_level", "area_code", "breakdown_topic", "breakdown", "year"]
    num = obs.loc[obs.indicator_id == num_id, [*join, "time_period", "value", "marker", "source_id"]]
    den = obs.loc[obs.indicator_id == den_id, [*join, "value", "marker"]]
    m = num.merge(den, on=join, suffixes=("", "_den"))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(m.value_den > 0, m.value / m.value_den * scale, np.nan)
    marker = m.marker.fillna(m.marker_den)
    marker = marker.where(marker.notna() | pd.notna(value), "z")
    out = m[join + ["time_period", "source_id"]].copy()
    out["indicator_id"] = ind.indicator_id
    out["value"] = np.where(marker.isna(), value, np.nan)
    out["marker"] = marker.where(out.value.isna(), None)
    return out


def _indicator_table() -> pd.DataFrame:
    return pd.DataFrame([i.to_row(position) for position, i in enumerate(INDICATORS)])


def _reference(parsed: dict[str, Parsed], name: str) -> tuple[str, pd.DataFrame] | None:
    for sid, p in parsed.items():
        if name in p.tables:
            return sid, p.tables[name]
    return None


def _neighbours(parsed, by_code, problems, notes, ledger) -> pd.DataFrame:
    ref = _reference(parsed, "statistical_neighbour")
    cols = ["new_la_code", "neighbour_code", "rank", "closeness", "version"]
    if ref is None:
        return pd.DataFrame(columns=cols)
    sid, sn = ref
    out = sn.copy()
    out["new_la_code"] = _resolve_pairs(
        pd.Series(sid, index=sn.index), sn.old_la_code, sn.la_name, by_code, problems, notes, ledger
    ).map(by_code["new_la_code"])
    out["neighbour_code"] = sn.neighbour_old_la_code.map(by_code["new_la_code"])
    for code in sorted(set(sn.neighbour_old_la_code[out.neighbour_code.isna()])):
        problems.add(f"{sid}: neighbour code {code!r} is not in the EES local authority list")
    return out[cols]


def _constituencies(parsed, by_code, problems, notes, ledger) -> pd.DataFrame:
    ref = _reference(parsed, "constituency")
    cols = ["pcon_code", "pcon_name", "mp_name", "party", "new_la_code"]
    if ref is None:
        return pd.DataFrame(columns=cols)
    sid, mp = ref
    out = mp.copy()
    out["new_la_code"] = _resolve_pairs(
        pd.Series(sid, index=mp.index), mp.old_la_code, mp.la_name, by_code, problems, notes, ledger
    ).map(by_code["new_la_code"])
    differ = out[out.new_la_code.notna() & (out.new_la_code != out.new_la_code_2024)]
    for code, gss in differ[["old_la_code", "new_la_code_2024"]].drop_duplicates().itertuples(index=False):
        problems.add(f"{sid}: LA {code} has GSS code {gss} in the MP lookup but {by_code.at[code, 'new_la_code']} here")
    return out[cols]


def _boundaries(parsed, la: pd.DataFrame, problems) -> pd.DataFrame:
    ref = _reference(parsed, "boundary")
    cols = ["new_la_code", "name", "geometry"]
    if ref is None:
        return pd.DataFrame(columns=cols)
    sid, shapes = ref
    current = set(la.new_la_code[la.last_year.isna()])
    for code in sorted(current - set(shapes.new_la_code)):
        problems.add(f"{sid}: no boundary for current local authority {code}")
    for code in sorted(set(shapes.new_la_code) - set(la.new_la_code)):
        problems.add(f"{sid}: boundary {code} matches no local authority")
    return shapes[cols]


def previous_copies(db_path: Path, source_ids: list[str]) -> dict[str, tuple[Parsed, dict]]:
    """The last good copy of each source that has one: its rows in the database a previous build wrote.

    Returns source_id -> (Parsed, source row). ``Parsed.observations`` carries the published (not derived)
    figures with their ``area_code`` already resolved; ``tables['ees_la']`` the authorities they were printed
    for (so the local authority list stays whole); ``notes`` the source's data notes. A source is left out
    when there is no database, it cannot be read, or it holds no figures from that source.
    """
    if not source_ids or not db_path.exists():
        return {}
    try:
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            held = [sid for (sid,) in con.execute("SELECT DISTINCT source_id FROM observation").fetchall()]
            return {sid: _previous_copy(con, sid) for sid in source_ids if sid in held}
        finally:
            con.close()
    except duckdb.Error:
        return {}


def _previous_copy(con, source_id: str) -> tuple[Parsed, dict]:
    """One source's rows from an open previous database (see :func:`previous_copies`)."""
    source = con.execute("SELECT * FROM source WHERE source_id = ?", [source_id]).df()
    obs = con.execute(
        """
        SELECT o.*, l.old_la_code, l.la_name,
               CASE WHEN o.geographic_level = 'Regional' THEN o.area_code END AS region_code
        FROM observation o JOIN indicator i USING (indicator_id)
        LEFT JOIN local_authority l ON l.new_la_code = o.area_code AND o.geographic_level = 'Local authority'
        WHERE o.source_id = ? AND NOT i.derived
        """,
        [source_id],
    ).df()
    ees_la = con.execute(
        """
        SELECT DISTINCT l.old_la_code, l.new_la_code, l.la_name, l.region_code, l.region_name, o.year
        FROM observation o JOIN local_authority l ON l.new_la_code = o.area_code
        WHERE o.source_id = ?
        """,
        [source_id],
    ).df()
    notes = con.execute(
        "SELECT area_code, time_period, indicator_id, note FROM data_note WHERE source_id = ?", [source_id]
    ).df()
    row = {k: (None if pd.isna(v) else v) for k, v in source.iloc[0].to_dict().items()}
    tables = {"ees_la": ees_la} if len(ees_la) else {}
    cells = breakdowns.previous_cells(con, source_id)
    if cells is not None:
        tables[breakdowns.TABLE] = cells
    parsed = Parsed(
        observations=obs[[*OBS_COLUMNS, "area_code"]],
        tables=tables,
        notes=[{k: (None if pd.isna(v) else v) for k, v in n.items()} for n in notes.to_dict("records")],
    )
    return parsed, row


class NewDatabase:
    """The database a build writes: a new DuckDB file beside ``db_path``, swapped in by :meth:`commit`.

    Entering creates the file (``<db>.tmp-<pid>``) and, in a worker thread, its schema. The tables are written
    by two worker threads, each on a connection of its own (DuckDB appends to different tables in parallel and
    releases the GIL), while the build goes on: :meth:`write_cells` (the every-cell tables, as soon as they are
    gathered; then :meth:`withhold_cells`) and :meth:`write_tables` (the others, each as soon as it is complete).
    :meth:`finish` checkpoints once both are done; :meth:`commit` waits for that and replaces ``db_path``. The
    previous database stays in place (and readable) until the new file is complete; leaving the ``with`` block
    without a commit (any error) waits for the workers, removes the new file and keeps the old one.
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._tmp = db_path.with_name(f"{db_path.name}.tmp-{os.getpid()}")
        self._con: duckdb.DuckDBPyConnection | None = None
        self._cells = ThreadPoolExecutor(max_workers=1)
        self._tables = ThreadPoolExecutor(max_workers=1)
        self._schema: Future | None = None
        self._pending: list[Future] = []  # the schema, then every write asked for

    def __enter__(self) -> NewDatabase:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp.unlink(missing_ok=True)
        try:
            self._con = duckdb.connect(str(self._tmp))
        except BaseException:
            self.__exit__()
            raise
        self._schema = self._cells.submit(_on_cursor, self._con, lambda cursor: cursor.execute(SCHEMA.read_text()))
        self._pending.append(self._schema)
        return self

    def __exit__(self, *exc) -> None:
        for worker in (self._cells, self._tables):
            worker.shutdown(wait=True)  # an unfinished write ends before its file is removed
        if self._con is not None:
            # A statement cut short by Ctrl-C can leave the connection busy: closing then fails, and that error
            # would hide the interrupt and keep the new file. The file is removed all the same.
            with contextlib.suppress(duckdb.Error):
                self._con.close()
            self._con = None
        self._tmp.unlink(missing_ok=True)
        # A commit or checkpoint that failed (a full disk) leaves the write-ahead log beside it.
        self._tmp.with_name(self._tmp.name + ".wal").unlink(missing_ok=True)

    def write_cells(self, tables: breakdowns.Breakdowns) -> None:
        """Start writing the every-cell tables (returns at once; written after the schema)."""
        self._pending.append(self._cells.submit(_on_cursor, self._con, lambda c: breakdowns.write(c, tables)))

    def withhold_cells(self, held: pa.Table) -> None:
        """Start marking the cells ``held`` withheld (:func:`etl.breakdowns.write_held`; returns at once, runs
        after :meth:`write_cells`)."""
        self._pending.append(self._cells.submit(_on_cursor, self._con, lambda c: breakdowns.write_held(c, held)))

    def write_tables(self, frames: dict[str, pd.DataFrame]) -> None:
        """Start writing tables other than the every-cell ones (table name -> rows), in order, after those asked for
        before (returns at once; :meth:`commit` raises what :func:`_write_tables` raises)."""

        def write(cursor: duckdb.DuckDBPyConnection) -> None:
            self._schema.result()
            _write_tables(cursor, frames)

        self._pending.append(self._tables.submit(_on_cursor, self._con, write))

    def finish(self, observations: int, fingerprint: str) -> None:
        """Start completing the file (returns at once): once every write asked for is done, its ``build_info`` row
        (``observations``: rows of the ``observation`` table) and the checkpoint that puts everything in the file
        itself. The build validates meanwhile; a failed validation discards the file all the same."""

        def finish(cursor: duckdb.DuckDBPyConnection) -> None:
            for written in pending:
                written.result()
            built_at = datetime.now(UTC).replace(tzinfo=None)
            cursor.execute("INSERT INTO build_info VALUES (?, ?, ?)", [fingerprint, built_at, observations])
            cursor.execute("CHECKPOINT")

        pending = list(self._pending)
        self._pending.append(self._tables.submit(_on_cursor, self._con, finish))

    def commit(self) -> None:
        """Wait for :meth:`finish` (and every write) and swap the file in."""
        try:
            for written in self._pending:
                written.result()
        except (duckdb.InterruptException, RuntimeError) as exc:
            # DuckDB turns a Ctrl-C during its own statement into this error (RuntimeError 'Query interrupted' at
            # the checkpoint): the reader's interrupt, not a bug in the build.
            if "interrupt" not in str(exc).lower():
                raise
            raise KeyboardInterrupt from exc
        self._con.close()
        self._con = None
        os.replace(self._tmp, self.db_path)


def _on_cursor(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], object]) -> None:
    """Run ``work`` on a connection of its own to ``con``'s database (closed when done)."""
    with con.cursor() as cursor:
        work(cursor)


def _write_tables(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    """Insert tables other than the every-cell ones (name -> rows, in order: a table before those referring to
    it); a duplicated key raises BuildError naming the table."""
    for name, frame in frames.items():
        con.register("frame", frame)
        cols = ", ".join(frame.columns)
        try:
            con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM frame")
        except ConstraintException as exc:  # e.g. a source that lists the same row twice
            raise BuildError(f"Table {name}: a source gives the same row twice or leaves a key empty ({exc})") from exc
        con.unregister("frame")
