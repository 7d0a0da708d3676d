"""Streamlit building blocks shared by the pages: the store, link-backed pickers, and chart blocks.

Every chart goes out through :func:`chart_block`, which adds the title as text, an accessible name and
text summary with the latest figures, the source and period caption, a data table, a CSV download
(markers kept), stamped image downloads and copyable link and citation, so no page can forget them.
"""

from __future__ import annotations

import functools
import os
from html import escape
from pathlib import Path

import pandas as pd
import streamlit as st

from send_pressure import charts, compare
from send_pressure.catalogue import MARKER_MEANINGS, Indicator, format_value, period_label
from send_pressure.links import LinkState
from send_pressure.queries import DatabaseMissing, Store

ROOT = Path(__file__).resolve().parents[1]
DB_PATH = Path(os.environ.get("SEND_DB", ROOT / "data" / "send.duckdb"))
#: No Plotly toolbar: its eight buttons per chart were tab stops for keyboard users, and its PNG carried no
#: source; the chart block offers stamped SVG/PNG downloads instead.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False}
SITE_NAME = "SEND Pressure Dashboard"
#: Text contrast (WCAG 2.2 AA, 4.5:1): Streamlit fades captions to a pale grey (3.9:1).
CSS = """
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #474c55 !important; }
[data-testid="stTable"] th { color: #1a1a1a !important; }
/* Reflow at 320 px: a chart's table wraps its cells instead of scrolling sideways (a scrolling box would need
   a keyboard focus of its own, which Streamlit does not give it). */
[data-testid="stTable"] > div { overflow: visible !important; }
[data-testid="stTable"] table { width: 100%; table-layout: auto; }
[data-testid="stTable"] :is(th, td) { white-space: normal !important; overflow-wrap: anywhere; }
.chart-title { font-weight: 600; font-size: 1.05rem; margin: 0.5rem 0 0; overflow-wrap: anywhere; }
"""


def apply_style() -> None:
    """Add the dashboard's accessibility CSS (text contrast, wrapping chart titles) to the page."""
    st.html(f"<style>{CSS}</style>")


def page_title(*parts: str | None) -> None:
    """Set the browser tab's title to the page and its selection, e.g. 'Local authority profile: Leeds | SEND
    Pressure Dashboard' (empty parts are skipped), so tabs, history and screen readers name the view."""
    shown = [p for p in parts if p]
    title = f"{shown[0]}: {', '.join(shown[1:])}" if len(shown) > 1 else (shown[0] if shown else "")
    st.set_page_config(page_title=f"{title} | {SITE_NAME}" if title else SITE_NAME)


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


def source_caption(frame: pd.DataFrame) -> str:
    """'Source: publisher, title, release. Period(s): ...' for the rows behind a chart."""
    s = store().sources.set_index("source_id")
    parts = []
    for sid in dict.fromkeys(frame.source_id.dropna()):
        if sid in s.index:
            parts.append(f"{s.at[sid, 'publisher']}, *{s.at[sid, 'title']}* ({s.at[sid, 'release']})")
    span = charts.period_span(frame)
    return f"Source: {'; '.join(parts) or 'see About the data'}. Period: {span}." if span else ""


