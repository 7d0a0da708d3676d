"""MPs and constituencies: find a constituency by its name or its MP's, and summarise the LAs that serve it.

A Westminster constituency is served by one to three local authorities (the
``constituency`` table holds one row per constituency x LA). Nothing here draws
anything: the page (``views/mp.py``) renders what these functions return.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import pandas as pd

from send_pressure import narrative
from send_pressure.catalogue import Indicator, format_value, has_value, lead, marker_reason, period_label, period_words
from send_pressure.profile import headline_table
from send_pressure.queries import Store

#: Courtesy titles in the MP look-up ("Mr Connor Rand", "Rt Hon Sir Mel Stride") dropped for matching.
_TITLES = re.compile(r"^((rt\.?\s+hon\.?|the|mr|mrs|ms|miss|mx|dr|sir|dame|lord|lady|prof\.?)\s+)+", re.I)


def plain_name(name: str) -> str:
    """A person's or place's name in lower case, without courtesy titles, 'MP', punctuation or extra spaces."""
    s = re.sub(r"\s+MP$", "", str(name).strip(), flags=re.I)
    s = _TITLES.sub("", s)
    s = re.sub(r"[^\w\s]", " ", s.lower())
    return " ".join(s.split())


def constituency_list(store: Store) -> pd.DataFrame:
    """One row per constituency: pcon_code, pcon_name, mp_name, party, la_names ('A / B'); sorted by name."""
    c = store.constituencies()
    g = c.groupby(["pcon_code", "pcon_name", "mp_name", "party"], as_index=False, dropna=False).agg(
        la_names=("la_name", lambda s: " / ".join(sorted(s)))
    )
    return g.sort_values("pcon_name").reset_index(drop=True)


@dataclass
class Match:
    """Result of :func:`find`: the matching constituency codes (may be several, e.g. a surname shared by two
    MPs) and, when nothing matched, close suggestions as (pcon_code, label) pairs."""

    query: str
    codes: list[str] = field(default_factory=list)
    suggestions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def message(self) -> str | None:
        """'No MP or constituency matches 'xyz'. Did you mean: ...?' (None when something matched)."""
        if self.codes:
            return None
        q = self.query.strip()[:60]
        if not self.suggestions:
            return f"No MP or constituency matches '{q}'. Try part of a name, e.g. a surname or a town."
        return f"No MP or constituency matches '{q}'. Did you mean: {', '.join(lbl for _, lbl in self.suggestions)}?"


def label(row) -> str:
    """'Barrow and Furness (Michelle Scrogham, Labour)'."""
    mp = f"{row.mp_name}, {row.party}" if isinstance(row.mp_name, str) else "no MP listed"
    return f"{row.pcon_name} ({mp})"


def find(store: Store, text: str, n: int = 5) -> Match:
    """Constituencies whose MP or name matches ``text``.

    Order of tries: an exact MP or constituency name (titles and case ignored), then names containing the
    text as whole words (e.g. a surname), then :func:`difflib.get_close_matches` on full names, surnames
    and constituency names, which only gives suggestions (the user picks one).
    """
    cons = constituency_list(store)
    q = plain_name(text)
    match = Match(text)
    if not q:
        return match
    mp_plain = cons.mp_name.fillna("").map(plain_name)
    pc_plain = cons.pcon_name.map(plain_name)
    exact = cons[(mp_plain == q) | (pc_plain == q)]
    if exact.empty:
        words = re.compile(rf"\b{re.escape(q)}\b")
        exact = cons[mp_plain.map(lambda s: bool(words.search(s))) | pc_plain.map(lambda s: bool(words.search(s)))]
    if not exact.empty:
        match.codes = list(dict.fromkeys(exact.pcon_code))
        return match
    # Fuzzy: compare against full MP names, MP surnames and constituency names; map back to constituencies.
    keys: dict[str, list[str]] = {}
    for code, mp, pc in zip(cons.pcon_code, mp_plain, pc_plain, strict=True):
        for key in {mp, mp.split(" ")[-1] if mp else "", pc}:
            if key:
                keys.setdefault(key, []).append(code)
    close = difflib.get_close_matches(q, list(keys), n=n * 2, cutoff=0.6)
    by_code = cons.set_index("pcon_code")
    for key in close:
        for code in keys[key]:
            if code not in dict(match.suggestions):
                match.suggestions.append((code, label(by_code.loc[code])))
    match.suggestions = match.suggestions[:n]
    return match


def authorities(store: Store, pcon_code: str) -> pd.DataFrame:
    """The LAs serving a constituency: new_la_code, la_name (sorted by name; empty if the code is unknown)."""
    c = store.constituencies()
    return c[c.pcon_code == pcon_code][["new_la_code", "la_name"]].drop_duplicates().reset_index(drop=True)


def headline_figures(store: Store, la_code: str) -> pd.DataFrame:
    """Each headline indicator's latest published figure for an LA beside England and its statistical neighbours.

    Columns: indicator_id, indicator, unit, period (as published), la_value, la_marker, england,
    neighbours (the median of the neighbours' own figures for the same period), source_id, flag (the build's
    data-quality flag and the publisher's note on the LA figure, '' when none), and display strings ``LA``,
    ``England``, ``Neighbours``. The period is the newest one the indicator has for any area,
    so a suppressed or missing LA figure shows as such rather than an older year. Built from the profile page's
    :func:`send_pressure.profile.headline_table`, so both pages show the same figures.
    """
    t = headline_table(store, la_code)
    has_neighbours = not store.neighbours(la_code).empty
    return pd.DataFrame(
        {
            "indicator_id": t.indicator_id,
            "indicator": t.indicator,
            "unit": t.unit,
            "period": t.latest_period,
            "la_value": t.latest_value,
            "la_marker": t.latest_marker,
            "england": t.england_value,
            "neighbours": t.neighbours_value,
            "source_id": t.source_id,
            "flag": t.flag,
            "LA": t.latest,
            "England": [format_value(v, None, u) for v, u in zip(t.england_value, t.unit, strict=True)],
            "Neighbours": [
                format_value(v, None, u) if has_neighbours else "n/a"
                for v, u in zip(t.neighbours_value, t.unit, strict=True)
            ],
        }
    )


def display_table(figures: pd.DataFrame, la_name: str) -> pd.DataFrame:
    """The compact printable table: Indicator, Period, <LA name>, England, Statistical neighbours (median)."""
    out = pd.DataFrame(
        {
            "Indicator": figures.indicator,
            "Period": figures.period.map(period_label),
            la_name: figures.LA,
            "England": figures.England,
            "Statistical neighbours (median)": figures.Neighbours,
        }
    )
    return out.set_index("Indicator")


#: Beside an LA figure that a data-quality flag or a publisher's note concerns (as on the profile).
FLAG_MARK = "⚠"

#: The topics whose lead figure the summary puts in words, in order: timeliness, caseload, refusals.
SUMMARY_TOPICS = ("timeliness", "plans", "refusals")


def summary_sentence(figures: pd.DataFrame, la_name: str, indicators: dict[str, Indicator]) -> str:
    """One LA's figures for the :data:`SUMMARY_TOPICS` leads in plain words (:mod:`send_pressure.narrative`,
    as on the other pages and in the briefing), e.g. 'In 2024, Kent issued 33.3% of new EHC plans within 20 weeks
    (excluding exceptions), below England (46.4%). In January 2025, Kent maintained 19,000 EHC plans. ...'.

    ``figures``: :func:`headline_figures`. Plain text: escape it for where it goes. Totals (``additive``) are
    not set against England's total (they mostly reflect size); a missing figure says so with its marker's
    meaning.
    """
    f = figures.set_index("indicator_id")
    out = []
    for topic in SUMMARY_TOPICS:
        ind = lead(indicators, topic)
        if ind.indicator_id not in f.index:
            continue
        r = f.loc[ind.indicator_id]
        when = period_words(ind, r.period)
        if not has_value(r.la_value):
            out.append(narrative.not_published_sentence(ind, la_name, when, marker_reason(r.la_marker)))
            continue
        england = has_value(r.england) and not ind.additive
        clauses = [narrative.versus("England", r.la_value, r.england, r.LA, r.England)] if england else []
        out.append(narrative.figure_sentence(ind, la_name, when, r.LA, clauses))
    return " ".join(out)


def combined_table(figures: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One compact table for all the LAs serving a constituency (``figures``: LA name -> :func:`headline_figures`).

    Rows: headline indicators. Columns: Period, England, then per LA '<name>' and '<name>: neighbours (median)'.
    An LA figure with a data-quality flag is marked ``⚠`` (the flags are listed by :func:`flag_notes`).
    """
    out = None
    for la_name, f in figures.items():
        part = pd.DataFrame(
            {
                "Indicator": f.indicator,
                "Period": f.period.map(period_label),
                "England": f.England,
                la_name: [f"{v} {FLAG_MARK}" if flag else v for v, flag in zip(f.LA, f.flag, strict=True)],
                f"{la_name}: neighbours (median)": f.Neighbours,
            }
        )
        out = part if out is None else out.merge(part, on=["Indicator", "Period", "England"], how="outer", sort=False)
    if out is None:
        return pd.DataFrame()
    order = list(next(iter(figures.values())).indicator)  # outer merges sort their keys: keep catalogue order
    return out.set_index("Indicator").reindex(order)


def flag_notes(figures: dict[str, pd.DataFrame]) -> list[str]:
    """'Kent, New EHC plans issued (2024): As published; looks implausible because ...' for each flagged LA
    figure of :func:`combined_table` (``figures``: LA name -> :func:`headline_figures`). Plain text: escape it
    for where it goes."""
    return [
        f"{la_name}, {r.indicator} ({period_label(r.period)}): {r.flag}"
        for la_name, f in figures.items()
        for r in f.itertuples()
        if r.flag
    ]
