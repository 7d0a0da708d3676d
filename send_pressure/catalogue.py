"""The indicator catalogue as the app sees it, read from the database's ``indicator`` table.

Definitions are written once (``etl/catalogue.py``) and loaded into the database by
the build; charts, maps, rankings and briefings read them from here. This module also
formats values and periods the way the publications print them.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from etl.catalogue import JANUARY, Indicator, lower_first  # noqa: F401  (lower_first: part of this module's API)
from etl.model import MARKER_MEANINGS, period_label  # noqa: F401  (period_label is part of this module's API)

#: Authorities shown but left out of rankings and quartiles: too small to compare fairly.
UNRANKED = {"E09000001": "City of London", "E06000053": "Isles of Scilly"}
UNRANKED_NOTE = (
    "City of London and Isles of Scilly are shown but left out of rankings and quartiles: their numbers are too "
    "small to compare fairly."
)

#: Said under a trend drawn from an indicator's ``long_series_id`` (EHC plans before 2019 leave out the
#: statements of SEN still being converted, so growth is read from both together).
LONG_SERIES_NOTE = (
    "Up to January 2018 this counts statements of SEN and EHC plans together (statements were converted to EHC "
    "plans between 2014 and 2018); from January 2019 it is EHC plans alone. EHC plans alone before 2019 count "
    "only the plans issued so far, so they overstate growth; they are on the Compare page and in the data."
)


def percent_indicator(ind: Indicator, indicator_id: str, label: str, kind: str) -> Indicator:
    """An indicator in percent made from ``ind`` (a category's share of its total, a count's change on the
    period before): comparable between authorities, neutral, with the labels, sentence and decimals made again
    from ``label`` and ``unit`` ('percent'). ``kind``: 'share' or 'rate'."""
    return replace(
        ind,
        indicator_id=indicator_id,
        label=label,
        unit="percent",
        kind=kind,
        decimals=None,  # '' and None are made again from the new label and unit
        short_label="",
        chart_title="",
        sentence="",
        polarity="neutral",
        additive=False,
        comparable=True,
        not_comparable_because="",
        numerator_id=None,
        denominator_id=None,
    )


def load_catalogue(frame: pd.DataFrame) -> dict[str, Indicator]:
    """Indicators keyed by id, in catalogue order, from the ``indicator`` table (columns as in etl/schema.sql):
    the ETL's own :class:`etl.catalogue.Indicator`, read back with :meth:`~etl.catalogue.Indicator.from_row`."""
    return {row["indicator_id"]: Indicator.from_row(row) for row in frame.to_dict("records")}


def in_topic(indicators: dict[str, Indicator], topic: str, *kinds: str) -> list[Indicator]:
    """The indicators of one topic (``etl.catalogue.TOPICS``), in catalogue order; only ``kinds`` when given."""
    return [i for i in indicators.values() if i.topic == topic and (not kinds or i.kind in kinds)]


def lead(indicators: dict[str, Indicator], topic: str) -> Indicator:
    """The indicator a page about ``topic`` opens on: its first headline indicator that authorities are compared
    on, else its first headline, else its first indicator. Raises KeyError for a topic with no indicators."""
    members = in_topic(indicators, topic)
    if not members:
        raise KeyError(f"no indicator in topic {topic!r}")
    heads = [i for i in members if i.headline]
    return next((i for i in heads if i.comparable), heads[0] if heads else members[0])


def period_words(ind: Indicator, time_period: str) -> str:
    """A period as a sentence names it (the ``{period}`` of :attr:`Indicator.sentence`): a January snapshot
    '202425' reads 'January 2025'; other periods as published ('2024', '2023-24')."""
    raw = str(time_period)
    if ind.time_identifier == JANUARY and len(raw) == 6 and raw.isdigit():
        return f"January {int(raw[:4]) + 1}"
    return period_label(raw)


def has_value(v) -> bool:
    """True for a real figure; False for None, NaN and pandas' NA (markers are carried separately)."""
    return v is not None and not pd.isna(v)


def format_value(value: float | None, marker: str | None, unit: str, compact: bool = False) -> str:
    """Format a figure for display; a marker is shown as itself, never as zero.

    Counts get thousands separators, percentages one decimal place, £ amounts
    whole pounds (or £m above £10m; with ``compact``, £bn above £1bn, for tiles).
    """
    if has_value(marker):
        return str(marker)
    if not has_value(value):
        return "not published"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "gbp":
        if compact and abs(value) >= 1e9:
            return f"£{value / 1e9:,.2f}bn"
        return f"£{value / 1e6:,.1f}m" if abs(value) >= 1e7 else f"£{value:,.0f}"
    if unit == "rate_per_1000":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def marker_reason(marker: str | None) -> str:
    """Plain-English meaning of a published marker ('' when there is none)."""
    if not has_value(marker):
        return ""
    return f"'{marker}': {MARKER_MEANINGS.get(marker, 'not published')}"


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 3 -> '3rd', 11 -> '11th', 12 -> '12th', 13 -> '13th', 21 -> '21st', 111 -> '111th'."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank, ranked_of: int, tied: bool) -> str:
    """'12th of 150' / 'joint 3rd of 150' for a competition rank (rank None or <NA> -> '')."""
    if rank is None or pd.isna(rank):
        return ""
    return f"{'joint ' if tied else ''}{ordinal(int(rank))} of {ranked_of}"


def format_change(delta: float | None, unit: str) -> str | None:
    """A signed change between two periods: '+1,234', '-2.1 pp' (percentage points), '±0', '+£12.3m';
    None if unknown."""
    if delta is None or pd.isna(delta):
        return None
    sign = "+" if delta > 0 else ("-" if delta < 0 else "±")
    if unit == "percent":
        return f"{sign}{abs(delta):.1f} pp"
    return sign + format_value(abs(delta), None, unit)
