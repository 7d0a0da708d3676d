"""Polarity-aware ranks and quartile bands of local authorities on one indicator and period.

Apart from :mod:`send_pressure.compare` so that :class:`send_pressure.queries.Store` can rank an indicator and
period once for every page and briefing (:meth:`~send_pressure.queries.Store.ranked`).
"""

from __future__ import annotations

import pandas as pd

from send_pressure.catalogue import UNRANKED, Indicator

QUARTILE_BANDS = ["A (top quarter)", "B", "C", "D (bottom quarter)"]


def rank_authorities(snapshot: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    """Rank LAs on one period's values.

    ``snapshot``: LA rows of one indicator and period (columns area_code, value,
    marker ...). Returns the same rows plus ``rank`` (competition ranking: ties share
    the best place, the next place skips: 1, 2, 2, 4), ``tied`` (shares its place), ``ranked_of`` (how many LAs
    were ranked) and ``quartile`` (A-D band; A = best quarter for the polarity, or
    the highest values when polarity is neutral). Suppressed values, and City of
    London and Isles of Scilly, get no rank and are left out of the count. An indicator the catalogue
    marks not ``comparable`` (a size count) ranks nobody (``ranked_of`` 0).
    """
    out = snapshot.copy()
    # Size counts are context, not performance: never ranked (catalogue ``comparable``).
    rankable = out.value.notna() & ~out.area_code.isin(UNRANKED) & indicator.comparable
    ascending = indicator.lowest_first
    # Rounded so that figures equal as published tie despite float noise in derived rates.
    ranks = out.loc[rankable, "value"].round(9).rank(method="min", ascending=ascending)
    out["rank"] = pd.Series(ranks, index=out.index).astype("Int64")
    out["tied"] = out["rank"].map(out["rank"].value_counts()).fillna(0).gt(1)
    n = int(rankable.sum())
    out["ranked_of"] = n
    # Quartile band from the rank: the first quarter of places is band A.
    band = ((out["rank"] - 1) * 4 // max(n, 1)).clip(0, 3)
    out["quartile"] = band.map(lambda b: QUARTILE_BANDS[int(b)] if pd.notna(b) else None)
    return out
