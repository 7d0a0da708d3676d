"""How current the figures on screen are: releases and periods shown, newer releases, stale sources, what's new.

Pure functions over the ``source``, ``revision``, ``new_period``, ``correction`` and ``series_break`` tables
(no Streamlit), used by the pages (``send_pressure.ui``), the About page and the briefing.
"""

from __future__ import annotations

import pandas as pd

from send_pressure.catalogue import format_value, period_label


def _is_newer(newest: object, loaded: object) -> bool:
    """True when release slug ``newest`` is later than ``loaded`` (year-led slugs: '2026' > '2025')."""
    if not isinstance(newest, str) or not isinstance(loaded, str):
        return False
    return newest[:4].isdigit() and loaded[:4].isdigit() and newest[:4] > loaded[:4]


def span(periods: list[str]) -> str:
    """'2019 to 2024/25' for periods in time order (one period: just it)."""
    if not periods:
        return ""
    first, last = period_label(periods[0]), period_label(periods[-1])
    return first if first == last else f"{first} to {last}"


def shown_periods(frame: pd.DataFrame) -> dict[str, list[str]]:
    """source_id -> the periods (time order) of the rows in ``frame`` (needs source_id and time_period; ``year``
    orders them when present)."""
    if frame.empty or "source_id" not in frame:
        return {}
    rows = frame.dropna(subset=["source_id", "time_period"])
    rows = rows.sort_values("year" if "year" in rows else "time_period")
    return {sid: list(dict.fromkeys(g.time_period)) for sid, g in rows.groupby("source_id", sort=False)}


def figures_line(sources: pd.DataFrame, shown: dict[str, list[str]]) -> list[str]:
    """One sentence per source shown: its release and the periods of its figures on this page, then, for each
    publication, whether the build knew of a newer release than the one these figures come from.

    ``sources``: the ``source`` table; ``shown``: source_id -> periods drawn (see :func:`shown_periods`).
    """
    s = sources.set_index("source_id")
    lines, newer = [], {}
    for sid, periods in shown.items():
        if sid not in s.index:
            continue
        row = s.loc[sid]
        lines.append(f"{row.title}: {row.release}, periods {span(periods)}.")
        if row.get("follows_latest") and _is_newer(row.get("newest_release"), row.get("release_slug")):
            newer.setdefault(row.publication, (row.newest_release, set()))[1].add(str(row.release))
    for _pub, (newest, loaded) in newer.items():
        lines.append(
            f"The publisher has a newer release ({newest}) than some figures here ({'; '.join(sorted(loaded))}): "
            "the build loaded what it could read of it (see About the data)."
        )
    return lines


def stale_notices(sources: pd.DataFrame) -> list[str]:
    """A sentence for each source whose newest file could not be used, e.g. 'SEND Tribunal ...: release ... is
    shown; the newest copy could not be read on 2026-12-01 ...'."""
    stale = sources[sources.status.isin(["cached copy", "previous copy"])]
    return [f"{r.title}: {r.release} is shown ({r.status}); {r.status_note}" for r in stale.itertuples()]


def missing_notices(sources: pd.DataFrame) -> list[str]:
    """One sentence naming the optional sources the build could not load at all (e.g. funding years not yet
    published, or not in the files this build read); [] when there are none. The build's own reason (paths,
    commands) stays in ``python -m etl sources``: readers get one plain sentence."""
    gone = list(sources[sources.status == "not loaded"].title)
    if not gone:
        return []
    listed = gone[0] if len(gone) == 1 else "; ".join(gone[:-1]) + " and " + gone[-1]
    return [f"Not in this build (not yet published, or the file could not be read), so not shown: {listed}."]


def revised_figures(store, limit: int = 50) -> pd.DataFrame:
    """Figures the newest release prints differently from the older one, biggest change first.

    Columns: indicator, area, period, old (as printed, marker kept), new, change (relative, NaN when either is
    a marker), old_release, new_release, series_break. Percentages and counts are compared relatively.
    """
    rev = store.revisions
    if rev.empty:
        return pd.DataFrame(
            columns=["indicator", "area", "period", "old", "new", "change", "old_release", "new_release"]
        )
    inds = store.indicators
    releases = store.sources.set_index("source_id").release
    change = (rev.new_value - rev.old_value) / rev.old_value.abs().where(rev.old_value != 0)
    out = pd.DataFrame(
        {
            "indicator": rev.indicator_id.map(lambda i: inds[i].label if i in inds else i),
            "area": rev.area_code.map(store.area_name),
            "period": rev.time_period.map(period_label),
            "old": [
                format_value(v, m, inds[i].unit if i in inds else "count")
                for v, m, i in zip(rev.old_value, rev.old_marker, rev.indicator_id, strict=True)
            ],
            "new": [
                format_value(v, m, inds[i].unit if i in inds else "count")
                for v, m, i in zip(rev.new_value, rev.new_marker, rev.indicator_id, strict=True)
            ],
            "change": change,
            "old_release": rev.old_source_id.map(releases),
            "new_release": rev.new_source_id.map(releases),
            "series_break": rev.series_break,
        }
    )
    order = out.change.abs().fillna(-1).sort_values(ascending=False).index
    return out.loc[order].head(limit).reset_index(drop=True)


def new_periods(store) -> pd.DataFrame:
    """indicator, periods, release: what the newest release of each table added."""
    new = store.new_periods
    if new.empty:
        return pd.DataFrame(columns=["indicator", "periods", "release"])
    inds = store.indicators
    releases = store.sources.set_index("source_id").release
    rows = [
        {
            "indicator": inds[iid].label if iid in inds else iid,
            "periods": span(list(g.sort_values("year").time_period)),
            "release": releases.get(sid),
        }
        for (iid, sid), g in new.groupby(["indicator_id", "source_id"], sort=False)
    ]
    return pd.DataFrame(rows)


def break_sentences(series_breaks: pd.DataFrame, indicator_ids: list[str], label_of) -> list[str]:
    """'<indicator> and <indicator>: series break from <period>. <what changed>' for the breaks of the given
    indicators, one sentence per break (indicators sharing a break are named together)."""
    rows = series_breaks[series_breaks.indicator_id.isin(indicator_ids)]
    out = []
    for (period, description), g in rows.groupby(["first_period", "description"], sort=False):
        names = [label_of(i) for i in g.indicator_id]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        out.append(f"{joined}: series break from {period_label(period)}. {description}")
    return out
