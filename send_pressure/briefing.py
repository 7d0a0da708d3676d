"""A printable scrutiny briefing for one local authority (HTML for A4, and PDF).

:func:`briefing_html` builds a self-contained page (no external assets: charts are
inline SVG images drawn with matplotlib) from the database only: the headline table
(:func:`send_pressure.profile.headline_table`), plain-English sentences, small trend
charts, the caveats that apply to the authority and scrutiny questions chosen by the
declarative :data:`RULES`. :func:`briefing_pdf` prints that page with WeasyPrint.

Every figure and every sentence about the authority is computed from the database;
all text is escaped.
"""

from __future__ import annotations

import base64
import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from send_pressure import escaping
from send_pressure.catalogue import UNRANKED, Indicator, format_value, has_value, marker_reason, ordinal, period_label
from send_pressure.compare import NEIGHBOURS, benchmarks, long_run_growth, rank_authorities
from send_pressure.freshness import break_sentences
from send_pressure.profile import headline_table, reorganisation_notes
from send_pressure.queries import ENGLAND, Store

#: Okabe-Ito colour-blind-safe colours, with a distinct line style and marker per series.
STYLES = {
    "la": dict(color="#0072B2", linestyle="-", marker="o", linewidth=2.0),
    "neighbours": dict(color="#E69F00", linestyle="--", marker="s", linewidth=1.4),
    "region": dict(color="#009E73", linestyle=":", marker="D", linewidth=1.4),
    "england": dict(color="#000000", linestyle="-.", marker="^", linewidth=1.2),
}

#: How the sentence for each indicator names the authority's figure ({la}, {value}).
SUBJECTS = {
    "pct_within_20_weeks": "{la} issued {value} of new EHC plans within 20 weeks",
    "requests_refused_pct": "{la} refused {value} of initial requests for an EHC needs assessment",
    "tribunal_appeal_rate": "{la}'s SEND Tribunal appeal rate was {value}",
    "high_needs_block_per_ehc_plan": "{la}'s high needs block allocation was {value} per EHC plan",
    "ehc_plans": "{la} maintained {value} EHC plans",
    "new_ehc_plans": "{la} issued {value} new EHC plans",
    "initial_requests": "{la} received {value} initial requests for an EHC needs assessment",
    "high_needs_block": "{la}'s high needs block allocation was {value}",
    "pct_pupils_ehc_plan": "{value} of {la}'s pupils had an EHC plan",
    "pct_pupils_sen_support": "{value} of {la}'s pupils had SEN support",
}

#: Indicators that are totals (compared with England by growth, not by level).
TOTALS = {"ehc_plans", "statements_and_ehc_plans", "new_ehc_plans", "initial_requests", "high_needs_block", "dsg_total"}

#: The charts: (title, indicator ids drawn, as an index when a total).
CHARTS = [
    ("Timeliness: % of new EHC plans issued within 20 weeks", "pct_within_20_weeks"),
    ("Initial requests for an EHC needs assessment (index)", "initial_requests"),
    ("% of initial requests refused", "requests_refused_pct"),
    ("Statements of SEN and EHC plans in January (index)", "statements_and_ehc_plans"),
    ("SEND Tribunal appeal rate", "tribunal_appeal_rate"),
    ("High needs block per EHC plan", "high_needs_block_per_ehc_plan"),
]

#: What 1st means, short enough for a table cell.
RANK_NOTE = {"higher_is_better": "higher is better", "lower_is_better": "lower is better", "neutral": "highest first"}

#: How many of the latest periods each chart shows.
CHART_PERIODS = 10
#: How many periods the index charts of totals show.
INDEX_PERIODS = 6


# --- small helpers ----------------------------------------------------------------------------------


def _e(text) -> str:
    return escaping.html(text)


def period_phrase(ind: Indicator, time_period: str, year: int | None) -> str:
    """A period as a reader says it: 'January 2025' for January snapshots, '2024', '2023-24'."""
    if ind.time_identifier.lower().startswith("january") and year is not None:
        return f"January {int(year)}"
    return period_label(time_period)


@functools.lru_cache(maxsize=256)
def _years(store: Store, iid: str) -> dict[str, int]:
    obs = store.observations(iid)
    return dict(zip(obs.time_period, obs.year.astype(int), strict=False))


def _year_of(store: Store, iid: str, time_period: str | None) -> int | None:
    return _years(store, iid).get(time_period) if isinstance(time_period, str) else None


