"""Streamlit building blocks shared by the pages: the store, link-backed pickers, and chart blocks.

Every chart goes out through :func:`chart_block`, which adds the title as text, an accessible name and
text summary with the latest figures, the source and period caption, a data table, a CSV download
(markers kept), stamped image downloads and copyable link and citation, so no page can forget them.

Reruns are cheap: what does not depend on the session (figures, tables, sentences,
download data) is built once per database file through :func:`shared`, and reused by
every session that shows the same view. Two mechanisms, both tied to the database file:

- values (frames, figures, tables, sentences) are memoised on the file's store
  (:meth:`send_pressure.queries.Store.memo`, the app's one caching policy: see
  :mod:`send_pressure.queries`); a rebuilt file gets a new store with an empty memo;
- finished chart and table elements are replayed (:func:`drawn`): Streamlit converts a
  figure to JSON, or a frame to Arrow, at every call, and only its own
  ``st.cache_resource`` can record elements and replay them in later runs. That cache is
  keyed by the file's identity (the same test that opens a new store) and emptied when
  :func:`store` first hands out the store of a new file, so it lives exactly as long as
  the memo it draws from.
"""

from __future__ import annotations

import functools
import gc
import itertools
import os
import weakref
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import streamlit as st

from send_pressure import charts, compare, measures
from send_pressure.catalogue import MARKER_MEANINGS, Indicator, format_value, period_label
from send_pressure.escaping import csv_bytes, md, md_table
from send_pressure.links import LinkState
from send_pressure.queries import ENGLAND, DatabaseMissing, Store, current_store

# Everything loaded so far (Streamlit, pandas, plotly, duckdb, this package: about 120,000 objects) lives as long as
# the process: frozen, it is left out of the garbage collector's full collections, which stall every session of the
# process while they run (at 50 sessions: 0.3-0.5 s each before, 0.2-0.3 s after). Once per process, at first import.
gc.collect()
gc.freeze()

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
/* The Markdown inside each cell too: it would otherwise keep a cell as wide as its longest word. */
[data-testid="stTable"] :is(th, td), [data-testid="stTable"] :is(th, td) * {
  white-space: normal !important; overflow-wrap: anywhere !important; }
@media (max-width: 480px) {  /* a phone: a table's padding would leave its figures no room */
  [data-testid="stTable"] :is(th, td) { padding: 0.3rem 0.2rem !important; font-size: 0.8rem !important; }
  /* Columns share the width evenly, so a short figure is not split to make room for a long label. */
  [data-testid="stTable"] table { table-layout: fixed; }
}
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


def store() -> Store:
    """The read-only store for the current database file.

    Every call checks the file's identity, so the first rerun after a build replaced the file
    reads the new one (the old store closes once its running queries end); see
    :func:`send_pressure.queries.current_store`. Stops the page with instructions when the
    database is missing.
    """
    try:
        db = current_store(DB_PATH)
    except DatabaseMissing as e:
        st.error(f"**The database is not built yet.** {e}")
        st.stop()
    # Once per store (its memo): the first run on a new file drops the elements drawn from the old one.
    db.memo(("drawn elements dropped",), _drawn.clear)
    return db


def _stale_notices(db: Store) -> list[str]:
    from send_pressure.freshness import stale_notices

    return db.memo(("stale notices",), lambda: stale_notices(db.sources))


def link_state() -> LinkState:
    """The view parameters of this page, read from (and written back to) the URL.

    Also stamps the link with the data release it shows (``rel``), noting when a shared
    link was made with an older release than the database now holds.
    """
    from send_pressure.links import record_release

    st.session_state[_SHOWN] = {}  # a new page run: no figures drawn yet
    state = LinkState(store(), st.query_params, st.session_state)
    record_release(state)
    for notice in _stale_notices(store()):
        st.warning(notice, icon="⏳")
    return state


#: Session key of the sources and periods drawn on the current page run (for the freshness line and citation).
_SHOWN = "_figures_shown"


