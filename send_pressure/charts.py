"""Plotly chart builders shared by every page.

Honest by construction: suppressed or missing values are gaps (never zeros) and
say why on hover; periods are labelled as published and ordered in time; count
axes start at zero; series differ by line style and symbol as well as colour
(Okabe-Ito palette, safe for colour-blind readers).

Accessible by construction: all text is near-black on white (contrast above 4.5:1, WCAG 2.2 AA), and a
chart's title is kept in ``layout.meta["title"]`` rather than drawn inside the plot, so the page shows it
as text that wraps on a narrow screen (``send_pressure.ui.chart_block``) and the stamped image download
puts it back (``send_pressure.export``).
"""

from __future__ import annotations

import json
import textwrap

import pandas as pd
import plotly.graph_objects as go
import topojson
from plotly.colors import sample_colorscale

from send_pressure.catalogue import Indicator, format_value, marker_reason, period_label
from send_pressure.narrative import better_end, judgement
from send_pressure.palette import BREAK_COLOUR, GRID, HIGHLIGHT, INK, OTHERS, PALETTE, ROLES

#: Bars that are not highlighted: dark enough for 3:1 against white (WCAG non-text contrast).
MUTED = "#767676"
NO_DATA = "#E5E5E5"
FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=14, color=INK)


def chart_title(fig: go.Figure) -> str:
    """The title a chart builder gave the figure ('' when none)."""
    meta = fig.layout.meta
    return str(meta.get("title", "")) if isinstance(meta, dict) else ""


def _layout(fig: go.Figure, ind: Indicator, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        # The title is shown by the page as text (it wraps on a phone); the legend sits on its own line on top.
        meta=dict(title=title),
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        font=FONT,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, font=dict(color=INK)),
        hoverlabel=dict(font_size=14),
        plot_bgcolor="white",
        paper_bgcolor="white",
    )
    # Explicit colours: Streamlit's chart theme would otherwise draw tick labels in a pale grey (about 3.7:1).
    axis_text = dict(tickfont=dict(color=INK), title_font=dict(color=INK), color=INK)
    fig.update_xaxes(**axis_text)
    fig.update_yaxes(gridcolor=GRID, zeroline=True, zerolinecolor="#BBBBBB", **axis_text)
    if ind.unit in ("count", "gbp", "percent", "rate_per_1000"):
        fig.update_yaxes(rangemode="tozero")
    if ind.unit == "percent":
        fig.update_yaxes(ticksuffix="%")
    if ind.unit == "gbp":
        fig.update_yaxes(tickprefix="£")
    return fig


def _period_axis(fig: go.Figure, order: list[str]) -> None:
    """Periods as categories in time order; slanted when there are many, so '2009/10' labels never collide."""
    slanted = len(order) > 8
    fig.update_xaxes(
        categoryorder="array", categoryarray=order, type="category", tickangle=-45 if slanted else 0, automargin=True
    )


def periods_shown(fig: go.Figure) -> list[str] | None:
    """The period labels a chart's x axis shows, oldest first (as set by the time-series builders); None when
    its x axis is not periods (maps, rankings, scatters), so a caption can describe exactly what is drawn."""
    order = fig.layout.xaxis.categoryarray
    return list(order) if order else None


def span_text(labels: list[str]) -> str:
    """'2024' or '2014 to 2024' for period labels in time order ('' for none)."""
    if not labels:
        return ""
    return labels[0] if labels[0] == labels[-1] else f"{labels[0]} to {labels[-1]}"


def period_span(frame: pd.DataFrame) -> str:
    """The periods a frame covers, as published: '2024' or '2014 to 2024' ('' for no rows)."""
    periods = list(dict.fromkeys(frame.sort_values("year").time_period)) if "year" in frame else []
    return span_text([period_label(p) for p in periods])


def _ordered_periods(frame: pd.DataFrame) -> list[str]:
    return [period_label(p) for p in dict.fromkeys(frame.sort_values("year").time_period)]


#: Fixed styles by a series' ``role`` (``send_pressure.compare.ROLES``; colours in ``palette.ROLES``, as in the
#: briefing), so the chosen LA, its region, England and the neighbours look the same on every chart, whatever
#: their names. Any other series (another LA, an indicator) takes the region's style and then the others in turn.
ROLE_STYLES = {role: style.plotly for role, style in ROLES.items()}
OTHER_STYLES = [ROLES["region"].plotly, *(s.plotly for s in OTHERS)]
GAP_FILL = "rgba(150, 150, 150, 0.18)"


