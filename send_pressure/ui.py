"""Streamlit building blocks shared by the pages: the store, link-backed pickers, and chart blocks.

Every chart goes out through :func:`chart_block`, which adds the source and
period caption, a data table and a CSV download (markers kept), so no page can
forget them.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from send_pressure import charts, compare
from send_pressure.catalogue import MARKER_MEANINGS, Indicator, format_value, period_label
from send_pressure.links import LinkState
from send_pressure.queries import DatabaseMissing, Store

ROOT = Path(__file__).resolve().parents[1]
DB_PATH = Path(os.environ.get("SEND_DB", ROOT / "data" / "send.duckdb"))
PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
}


@st.cache_resource(show_spinner=False)
def _open_store(path: str, mtime: float) -> Store:
    return Store(Path(path))


def store() -> Store:
    """The read-only store for the current database file (reopened when a build replaces it).

    Stops the page with instructions when the database is missing.
    """
    try:
        return _open_store(str(DB_PATH), DB_PATH.stat().st_mtime if DB_PATH.exists() else 0.0)
    except DatabaseMissing as e:
        st.error(f"**The database is not built yet.** {e}")
        st.stop()


def link_state() -> LinkState:
    """The view parameters of this page, read from (and written back to) the URL.

    Also stamps the link with the data release it shows (``rel``), noting when a shared
    link was made with an older release than the database now holds.
    """
    from send_pressure.links import record_release

    state = LinkState(store(), st.query_params, st.session_state)
    record_release(state)
    return state


def show_notices(state: LinkState) -> None:
    """Tell the user, briefly, which link parameters were not understood."""
    for notice in state.notices:
        st.info(notice, icon="🔗")


def la_picker(state: LinkState, key: str = "la", label: str = "Local authority") -> str:
    """Select box of current LAs (by name), defaulting to the link's LA; writes the choice back."""
    la = store().current_authorities
    codes = list(la.new_la_code)
    names = dict(zip(la.new_la_code, la.la_name, strict=True))
    chosen = state.la(key)
    code = st.selectbox(label, codes, index=codes.index(chosen), format_func=names.get, key=f"w_{key}")
    state.write(**{key: code})
    return code


def indicator_picker(
    state: LinkState, options: list[str], key: str = "ind", label: str = "Indicator", default: str | None = None
) -> Indicator:
    """Select box of indicators (by label) from ``options``; writes the choice back to the link."""
    inds = store().indicators
    options = [o for o in options if o in inds]
    chosen = state.indicator(key, options, default)
    iid = st.selectbox(label, options, index=options.index(chosen), format_func=lambda i: inds[i].label, key=f"w_{key}")
    state.write(**{key: iid})
    return inds[iid]


def period_picker(state: LinkState, indicator_id: str, key: str = "period", label: str = "Period") -> str | None:
    """Select box of the indicator's periods (newest first, labelled as published)."""
    periods = store().periods(indicator_id)
    if not periods:
        st.warning("No figures are published for this indicator.")
        return None
    chosen = state.period(indicator_id, key)
    newest_first = periods[::-1]
    period = st.selectbox(
        label, newest_first, index=newest_first.index(chosen), format_func=period_label, key=f"w_{key}_{indicator_id}"
    )
    state.write(**{key: period})
    return period


def source_caption(frame: pd.DataFrame, shown: list[str] | None = None) -> str:
    """'Source: publisher, title, release. Period: ...' for the rows behind a chart.

    ``shown``: the period labels the chart draws (:func:`charts.periods_shown`); the period span is
    taken from them when given, so the caption never names periods the chart leaves out."""
    s = store().sources.set_index("source_id")
    parts = []
    for sid in dict.fromkeys(frame.source_id.dropna()):
        if sid in s.index:
            parts.append(f"{s.at[sid, 'publisher']}, *{s.at[sid, 'title']}* ({s.at[sid, 'release']})")
    periods = shown or [period_label(p) for p in dict.fromkeys(frame.sort_values("year").time_period)]
    span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    return f"Source: {'; '.join(parts) or 'see About the data'}. Period: {span}." if periods else ""