def record_rows(frame: pd.DataFrame) -> None:
    """Note the sources and periods of rows drawn on this page (needs source_id, time_period, year).

    :func:`chart_block` calls it for every chart; call it for a table drawn from observation rows. Pass a frame
    from :func:`shared`: it is read once, and the memo keeps one entry for it (a frame made at every run would
    add an entry at every run, pushing shared results out of the memo).
    """
    _record_periods(_periods(_Same(frame)))


def _periods(frame: _Same) -> dict[str, list[str]]:
    from send_pressure.freshness import shown_periods

    return store().memo(("shown periods", frame), lambda: shown_periods(frame.obj))


def _record_periods(periods: dict[str, list[str]]) -> None:
    """Add source_id -> periods (:func:`send_pressure.freshness.shown_periods`) to those drawn on this page."""
    shown = st.session_state.setdefault(_SHOWN, {})
    for sid, p in periods.items():
        shown[sid] = list(dict.fromkeys([*shown.get(sid, []), *p]))


def _shown_sources() -> dict[str, list[str]]:
    """source_id -> periods drawn on this page so far, each source's periods in time order."""
    return {sid: sorted(p, key=lambda x: (x[:4], x)) for sid, p in st.session_state.get(_SHOWN, {}).items()}


def show_notices(state: LinkState) -> None:
    """Tell the user, briefly, which link parameters were not understood (as plain text: notices quote the link)."""
    for notice in state.notices:
        st.info(md(notice), icon="🔗")


def la_picker(state: LinkState, key: str = "la", label: str = "Local authority") -> str:
    """Select box of current LAs (by name), defaulting to the link's LA; writes the choice back."""
    codes, names = _authority_choices(store())
    chosen = state.la(key)
    code = st.selectbox(label, codes, index=codes.index(chosen), format_func=names.get, key=f"w_{key}")
    state.write(**{key: code})
    return code


def _authority_choices(db: Store) -> tuple[list[str], dict[str, str]]:
    """The current authorities' codes (by name) and code -> name, memoised on ``db``."""

    def build() -> tuple[list[str], dict[str, str]]:
        la = db.current_authorities
        return list(la.new_la_code), dict(zip(la.new_la_code, la.la_name, strict=True))

    return db.memo(("authority choices",), build)


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


T = TypeVar("T")


def shared(key: tuple, build: Callable[..., T], /, *args, **kwargs) -> T:
    """``build(*args, **kwargs)`` computed once for the current database file and ``key``, then reused by every
    session (:meth:`send_pressure.queries.Store.memo` of the current store).

    For what does not depend on the session: figures, the frames behind them, tables, sentences. ``key`` must
    name everything ``build`` reads besides the database (what it is, indicator, area, period, title ...), as
    plain strings or numbers. The result is shared between sessions and threads: never modify it. Sessions that
    ask for the same key at once wait for one computation; the least recently used entries are dropped. A
    rebuilt database file gets a new store, so nothing computed from the old file is served from the new one.
    """
    return store().memo(("shared", *key), functools.partial(build, *args, **kwargs))


# Keyword arguments below: for positional ones Streamlit reads the function's signature at every call.
@st.cache_resource(show_spinner=False, max_entries=1024)
def _drawn(key: str, _draw: Callable[[], None]) -> None:
    _draw()


def drawn(key: tuple, draw: Callable[..., object], /, *args, **kwargs) -> None:
    """Draw the elements ``draw(*args, **kwargs)`` makes (e.g. ``st.plotly_chart``, ``st.dataframe``) once per
    process for the current database file and ``key``; later runs, in any session, replay the finished elements.

    Streamlit converts a figure to JSON, or a frame to Arrow, at every call, even for an unchanged one (a map
    costs about 40 ms a run); a replayed element skips that. The values drawn come from :func:`shared` (the
    store's memo); this keeps only the elements made from them, dropped when a new database file is first seen
    (see the module docstring). Like :func:`shared`: ``key`` must name everything the elements show (use
    :func:`identity` for an object from :func:`shared`), and ``draw`` must make no widgets and read nothing
    from the session. Elements land where the call is (inside a column or expander). The least recently used
    of 1,024 entries are dropped.
    """
    db = store()
    # The database file (path and identity: the test that makes store() open a new store for a replaced file) and
    # the key, as one string: Streamlit hashes that in a tenth of the time it takes for the store and a tuple.
    _drawn(key=repr((str(db.db_path), db.identity, key)), _draw=functools.partial(draw, *args, **kwargs))