def _style(name: str, role: str | None, highlight: str | None, others: dict) -> tuple[str, str, str]:
    """(colour, dash, symbol) for a series: the highlighted series (or the LA's role) solid vermilion, the
    other roles fixed, anything else (a region, another LA, an indicator) from the remaining styles in order of
    appearance."""
    if name == highlight:
        return ROLE_STYLES["la"]
    if role in ROLE_STYLES:
        return ROLE_STYLES[role]
    return others.setdefault(name, OTHER_STYLES[len(others) % len(OTHER_STYLES)])


def trend(
    frame: pd.DataFrame,
    ind: Indicator,
    title: str,
    highlight: str | None = None,
    breaks: pd.DataFrame | None = None,
) -> go.Figure:
    """Line chart of one indicator over time for several series.

    ``frame``: long rows with time_period, year, series, value, marker and optionally ``role`` (styles and
    the thin lines of each neighbour go by role, ``compare.ROLES``; the 'la' role is drawn thick) and ``flag``
    (data-quality flags, shown on hover with '⚠'), as from ``compare.benchmarks``. Periods before the first published
    figure are left out.
    A period where a series has no figure is a gap in its line and a light grey
    column whose hover says which series and why (never a point at zero).
    ``highlight``: a series (by name) drawn as a thick solid line, for frames without roles.
    ``breaks``: the indicator's rows of the ``series_break`` table; each is drawn as a dashed
    vertical line before its first period, labelled "New method", with what changed on hover.
    """
    fig = go.Figure()
    published = frame[frame.value.notna()]
    if len(published):
        frame = frame[frame.year >= published.year.min()]
    order = _ordered_periods(frame)
    roles = frame["role"] if "role" in frame else pd.Series(None, index=frame.index, dtype=object)
    each = roles.eq("neighbour")
    own_neighbours, frame = frame[each], frame[~each]
    role_of = dict(zip(frame.series, roles[~each], strict=True))
    thick = {n for n, r in role_of.items() if r == "la"} | {highlight}
    # Drawn first, so the lines sit on top of the grey columns.
    gaps = frame[frame.value.isna()]
    if len(gaps) and len(published):
        top = float(published.value.max()) * 1.05
        why = gaps.groupby("time_period").apply(
            lambda g: "<br>".join(
                f"{n}: {marker_reason(m) or 'no figure'}" for n, m in zip(g.series, g.marker, strict=True)
            ),
            include_groups=False,
        )
        fig.add_trace(
            go.Bar(
                x=[period_label(p) for p in why.index],
                y=[top] * len(why),
                marker=dict(color=GAP_FILL, line=dict(width=0)),
                hovertext=[f"{period_label(p)}: not published<br>{t}" for p, t in why.items()],
                hoverinfo="text",
                name="Not published (hover for why)",
            )
        )
    others: dict = {}
    # A series break cuts every line: the two methods are never joined.
    cuts = [] if breaks is None else sorted({b.first_year for b in breaks.itertuples()})
    for name, part in frame.groupby("series", sort=False):
        part = part.sort_values("year")
        color, dash, symbol = _style(name, role_of.get(name), highlight, others)
        if "flag" not in part:
            part = part.assign(flag="")
        segment = part.year.map(lambda y: sum(y >= c for c in cuts))
        for i, (_, piece) in enumerate(part.groupby(segment, sort=True)):
            text = [
                f"{name}<br>{period_label(p)}: {format_value(v, m, ind.unit)}"
                + (f"<br>{marker_reason(m)}" if isinstance(m, str) else "")
                + (f"<br>⚠ {_wrap(f)}" if isinstance(f, str) and f else "")
                for p, v, m, f in zip(piece.time_period, piece.value, piece.marker, piece.flag, strict=True)
            ]
            fig.add_trace(
                go.Scatter(
                    x=[period_label(p) for p in piece.time_period],
                    y=piece.value,
                    name=name,
                    legendgroup=name,
                    showlegend=i == 0,
                    mode="lines+markers",
                    connectgaps=False,
                    line=dict(color=color, width=4 if name in thick else 2, dash=dash),
                    marker=dict(symbol=symbol, size=9, color=color),
                    hovertext=text,
                    hoverinfo="text",
                )
            )
    _neighbour_lines(fig, own_neighbours, ind)
    _period_axis(fig, order)
    _draw_breaks(fig, breaks, order)
    return _layout(fig, ind, title)