def tidy_for_download(frame: pd.DataFrame, ind: Indicator | None = None) -> pd.DataFrame:
    """The rows behind a chart, ready to save: values and markers side by side, with source and period.

    Columns: area_code, area_name/series, indicator_id, indicator, time_period, period,
    value, marker, marker_meaning, flag (data-quality flags and publisher footnotes, where the rows name
    an area), source_id, source_release.
    """
    s = store().sources.set_index("source_id")
    inds = store().indicators
    out = frame.copy()
    if "indicator_id" not in out and ind is not None:
        out["indicator_id"] = ind.indicator_id
    if "indicator_id" in out:
        out["indicator"] = out.indicator_id.map(lambda i: inds[i].label if i in inds else i)
    out["period"] = out.time_period.map(period_label)
    if "marker" in out:
        out["marker_meaning"] = out.marker.map(lambda m: MARKER_MEANINGS.get(m, m) if isinstance(m, str) else None)
    if {"area_code", "time_period", "indicator_id"} <= set(out.columns):
        out = store().attach_flags(out)  # data-quality flags and publisher footnotes beside each figure
    if "source_id" in out:
        out["source_release"] = out.source_id.map(
            lambda x: f"{s.at[x, 'title']} ({s.at[x, 'release']})" if x in s.index else None
        )
    return out.drop(columns=[c for c in ("year",) if c in out])


def chart_block(fig, frame: pd.DataFrame, ind: Indicator, key: str, summary: str | None = None) -> None:
    """Draw a chart with its source caption, a text summary, a data table and a CSV download.

    ``frame``: the rows the chart shows (time_period, year, value, marker, source_id and
    an area or series column). PNG export is on the chart's toolbar (camera icon).
    """
    st.plotly_chart(
        fig,
        width="stretch",
        config={**PLOTLY_CONFIG, "toImageButtonOptions": {**PLOTLY_CONFIG["toImageButtonOptions"], "filename": key}},
        key=f"chart_{key}",
    )
    if "source_id" in frame:
        st.caption(source_caption(frame, charts.periods_shown(fig)))
    if summary:
        st.markdown(summary)
    data = tidy_for_download(frame, ind)
    with st.expander("Data table and download"):
        shown = data.copy()
        if "value" in shown:
            shown["figure"] = [
                format_value(v, m, ind.unit)
                for v, m in zip(shown.value, shown.get("marker", [None] * len(shown)), strict=True)
            ]
        cols = [
            c
            for c in ("area_name", "series", "period", "figure", "marker_meaning", "flag", "source_release")
            if c in shown
        ]
        st.dataframe(shown[cols], hide_index=True, width="stretch")
        st.download_button(
            "Download CSV",
            lambda: data.to_csv(index=False).encode("utf-8"),  # written only when clicked
            file_name=f"{key}.csv",
            mime="text/csv",
            key=f"dl_{key}",
            on_click="ignore",
        )


def current_view_url(url_path: str | None = None) -> str:
    """The link to the view on screen: the browser's address (``st.context.url``, which includes the page's
    path) plus the current query parameters. Without a browser address (tests, old clients) it falls back to
    a relative link, '/<url_path>?la=...' (or '?la=...' when the page's path is not given)."""
    from urllib.parse import urlencode

    query = urlencode({k: st.query_params.get_all(k)[-1] for k in st.query_params})
    base = None
    try:
        base = st.context.url
    except Exception:  # noqa: BLE001  (no browser context: build a relative link)
        base = None
    if not base:
        base = f"/{url_path}" if url_path else ""
    return f"{base}?{query}" if query else (base or "/")


def cite_this(source_ids, page_title: str, url_path: str | None = None) -> str:
    """A 'Cite this' expander with a copyable citation of the current view (sources, release, file, date
    accessed and the view's link); returns the citation text."""
    from datetime import date

    from send_pressure.citation import citation

    text = citation(store(), [s for s in source_ids if s], page_title, current_view_url(url_path), date.today())
    with st.expander("Cite this"):
        st.caption("Copy with the icon at the top right. The link records this view and the data release it showed.")
        st.code(text, language=None, wrap_lines=True)
    return text


@st.cache_data(show_spinner="Preparing the briefing…", max_entries=32)
def _briefing_html(la_code: str, db_mtime: float) -> str:
    from datetime import date

    from send_pressure.briefing import briefing_html

    return briefing_html(store(), la_code, date.today())


@st.cache_data(show_spinner="Preparing the PDF…", max_entries=32)
def _briefing_pdf(la_code: str, db_mtime: float) -> bytes:
    from send_pressure.briefing import briefing_pdf

    return briefing_pdf(_briefing_html(la_code, db_mtime))


def briefing_html_cached(la_code: str) -> str:
    """The LA's scrutiny briefing as HTML (send_pressure.briefing), cached per LA and database file."""
    return _briefing_html(la_code, store().db_path.stat().st_mtime)