def _pct_change(new, old) -> float | None:
    if has_value(new) and has_value(old) and old != 0:
        return (new - old) / old * 100
    return None


def _signed_pct(p: float) -> str:
    return f"{'up' if p > 0 else 'down'} {abs(p):.1f}%" if round(p, 1) != 0 else "unchanged"


def _compare_word(a: str, b: str, a_val: float, b_val: float) -> str:
    """'above', 'below' or 'the same as', judged on the displayed figures."""
    if a == b:
        return "the same as"
    return "above" if a_val > b_val else "below"


# --- comparison group ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRank:
    """The authority's place among itself and its statistical neighbours for one period."""

    rank: int | None  # None when the LA has no figure or is unranked
    of: int  # how many of the group had a figure (and were rankable)
    group_size: int  # the LA plus its neighbours
    tied: bool

    def text(self, polarity: str) -> str:
        """'8th of the 11 authorities in its comparison group' / 'joint 3rd ...'; '' when unranked."""
        if self.rank is None:
            return ""
        place = f"{'joint ' if self.tied else ''}{ordinal(self.rank)}"
        if polarity == "neutral":
            place += " highest"
        if self.of == self.group_size:
            return f"{place} of the {self.of} authorities in its comparison group"
        return f"{place} of the {self.of} authorities in its comparison group with a published figure"


def group_rank(store: Store, ind: Indicator, la_code: str, time_period: str | None) -> GroupRank:
    """Polarity-aware competition rank of the LA within itself plus its statistical neighbours.

    Only authorities with a figure take part (City of London and Isles of Scilly never); size counts
    (not ``comparable``) rank nobody;
    ties share the best place. Neutral indicators are ranked highest first.
    """
    codes = [la_code, *store.neighbours(la_code).neighbour_code.tolist()]
    if time_period is None or not ind.comparable:
        return GroupRank(None, 0, len(codes), False)
    snap = store.snapshot(ind.indicator_id, time_period)
    ranked = rank_authorities(snap[snap.area_code.isin(codes)], ind)
    of = int(ranked["rank"].notna().sum())
    mine = ranked[ranked.area_code == la_code]
    if mine.empty or pd.isna(mine["rank"].iloc[0]) or len(codes) < 2:
        return GroupRank(None, of, len(codes), False)
    return GroupRank(int(mine["rank"].iloc[0]), of, len(codes), bool(mine.tied.iloc[0]))


# --- sentences ----------------------------------------------------------------------------------------


def indicator_sentence(store: Store, row: pd.Series, la_name: str, la_code: str) -> str:
    """One plain-English sentence for one headline-table row (text, not yet escaped)."""
    ind = store.indicators[row.indicator_id]
    latest = row.latest_period
    if latest is None or pd.isna(latest):
        return f"No figures for {ind.label.lower()} have been published."
    when = period_phrase(ind, latest, _year_of(store, ind.indicator_id, latest))
    prev_when = (
        period_phrase(ind, row.previous_period, _year_of(store, ind.indicator_id, row.previous_period))
        if isinstance(row.previous_period, str)
        else None
    )
    if not has_value(row.latest_value):
        # A publisher footnote explaining the cell says more than the marker's generic meaning.
        reason = store.marker_note(ind.indicator_id, la_code, latest) or marker_reason(row.latest_marker)
        why = f" ({reason})" if reason else ""
        return f"In {when}, {la_name}'s figure for {ind.label[0].lower() + ind.label[1:]} was not published{why}."
    template = SUBJECTS.get(
        ind.indicator_id, "{la}'s figure for " + ind.label[0].lower() + ind.label[1:] + " was {value}"
    )
    subject = template.format(la=la_name, value=row.latest)
    subject = subject[0].upper() + subject[1:] if not subject.startswith(la_name) else subject
    parts = []
    if ind.indicator_id in TOTALS:
        own = _pct_change(row.latest_value, row.previous_value)
        if own is not None and prev_when:
            clause = f"{_signed_pct(own)} on {prev_when} ({row.previous})"
            obs = store.observations(ind.indicator_id)
            eng_prev = obs[(obs.area_code == ENGLAND) & (obs.time_period == row.previous_period)].value
            eng = _pct_change(row.england_value, eng_prev.iloc[0] if len(eng_prev) else None)
            if eng is not None:
                clause += f"; England {_signed_pct(eng)}"
            parts.append(clause)
        text = f"In {when}, {subject}" + (", " + parts[0] if parts else "") + "."
        # Growth over the long run is read from statements and plans together (see catalogue.LONG_SERIES).
        long_run = long_run_growth(store, la_code, ind.indicator_id)
        return f"{text} {long_run}" if long_run else text
    if has_value(row.previous_value) and prev_when:
        subject += f" ({row.previous} in {prev_when})"
    if has_value(row.england_value):
        parts.append(
            f"{_compare_word(row.latest, row.england, row.latest_value, row.england_value)} England ({row.england})"
        )
    gr = group_rank(store, ind, la_code, latest)
    if gr.rank is not None:
        parts.append(gr.text(ind.polarity))
    elif la_code in UNRANKED:
        parts.append("not ranked because its numbers are too small to compare fairly")
    tail = " and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"In {when}, {subject}" + (f", {tail}" if tail else "") + "."