def _draw_breaks(fig: go.Figure, breaks: pd.DataFrame | None, order: list[str]) -> None:
    """A dashed line between the last period of the old method and the first of the new, for each break shown."""
    if breaks is None:
        return
    for b in breaks.itertuples():
        label = period_label(b.first_period)
        if label not in order or order.index(label) == 0:
            continue
        x = order.index(label) - 0.5
        fig.add_vline(x=x, line=dict(color=BREAK_COLOUR, width=2, dash="dash"))
        fig.add_annotation(
            x=x,
            y=1,
            yref="paper",
            text=f"New method from {label}",
            hovertext=b.description,
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font=dict(size=12, color=BREAK_COLOUR),
            bgcolor="rgba(255,255,255,0.85)",
        )


EACH_NEIGHBOUR = "Each neighbour (click to show)"


def _neighbour_lines(fig: go.Figure, rows: pd.DataFrame, ind: Indicator) -> None:
    """Each statistical neighbour's own line, thin and grey, in one trace (lines broken between neighbours),
    hidden until its legend entry is clicked: one click shows them all, at the cost of a single trace."""
    if rows.empty:
        return
    xs, ys, texts = [], [], []
    for name, part in rows.groupby("series", sort=False):
        part = part.sort_values("year")
        xs += [period_label(p) for p in part.time_period] + [None]
        ys += list(part.value) + [None]
        texts += [
            f"{name} (neighbour)<br>{period_label(p)}: {format_value(v, m, ind.unit)}"
            for p, v, m in zip(part.time_period, part.value, part.marker, strict=True)
        ] + [""]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            name=EACH_NEIGHBOUR,
            legendgroup="each_neighbour",
            visible="legendonly",
            mode="lines+markers",
            connectgaps=False,
            line=dict(color="#6B7785", width=1),
            marker=dict(size=5, color="#6B7785"),
            hovertext=texts,
            hoverinfo="text",
        )
    )


def _wrap(text: str, width: int = 70) -> str:
    """Long hover text broken into lines (plotly does not wrap hover labels)."""
    return "<br>".join(textwrap.wrap(text, width))


def ranking(snapshot: pd.DataFrame, ind: Indicator, title: str, highlight: str | None, england: float | None):
    """Bar chart of every LA's value in one period, sorted, with the chosen LA highlighted.

    ``snapshot``: rows with area_code, area_name, value, marker (LAs without a
    figure are listed under the chart by the page, not drawn as zero bars).
    The highlighted LA is marked by colour, a pattern and a label.
    """
    data = snapshot.dropna(subset=["value"]).sort_values("value", ascending=ind.lowest_first)
    is_hl = data.area_code == highlight
    fig = go.Figure(
        go.Bar(
            x=data.area_name,
            y=data.value,
            marker=dict(
                color=[HIGHLIGHT if h else MUTED for h in is_hl],
                pattern=dict(shape=["/" if h else "" for h in is_hl]),
            ),
            hovertext=[
                f"{n}: {format_value(v, None, ind.unit)}" for n, v in zip(data.area_name, data.value, strict=True)
            ],
            hoverinfo="text",
            name=ind.label,
        )
    )
    if england is not None:
        fig.add_hline(
            y=england,
            line=dict(color="#000000", dash="dash"),
            annotation_text=f"England {format_value(england, None, ind.unit)}",
            annotation_position="top left",
            annotation_font_color=INK,
        )
    if is_hl.any():
        row = data[is_hl].iloc[0]
        fig.add_annotation(
            x=row.area_name,
            y=row.value,
            text=f"▼ {row.area_name}",
            showarrow=False,
            yshift=18,
            font=dict(size=14, color=INK),
        )
    fig.update_xaxes(showticklabels=False, title=f"{len(data)} local authorities, ordered")
    return _layout(fig, ind, title)


def _rings(geometry: dict) -> list[list[list[float]]]:
    """Every ring of a GeoJSON Polygon or MultiPolygon."""
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for poly in polys for ring in poly]