_identities: dict[int, int] = {}
_next_identity = itertools.count()


def identity(obj: object) -> int:
    """A number naming ``obj`` (a figure, a frame) for as long as it lives, for :func:`drawn` keys: unlike
    ``id()`` it is never reused by a later object, so a key made from it never shows another object."""
    number = _identities.get(id(obj))
    if number is None:
        number = _identities.setdefault(id(obj), next(_next_identity))
        weakref.finalize(obj, _identities.pop, id(obj), None)
    return number


def source_caption(frame: pd.DataFrame, shown: list[str] | None = None) -> str:
    """'Source: publisher, title, release. Period: ...' for the rows behind a chart.

    ``shown``: the period labels the chart draws (:func:`charts.periods_shown`); the period span is
    taken from them when given, so the caption never names periods the chart leaves out."""
    s = store().sources.set_index("source_id")
    parts = []
    for sid in dict.fromkeys(frame.source_id.dropna()):
        if sid in s.index:
            parts.append(f"{s.at[sid, 'publisher']}, *{s.at[sid, 'title']}* ({s.at[sid, 'release']})")
    span = charts.span_text(shown) if shown else charts.period_span(frame)
    return f"Source: {'; '.join(parts) or 'see About the data'}. Period: {span}." if span else ""


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
        # A measure derived on a page (a share of a total) is named by ``ind``.
        named = {**({ind.indicator_id: ind.label} if ind is not None else {}), **{i: v.label for i, v in inds.items()}}
        out["indicator"] = out.indicator_id.map(lambda i: named.get(i, i))
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


#: Charts whose rows fit in a plain HTML table (read well by screen readers and keyboards; a trend with each
#: neighbour has about 150 rows); longer ones get a grid.
TABLE_ROWS = 200
#: Column headings of the data tables under charts.
TABLE_HEADINGS = {
    "area_name": "Area",
    "series": "Series",
    "breakdown": "Category",
    "period": "Period",
    "figure": "Figure",
    "marker_meaning": "Note",
    "flag": "Data quality",
    "source_release": "Source",
}


def _display_table(data: pd.DataFrame, ind: Indicator | None) -> tuple[pd.DataFrame | pa.Table, str]:
    """The rows behind a chart (from :func:`tidy_for_download`) as shown, and a note to print under them.

    Figures are formatted in ``ind``'s unit (else each row's indicator's), markers kept, headings readable.
    A note or flag column that is empty in every row is left out, and a source shared by every row is said
    once in the note, so the table fits a 320 px screen without scrolling sideways (the CSV keeps every
    column). Short tables are a frame for a plain HTML table; long ones are already in Arrow, which
    st.dataframe would otherwise convert them to at every rerun.
    """
    shown = data.copy()
    if "value" in shown:
        inds = store().indicators
        units = [ind.unit] * len(shown) if ind else [inds[i].unit for i in shown.indicator_id]
        shown["figure"] = [
            format_value(v, m, u)
            for v, m, u in zip(shown.value, shown.get("marker", [None] * len(shown)), units, strict=True)
        ]
    cols = [c for c in TABLE_HEADINGS if c in shown]
    empty = [c for c in ("marker_meaning", "flag") if c in cols and not shown[c].fillna("").astype(bool).any()]
    if "breakdown" in cols and shown.breakdown.isin(["Total"]).all():  # headline rows: no category to show
        empty.append("breakdown")
    one_source = "source_release" in cols and shown.source_release.nunique(dropna=False) == 1
    note = ""
    if one_source and shown.source_release.notna().any():
        note = f"Source of every row: {shown.source_release.iloc[0]}."
    drop = empty + (["source_release"] if one_source else [])
    table = shown[[c for c in cols if c not in drop]].rename(columns=TABLE_HEADINGS)
    if len(table) <= TABLE_ROWS:
        return table.fillna("").set_index(table.columns[0]), note
    return pa.Table.from_pandas(table, preserve_index=False), note


