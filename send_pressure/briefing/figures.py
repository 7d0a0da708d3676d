"""The briefing's small trend charts: inline SVG images drawn with matplotlib, styled from
:mod:`send_pressure.palette` (the app's colours, line styles and symbols for the authority, its region,
England and its statistical neighbours), so a series looks the same on screen and on paper.
"""

from __future__ import annotations

import base64
import io

from send_pressure.briefing.facts import CHART_PERIODS, chart_title, charted
from send_pressure.catalogue import has_value, period_words
from send_pressure.compare import benchmarks
from send_pressure.palette import BREAK_COLOUR, GRID, INK, ROLES
from send_pressure.queries import Store

#: How many periods the index charts of totals show (early EHC plan counts include the transfer from statements).
INDEX_PERIODS = 6


def legend_sentence(la_name: str, region: str) -> str:
    """How to tell the lines apart, in words (plain text)."""
    return (
        f"{la_name} ({ROLES['la'].words}) against its statistical neighbours (median; {ROLES['neighbours'].words}), "
        f"{region} ({ROLES['region'].words}) and England ({ROLES['england'].words}). Gaps are periods with no "
        "published figure. Totals are shown as an index so that growth can be compared."
    )


def chart_figures(store: Store, la_code: str) -> list[dict]:
    """The briefing's charts for one LA: dicts with ``title``, ``alt`` and ``uri`` (a base64 SVG data URI);
    charts of indicators the LA has no figure for are left out."""
    name = store.area_name(la_code)
    out = []
    for ind in charted(store.indicators):
        title = chart_title(ind)
        uri = chart_svg(store, ind.indicator_id, la_code)
        if uri:
            out.append({"title": title, "alt": f"{title}: {name} against its comparators", "uri": uri})
    return out


def chart_svg(store: Store, iid: str, la_code: str) -> str:
    """One small line chart (base64 SVG data URI) of the LA against its comparators, titled
    :func:`~send_pressure.briefing.facts.chart_title`; '' when it has no figures. Memoised on the store
    (:meth:`~send_pressure.queries.Store.memo`, the app's one cache), per indicator and LA."""
    return store.memo(("briefing chart", iid, la_code), lambda: _chart_svg(store, iid, la_code))


def _chart_svg(store: Store, iid: str, la_code: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ind = store.indicators[iid]
    title = chart_title(ind)
    index = ind.additive
    periods = store.periods(iid)[-(INDEX_PERIODS if index else CHART_PERIODS) :]
    b = benchmarks(store, iid, la_code)
    b = b[b.time_period.isin(periods) & (b.role != "neighbour")]  # series by role; each neighbour is not drawn
    if b[b.role == "la"].value.notna().sum() == 0:
        return ""
    wide = b.pivot_table(index="time_period", columns="role", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(periods)
    names = dict(zip(b.role, b.series, strict=True))  # the legend names each role's series
    order = ["la", "neighbours", "region", "england"]
    if index:
        order.remove("neighbours")  # a median of counts over changing members misleads
        base_period = wide["la"].first_valid_index()
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "text.color": INK, "axes.labelcolor": INK}):
        fig, ax = plt.subplots(figsize=(3.5, 2.35), dpi=100)
    x = list(range(len(periods)))
    # A series break: a dashed line before its first period, and no line joins the two methods.
    breaks = store.series_breaks[store.series_breaks.indicator_id == iid]
    cuts = sorted(periods.index(p) for p in breaks.first_period if p in periods and periods.index(p) > 0)
    for cut in cuts:
        ax.axvline(cut - 0.5, color=BREAK_COLOUR, linestyle="--", linewidth=0.8)
        ax.text(cut - 0.45, 1, "new method", transform=ax.get_xaxis_transform(), fontsize=5.8, va="top")
    for role in order:
        if role not in wide.columns:
            continue
        y = wide[role].astype(float)
        if index:
            base = y.get(base_period)
            if not has_value(base) or base == 0:
                continue
            y = y / base * 100
        if y.notna().sum() == 0:
            continue
        style = dict(ROLES[role].matplotlib, linewidth=2.0 if role == "la" else 1.2, markersize=3.5)
        for n, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(x)], strict=True)):
            ax.plot(x[lo:hi], y.values[lo:hi], label=names[role] if n == 0 else None, **style)
    labels = [period_words(ind, p).replace("January ", "Jan ") for p in periods]
    step = 1 if len(periods) <= 6 else 2
    ax.set_xticks(x[::-1][::step][::-1])
    ax.set_xticklabels(labels[::-1][::step][::-1], fontsize=6.5)
    ax.tick_params(axis="both", labelsize=6.5, colors=INK)
    ax.set_title(title, fontsize=7.5, loc="left")
    if index:
        ax.set_ylabel(f"index, {labels[x[periods.index(base_period)]]} = 100", fontsize=6.5)
    elif ind.unit == "percent":
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.0f}%"))
        ax.set_ylim(bottom=0)
    elif ind.unit == "gbp":
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v / 1000:,.0f}k"))
        ax.set_ylim(bottom=0)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=5.8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.subplots_adjust(left=0.14, right=0.98, top=0.9, bottom=0.3)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "briefing"}):
        fig.savefig(buf, format="svg")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode()).decode()