#: Decimal places kept of the map's coordinates: 0.001° is about 100 m, a tenth of a pixel on a 700-pixel map of
#: England and finer than the boundaries' own 200 m generalisation; full precision tripled the map's size.
MAP_DECIMALS = 3


#: How far, in degrees, the map's simplified borders may stray from the published ones (:func:`simplify_boundaries`):
#: 0.005° is about 550 m north-south and 330 m east-west, half a pixel of the 700-pixel map of England. It keeps 11,000
#: of the boundaries' 29,000 points and cuts the map's figure from about 400 to 170 KB (sent to every new reader).
MAP_TOLERANCE = 0.005


def simplify_boundaries(boundaries: pd.DataFrame, tolerance: float = MAP_TOLERANCE) -> pd.DataFrame:
    """``boundaries`` (new_la_code, name, geometry as GeoJSON text, as ``Store.boundaries``) with every shape
    simplified for the map: borders may move by up to ``tolerance`` degrees (Douglas-Peucker).

    The shapes are simplified as one topology (the ``topojson`` package): a border two authorities share is
    simplified once, so neighbours still meet with no gap or overlap, and no shape is simplified away (the
    smallest, the City of London, keeps 8 points). Takes about a second: build it once per database
    (``send_pressure.compare.map_boundaries``)."""
    features = [
        {"type": "Feature", "properties": {"row": i}, "geometry": json.loads(g)}
        for i, g in enumerate(boundaries.geometry)
    ]
    topo = topojson.Topology(
        {"type": "FeatureCollection", "features": features}, prequantize=False, toposimplify=tolerance
    )
    shapes = {f["properties"]["row"]: f["geometry"] for f in json.loads(topo.to_geojson())["features"]}
    return boundaries.assign(geometry=[json.dumps(shapes[i], separators=(",", ":")) for i in range(len(boundaries))])


def _outline(geometry_json: str) -> tuple[list, list]:
    """x/y of a shape's rings joined with None breaks; longitude squeezed by cos(53.5°) so England keeps its shape.

    Coordinates are rounded to :data:`MAP_DECIMALS` places, and a point that rounds onto the one before it is
    left out."""
    xs, ys = [], []
    for ring in _rings(json.loads(geometry_json)):
        points = [(round(x * 0.595, MAP_DECIMALS), round(y, MAP_DECIMALS)) for x, y in ring]
        kept = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        xs += [x for x, _ in kept] + [None]
        ys += [y for _, y in kept] + [None]
    return xs, ys


def map_scale(ind: Indicator) -> str:
    """The map's colour scale: Cividis runs dark (low) to light (high); reversed where higher is better, so
    darker is always the better end when there is one."""
    return "Cividis_r" if ind.better_than(1, 0) else "Cividis"


def map_legend_sentence(ind: Indicator) -> str:
    """What darker shading means on :func:`choropleth` for this indicator (read from :func:`map_scale`)."""
    dark_is_high = map_scale(ind).endswith("_r")
    direction = "higher" if dark_is_high else "lower"
    if better_end(ind) is None:
        return f"Darker shading means a {direction} figure (neither is better for this indicator)."
    return f"Darker shading means a {direction} figure, which is {judgement(ind, dark_is_high)} here."


def choropleth(snapshot: pd.DataFrame, boundaries: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """Map of England's LAs shaded by value; LAs with no figure drawn in light grey and labelled on hover.

    ``snapshot``: area_code, area_name, value, marker for one period;
    ``boundaries``: new_la_code, name, geometry (GeoJSON text), one per LA.
    Drawn as filled SVG shapes (no map tiles or base-map downloads, so it works offline).
    Colour scale Cividis (colour-blind safe, :func:`map_scale`); :func:`map_legend_sentence` says what
    darker means.
    """
    merged = boundaries[["new_la_code", "name", "geometry"]].merge(
        snapshot[["area_code", "value", "marker"]], left_on="new_la_code", right_on="area_code", how="left"
    )
    values = merged.value.dropna()
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    scale = map_scale(ind)
    fig = go.Figure()
    for row in merged.itertuples():
        xs, ys = _outline(row.geometry)
        if pd.isna(row.value):
            color = NO_DATA
            why = marker_reason(row.marker) if isinstance(row.marker, str) else "not published"
            text = f"{row.name}: no figure ({why})"
        else:
            color = sample_colorscale(scale, [(row.value - lo) / (hi - lo) if hi > lo else 0.5])[0]
            text = f"{row.name}: {format_value(row.value, None, ind.unit)}"
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                fill="toself",
                fillcolor=color,
                mode="lines",
                line=dict(color="white", width=0.5),
                hoveron="fills",
                text=text,
                hoverinfo="text",
                showlegend=False,
            )
        )
    # An invisible marker trace carries the colour bar.
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            marker=dict(
                colorscale=scale,
                cmin=lo,
                cmax=hi,
                color=[lo],
                showscale=True,
                colorbar=dict(title=dict(text=ind.short_unit, font=dict(color=INK)), tickfont=dict(color=INK)),
            ),
        )
    )
    fig = _layout(fig, ind, title, height=700)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", rangemode="normal")
    fig.update_layout(margin=dict(l=0, r=0, t=20, b=0))
    return fig


