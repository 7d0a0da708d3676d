"""Assemble parsed sources into the database tables (``etl/schema.sql``) and write them atomically.

Steps: resolve every LA code to ``local_authority`` (joining on the DfE number,
checking each source's names against the EES spelling), re-attribute rows the
publisher printed under the wrong authority (declared in ``etl/geography.py``),
drop marker-only rows for authorities that did not exist, keep the newest
release for each figure, compute derived ratios, then hand over to validation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl import aggregates, corrections, flags, geography
from etl.catalogue import INDICATORS, Indicator
from etl.model import ENGLAND_CODE, LOCAL_AUTHORITY, MARKER_MEANINGS, NATIONAL, OBS_COLUMNS, REGIONAL, Parsed, Source

SCHEMA = Path(__file__).with_name("schema.sql")
KEY = ["indicator_id", "geographic_level", "area_code", "breakdown_topic", "breakdown", "time_period"]


class BuildError(RuntimeError):
    """The sources could not be turned into a valid database; the message is a readable report."""


@dataclass
class Tables:
    """Every table of the database as pandas frames, ready to validate and write."""

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


def assemble(parsed: dict[str, Parsed], sources: dict[str, Source], source_rows: pd.DataFrame) -> Tables:
    """Turn parser output into the database tables.

    ``parsed``: Parsed bundle per source id; ``sources``: the Source entries;
    ``source_rows``: the ``source`` table (one row per source, checksums included).
    Raises BuildError listing every unresolved code, name disagreement, unknown
    marker or duplicate key.
    """
    problems = _Problems()
    ees_la = pd.concat([p.tables["ees_la"] for p in parsed.values() if "ees_la" in p.tables], ignore_index=True)
    la = geography.build_local_authorities(ees_la)
    by_code = la.set_index("old_la_code")
    notes: list[dict] = []
    for sid, p in parsed.items():
        for n in p.notes:
            code = n.get("old_la_code")
            area = by_code.at[code, "new_la_code"] if code in by_code.index else None
            notes.append(
                _note(sid, area, n["note"], time_period=n.get("time_period"), indicator_id=n.get("indicator_id"))
            )
    for sid, code, period, text in corrections.CAVEATS:
        notes.append(_note(sid, by_code.at[code, "new_la_code"], text, time_period=period))

    frames = []
    for sid, p in parsed.items():
        obs = p.observations
        if obs is None or obs.empty:
            continue
        missing = set(OBS_COLUMNS) - set(obs.columns)
        if missing:
            raise BuildError(f"parser for {sid} returned no {sorted(missing)} column(s)")
        obs = obs[OBS_COLUMNS].copy()
        obs["source_id"] = sid
        obs["precedence"] = sources[sid].precedence
        frames.append(_resolve_codes(obs, sid, by_code, problems, notes))
    obs = pd.concat(frames, ignore_index=True)
    obs = _withdraw(obs, la, notes)
    obs = _check_markers(obs, problems)
    obs = _drop_outside_lifetime(obs, la, notes)
    problems.raise_if_any("Build stopped: source rows do not resolve to known local authorities")

    dupes = obs[obs.duplicated(KEY + ["source_id"], keep=False)]
    if len(dupes):
        sample = dupes.sort_values(KEY).head(6)[KEY + ["source_id"]].to_string(index=False)
        raise BuildError(f"Build stopped: {len(dupes)} rows share a key within one source:\n{sample}")
    # Newest release wins where releases overlap (it carries revisions).
    obs = obs.sort_values("precedence", ascending=False).drop_duplicates(KEY, keep="first")
    obs = obs.drop(columns=["precedence"])
    obs, caseload_notes = aggregates.long_caseload(obs)
    notes += caseload_notes
    # Regional and England rates a source omits (tribunal regions), computed once here for every reader.
    group_rows, group_notes = aggregates.missing_group_rates(obs, la)
    obs = pd.concat([obs, group_rows], ignore_index=True)
    notes += group_notes
    obs = pd.concat([obs, *[_derive(obs, ind) for ind in INDICATORS if ind.derived]], ignore_index=True)
    obs = obs.sort_values(KEY).reset_index(drop=True)
    notes += flags.footnote_notes(la)

    tables = Tables(
        local_authority=la,
        la_succession=geography.build_successions(la),
        region=pd.DataFrame(sorted(geography.REGIONS.items()), columns=["region_code", "region_name"]),
        indicator=_indicator_table(),
        observation=obs[KEY[:5] + ["time_period", "year", "value", "marker", "source_id"]].reset_index(drop=True),
        source=source_rows,
        statistical_neighbour=_neighbours(parsed, by_code, problems, notes),
        constituency=_constituencies(parsed, by_code, problems, notes),
        boundary=_boundaries(parsed, la, problems),
        data_note=pd.DataFrame(notes, columns=["source_id", "area_code", "time_period", "indicator_id", "note"]),
        data_flag=flags.compute_flags(obs),
    )
    problems.raise_if_any("Build stopped: reference tables do not match the local authority list")
    return tables


def _check_name(sid: str, code: str, name: str, by_code: pd.DataFrame, problems: _Problems) -> str | None:
    """Return the old_la_code a published (code, name) pair belongs to, or None after reporting it."""
    key = geography.name_key(name)
    corrected = corrections.KNOWN_CODE_ERRORS.get((sid, code, key))
    if corrected:
        return corrected
    if code not in by_code.index:
        problems.add(f"{sid}: LA code {code!r} ({name}) is not in the EES local authority list")
        return None
    if name and key != geography.name_key(by_code.at[code, "la_name"]):
        problems.add(
            f"{sid}: code {code} is printed as {name!r} but EES code {code} is {by_code.at[code, 'la_name']!r} "
            "(publisher error: add it to corrections.KNOWN_CODE_ERRORS once checked)"
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


def _resolve_pairs(sid: str, codes: pd.Series, names: pd.Series, by_code, problems: _Problems, notes: list):
    """The old_la_code each published (code, name) pair belongs to, aligned with ``codes`` (None if unresolved).

    Each distinct pair is checked once (:func:`_check_name`); a declared correction adds a note.
    """
    rows = pd.DataFrame({"code": codes.to_numpy(), "name": names.to_numpy()})
    pairs = rows.drop_duplicates().reset_index(drop=True)
    resolved = []
    for code, name in pairs.itertuples(index=False):
        text = "" if pd.isna(name) else str(name)
        to = _check_name(sid, str(code), text, by_code, problems)
        resolved.append(to)
        if to and to != code:
            gss, proper = by_code.at[to, "new_la_code"], by_code.at[to, "la_name"]
            notes.append(
                _note(sid, gss, f"The source prints {text} with LA code {code}; loaded under {to} ({proper}).")
            )
    pairs["resolved"] = pd.Series(resolved, dtype=object)
    merged = rows.merge(pairs, on=["code", "name"], how="left")  # keeps row order
    return pd.Series(merged.resolved.to_numpy(), index=codes.index, dtype=object)


def _resolve_codes(
    obs: pd.DataFrame, sid: str, by_code: pd.DataFrame, problems: _Problems, notes: list
) -> pd.DataFrame:
    """Give every row its area_code, checking LA (code, name) pairs and applying declared corrections."""
    is_la = obs.geographic_level == LOCAL_AUTHORITY
    obs.loc[is_la, "old_la_code"] = _resolve_pairs(
        sid, obs.old_la_code[is_la], obs.la_name[is_la], by_code, problems, notes
    )
    for src, code, last_year, to in corrections.REATTRIBUTIONS:
        move = (obs.old_la_code == code) & (obs.year <= last_year) & is_la
        if src == sid and move.any():
            obs.loc[move, "old_la_code"] = to
            text = (
                f"Figures printed under {code} ({by_code.at[code, 'la_name']}) up to {last_year} belong to the "
                f"predecessor {by_code.at[to, 'la_name']} ({to}) and are loaded under it."
            )
            notes.append(_note(sid, by_code.at[to, "new_la_code"], text))
    bad_regions = obs.loc[obs.geographic_level == REGIONAL, "region_code"]
    for code in sorted(set(bad_regions) - set(geography.REGIONS)):
        problems.add(f"{sid}: region code {code!r} is not an English region")
    gss = by_code["new_la_code"]
    area = np.where(
        obs.geographic_level == NATIONAL,
        ENGLAND_CODE,
        np.where(obs.geographic_level == REGIONAL, obs.region_code, obs.old_la_code.map(gss)),
    )
    obs["area_code"] = area
    return obs[obs.area_code.notna() | ~is_la]


def _withdraw(obs: pd.DataFrame, la: pd.DataFrame, notes: list) -> pd.DataFrame:
    """Drop LA rows a publisher filled with another area's figure (declared in corrections.WITHDRAWN)."""
    region_of = la.set_index("new_la_code").region_code
    for sid, iid, period, region, text in corrections.WITHDRAWN:
        hit = (
            (obs.source_id == sid)
            & (obs.indicator_id == iid)
            & (obs.time_period == period)
            & (obs.geographic_level == LOCAL_AUTHORITY)
            & (obs.area_code.map(region_of) == region)
        )
        for area in sorted(set(obs.area_code[hit])):
            notes.append(_note(sid, area, text, time_period=period, indicator_id=iid))
        obs = obs[~hit]
    return obs


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
    first = obs.area_code.map(life.first_year)
    last = obs.area_code.map(life.last_year)
    outside = (obs.geographic_level == LOCAL_AUTHORITY) & (
        (first.notna() & (obs.year < first)) | (last.notna() & (obs.year > last))
    )
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
    num = obs[obs.indicator_id == num_id]
    den = obs[obs.indicator_id == den_id][join + ["value", "marker"]]
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
    rows = [
        {
            "indicator_id": i.indicator_id,
            "label": i.label,
            "unit": i.unit,
            "polarity": i.polarity,
            "definition": i.definition,
            "source_id": i.source_id,
            "time_identifier": i.time_identifier,
            "numerator_id": i.ratio[0] if i.ratio else None,
            "denominator_id": i.ratio[1] if i.ratio else None,
            "scale": i.ratio[2] if i.ratio else None,
            "derived": i.derived,
            "headline": i.headline,
            "comparable": i.comparable,
            "not_comparable_because": i.not_comparable_because or None,
            "position": position,
        }
        for position, i in enumerate(INDICATORS)
    ]
    return pd.DataFrame(rows)