def _draw_table(table: pd.DataFrame | pa.Table, note: str) -> None:
    if isinstance(table, pa.Table):
        st.dataframe(table, hide_index=True, width="stretch")
    else:
        st.table(table)
    if note:
        st.caption(note)


def data_table(data: pd.DataFrame, key: str, ind: Indicator | None = None, table=None) -> None:
    """The rows behind a chart (from :func:`tidy_for_download`) as a table (``table``: its
    :func:`_display_table`, when already made), with a CSV download (formula-like text made inert).

    For ``data`` from :func:`shared` the table is made and converted for the browser once, then replayed."""
    table = _shown_table(_Same(data), ind, store()) if table is None else table
    drawn(("data table", identity(table[0])), _draw_table, *table)
    st.download_button(
        "Download CSV",
        lambda: csv_bytes(data),  # written only when clicked
        file_name=f"{key}.csv",
        mime="text/csv",
        key=f"dl_{key}",
        on_click="ignore",
    )


class _Same:
    """Wraps an object so that it hashes and compares by identity: a memo keyed on it hits only for that very
    object, which the memo keeps alive (so its id cannot be reused meanwhile)."""

    __slots__ = ("obj",)

    def __init__(self, obj: object):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


def _shown_table(data: _Same, ind: Indicator | None, db: Store) -> tuple:
    """:func:`_display_table` of ``data``, memoised on ``db`` for that very frame."""
    return db.memo(("shown table", data, ind and ind.indicator_id), lambda: _display_table(data.obj, ind))


def _chart_tables(frame: _Same, ind: Indicator, db: Store, periods: tuple[str, ...]) -> tuple:
    """(source caption, latest-figures sentence, download rows, table shown, source -> periods drawn, period
    span) of a chart's frame: computed once for a frame that comes from :func:`shared` (the same object at every
    rerun; memoised on ``db``), every time for a frame built in the run. ``periods``: the period labels the
    chart draws (the caption's span)."""
    from send_pressure.freshness import shown_periods

    def build() -> tuple:
        rows = frame.obj
        caption = source_caption(rows, list(periods) or None) if "source_id" in rows else ""
        data = tidy_for_download(rows, ind)
        table = _display_table(data, ind)
        return caption, charts.describe(rows, ind), data, table, shown_periods(rows), charts.period_span(rows)

    return db.memo(("chart tables", frame, ind.indicator_id, periods), build)


def _share_box(fig, frame: pd.DataFrame, key: str, url_path: str | None, caption: str, period: str) -> None:
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

    def image(fmt: str) -> bytes:
        stamped = export.stamped(fig, period, source, link)
        return export.to_image(stamped, fmt, {"Title": title, "Source": source, "Period": period, "URL": link})

    for column, (fmt, mime) in zip(st.columns(2), (("svg", "image/svg+xml"), ("png", "image/png")), strict=True):
        column.download_button(
            f"Download chart ({fmt.upper()}, with source)",
            functools.partial(image, fmt),  # drawn only when clicked
            file_name=f"{key}.{fmt}",
            mime=mime,
            key=f"{fmt}_{key}",
            on_click="ignore",
        )


