"""What the briefing says: every figure, sentence and caveat about one authority, as plain text.

:func:`briefing_facts` gathers them into a :class:`Facts` for the template; sentences come from
:mod:`send_pressure.narrative` (the same words as the pages and the MP view). Nothing here escapes or draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from send_pressure import narrative
from send_pressure.briefing.questions import RULES, scrutiny_facts, scrutiny_questions
from send_pressure.catalogue import UNRANKED, Indicator, has_value, lead, marker_reason, ordinal, period_words
from send_pressure.compare import long_run_growth
from send_pressure.freshness import break_sentences
from send_pressure.profile import headline_table, reorganisation_notes
from send_pressure.queries import ENGLAND, Store
from send_pressure.ranking import rank_authorities

#: The catalogue topics the briefing charts, in order: one chart of each topic's lead indicator
#: (``catalogue.lead``), drawn from its long series where it has one (``long_series_id``).
CHART_TOPICS = ("timeliness", "request_path", "refusals", "plans", "tribunal", "funding")
#: How many of the latest periods each chart shows.
CHART_PERIODS = 10


def charted(indicators: dict[str, Indicator]) -> list[Indicator]:
    """The indicators the briefing charts (:data:`CHART_TOPICS`), in order. Totals (``additive``) are drawn as
    an index."""
    leads = [lead(indicators, topic) for topic in CHART_TOPICS if any(i.topic == topic for i in indicators.values())]
    return [indicators.get(i.long_series_id, i) for i in leads]


def chart_title(ind: Indicator) -> str:
    """A briefing chart's title: the indicator's ``chart_title``, '(index)' after a total's."""
    return f"{ind.chart_title} (index)" if ind.additive else ind.chart_title


@dataclass(frozen=True)
class GroupRank:
    """The authority's place among itself and its statistical neighbours for one period."""

    rank: int | None  # None when the LA has no figure or is unranked
    of: int  # how many of the group had a figure (and were rankable)
    group_size: int  # the LA plus its neighbours
    tied: bool

    def text(self, ind: Indicator) -> str:
        """'8th of the 11 authorities in its comparison group' / 'joint 3rd ...' / '2nd highest ...' (neutral);
        '' when unranked."""
        if self.rank is None:
            return ""
        place = f"{'joint ' if self.tied else ''}{ordinal(self.rank)}"
        if narrative.better_end(ind) is None:
            place += f" {narrative.first_place(ind)}"
        if self.of == self.group_size:
            return f"{place} of the {self.of} authorities in its comparison group"
        return f"{place} of the {self.of} authorities in its comparison group with a published figure"