# --- scrutiny questions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A scrutiny question asked when ``applies(facts)`` is true; ``question`` is filled from the facts."""

    rule_id: str
    description: str
    applies: Callable[[dict], bool]
    question: str


def _has(f: dict, *keys: str) -> bool:
    return all(has_value(f.get(k)) for k in keys)


RULES: list[Rule] = [
    Rule(
        "timeliness_falling_demand_rising",
        "timeliness fell while initial requests rose",
        lambda f: _has(f, "t", "t_prev", "req", "req_prev") and f["t"] < f["t_prev"] and f["req"] > f["req_prev"],
        "The share of new EHC plans issued within 20 weeks fell from {t_prev_f} in {t_prev_p} to {t_f} in {t_p}, "
        "while initial requests rose from {req_prev_f} to {req_f}. Is assessment capacity keeping pace with demand, "
        "and what is the plan to recover timeliness?",
    ),
    Rule(
        "refusals_above_england",
        "refusal rate above England",
        lambda f: _has(f, "ref", "ref_eng") and f["ref_f"] != f["ref_eng_f"] and f["ref"] > f["ref_eng"],
        "{la} refused {ref_f} of initial requests for an assessment in {ref_p}, against {ref_eng_f} in England. "
        "What are the main reasons for refusal, and how many refusals are later overturned?",
    ),
    Rule(
        "appeals_above_england",
        "SEND Tribunal appeal rate above England",
        lambda f: _has(f, "app", "app_eng") and f["app_f"] != f["app_eng_f"] and f["app"] > f["app_eng"],
        "The SEND Tribunal appeal rate was {app_f} in {app_p}, against {app_eng_f} in England. "
        "Which kinds of decision are appealed most, and what has been learned from the outcomes?",
    ),
    Rule(
        "plans_outpacing_funding",
        "EHC plans grew faster than the high needs block",
        lambda f: _has(f, "plans_growth", "hnb_growth") and f["plans_growth"] > f["hnb_growth"],
        "EHC plans grew by {plans_growth_f} between {plans_p0} and {plans_p1}, while the high needs block "
        "allocation grew by {hnb_growth_f} between {hnb_p0} and {hnb_p1}. How is the difference being met, "
        "and what is the forecast for the high needs budget?",
    ),
    Rule(
        "timeliness_below_neighbours",
        "timeliness worse than most of the statistical neighbours",
        lambda f: _has(f, "t", "t_nb_better") and f["t_nb_better"] * 2 > f["t_nb_n"],
        "{t_f} of new EHC plans were issued within 20 weeks in {t_p}; {t_nb_better} of its {t_nb_n} statistical "
        "neighbours with a figure did better (neighbours' median {t_nb_f}, range {t_nb_lo_f} to {t_nb_hi_f}). "
        "What do the better-performing neighbours do differently?",
    ),
]


def _aligned_growth(store: Store, iid: str, la_code: str, years: list[int]) -> tuple[float | None, str, str]:
    s = store.series(iid, [la_code]).set_index("year")
    ind = store.indicators[iid]
    y0, y1 = years
    v0, v1 = s.value.get(y0), s.value.get(y1)
    p0 = period_phrase(ind, s.time_period[y0], y0)
    p1 = period_phrase(ind, s.time_period[y1], y1)
    return _pct_change(v1, v0), p0, p1