def scatter(wide: pd.DataFrame, x: Indicator, y: Indicator, title: str, highlight: str | None = None) -> go.Figure:
    """Scatter of two indicators across LAs (``wide`` from ``Store.wide``: columns named by indicator id)."""
    data = wide.dropna(subset=[x.indicator_id, y.indicator_id])
    is_hl = data.area_code == highlight
    fig = go.Figure(
        go.Scatter(
            x=data[x.indicator_id],
            y=data[y.indicator_id],
            mode="markers",
            marker=dict(
                color=[HIGHLIGHT if h else PALETTE[0] for h in is_hl],
                symbol=["star" if h else "circle" for h in is_hl],
                size=[16 if h else 8 for h in is_hl],
                opacity=0.8,
            ),
            hovertext=[
                f"{n}<br>{x.label}: {format_value(a, None, x.unit)}<br>{y.label}: {format_value(b, None, y.unit)}"
                for n, a, b in zip(data.area_name, data[x.indicator_id], data[y.indicator_id], strict=True)
            ],
            hoverinfo="text",
        )
    )
    fig = _layout(fig, y, title, height=520)
    fig.update_xaxes(title=f"{x.label} ({x.short_unit})", rangemode="tozero", gridcolor=GRID)
    fig.update_yaxes(title=f"{y.label} ({y.short_unit})")
    return fig


def sparkline(series: pd.DataFrame, breaks: pd.DataFrame | None = None) -> go.Figure:
    """A tiny line of one area's values over time (gaps where not published), for headline tiles.

    ``breaks``: the indicator's ``series_break`` rows; the line is broken before each first period of a new
    method, so a method change never reads as a jump.
    """
    s = series.sort_values("year")
    cuts = sorted(breaks.first_year) if breaks is not None else []
    fig = go.Figure()
    for _, piece in s.groupby(s.year.map(lambda y: sum(y >= c for c in cuts)), sort=True):
        fig.add_trace(
            go.Scatter(
                x=[period_label(p) for p in piece.time_period],
                y=piece.value,
                mode="lines+markers",
                line=dict(color=PALETTE[0], width=2),
                marker=dict(size=4),
                hoverinfo="skip",
            )
        )
    fig.update_layout(height=70, margin=dict(l=0, r=0, t=0, b=0), showlegend=False, plot_bgcolor="white", font=FONT)
    fig.update_xaxes(visible=False, type="category")
    fig.update_yaxes(visible=False, rangemode="tozero")
    return fig