def group_rank(store: Store, ind: Indicator, la_code: str, time_period: str | None) -> GroupRank:
    """Polarity-aware competition rank of the LA within itself plus its statistical neighbours.

    Only authorities with a figure take part (City of London and Isles of Scilly never); size counts
    (not ``comparable``) rank nobody; ties share the best place. Neutral indicators are ranked highest first.
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


def _when(ind: Indicator, time_period) -> str | None:
    return period_words(ind, time_period) if isinstance(time_period, str) else None


def indicator_sentence(store: Store, row: pd.Series, la_name: str, la_code: str) -> str:
    """One plain-English sentence for one :func:`headline_table` row (text, not yet escaped).

    Rates and shares: the change on the previous period, the level against England and the place in the
    comparison group. Totals: growth against England's growth, and the long-run growth.
    """
    ind = store.indicators[row.indicator_id]
    when, prev_when = _when(ind, row.latest_period), _when(ind, row.previous_period)
    if when is None:
        return narrative.no_figures_sentence(ind)
    if not has_value(row.latest_value):
        # A publisher footnote explaining the cell says more than the marker's generic meaning.
        reason = store.marker_note(ind.indicator_id, la_code, row.latest_period) or marker_reason(row.latest_marker)
        return narrative.not_published_sentence(ind, la_name, when, reason)
    clauses = []
    if ind.additive:
        own = narrative.pct_change(row.latest_value, row.previous_value)
        if own is not None and prev_when:
            obs = store.observations(ind.indicator_id)
            eng_prev = obs[(obs.area_code == ENGLAND) & (obs.time_period == row.previous_period)].value
            eng = narrative.pct_change(row.england_value, eng_prev.iloc[0] if len(eng_prev) else None)
            clauses.append(narrative.growth_clause(own, prev_when, row.previous, eng))
        text = narrative.figure_sentence(ind, la_name, when, row.latest, clauses)
        # Growth over the long run is read from the indicator's long series (statements and plans together).
        long_run = long_run_growth(store, la_code, ind.indicator_id)
        return f"{text} {long_run}" if long_run else text
    if has_value(row.previous_value) and prev_when:
        clauses.append(
            narrative.change_clause(row.latest_value, row.previous_value, row.latest, row.previous, prev_when)
        )
    if has_value(row.england_value):
        clauses.append(narrative.versus("England", row.latest_value, row.england_value, row.latest, row.england))
    gr = group_rank(store, ind, la_code, row.latest_period)
    if gr.rank is not None:
        clauses.append(gr.text(ind))
    elif la_code in UNRANKED:
        clauses.append("not ranked because its numbers are too small to compare fairly")
    return narrative.figure_sentence(ind, la_name, when, row.latest, clauses)


def _compact_periods(labels: list[str]) -> str:
    return ", ".join(labels) if len(labels) <= 4 else f"{labels[0]} to {labels[-1]} ({len(labels)} periods)"


def caveats(store: Store, la_code: str, table: pd.DataFrame) -> list[str]:
    """Caveats that apply to this LA (plain text, not yet escaped), without repeats."""
    out = reorganisation_notes(store, la_code)
    out.extend(dict.fromkeys(store.notes_for(la_code).note))  # the authority's own data notes
    drawn = charted(store.indicators)
    shown = list(dict.fromkeys([i.indicator_id for i in drawn] + table.indicator_id.tolist()))
    # Markers in the charted series.
    for iid in shown:
        ind = store.indicators[iid]
        s = store.series(iid, [la_code])
        s = s[s.time_period.isin(store.periods(iid)[-CHART_PERIODS:])]
        for marker, grp in s[s.marker.notna()].groupby("marker"):
            labels = [period_words(ind, p) for p in grp.time_period]
            out.append(f"{ind.label}: not published for {_compact_periods(labels)} ({marker_reason(marker)}).")
    # Data-quality flags on the figures this briefing shows (as published; never changed).
    flagged = store.flags[store.flags.area_code == la_code]
    for iid in shown:
        periods = store.periods(iid)[-CHART_PERIODS:]
        for r in flagged[(flagged.indicator_id == iid) & flagged.time_period.isin(periods)].itertuples():
            ind = store.indicators[iid]
            out.append(f"{ind.label}, {period_words(ind, r.time_period)}: {r.explanation}")
    # Method changes (series breaks) of the indicators in the briefing.
    out.extend(break_sentences(store.series_breaks, shown, lambda i: store.indicators[i].label))
    # What each charted rate counts, and any change in how it is collected (totals explain themselves).
    out.extend(f"{i.label}: {i.definition}" for i in drawn if not i.additive)
    out.extend(dict.fromkeys(n for n in table.note.tolist() if n))
    if (table.neighbours_method != "").any():
        out.append(
            "Statistical-neighbour figures are the median and range of the neighbours' own published figures "
            "(not pooled), so one large neighbour does not dominate them."
        )
    return list(dict.fromkeys(out))


def _sources_used(store: Store, la_code: str, ids: list[str]) -> pd.DataFrame:
    used = {"statistical_neighbours"}
    for iid in ids:
        used |= set(store.series(iid, [la_code, ENGLAND]).source_id.dropna())
        used.add(store.indicators[iid].source_id)
    return store.sources[store.sources.source_id.isin(used)]


def _table_row(store: Store, r) -> dict:
    """One headline-table row as the template shows it (display text only)."""
    ind = store.indicators[r.indicator_id]
    ranked = bool(r.rank_text) and not r.rank_text.startswith("not")
    return {
        "indicator": r.indicator,
        "latest": r.latest,
        "latest_when": _when(ind, r.latest_period) or "",
        "previous": r.previous,
        "previous_when": _when(ind, r.previous_period) or "",
        "change": r.change_text,
        "england": r.england,
        "region": r.region,
        "neighbours": r.neighbours,
        "rank": r.rank_text,
        "rank_note": narrative.rank_note(ind) if ranked else "",
        "quartile": r.quartile if isinstance(r.quartile, str) else "",
    }


@dataclass(frozen=True)
class Facts:
    """Everything the briefing template shows, as plain text (the template escapes it)."""

    name: str
    code: str
    region: str
    prepared: str  # '01 December 2026'
    built: str  # when the database was built
    sources: list[dict]  # title, publisher, release
    group: str  # the comparison-group sentence ('' when the LA has no neighbours)
    sentences: list[str]
    rows: list[dict]  # :func:`_table_row`
    questions: list[str]
    rules: str  # every rule, described, '; '-separated
    caveats: list[str]
    chart_ids: list[str]


def briefing_facts(store: Store, la_code: str, today: date) -> Facts:
    """The facts of one current LA's briefing. Raises KeyError for an unknown LA code."""
    la = store.local_authorities.set_index("new_la_code")
    if la_code not in la.index:
        raise KeyError(f"unknown local authority {la_code}")
    name = la.at[la_code, "la_name"]
    table = headline_table(store, la_code)
    nb = store.neighbours(la_code)
    chart_ids = [i.indicator_id for i in charted(store.indicators)]
    src = _sources_used(store, la_code, list(dict.fromkeys(table.indicator_id.tolist() + chart_ids)))
    group = (
        f"{name}'s comparison group is itself and its {len(nb)} statistical neighbours "
        f"({nb.version.iloc[0]}): {', '.join(nb.la_name)}."
        if len(nb)
        else ""
    )
    return Facts(
        name=name,
        code=la_code,
        region=la.at[la_code, "region_name"],
        prepared=f"{today:%d %B %Y}",
        built=f"{pd.Timestamp(store.built_at):%d %B %Y}",
        sources=src[["title", "publisher", "release"]].to_dict("records"),
        group=group,
        sentences=[indicator_sentence(store, row, name, la_code) for _, row in table.iterrows()],
        rows=[_table_row(store, r) for r in table.itertuples()],
        questions=[q for _, q in scrutiny_questions(scrutiny_facts(store, table, la_code))],
        rules="; ".join(r.description for r in RULES),
        caveats=caveats(store, la_code, table),
        chart_ids=chart_ids,
    )