def scrutiny_facts(store: Store, table: pd.DataFrame, la_code: str) -> dict:
    """The figures the :data:`RULES` read (numbers, and ``_f`` / ``_p`` display strings)."""
    rows = table.set_index("indicator_id")
    inds = store.indicators
    f: dict = {"la": store.area_name(la_code), "nb_of": len(store.neighbours(la_code))}

    def take(key: str, iid: str) -> None:
        if iid not in rows.index:
            return
        r = rows.loc[iid]
        ind = inds[iid]
        f[key], f[f"{key}_f"] = r.latest_value, r.latest
        f[f"{key}_p"] = period_phrase(ind, r.latest_period, _year_of(store, iid, r.latest_period))
        f[f"{key}_prev"], f[f"{key}_prev_f"] = r.previous_value, r.previous
        if isinstance(r.previous_period, str):
            f[f"{key}_prev_p"] = period_phrase(ind, r.previous_period, _year_of(store, iid, r.previous_period))
        f[f"{key}_eng"] = r.england_value
        f[f"{key}_eng_f"] = format_value(r.england_value, None, ind.unit)
        f[f"{key}_nb"] = r.neighbours_value
        f[f"{key}_nb_f"] = format_value(r.neighbours_value, None, ind.unit)
        f[f"{key}_nb_n"] = r.neighbours_n
        f[f"{key}_nb_better"] = None if pd.isna(r.neighbours_better) else int(r.neighbours_better)
        f[f"{key}_nb_lo_f"] = format_value(r.neighbours_low, None, ind.unit)
        f[f"{key}_nb_hi_f"] = format_value(r.neighbours_high, None, ind.unit)

    for key, iid in (("t", "pct_within_20_weeks"), ("req", "initial_requests"), ("ref", "requests_refused_pct"),
                     ("app", "tribunal_appeal_rate")):  # fmt: skip
        take(key, iid)
    # Plans against funding over the same years (January plans inside the financial year).
    plans = store.series("ehc_plans", [la_code]).dropna(subset=["value"])
    hnb = store.series("high_needs_block", [la_code]).dropna(subset=["value"])
    common = sorted(set(plans.year) & set(hnb.year))
    if len(common) >= 2:
        years = common[-2:]
        f["plans_growth"], f["plans_p0"], f["plans_p1"] = _aligned_growth(store, "ehc_plans", la_code, years)
        f["hnb_growth"], f["hnb_p0"], f["hnb_p1"] = _aligned_growth(store, "high_needs_block", la_code, years)
        for k in ("plans_growth", "hnb_growth"):
            if has_value(f[k]):
                f[f"{k}_f"] = f"{f[k]:.1f}%"
    return f


def scrutiny_questions(facts: dict) -> list[tuple[Rule, str]]:
    """The rules that apply to these facts, each with its filled-in question (text, not yet escaped)."""
    out = []
    for rule in RULES:
        try:
            applies = bool(rule.applies(facts))
        except (KeyError, TypeError):
            applies = False
        if applies:
            out.append((rule, rule.question.format(**facts)))
    return out


# --- caveats -----------------------------------------------------------------------------------------


def _compact_periods(labels: list[str]) -> str:
    return ", ".join(labels) if len(labels) <= 4 else f"{labels[0]} to {labels[-1]} ({len(labels)} periods)"


