"""Series breaks: a publisher changed how a figure is counted from some period on.

A break is declared once, keyed by the table it occurs in (publication + parser, as in
``etl/corrections.py``) and the first release that uses the new method. It is recorded in the
``series_break`` table only when such a release was loaded with figures for the break's first period,
so a build that only has older releases records nothing. Figures of older releases for periods on or
after the break are never mixed into the new series (``etl/load.py``); trend charts draw the break and
the briefing names it, so no one reads a method change as a trend.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from etl.corrections import TRIBUNAL, table_of
from etl.model import Source, release_rank


@dataclass(frozen=True)
class SeriesBreak:
    """``indicator_ids`` change method from ``first_period`` on, in releases of ``table`` from ``first_release``."""

    table: tuple[str, str]
    first_release: str
    indicator_ids: tuple[str, ...]
    first_period: str
    description: str


SERIES_BREAKS: list[SeriesBreak] = [
    SeriesBreak(
        TRIBUNAL,
        "2026",
        ("appealable_decisions", "tribunal_appeal_rate"),
        "2024",
        "New method from 2024: appealable decisions count the annual reviews completed in the calendar year "
        "instead of assuming every January EHC plan was a decision (the 2026 release revised 2024 to this "
        "method; its footnote 5). At the break decisions fall and appeal rates rise because of the method, not "
        "a change on the ground: do not compare across it.",
    ),
]

BREAK_COLUMNS = ["indicator_id", "first_period", "first_year", "description", "source_id"]


def found(obs: pd.DataFrame, sources: dict[str, Source]) -> pd.DataFrame:
    """The declared breaks present in this build: one row per indicator (:data:`BREAK_COLUMNS`).

    ``obs`` needs ``indicator_id``, ``time_period``, ``year`` and ``source_id``; ``source_id`` of a
    break is the oldest loaded release of its table that uses the new method.
    """
    rows = []
    for b in SERIES_BREAKS:
        new = sorted(
            (s for s in sources.values() if table_of(s) == b.table and s.precedence >= release_rank(b.first_release)),
            key=lambda s: s.precedence,
        )
        for iid in b.indicator_ids:
            for s in new:
                hit = obs[
                    (obs.source_id == s.source_id) & (obs.indicator_id == iid) & (obs.time_period == b.first_period)
                ]
                if len(hit):
                    rows.append([iid, b.first_period, int(hit.year.iloc[0]), b.description, s.source_id])
                    break
    return pd.DataFrame(rows, columns=BREAK_COLUMNS)