def chart_block(
    fig,
    frame: pd.DataFrame,
    ind: Indicator,
    key: str,
    summary: str | None = None,
    url_path: str | None = None,
    alt: str | None = None,
) -> None:
    """Draw a chart with its title, accessible name, text summary, source caption, data table and downloads.

    ``frame``: the rows the chart shows (time_period, year, value, marker, source_id and an area or series
    column). The title comes from the figure (``charts.chart_title``) and is shown as text; the chart's
    accessible name is the title plus a sentence with its latest figures (``charts.describe``), printed
    under it when the page gives no ``summary`` of its own; ``alt`` (plain text) replaces that sentence in the
    accessible name where it does not fit the chart (bars of categories, not areas). ``url_path``: the page's
    path, for links when the browser's address is unknown. Pass ``fig`` and ``frame`` from :func:`shared` so
    that the tables are built once, and the chart and table drawn once (:func:`drawn`), not at every rerun.
    """
    title = charts.chart_title(fig)
    periods = tuple(charts.periods_shown(fig) or ())
    caption, latest, data, table, drawn_periods, span = _chart_tables(_Same(frame), ind, store(), periods)
    st.markdown(f'<p class="chart-title">{escape(title)}</p>', unsafe_allow_html=True)
    alt = f"Chart: {title}. {alt or latest}".strip()
    chart = functools.partial(st.plotly_chart, fig, width="stretch", config=PLOTLY_CONFIG, key=f"chart_{key}", alt=alt)
    drawn(("chart", identity(fig), key, alt), chart)
    _record_periods(drawn_periods)
    if caption:
        st.caption(caption)
    if summary or latest:  # a page's own summary already gives the latest figure in words
        st.markdown(summary or latest)
    with st.expander(f"Data table: {title}"):
        data_table(data, key, ind, table)
    # Filled only once opened (a rerun): about ten elements per chart that most readers never open.
    with st.expander("Share: copy link or citation, download the chart", key=f"share_{key}", on_change="rerun") as box:
        if box.open:
            _share_box(fig, frame, key, url_path, caption, span)


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

    return _citation(store(), tuple(s for s in source_ids if s), page_title, url, date.today())


def _citation(db: Store, source_ids: tuple[str, ...], page_title: str, url: str, accessed) -> str:
    from send_pressure.citation import citation

    return db.memo(
        ("citation", source_ids, page_title, url, accessed), lambda: citation(db, source_ids, page_title, url, accessed)
    )


def cite_this(page_title: str, url_path: str | None = None, also: tuple[str, ...] = ()) -> str:
    """The page's freshness line (release and periods of the figures drawn, newer releases known) and a 'Cite
    this' expander with a copyable citation of the current view; returns the citation text.

    The citation names the sources of the rows the page drew (recorded by :func:`chart_block` and
    :func:`record_rows`) plus ``also``: reference tables that are not observation rows (MP look-up,
    statistical neighbours).
    """
    shown = _shown_sources()
    lines = _figures_line(store(), tuple((sid, tuple(periods)) for sid, periods in shown.items()))
    if lines:
        st.caption("**Figures on this page.** " + " ".join(lines))
    text = view_citation([*shown, *also], page_title, current_view_url(url_path))
    with st.expander("Cite this"):
        st.caption("Copy with the icon at the top right. The link records this view and the data release it showed.")
        st.code(text, language=None, wrap_lines=True)
    return text


def briefing_html_cached(la_code: str) -> str:
    """The LA's scrutiny briefing as HTML (send_pressure.briefing), dated today; memoised on the store, per LA
    and date."""
    from datetime import date

    from send_pressure.briefing import briefing_html

    db, today = store(), date.today()
    return db.memo(("briefing html", la_code, today), lambda: briefing_html(db, la_code, today))


def briefing_pdf_cached(la_code: str) -> bytes:
    """The briefing as PDF (memoised like :func:`briefing_html_cached`); raises RuntimeError when the PDF engine
    cannot load."""
    from datetime import date

    from send_pressure.briefing import briefing_pdf

    key = ("briefing pdf", la_code, date.today())
    return store().memo(key, lambda: briefing_pdf(briefing_html_cached(la_code)))