def caveats(store: Store, la_code: str, table: pd.DataFrame) -> list[str]:
    """Caveats that apply to this LA (plain text, not yet escaped)."""
    out = reorganisation_notes(store, la_code)
    # The authority's own data notes.
    for note in dict.fromkeys(store.notes_for(la_code).note):
        out.append(note)
    # Markers in the charted series.
    for iid in dict.fromkeys([i for _, i in CHARTS] + table.indicator_id.tolist()):
        ind = store.indicators[iid]
        s = store.series(iid, [la_code])
        s = s[s.time_period.isin(store.periods(iid)[-CHART_PERIODS:])]
        for marker, grp in s[s.marker.notna()].groupby("marker"):
            labels = [period_phrase(ind, p, y) for p, y in zip(grp.time_period, grp.year, strict=True)]
            out.append(f"{ind.label}: not published for {_compact_periods(labels)} ({marker_reason(marker)}).")
    # Data-quality flags on the figures this briefing shows (as published; never changed).
    flagged = store.flags[store.flags.area_code == la_code]
    for iid in dict.fromkeys([i for _, i in CHARTS] + table.indicator_id.tolist()):
        shown = store.periods(iid)[-CHART_PERIODS:]
        for r in flagged[(flagged.indicator_id == iid) & flagged.time_period.isin(shown)].itertuples():
            ind = store.indicators[iid]
            when = period_phrase(ind, r.time_period, _year_of(store, iid, r.time_period))
            out.append(f"{ind.label}, {when}: {r.explanation}")
    # Method changes (series breaks) of the indicators in the briefing.
    in_briefing = list(dict.fromkeys([i for _, i in CHARTS] + table.indicator_id.tolist()))
    out.extend(break_sentences(store.series_breaks, in_briefing, lambda i: store.indicators[i].label))
    # Indicator definitions that carry a caveat (the 2023 tribunal collection change; £ per plan).
    for iid in ("tribunal_appeal_rate", "high_needs_block_per_ehc_plan"):
        if iid in store.indicators:
            out.append(f"{store.indicators[iid].label}: {store.indicators[iid].definition}")
    notes = [n for n in table.note.tolist() if n]
    out.extend(dict.fromkeys(notes))
    methods = table[table.neighbours_method != ""].neighbours_method.unique().tolist()
    if methods:
        out.append(
            "Statistical-neighbour figures are the median and range of the neighbours' own published figures "
            "(not pooled), so one large neighbour does not dominate them."
        )
    return list(dict.fromkeys(out))


# --- charts --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _chart_svg(store: Store, iid: str, la_code: str, title: str) -> str:
    """One small line chart (base64 SVG data URI) of the LA against its comparators; '' when it has no figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ind = store.indicators[iid]
    b = benchmarks(store, iid, la_code)
    index = iid in TOTALS
    # Totals are drawn as an index over fewer years: early EHC plan counts include the transfer from statements.
    periods = store.periods(iid)[-(INDEX_PERIODS if index else CHART_PERIODS) :]
    b = b[b.time_period.isin(periods)]
    la_name = store.area_name(la_code)
    if b[b.series == la_name].value.notna().sum() == 0:
        return ""
    wide = b.pivot_table(index="time_period", columns="series", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(periods)
    region_name = store.local_authorities.set_index("new_la_code").at[la_code, "region_name"]
    order = [(la_name, "la"), (NEIGHBOURS, "neighbours"), (region_name, "region"), ("England", "england")]
    if index:
        order = [o for o in order if o[1] != "neighbours"]  # a median of counts over changing members misleads
        base_period = wide[la_name].first_valid_index()
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        fig, ax = plt.subplots(figsize=(3.5, 2.35), dpi=100)
    x = list(range(len(periods)))
    # A series break: a dashed line before its first period, and no line joins the two methods.
    breaks = store.series_breaks[store.series_breaks.indicator_id == iid]
    cuts = sorted(periods.index(p) for p in breaks.first_period if p in periods and periods.index(p) > 0)
    for cut in cuts:
        ax.axvline(cut - 0.5, color="#444444", linestyle="--", linewidth=0.8)
        ax.text(cut - 0.45, 1, "new method", transform=ax.get_xaxis_transform(), fontsize=5.8, va="top")
    for series, key in order:
        if series not in wide.columns:
            continue
        y = wide[series].astype(float)
        if index:
            base = y.get(base_period)
            if not has_value(base) or base == 0:
                continue
            y = y / base * 100
        if y.notna().sum() == 0:
            continue
        label = series
        for n, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(x)], strict=True)):
            ax.plot(x[lo:hi], y.values[lo:hi], label=label if n == 0 else None, markersize=3.5, **STYLES[key])
    labels = [period_phrase(ind, p, _year_of(store, iid, p)).replace("January ", "Jan ") for p in periods]
    step = 1 if len(periods) <= 6 else 2
    ax.set_xticks(x[::-1][::step][::-1])
    ax.set_xticklabels(labels[::-1][::step][::-1], fontsize=6.5)
    ax.tick_params(axis="y", labelsize=6.5)
    ax.set_title(title, fontsize=7.5, loc="left")
    if index:
        ax.set_ylabel(f"index, {labels[x[periods.index(base_period)]]} = 100", fontsize=6.5)
    elif ind.unit == "percent":
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.0f}%"))
        ax.set_ylim(bottom=0)
    elif ind.unit == "gbp":
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v / 1000:,.0f}k"))
        ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#E0E0E0", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=5.8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.subplots_adjust(left=0.14, right=0.98, top=0.9, bottom=0.3)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "briefing"}):
        fig.savefig(buf, format="svg")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode()).decode()


# --- the page ------------------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: "%(footer)s"; font-size: 7.5pt; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 7.5pt; color: #555; } }
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; color: #1a1a1a; }
body { margin: 0; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 11.5pt; margin: 5mm 0 2mm; border-bottom: 0.6pt solid #0072B2; padding-bottom: 1mm;
  break-after: avoid; page-break-after: avoid; }
p, li { line-height: 1.35; }
.meta { color: #444; margin: 0 0 2mm; }
.sources { font-size: 7.5pt; color: #333; margin: 0; padding-left: 4mm; }
table { border-collapse: collapse; width: 100%%; font-size: 7.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border-bottom: 0.4pt solid #ccc; padding: 1.2mm 1mm; text-align: right; vertical-align: top; }
th { background: #eef3f8; font-weight: bold; }
th:first-child, td:first-child { text-align: left; }
span.sub { color: #555; font-size: 6.5pt; display: block; }
.charts { display: flex; flex-wrap: wrap; justify-content: space-between; }
figure { width: 49%%; margin: 0 0 3mm; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%%; height: auto; display: block; }
ol.questions li { margin-bottom: 1.5mm; break-inside: avoid; }
ul.caveats li { font-size: 8pt; margin-bottom: 1mm; }
.small { font-size: 7.5pt; color: #444; }
section { break-inside: auto; }
.page-break { break-before: page; page-break-before: always; }
"""