def briefing_pdf_cached(la_code: str) -> bytes:
    """The briefing as PDF; raises RuntimeError when the PDF engine cannot load."""
    return _briefing_pdf(la_code, store().db_path.stat().st_mtime)


def _is_total(ind: Indicator) -> bool:
    """A count or £ total (not a rate): an LA's line would be flattened beside region and England totals."""
    return ind.unit in ("count", "gbp") and not ind.numerator_id


@functools.lru_cache(maxsize=2048)
def _benchmarks(db: Store, indicator_id: str, la_code: str) -> pd.DataFrame:
    return compare.benchmarks(db, indicator_id, la_code)


@functools.lru_cache(maxsize=2048)
def _chart_rows(db: Store, indicator_id: str, la_code: str) -> pd.DataFrame:
    rows = _benchmarks(db, indicator_id, la_code)
    if _is_total(db.indicators[indicator_id]):
        keep = rows.series.isin([db.area_name(la_code), compare.NEIGHBOURS]) | rows.neighbour
        rows = rows[keep].reset_index(drop=True)
    # Flags and publisher footnotes travel with the rows, so the chart's hover shows them beside the point.
    return db.attach_flags(rows.assign(area_code=rows.area_code.fillna("")), indicator_id)


@functools.lru_cache(maxsize=2048)
def _benchmark_figure(db: Store, indicator_id: str, la_code: str, title: str):
    rows = _chart_rows(db, indicator_id, la_code)
    return charts.trend(rows, db.indicators[indicator_id], title, highlight=db.area_name(la_code))


@functools.lru_cache(maxsize=512)
def _areas_rows(db: Store, indicator_ids: tuple[str, ...], area_codes: tuple[str, ...], by: str) -> pd.DataFrame:
    frames = []
    for iid in indicator_ids:
        rows = db.series(iid, list(area_codes)).assign(indicator_id=iid)
        frames.append(rows.assign(series=rows.area_name if by == "area" else db.indicators[iid].label))
    return pd.concat(frames, ignore_index=True)


@functools.lru_cache(maxsize=512)
def _areas_figure(db: Store, indicator_ids: tuple[str, ...], area_codes: tuple[str, ...], by: str, title: str,
                  highlight: str | None):  # fmt: skip
    rows = _areas_rows(db, indicator_ids, area_codes, by)
    return charts.trend(rows, db.indicators[indicator_ids[-1]], title, highlight=highlight)


def areas_chart(
    indicator_ids: tuple[str, ...],
    area_codes: tuple[str, ...],
    title: str,
    key: str,
    by: str = "area",
    highlight: str | None = None,
    summary: str | None = None,
) -> None:
    """Trend of one or more indicators for some areas (England, regions) through :func:`chart_block`.

    ``by='area'``: one line per area (series named by area); ``by='indicator'``: one line per indicator
    (series named by its label; e.g. statements and plans beside plans alone). The last indicator sets the
    unit. Rows and figure are memoised per database (a database never changes).
    """
    db = store()
    rows = _areas_rows(db, indicator_ids, area_codes, by)
    fig = _areas_figure(db, indicator_ids, area_codes, by, title, highlight)
    chart_block(fig, rows, db.indicators[indicator_ids[-1]], key=key, summary=summary)


def benchmarks(indicator_id: str, la_code: str) -> pd.DataFrame:
    """:func:`send_pressure.compare.benchmarks` for the current database, memoised (a database never changes).

    The frame is shared between reruns: filter it, never modify it in place.
    """
    return _benchmarks(store(), indicator_id, la_code)


def benchmark_chart(indicator_id: str, la_code: str, title: str, key: str, summary: str | None = None) -> None:
    """The LA's trend against its region, England and statistical neighbours, through :func:`chart_block`.

    Each neighbour's own line is one legend click away, and in the data table. For totals (counts, £)
    only the LA and its neighbours (median and each) are drawn, on one scale; the page's
    tables give region and England. Figures are memoised per indicator, LA and title: building a plotly
    figure is most of a page's render time.
    """
    db = store()
    ind = db.indicators[indicator_id]
    if _is_total(ind):
        note = "Region and England totals are far larger, so only the neighbours' median is drawn beside it."
        summary = f"{summary} {note}" if summary else note
    fig = _benchmark_figure(db, indicator_id, la_code, title)
    chart_block(fig, _chart_rows(db, indicator_id, la_code), ind, key=key, summary=summary)
