"""Requests and assessments: from a request for an EHC needs assessment to a plan, refusals and tribunal appeals."""

import pandas as pd
import streamlit as st

from send_pressure import charts, compare, ui
from send_pressure.catalogue import format_change, format_value, in_topic, lead, period_label
from send_pressure.escaping import md
from send_pressure.freshness import break_sentences

st.title("Requests and assessments")
st.markdown(
    "Families, schools and young people can ask the local authority for an EHC needs assessment. "
    "The authority decides whether to assess, carries out the assessment and decides whether to issue a plan. "
    "Parents can appeal refusals to the SEND Tribunal."
)

store = ui.store()
state = ui.link_state()
la = ui.la_picker(state)
ui.show_notices(state)
la_name = store.area_name(la)
la_md = md(la_name)  # source text, shown in Markdown
ui.page_title("Requests and assessments", la_name)
inds = store.indicators
st.caption(
    "Per 1,000 pupils: none of our sources gives a pupil headcount for each authority, so this page shows "
    "counts and published percentages only."
)

# --- initial requests -------------------------------------------------------------------------------
st.header("Initial requests for an EHC needs assessment")
#: The steps from request to plan (catalogue topic 'request_path'); the first is the request itself.
path_steps = [i.indicator_id for i in in_topic(inds, "request_path")]
req = inds[path_steps[0]]
bench = ui.benchmarks(req.indicator_id, la)
own = ui.shared(("benchmark series", req.indicator_id, la), lambda: bench[bench.role == "la"])


def own_trend(rows, ind, key: str, summary: str | None) -> None:
    """The LA's own line (``rows``: its benchmark rows, role 'la') over time, with the indicator's series breaks."""
    fig = ui.shared(
        ("own trend", ind.indicator_id, la),
        charts.trend,
        rows,
        ind,
        f"{ind.label}: {la_name}",
        breaks=ui.breaks_for(ind.indicator_id),
    )
    ui.chart_block(fig, rows, ind, key=key, summary=summary)


def _pct_change(now, before) -> str:
    if now is None or before is None or not before.value:
        return ""
    pct = (now.value - before.value) / before.value * 100
    return f"{'up' if pct >= 0 else 'down'} {abs(pct):.1f}% on {period_label(before.time_period)}"


def _requests_summary() -> str | None:
    """The authority's latest count of initial requests and its change, beside England's; None without one."""
    latest, previous = compare.change(own.dropna(subset=["value"]))
    if latest is None:
        return None
    e_latest, e_previous = compare.change(bench[bench.role == "england"].dropna(subset=["value"]))
    return (
        f"{la_md} received **{format_value(latest.value, None, req.unit)}** initial requests in "
        f"{period_label(latest.time_period)}, {_pct_change(latest, previous)} "
        f"(England: {format_value(e_latest.value, None, req.unit)}, {_pct_change(e_latest, e_previous)})."
    )


own_trend(own, req, key=f"requests_initial_{la}", summary=ui.shared(("requests summary", la), _requests_summary))
st.caption(
    "Counts are shown for the authority alone: region and England totals are far larger and would flatten the "
    "line. Compare authorities with the refusal rate below, or on the Compare and map page."
)

# --- the path from request to plan -------------------------------------------------------------------
st.header("From request to plan, year by year")


def _path() -> pd.DataFrame:
    path = pd.concat(
        [store.series(iid, [la]).assign(series=inds[iid].short_label) for iid in path_steps],
        ignore_index=True,
    )
    # Years in which at least two of the steps are published, so there is a path to compare.
    steps = path[path.value.notna()].groupby("time_period").series.nunique()
    return path[path.time_period.isin(steps[steps >= 2].index)]


path = ui.shared(("request path", la), _path)
path_fig = ui.shared(
    ("request path chart", la), charts.grouped_bars, path, req, f"Requests, assessments and plans: {la_name}"
)
ui.chart_block(
    path_fig,
    path,
    req,
    key=f"requests_path_{la}",
    summary=(
        "'Decided to assess' is published from 2023 and the number of assessments from 2022; earlier years "
        "show only requests and plans issued. Each count is for the calendar year: a request made in December "
        "may be assessed, and its plan issued, the next year, so the steps do not follow the same children."
    ),
)

# --- refusals ----------------------------------------------------------------------------------------
st.header("Requests refused")
ref = lead(inds, "refusals")
ui.benchmark_chart(
    ref.indicator_id,
    la,
    f"{ref.chart_title}: {la_name} against benchmarks",
    key=f"requests_refused_{la}",
    summary=f"{ref.definition} Statistical neighbours: the median of the ten most similar authorities' own "
    "figures; each one is in the legend and the data table.",
)

# --- tribunal appeals --------------------------------------------------------------------------------
st.header("SEND Tribunal appeals")
rate = lead(inds, "tribunal")  # the appeal rate; its numerator is the appeals count
app = inds[rate.numerator_id]
breaks = ui.shared(
    ("tribunal break sentences",),
    lambda: break_sentences(
        store.series_breaks, [i.indicator_id for i in in_topic(inds, "tribunal")], lambda i: inds[i].label
    ),
)
st.warning(
    " ".join(
        [
            "The 2023 and 2024 figures follow a change in the tribunal data collection, so compare them with earlier "
            "years with care.",
            *breaks,
        ]
    ),
    icon="⚠️",
)
app_rows = ui.benchmarks(app.indicator_id, la)
app_own = ui.shared(("benchmark series", app.indicator_id, la), lambda: app_rows[app_rows.role == "la"])


def _appeals_summary() -> str | None:
    """Appeals registered against the authority in the latest year, and the change; None without a figure."""
    a_latest, a_previous = compare.change(app_own.dropna(subset=["value"]))
    if a_latest is None:
        return None
    since = ""
    if a_previous is not None:
        delta = format_change(a_latest.value - a_previous.value, app.unit)
        since = f" ({delta} on {period_label(a_previous.time_period)})"
    return (
        f"{format_value(a_latest.value, None, app.unit)} appeals registered against {la_md} in "
        f"{period_label(a_latest.time_period)}{since}."
    )


own_trend(app_own, app, key=f"requests_appeals_{la}", summary=ui.shared(("appeals summary", la), _appeals_summary))
ui.benchmark_chart(
    rate.indicator_id,
    la,
    f"{rate.chart_title}: {la_name} against benchmarks",
    key=f"requests_appeal_rate_{la}",
    summary=rate.definition,
)

ui.cite_this("Requests and assessments", "requests")