def _chart_rows(db: Store, indicator_id: str, la_code: str) -> pd.DataFrame:
    """The benchmark rows a trend draws (:func:`benchmarks_of`): for totals (``additive``) only the LA and its
    neighbours (median and each), whose lines the region and England totals would flatten; with each figure's
    flags and footnotes."""

    def build() -> pd.DataFrame:
        rows = benchmarks_of(db, indicator_id, la_code)
        if measures.as_indicator(db, indicator_id).additive:
            rows = rows[rows.role.isin(["la", "neighbours", "neighbour"])].reset_index(drop=True)
        # Flags and publisher footnotes travel with the rows, so the chart's hover shows them beside the point.
        return db.attach_flags(rows.assign(area_code=rows.area_code.fillna("")), indicator_id)

    return db.memo(("chart rows", indicator_id, la_code), build)


def _benchmark_figure(db: Store, indicator_id: str, la_code: str, title: str):
    """The trend of :func:`_chart_rows`, memoised on the store per indicator, LA and title."""

    def build():
        rows = _chart_rows(db, indicator_id, la_code)
        ind = measures.as_indicator(db, indicator_id)
        return charts.trend(rows, ind, title, breaks=breaks_for(indicator_id, db))

    return db.memo(("benchmark figure", indicator_id, la_code, title), build)


def breaks_for(indicator_id: str, db: Store | None = None) -> pd.DataFrame:
    """The ``series_break`` rows of one indicator (for :func:`send_pressure.charts.trend`), from ``db`` or the
    current database. Shared between reruns: never modify it."""
    return _breaks(db or store(), indicator_id)


def _breaks(db: Store, indicator_id: str) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        b = db.series_breaks
        return b[b.indicator_id == indicator_id]

    return db.memo(("breaks", indicator_id), build)