def _sources_used(store: Store, la_code: str, ids: list[str]) -> pd.DataFrame:
    used = set()
    for iid in ids:
        used |= set(store.series(iid, [la_code, ENGLAND]).source_id.dropna())
        used.add(store.indicators[iid].source_id)
    used.add("statistical_neighbours")
    src = store.sources
    return src[src.source_id.isin(used)]


def briefing_html(store: Store, la_code: str, today: date, *, charts: bool = True) -> str:
    """The scrutiny briefing for one current LA as one self-contained HTML page (A4 print CSS).

    ``charts=False`` leaves the charts out (faster; the text and tables are unchanged).
    """
    la = store.local_authorities.set_index("new_la_code")
    if la_code not in la.index:
        raise KeyError(f"unknown local authority {la_code}")
    name = la.at[la_code, "la_name"]
    region = la.at[la_code, "region_name"]
    table = headline_table(store, la_code)
    nb = store.neighbours(la_code)
    chart_ids = [i for _, i in CHARTS if i in store.indicators]
    src = _sources_used(store, la_code, list(dict.fromkeys(table.indicator_id.tolist() + chart_ids)))

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">']
    out.append(f"<title>SEND scrutiny briefing: {_e(name)}</title>")
    # A CSS string inside <style> is raw text: drop the characters that could end it, rather than escape.
    footer = re.sub(r'[\\"<>\n]', "", f"SEND scrutiny briefing: {name} ({today:%d %B %Y})")
    out.append("<style>" + CSS % {"footer": footer} + "</style></head><body>")

    # Title and releases.
    out.append(f"<h1>SEND scrutiny briefing: {_e(name)}</h1>")
    built = pd.Timestamp(store.built_at)
    out.append(
        f'<p class="meta">{_e(name)} ({_e(la_code)}), {_e(region)}. Prepared {_e(f"{today:%d %B %Y}")} from the '
        f"dashboard database built {_e(f'{built:%d %B %Y}')}.</p>"
    )
    out.append('<p class="small"><strong>Data releases used:</strong></p><ul class="sources">')
    for r in src.itertuples():
        out.append(f"<li>{_e(r.title)} ({_e(r.publisher)}), {_e(r.release)}</li>")
    out.append("</ul>")

    # Sentences.
    out.append("<h2>Summary</h2><ul>")
    if len(nb):
        out.append(
            f"<li>{_e(name)}'s comparison group is itself and its {len(nb)} statistical neighbours "
            f"({_e(nb.version.iloc[0])}): {_e(', '.join(nb.la_name))}.</li>"
        )
    for _, row in table.iterrows():
        out.append(f"<li>{_e(indicator_sentence(store, row, name, la_code))}</li>")
    out.append("</ul>")

    # Headline table.
    out.append("<h2>Headline figures</h2><table><thead><tr>")
    heads = ["Indicator", "Latest", "Previous", "Change", "England", "Region", "Statistical neighbours: median (range)",
             "Rank of all LAs", "Quartile"]  # fmt: skip
    out.append("".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>")
    for _, r in table.iterrows():
        ind = store.indicators[r.indicator_id]
        latest_p = (
            period_phrase(ind, r.latest_period, _year_of(store, r.indicator_id, r.latest_period))
            if r.latest_period
            else ""
        )
        prev_p = (
            period_phrase(ind, r.previous_period, _year_of(store, r.indicator_id, r.previous_period))
            if isinstance(r.previous_period, str)
            else ""
        )
        cells = [
            f"{_e(r.indicator)}",
            f"{_e(r.latest)}<span class='sub'>{_e(latest_p)}</span>",
            f"{_e(r.previous)}<span class='sub'>{_e(prev_p)}</span>",
            _e(r.change_text),
            _e(r.england),
            _e(r.region),
            _e(r.neighbours),
            _e(r.rank_text)
            + (
                f"<span class='sub'>{_e(RANK_NOTE.get(r.polarity, ''))}</span>"
                if r.rank_text and not r.rank_text.startswith("not")
                else ""
            ),  # fmt: skip
            _e(r.quartile if isinstance(r.quartile, str) else ""),
        ]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    out.append(
        '<p class="small">Ranks use competition ranking (ties share a place) among authorities with a figure; '
        "quartile A is the best quarter for the indicator's polarity (the highest values where there is no better "
        "or worse). Totals for England and the region are sums; the statistical-neighbour figure is the median (and "
        "range) of the neighbours' own figures. Counts and £ totals are not ranked: they mostly reflect size.</p>"
    )

    # Questions.
    facts = scrutiny_facts(store, table, la_code)
    questions = scrutiny_questions(facts)
    out.append("<h2>Suggested scrutiny questions</h2>")
    if questions:
        out.append('<ol class="questions">' + "".join(f"<li>{_e(q)}</li>" for _, q in questions) + "</ol>")
    else:
        out.append("<p>None of the briefing's rules was triggered by these figures.</p>")
    out.append(
        '<p class="small">Questions are suggested by fixed rules: '
        + _e("; ".join(r.description for r in RULES))
        + ".</p>"
    )

    # Charts.
    if charts:
        figs = []
        for title, iid in CHARTS:
            if iid not in store.indicators:
                continue
            uri = _chart_svg(store, iid, la_code, title)
            if uri:
                figs.append(f'<figure><img alt="{_e(title)}: {_e(name)} against its comparators" src="{uri}"></figure>')
        if figs:
            out.append('<h2 class="page-break">Trends</h2>')
            out.append(
                f'<p class="small">{_e(name)} (solid blue, circles) against its statistical neighbours '
                "(median, orange dashes), "
                f"{_e(region)} (green dots) and England (black dash-dot). Gaps are periods with no published figure. "
                "Totals are shown as an index so that growth can be compared.</p>"
            )
            out.append('<div class="charts">' + "".join(figs) + "</div>")

    # Caveats.
    out.append("<h2>Caveats</h2><ul class='caveats'>")
    out.extend(f"<li>{_e(c)}</li>" for c in caveats(store, la_code, table))
    out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)


@functools.cache
def pdf_engine_problem() -> str | None:
    """Why PDFs cannot be made on this machine (WeasyPrint or its Pango libraries missing), or None."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as e:  # OSError: the Pango/HarfBuzz shared libraries are missing
        return f"The PDF engine (WeasyPrint) could not be loaded: {e}. Download the HTML briefing instead."
    return None


def briefing_pdf(html_text: str) -> bytes:
    """Print a briefing page to PDF bytes with WeasyPrint, tagged for screen readers (PDF/UA-1).

    Raises RuntimeError (with :func:`pdf_engine_problem`'s message) when WeasyPrint cannot be
    loaded, so the caller can offer the HTML only.
    """
    problem = pdf_engine_problem()
    if problem:
        raise RuntimeError(problem)
    from weasyprint import HTML

    # PDF/UA-1: a tagged PDF (headings, tables, figures with their alt text) that screen readers can follow;
    # WeasyPrint takes the document title from <title> and the language from <html lang>.
    return HTML(string=html_text).write_pdf(pdf_variant="pdf/ua-1")