def tidy_for_download(frame: pd.DataFrame, ind: Indicator | None = None) -> pd.DataFrame:
    """The rows behind a chart, ready to save: values and markers side by side, with source and period.

    Columns: area_code, area_name/series, indicator_id, indicator, time_period, period,
    value, marker, marker_meaning, source_id, source_release.
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
    if "source_id" in out:
        out["source_release"] = out.source_id.map(
            lambda x: f"{s.at[x, 'title']} ({s.at[x, 'release']})" if x in s.index else None
        )
    return out.drop(columns=[c for c in ("year",) if c in out])


#: Charts whose rows fit in a plain HTML table (read well by screen readers); longer ones get a grid.
TABLE_ROWS = 60


def data_table(data: pd.DataFrame, key: str, ind: Indicator | None = None) -> None:
    """The rows behind a chart (from :func:`tidy_for_download`) as a table, figures formatted in ``ind``'s unit
    (else each row's indicator's) and markers kept, with a CSV download."""
    shown = data.copy()
    if "value" in shown:
        inds = store().indicators
        units = [ind.unit] * len(shown) if ind else [inds[i].unit for i in shown.indicator_id]
        shown["figure"] = [
            format_value(v, m, u)
            for v, m, u in zip(shown.value, shown.get("marker", [None] * len(shown)), units, strict=True)
        ]
    cols = [c for c in ("area_name", "series", "period", "figure", "marker_meaning", "source_release") if c in shown]
    names = {
        "area_name": "Area",
        "series": "Series",
        "period": "Period",
        "figure": "Figure",
        "marker_meaning": "Note",
        "source_release": "Source",
    }
    # Columns with one value for every row (a single source, no notes) are said once under the table: the
    # table then fits a 320 px screen without scrolling sideways. The CSV keeps every column.
    same = [c for c in ("marker_meaning", "source_release") if c in cols and shown[c].nunique(dropna=False) == 1]
    table = shown[[c for c in cols if c not in same]].rename(columns=names)
    if len(table) <= TABLE_ROWS:
        st.table(table.fillna("").set_index(table.columns[0]))
        if "source_release" in same and shown.source_release.notna().any():
            st.caption(f"Source of every row: {shown.source_release.iloc[0]}.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV",
        lambda: data.to_csv(index=False).encode("utf-8"),  # written only when clicked
        file_name=f"{key}.csv",
        mime="text/csv",
        key=f"dl_{key}",
        on_click="ignore",
    )


def _share_box(fig, frame: pd.DataFrame, key: str, url_path: str | None, caption: str) -> None:
    """Copyable link and citation for the view, a share card link when one exists, and stamped images."""
    from send_pressure import export

    title = charts.chart_title(fig)
    link = current_view_url(url_path)
    st.markdown("**Link to this view** (copy with the button at the right of the box)")
    st.code(link, language=None, wrap_lines=True)
    card = share_card_url(url_path)
    if card:
        st.markdown("**Link with a preview** for social media (title, figure and chart image):")
        st.code(card, language=None, wrap_lines=True)
    st.markdown("**Citation**")
    sources = list(dict.fromkeys(frame.source_id.dropna())) if "source_id" in frame else []
    st.code(view_citation(sources, title, link), language=None, wrap_lines=True)
    problem = export.export_problem()
    if problem:
        st.caption(f"Chart images are not available on this server ({problem}) The CSV has every figure.")
        return
    source = caption.replace("*", "")
    period = charts.period_span(frame)

    def image(fmt: str) -> bytes:
        stamped = export.stamped(fig, period, source, link)
        return export.to_image(stamped, fmt, {"Title": title, "Source": source, "Period": period, "URL": link})

    left, right = st.columns(2)
    left.download_button(
        "Download chart (SVG, with source)",
        lambda: image("svg"),
        file_name=f"{key}.svg",
        mime="image/svg+xml",
        key=f"svg_{key}",
        on_click="ignore",
    )
    right.download_button(
        "Download chart (PNG, with source)",
        lambda: image("png"),
        file_name=f"{key}.png",
        mime="image/png",
        key=f"png_{key}",
        on_click="ignore",
    )


def chart_block(
    fig, frame: pd.DataFrame, ind: Indicator, key: str, summary: str | None = None, url_path: str | None = None
) -> None:
    """Draw a chart with its title, accessible name, text summary, source caption, data table and downloads.

    ``frame``: the rows the chart shows (time_period, year, value, marker, source_id and an area or series
    column). The title comes from the figure (``charts.chart_title``) and is shown as text; the chart's
    accessible name is the title plus a sentence with its latest figures (``charts.describe``), printed
    under it when the page gives no ``summary`` of its own. ``url_path``: the page's path, for links when
    the browser's address is unknown.
    """
    title = charts.chart_title(fig)
    latest = charts.describe(frame, ind)
    st.markdown(f'<p class="chart-title">{escape(title)}</p>', unsafe_allow_html=True)
    st.plotly_chart(
        fig, width="stretch", config=PLOTLY_CONFIG, key=f"chart_{key}", alt=f"Chart: {title}. {latest}".strip()
    )
    caption = source_caption(frame) if "source_id" in frame else ""
    if caption:
        st.caption(caption)
    if summary or latest:  # a page's own summary already gives the latest figure in words
        st.markdown(summary or latest)
    data = tidy_for_download(frame, ind)
    with st.expander(f"Data table: {title}"):
        data_table(data, key, ind)
    with st.expander("Share: copy link or citation, download the chart"):
        _share_box(fig, frame, key, url_path, caption)


def share_card_url(url_path: str | None) -> str | None:
    """The address of the view's share card (``send_pressure.share``: a static page with preview metadata that
    forwards to the live view), or None when no card was generated for this view."""
    from urllib.parse import urlsplit

    from send_pressure import share

    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # noqa: BLE001  (no browser context: a relative link)
        parts = urlsplit("")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    path = url_path if url_path is not None else parts.path.rstrip("/").rsplit("/", 1)[-1]
    name = share.card_name(path, st.query_params.get("la"))
    if not name or not (share.STATIC_DIR / f"{name}.html").exists():
        return None
    return f"{origin}/{share.SERVED_AT}/{name}.html"


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


def view_citation(source_ids, page_title: str, url: str) -> str:
    """The citation of a view (``send_pressure.citation``): its sources, release, file, today's date and link."""
    from datetime import date

    from send_pressure.citation import citation

    return citation(store(), [s for s in source_ids if s], page_title, url, date.today())


def cite_this(source_ids, page_title: str, url_path: str | None = None) -> str:
    """A 'Cite this' expander with a copyable citation of the current view (sources, release, file, date
    accessed and the view's link); returns the citation text."""
    text = view_citation(source_ids, page_title, current_view_url(url_path))
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
        rows = rows[rows.series.isin([db.area_name(la_code), compare.NEIGHBOURS])].reset_index(drop=True)
    return rows


@functools.lru_cache(maxsize=2048)
def _benchmark_figure(db: Store, indicator_id: str, la_code: str, title: str):
    rows = _chart_rows(db, indicator_id, la_code)
    return charts.trend(rows, db.indicators[indicator_id], title, highlight=db.area_name(la_code))


def benchmarks(indicator_id: str, la_code: str) -> pd.DataFrame:
    """:func:`send_pressure.compare.benchmarks` for the current database, memoised (a database never changes).

    The frame is shared between reruns: filter it, never modify it in place.
    """
    return _benchmarks(store(), indicator_id, la_code)


def benchmark_chart(indicator_id: str, la_code: str, title: str, key: str, summary: str | None = None) -> None:
    """The LA's trend against its region, England and statistical neighbours, through :func:`chart_block`.

    For totals (counts, £) only the LA and its neighbours' average are drawn, on one scale; the page's
    tables give region and England. Figures are memoised per indicator, LA and title: building a plotly
    figure is most of a page's render time.
    """
    db = store()
    ind = db.indicators[indicator_id]
    if _is_total(ind):
        note = "Region and England totals are far larger, so only the neighbours' average is drawn beside it."
        summary = f"{summary} {note}" if summary else note
    fig = _benchmark_figure(db, indicator_id, la_code, title)
    chart_block(fig, _chart_rows(db, indicator_id, la_code), ind, key=key, summary=summary)