def _figures_line(db: Store, shown: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    from send_pressure.freshness import figures_line

    return db.memo(
        ("figures line", shown), lambda: figures_line(db.sources, {sid: list(periods) for sid, periods in shown})
    )


def _areas_rows(db: Store, indicator_ids: tuple[str, ...], area_codes: tuple[str, ...], by: str) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        frames = []
        for iid in indicator_ids:
            rows = db.series(iid, list(area_codes)).assign(indicator_id=iid)
            if by == "area":  # one line per area: England drawn in its role's style
                rows = rows.assign(series=rows.area_name, role=rows.area_code.map({ENGLAND: "england"}))
            else:
                rows = rows.assign(series=db.indicators[iid].label)
            frames.append(rows)
        return pd.concat(frames, ignore_index=True)

    return db.memo(("areas rows", indicator_ids, area_codes, by), build)


def _areas_figure(db: Store, indicator_ids: tuple[str, ...], area_codes: tuple[str, ...], by: str, title: str,
                  highlight: str | None):  # fmt: skip
    def build():
        rows = _areas_rows(db, indicator_ids, area_codes, by)
        breaks = db.series_breaks[db.series_breaks.indicator_id.isin(indicator_ids)]
        return charts.trend(rows, db.indicators[indicator_ids[-1]], title, highlight=highlight, breaks=breaks)

    return db.memo(("areas figure", indicator_ids, area_codes, by, title, highlight), build)


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


def benchmarks_of(db: Store, indicator_id: str, la_code: str) -> pd.DataFrame:
    """:func:`send_pressure.compare.benchmarks` of an indicator, or :func:`send_pressure.measures.benchmarks` of
    a published column of the releases (a measure id): the same columns, memoised on ``db``."""
    if measures.is_measure(indicator_id):
        return measures.benchmarks(db, indicator_id, la_code)
    return compare.benchmarks(db, indicator_id, la_code)


def benchmarks(indicator_id: str, la_code: str) -> pd.DataFrame:
    """:func:`benchmarks_of` for the current database (memoised on its store).

    The frame is shared between reruns: filter it, never modify it in place.
    """
    return benchmarks_of(store(), indicator_id, la_code)


def benchmark_chart(indicator_id: str, la_code: str, title: str, key: str, summary: str | None = None) -> None:
    """The LA's trend against its region, England and statistical neighbours, through :func:`chart_block`.

    ``indicator_id``: a catalogue indicator, or a published column of the releases (a measure id with a dot,
    :mod:`send_pressure.measures`).

    Each neighbour's own line is one legend click away, and in the data table. For totals (counts, £)
    only the LA and its neighbours (median and each) are drawn, on one scale; the page's
    tables give region and England. Figures are memoised per indicator, LA and title: building a plotly
    figure is most of a page's render time.
    """
    db = store()
    ind = measures.as_indicator(db, indicator_id)
    if ind.additive:
        note = "Region and England totals are far larger, so only the neighbours' median is drawn beside it."
        summary = f"{summary} {note}" if summary else note
    fig = _benchmark_figure(db, indicator_id, la_code, title)
    chart_block(fig, _chart_rows(db, indicator_id, la_code), ind, key=key, summary=summary)


def distribution_block(topic, la_code: str, period: str, measure: str, key: str, url_path: str | None = None) -> None:
    """One period of a breakdown (``send_pressure.breakdowns``: a :class:`~send_pressure.breakdowns.Topic`) for
    an authority against its region, England and its neighbours' median and range: a bar chart through
    :func:`chart_block`, then every category in a table with counts and shares and its CSV.

    ``measure``: ``breakdowns.SHARES`` or ``breakdowns.COUNTS`` (counts draw only the authority and its
    neighbours' median: region and England counts are in the table). Frames and figure are shared per process.
    """
    from send_pressure import breakdowns

    db = store()
    la_name = db.area_name(la_code)
    base = db.indicators[topic.figure]
    shown = breakdowns.share_indicator(base) if measure == breakdowns.SHARES else base
    what = breakdowns.label(db, topic)
    view = ("breakdown", topic.key, la_code, measure, period)
    rows = shared(("breakdown rows", topic.key, la_code, measure), breakdowns.benchmark_rows, db, topic, la_code,
                  measure)  # fmt: skip
    at_period = shared((*view, "rows"), lambda: rows[rows.time_period == period])
    if measure == breakdowns.COUNTS:
        drawn = shared((*view, "drawn"), lambda: at_period[at_period.role.isin(["la", "neighbours"])])
        note = (
            "Counts mostly reflect an authority's size: the chart draws the authority and its neighbours' median; "
            "region and England counts are in the table."
        )
    else:
        drawn = at_period
        note = "Each share is the category's count over the area's total for the same period."
    label = period_label(period)

    def largest() -> str:
        own = at_period[at_period.role == "la"].dropna(subset=["value"]).sort_values("value", ascending=False)
        top = "; ".join(
            f"{r.breakdown}: {breakdowns.figure(r.value, None, shown.unit)}" for r in own.head(3).itertuples()
        )
        return f"{la_name}, {label}, largest: {top}." if top else f"No published figure for {la_name}, {label}."

    sentence = shared((*view, "sentence"), largest)
    title = f"{what}: {la_name}, {label}"
    fig = shared((*view, "chart"), charts.distribution, drawn, shown, title)
    chart_block(
        fig,
        drawn,
        shown,
        key=key,
        summary=f"{md(sentence)} {note} The whisker on the neighbours' bar spans their lowest to highest figure.",
        url_path=url_path,
        alt=sentence,
    )
    st.markdown(f"**Every category: {md(title)}**")
    table = shared(
        (*view, "table"),
        lambda: md_table(breakdowns.distribution_table(at_period, measure).set_index("Category")),
    )
    download = shared((*view, "download"), tidy_for_download, at_period.assign(indicator_id=shown.indicator_id),
                      shown)  # fmt: skip
    data_table(download, f"{key}_table", shown, table=(table, note))