def grouped_bars(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """Bars of several count series per period (e.g. requests -> assessments -> plans).

    ``frame``: long rows with time_period, year, series, value, marker; bars differ
    by colour and pattern; missing values are left out and listed on hover.
    """
    fig = go.Figure()
    order = _ordered_periods(frame)
    patterns = ["", "/", ".", "x", "-", "+"]
    for i, (name, part) in enumerate(frame.groupby("series", sort=False)):
        part = part.sort_values("year")
        fig.add_trace(
            go.Bar(
                x=[period_label(p) for p in part.time_period],
                y=part.value,
                name=name,
                marker=dict(color=PALETTE[i % len(PALETTE)], pattern=dict(shape=patterns[i % len(patterns)])),
                hovertext=[
                    f"{name}, {period_label(p)}: {format_value(v, m, ind.unit)}"
                    + (f" ({marker_reason(m)})" if isinstance(m, str) else "")
                    for p, v, m in zip(part.time_period, part.value, part.marker, strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(barmode="group")
    _period_axis(fig, order)
    return _layout(fig, ind, title)


def changes(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """Horizontal bars of each LA's change between two periods (``frame`` from ``compare.biggest_changes``).

    Increases and decreases differ by colour and pattern; percentages are shown in percentage points.
    """
    from send_pressure.catalogue import format_change

    data = frame.iloc[::-1]  # biggest at the top
    up = data.change >= 0
    fig = go.Figure(
        go.Bar(
            x=data.change,
            y=data.area_name,
            orientation="h",
            marker=dict(
                color=[PALETTE[0] if u else PALETTE[1] for u in up], pattern=dict(shape=["" if u else "/" for u in up])
            ),
            hovertext=[
                f"{n}: {format_value(p, None, ind.unit)} ({period_label(pp)}) to {format_value(v, None, ind.unit)} "
                f"({period_label(lp)}), {format_change(c, ind.unit)}"
                for n, p, v, c, pp, lp in zip(
                    data.area_name,
                    data.previous,
                    data.latest,
                    data.change,
                    data.previous_period,
                    data.latest_period,
                    strict=True,
                )
            ],
            hoverinfo="text",
            name=ind.label,
        )
    )
    fig = _layout(fig, ind, title, height=max(320, 40 * len(data) + 100))
    fig.update_yaxes(rangemode="normal", ticksuffix="", tickprefix="", type="category")
    unit = {"percent": " pp", "gbp": "", "count": "", "rate_per_1000": ""}.get(ind.unit, "")
    fig.update_xaxes(
        title=f"Change ({ind.short_unit if ind.unit != 'percent' else 'percentage points'})",
        ticksuffix=unit,
        tickprefix="£" if ind.unit == "gbp" else "",
        gridcolor=GRID,
        zeroline=True,
        zerolinecolor="#555555",
    )
    return fig


def describe(frame: pd.DataFrame, ind: Indicator) -> str:
    """One sentence giving a chart's latest figures, for its text summary and accessible name.

    ``frame``: the rows the chart shows (time_period, year, value, marker and a ``series`` or
    ``area_name`` column). Series over time: the latest published figure of each series (at most four).
    One period across areas: how many areas have a figure, the highest and the lowest. '' when nothing
    is published.
    """
    if frame.empty or "value" not in frame:
        return ""
    if "marker" not in frame:
        frame = frame.assign(marker=None)
    if "year" not in frame:
        frame = frame.assign(year=frame.time_period.astype(str))
    published = frame[frame.value.notna()]
    if published.empty:
        return ""
    if "series" in published and published.time_period.nunique() > 1:
        latest = published.sort_values("year").groupby("series", sort=False).tail(1)
        parts = [
            f"{r.series} {format_value(r.value, r.marker, ind.unit)} ({period_label(r.time_period)})"
            for r in latest.head(4).itertuples()
        ]
        return f"Latest figures: {'; '.join(parts)}."
    name = "area_name" if "area_name" in published else "series"
    newest = published[published.year == published.year.max()].sort_values("value")
    period = period_label(newest.time_period.iloc[0])
    low, high = newest.iloc[0], newest.iloc[-1]
    if len(newest) == 1:
        return f"{high[name]}, {period}: {format_value(high.value, high.marker, ind.unit)}."
    return (
        f"{len(newest)} areas with a figure for {period}: highest {high[name]} "
        f"({format_value(high.value, high.marker, ind.unit)}), lowest {low[name]} "
        f"({format_value(low.value, low.marker, ind.unit)})."
    )


def flow(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """Horizontal bars of one area's counts along a path (``send_pressure.journey.flow_frame``: series,
    value, marker, period), first step on top; branches (labels starting '↳') hatched in a second colour.

    Each bar's label and figure are written above it (not as axis labels), so they fit a 320 px screen. A
    count with no figure gets no bar, and its label says 'no figure' with the marker: never a bar at zero.
    """
    labels = list(frame.series)
    branch = frame.series.str.startswith("↳")
    texts = [
        f"{s}: "
        + (
            format_value(v, m if isinstance(m, str) else None, ind.unit)
            if pd.notna(v)
            else f"no figure ({marker_reason(m) or 'not published'})"
        )
        + (f" ({p})" if p else "")
        for s, v, m, p in zip(labels, frame.value, frame.marker, frame.period, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=frame.value,
            y=labels,
            orientation="h",
            width=0.45,
            marker=dict(
                color=[PALETTE[1] if b else PALETTE[0] for b in branch],
                pattern=dict(shape=["/" if b else "" for b in branch]),
            ),
            hovertext=texts,
            hoverinfo="text",
            name=ind.label,
        )
    )
    # Wrapped to fit a phone; a two-line label sits higher, clear of its bar.
    for label, text in zip(labels, texts, strict=True):
        lines = textwrap.wrap(text, 40)
        fig.add_annotation(x=0, xref="paper", y=label, yshift=12 + 9 * len(lines), text="<br>".join(lines),
                           showarrow=False, xanchor="left", align="left", font=dict(color=INK, size=13))  # fmt: skip
    fig = _layout(fig, ind, title, height=max(320, 64 * len(labels) + 60))
    fig.update_yaxes(autorange="reversed", type="category", rangemode="normal", showticklabels=False)
    fig.update_xaxes(gridcolor="#E8E8E8", title=ind.short_unit)
    fig.update_layout(showlegend=False, margin=dict(l=10, r=10, t=20, b=10))
    return fig


#: Bar patterns by role in :func:`distribution` (solid for the authority and England, dotted for the neighbours'
#: median, hatched for anything else), so a bar is told apart without its colour.
ROLE_PATTERNS = {"la": "", "england": "", "neighbours": "."}


def distribution(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """Horizontal grouped bars of one period's breakdown: one bar per series (an authority, its region,
    England, the neighbours' median with its range as a whisker) in each category, largest category on top.

    ``frame``: rows with series, role (``compare.ROLES``: styles and the whisker go by role), breakdown, value,
    marker and optionally low/high (from ``send_pressure.breakdowns.benchmark_rows``). A figure that is not
    published has no bar; its category is labelled 'no figure' with the marker beside it, never drawn at zero.
    """
    fig = go.Figure()
    cats = list(dict.fromkeys(frame.breakdown))
    others: dict = {}
    for (name, role), part in frame.groupby(["series", "role"], sort=False):
        part = part.set_index("breakdown").reindex(cats)
        color, _, _ = _style(name, role, None, others)
        ranged = "low" in part and role == "neighbours"
        fig.add_trace(
            go.Bar(
                x=part.value,
                y=cats,
                name=name,
                orientation="h",
                marker=dict(color=color, pattern=dict(shape=ROLE_PATTERNS.get(role, "/"))),
                error_x=dict(
                    type="data", symmetric=False, array=(part.high - part.value), arrayminus=(part.value - part.low),
                    color=INK, thickness=1.2, width=3,
                ) if ranged else None,
                hovertext=[
                    f"{name}, {c}: {format_value(v, m if isinstance(m, str) else None, ind.unit)}"
                    + (f" (range {format_value(lo, None, ind.unit)} to {format_value(hi, None, ind.unit)})"
                       if ranged and pd.notna(v) else "")
                    for c, v, m, lo, hi in zip(cats, part.value, part.marker, part.get("low", part.value),
                                               part.get("high", part.value), strict=True)
                ],
                hoverinfo="text",
            )
        )  # fmt: skip
    missing = frame[frame.value.isna()]
    for cat, g in missing.groupby("breakdown", sort=False):
        text = "no figure: " + "; ".join(
            f"{s} {m if isinstance(m, str) else 'not published'}" for s, m in zip(g.series, g.marker, strict=True)
        )
        fig.add_annotation(x=1, xref="paper", xanchor="right", y=cat, text=textwrap.shorten(text, 60), showarrow=False,
                           font=dict(color=INK, size=12), bgcolor="rgba(255,255,255,0.85)")  # fmt: skip
    fig.update_layout(barmode="group", bargap=0.25)
    fig = _layout(fig, ind, title, height=max(360, (26 + 9 * frame.series.nunique()) * len(cats) + 120))
    fig.update_yaxes(autorange="reversed", type="category", rangemode="normal", automargin=True, ticksuffix="",
                     tickprefix="", tickvals=cats, ticktext=[_wrap(c, 24) for c in cats])  # fmt: skip
    fig.update_xaxes(gridcolor="#E8E8E8", title=ind.short_unit, rangemode="tozero",
                     ticksuffix="%" if ind.unit == "percent" else "")  # fmt: skip
    return fig