def _reference(parsed: dict[str, Parsed], name: str) -> tuple[str, pd.DataFrame] | None:
    for sid, p in parsed.items():
        if name in p.tables:
            return sid, p.tables[name]
    return None


def _neighbours(parsed, by_code, problems, notes) -> pd.DataFrame:
    ref = _reference(parsed, "statistical_neighbour")
    cols = ["new_la_code", "neighbour_code", "rank", "closeness", "version"]
    if ref is None:
        return pd.DataFrame(columns=cols)
    sid, sn = ref
    out = sn.copy()
    out["new_la_code"] = _resolve_pairs(sid, sn.old_la_code, sn.la_name, by_code, problems, notes).map(
        by_code["new_la_code"]
    )
    out["neighbour_code"] = sn.neighbour_old_la_code.map(by_code["new_la_code"])
    for code in sorted(set(sn.neighbour_old_la_code[out.neighbour_code.isna()])):
        problems.add(f"{sid}: neighbour code {code!r} is not in the EES local authority list")
    return out[cols]


def _constituencies(parsed, by_code, problems, notes) -> pd.DataFrame:
    ref = _reference(parsed, "constituency")
    cols = ["pcon_code", "pcon_name", "mp_name", "party", "new_la_code"]
    if ref is None:
        return pd.DataFrame(columns=cols)
    sid, mp = ref
    out = mp.copy()
    out["new_la_code"] = _resolve_pairs(sid, mp.old_la_code, mp.la_name, by_code, problems, notes).map(
        by_code["new_la_code"]
    )
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


def write_database(tables: Tables, db_path: Path, fingerprint: str) -> None:
    """Write all tables to a new DuckDB file beside ``db_path`` and swap it in.

    The previous database stays in place (and readable) until the new file is
    complete; on any error the temporary file is removed and the old one kept.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f"{db_path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(SCHEMA.read_text())
            order = [
                "source",
                "region",
                "local_authority",
                "la_succession",
                "indicator",
                "observation",
                "statistical_neighbour",
                "constituency",
                "boundary",
                "data_note",
                "data_flag",
            ]
            for name in order:
                frame = getattr(tables, name)
                con.register("frame", frame)
                cols = ", ".join(frame.columns)
                con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM frame")
                con.unregister("frame")
            built_at = datetime.now(UTC).replace(tzinfo=None)
            con.execute("INSERT INTO build_info VALUES (?, ?, ?)", [fingerprint, built_at, len(tables.observation)])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
