"""Publisher errors found by the build's checks, and what the build does about each.

Every entry was found by validation (name/code check, region = sum of LAs) and checked by hand against the
source file. An entry is keyed by the *table* it occurs in (publication + parser, so it follows the table from
release to release) and by the error's own evidence (the printed code and name, the period, the published
value). It applies to a file only when that evidence is there, and the build records, per entry, the sources it
applied to and whether the newest release still has the error: when a newer file no longer prints it, the
entry reports itself *retired* (``correction`` table) and changes nothing. Each application adds a
``data_note`` row, so the dashboard shows the caveat beside the figure. No value is ever changed: rows go to the
authority they belong to, or keep their row with our own marker ``w`` (withheld) and a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from etl.model import LOCAL_AUTHORITY, REGIONAL, Source, map_text

EHCP = "education-health-and-care-plans"
#: The SEND Tribunal table of the EHC plans publication (a supporting file in every release).
TRIBUNAL = (EHCP, "tribunal_appeal_rate")
#: The person-level data files of the EHC plans publication.
EHCP_DATA = (EHCP, "ehcp_release")


@dataclass(frozen=True)
class Correction:
    """One publisher error: where it occurs, its evidence and what the build does.

    ``kind``: ``code`` (a (code, name) pair printed with another authority's number; the rows go to ``to``),
    ``reattribute`` (rows printed under ``code`` up to year ``last_year`` belong to the predecessor ``to``),
    ``caveat`` (the figure ``value`` of ``indicator_id`` for ``code`` in ``period`` is doubtful; loaded with a
    note) or ``withhold`` (every LA of region ``region`` printed with the region's own ``indicator_id`` total
    for ``period``; those LA figures keep their row with marker ``w``).
    """

    correction_id: str
    table: tuple[str, str]
    kind: str
    description: str
    code: str | None = None
    name: str | None = None
    to: str | None = None
    last_year: int | None = None
    indicator_id: str | None = None
    period: str | None = None
    value: float | None = None
    region: str | None = None


def _swap(correction_id: str, code: str, name: str, to: str, why: str) -> Correction:
    return Correction(
        correction_id,
        TRIBUNAL,
        "code",
        f"The SEND Tribunal table prints {name.title()} with LA code {code} ({why}); its figures are loaded "
        f"under {to}, the code its name has in EES.",
        code=code,
        name=name,
        to=to,
    )


CORRECTIONS: list[Correction] = [
    # Five authorities printed with another's number in the 2014-2024 table; the figures belong to the name
    # (their size matches the name's EHC plan caseload). The 2026 table prints Nottingham and Nottinghamshire
    # right and no longer has Northamptonshire; the Central Bedfordshire / Cambridgeshire swap is still there.
    _swap("tribunal-northamptonshire-892", "892", "northamptonshire", "928", "892 is Nottingham"),
    _swap("tribunal-nottingham-891", "891", "nottingham", "892", "891 is Nottinghamshire"),
    _swap("tribunal-nottinghamshire-928", "928", "nottinghamshire", "891", "928 is Northamptonshire"),
    _swap("tribunal-central-bedfordshire-873", "873", "central bedfordshire", "823", "873 is Cambridgeshire"),
    _swap("tribunal-cambridgeshire-823", "823", "cambridgeshire", "873", "823 is Central Bedfordshire"),
    # The table's footnote 6: Dorset figures before 2019 are the old Dorset County Council.
    Correction(
        "tribunal-dorset-before-2019",
        TRIBUNAL,
        "reattribute",
        "Figures printed under 838 (Dorset) up to 2018 belong to the predecessor Dorset County Council (835) "
        "and are loaded under it.",
        code="838",
        last_year=2018,
        to="835",
    ),
    *[
        Correction(
            f"tribunal-2024-decisions-{code}",
            TRIBUNAL,
            "caveat",
            "The 2024 appealable decisions of Cambridgeshire (4,410) and Central Bedfordshire (8,246) look "
            "swapped: against the January 2025 EHC plans (8,007 and 4,035) each fits the other authority, so the "
            "2024 appeal rates of both are doubtful. Loaded as published.",
            code=code,
            indicator_id="appealable_decisions",
            period="2024",
            value=value,
        )
        for code, value in (("873", 4410.0), ("823", 8246.0))
    ],
    # Errors the 2022 release's footnotes name, still printed in the person-level releases' 2021 figures.
    Correction(
        "ehcp-st-helens-2021-refusals",
        EHCP_DATA,
        "caveat",
        "St. Helens 2021: refusals to assess published as 0; the publisher's footnote says the correct figure is "
        "107. Shown as published.",
        code="342",
        indicator_id="requests_refused",
        period="2021",
        value=0.0,
    ),
    Correction(
        "ehcp-medway-2021-not-issued",
        EHCP_DATA,
        "caveat",
        "Medway 2021: assessments ending in a decision not to issue a plan published as 223; the publisher's "
        "footnote says the correct figure is 16 (so assessments with a decision = 319, 95.0% with a plan issued). "
        "Shown as published.",
        code="887",
        indicator_id="assessments_plan_not_issued",
        period="2021",
        value=223.0,
    ),
    Correction(
        "ehcp-yorkshire-new-plans-2022",
        EHCP_DATA,
        "withhold",
        "The release prints the Yorkshire and The Humber total as the 2022 new EHC plans of every authority in "
        "the region, so these authority figures are withheld (marker w).",
        indicator_id="new_ehc_plans",
        period="2022",
        region="E12000003",
    ),
]


def table_of(source: Source) -> tuple[str, str]:
    """The (publication, parser) a source's file belongs to: what corrections are keyed on."""
    return source.publication, source.parser


class Ledger:
    """Which correction applied to which source during a build (the ``correction`` table)."""

    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources
        self.hits: dict[str, set[str]] = {c.correction_id: set() for c in CORRECTIONS}
        self._declared: dict[tuple[str, str], list[Correction]] = {}

    def for_source(self, source_id: str, kind: str) -> list[Correction]:
        """The corrections of one kind declared for the table this source belongs to."""
        key = (source_id, kind)
        if key not in self._declared:  # asked once per (code, name) pair: worth remembering
            table = table_of(self.sources[source_id])
            self._declared[key] = [c for c in CORRECTIONS if c.kind == kind and c.table == table]
        return self._declared[key]

    def code_for(self, source_id: str, code: str, name_key: str) -> str | None:
        """The code a printed (code, name) pair belongs to when it is a declared error (recorded), else None."""
        for c in self.for_source(source_id, "code"):
            if c.code == code and c.name == name_key:
                self.hits[c.correction_id].add(source_id)
                return c.to
        return None

    def hit(self, correction: Correction, source_id: str) -> None:
        """Record that ``correction``'s evidence was found in ``source_id``."""
        self.hits[correction.correction_id].add(source_id)

    def table(self) -> pd.DataFrame:
        """One row per correction: where it applied and whether the newest release of its table still has it.

        ``status``: ``active`` (the newest loaded source of the table shows the error), ``retired`` (it does not:
        the publisher fixed it, or the figure is no longer shown) or ``not loaded`` (no source of the table).
        """
        rows = []
        for c in CORRECTIONS:
            family = [s for s in self.sources.values() if table_of(s) == c.table]
            newest = max(family, key=lambda s: s.precedence, default=None)
            applied = sorted(self.hits[c.correction_id], key=lambda sid: -self.sources[sid].precedence)
            status = "not loaded" if newest is None else "active" if newest.source_id in applied else "retired"
            rows.append(
                {
                    "correction_id": c.correction_id,
                    "publication": c.table[0],
                    "source_table": c.table[1],
                    "kind": c.kind,
                    "description": c.description,
                    "status": status,
                    "applied_to": ", ".join(applied) or None,
                    "newest_source_id": newest.source_id if newest else None,
                }
            )
        return pd.DataFrame(rows)


def reattribute(obs: pd.DataFrame, ledger: Ledger) -> list[tuple[Correction, str, int]]:
    """Move rows printed under a successor's code for years before it existed (in place).

    ``obs``: printed rows (``source_id``, ``geographic_level``, ``old_la_code``, ``year``) of one or more sources.
    Returns (correction, source_id, rows moved) for each correction that moved rows.
    """
    moved = []
    is_la = obs.geographic_level == LOCAL_AUTHORITY
    for sid in obs.source_id.unique():
        for c in ledger.for_source(sid, "reattribute"):
            move = is_la & (obs.source_id == sid) & (obs.old_la_code == c.code) & (obs.year <= c.last_year)
            if move.any():
                obs.loc[move, "old_la_code"] = c.to
                ledger.hit(c, sid)
                moved.append((c, sid, int(move.sum())))
    return moved


def withhold(obs: pd.DataFrame, region_of: pd.Series, ledger: Ledger) -> list[tuple[Correction, str, str, float]]:
    """Mark LA figures equal to their region's own total (declared ``withhold`` entries) with ``w``, in place.

    Applies only where the evidence is in the rows: an LA row of the region whose value equals the region's
    published figure for the same indicator and period in the same source. Returns (correction, source_id,
    area_code, the published figure) for each figure withheld.
    """
    out = []
    for sid in obs.source_id.unique():
        for c in ledger.for_source(sid, "withhold"):
            rows = (obs.source_id == sid) & (obs.indicator_id == c.indicator_id) & (obs.time_period == c.period)
            region_total = obs.value[rows & (obs.geographic_level == REGIONAL) & (obs.area_code == c.region)]
            if region_total.empty or pd.isna(region_total.iloc[0]):
                continue
            hit = (
                rows
                & (obs.geographic_level == LOCAL_AUTHORITY)
                & (map_text(obs.area_code, region_of) == c.region)
                & (obs.value == region_total.iloc[0])
            )
            if hit.sum() < 2:  # one LA may equal its region by chance; the error is the whole region's
                continue
            obs.loc[hit, "value"] = float("nan")
            obs.loc[hit, "marker"] = "w"
            ledger.hit(c, sid)
            out += [(c, sid, area, float(region_total.iloc[0])) for area in sorted(set(obs.area_code[hit]))]
    return out


def caveats(obs: pd.DataFrame, by_code: pd.DataFrame, ledger: Ledger) -> list[tuple[Correction, str, str]]:
    """Declared doubtful figures present among the figures shown: (correction, source_id, area_code) each."""
    out = []
    for sid in obs.source_id.unique():
        for c in ledger.for_source(sid, "caveat"):
            if c.code not in by_code.index:
                continue
            area = by_code.at[c.code, "new_la_code"]
            hit = (
                (obs.source_id == sid)
                & (obs.area_code == area)
                & (obs.indicator_id == c.indicator_id)
                & (obs.time_period == c.period)
                & (obs.value == c.value)
            )
            if hit.any():
                ledger.hit(c, sid)
                out.append((c, sid, area))
    return out
