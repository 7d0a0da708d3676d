"""Uncertainty for percentages with a published denominator: Wilson 95% intervals and comparison with England.

A percentage such as "100% of new plans within 20 weeks" can rest on one plan. For every indicator whose
catalogue entry names a numerator and a denominator in percent, :func:`intervals` gives each authority's
denominator, a Wilson score interval and a Fingertips-style comparison with England (significantly better
or worse when England's figure lies outside the authority's interval, else similar). Figures resting on fewer
than :data:`SMALL_N` cases are marked, so no page ranks them without saying so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.aggregates import nil_as_zero
from send_pressure.catalogue import Indicator, format_value
from send_pressure.narrative import judgement
from send_pressure.queries import ENGLAND, Store

#: z for a two-sided 95% interval.
Z95 = 1.959963984540054
#: Fewer cases than this in the denominator: a small-number figure, always shown with its denominator.
SMALL_N = 10


def wilson(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes out of n, in percent (arrays or scalars; NaN where n <= 0).

    (centre ± half-width) with centre = (p + z²/2n) / (1 + z²/n) and half-width =
    z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n); Wilson (1927), as used by Fingertips (OHID).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = (centre - half) * 100, (centre + half) * 100
    bad = ~(n > 0)
    return np.where(bad, np.nan, np.clip(low, 0, 100)), np.where(bad, np.nan, np.clip(high, 0, 100))


def has_interval(ind: Indicator) -> bool:
    """True for a percentage whose numerator and denominator counts are published (and so get an interval)."""
    return ind.unit == "percent" and bool(ind.numerator_id) and bool(ind.denominator_id)


def comparison(low: float, high: float, england: float, ind: Indicator) -> str:
    """'significantly better' / 'significantly worse' / 'similar' to England (England outside the LA's
    interval or not); for a neutral indicator 'significantly higher' / 'significantly lower'
    (:func:`send_pressure.narrative.judgement`); '' if unknown."""
    if not all(np.isfinite([low, high, england])):
        return ""
    if low <= england <= high:
        return "similar"
    return f"significantly {judgement(ind, low > england)}"


def intervals(store: Store, ind: Indicator, time_period: str) -> pd.DataFrame:
    """Each LA's denominator, Wilson 95% interval and comparison with England for one period.

    Columns: area_code, numerator, denominator (published counts, '-' read as 0), low, high (percent),
    small (denominator under :data:`SMALL_N`), vs_england, interval (display text, e.g. '30.9% to 35.8%').
    Empty when the indicator has no published numerator and denominator. Computed once per database for
    every authority, page and briefing (memoised on the store): filter the frame, never modify it in place.
    """
    return store.memo(("intervals", ind.indicator_id, time_period), lambda: _intervals(store, ind, time_period))


def _intervals(store: Store, ind: Indicator, time_period: str) -> pd.DataFrame:
    cols = ["area_code", "numerator", "denominator", "low", "high", "small", "vs_england", "interval"]
    if not has_interval(ind):
        return pd.DataFrame(columns=cols)
    year = store.snapshot(ind.indicator_id, time_period).year
    if year.empty:
        return pd.DataFrame(columns=cols)
    y = int(year.iloc[0])
    parts = {}
    for name, iid in (("numerator", ind.numerator_id), ("denominator", ind.denominator_id)):
        obs = store.observations(iid)
        obs = obs[(obs.year == y) & (obs.geographic_level == "Local authority")]
        parts[name] = obs.assign(value=nil_as_zero(obs)).set_index("area_code").value
    out = pd.DataFrame(parts).reset_index(names="area_code")
    out["low"], out["high"] = wilson(out.numerator, out.denominator)
    out["small"] = out.denominator < SMALL_N
    eng = store.series(ind.indicator_id, [ENGLAND])
    eng = eng[eng.time_period == time_period].value
    england = float(eng.iloc[0]) if len(eng) and pd.notna(eng.iloc[0]) else float("nan")
    out["vs_england"] = [comparison(lo, hi, england, ind) for lo, hi in zip(out.low, out.high, strict=True)]
    out["interval"] = [
        f"{format_value(lo, None, 'percent')} to {format_value(hi, None, 'percent')}" if pd.notna(lo) else ""
        for lo, hi in zip(out.low, out.high, strict=True)
    ]
    return out[cols]


def small_number_note(denominator: float) -> str:
    """'resting on 1 case' / 'resting on 7 cases' for a small denominator; '' otherwise."""
    if pd.isna(denominator) or denominator >= SMALL_N:
        return ""
    n = int(denominator)
    return f"resting on {n} case{'s' if n != 1 else ''}"
