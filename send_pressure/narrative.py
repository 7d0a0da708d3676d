"""Words about figures: the sentences and polarity words that the pages, the MP view and the briefing share.

One implementation of

* polarity in words: which end is better (:func:`better_end`), what rank 1 means (:func:`first_place`,
  :func:`rank_basis`, :func:`rank_note`), 'better' / 'worse' (:func:`judgement`, :func:`count_better`).
  A neutral indicator never gets better/worse words: it is 'higher' / 'lower', ranked highest first (as
  :func:`send_pressure.compare.rank_authorities` ranks it), and nobody "did better" than anybody;
* the figure sentence: "In 2024, Kent issued 33.3% of new EHC plans within 20 weeks (excluding
  exceptions), down from 40.1% in 2023, below England (46.4%) and 8th of the 11 authorities in its
  comparison group." (:func:`figure_sentence` and its clauses), and its not-published form.

Everything returns plain text (no Markdown, no HTML): the caller escapes it for where it goes
(``escaping.md`` on a page, Jinja2's autoescaping in the briefing). Nothing here reads the database.
"""

from __future__ import annotations

from send_pressure.catalogue import Indicator, has_value, period_label

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"

#: How each indicator's figure is put in a sentence: a str.format template with {period}, {area} and {value}.
#: Indicators not listed read "In {period}, {area}'s figure for <label> was {value}".
SENTENCES = {
    "pct_within_20_weeks": "In {period}, {area} issued {value} of new EHC plans within 20 weeks (excluding exceptions)",
    "pct_within_20_weeks_incl_exceptions": (
        "In {period}, {area} issued {value} of new EHC plans within 20 weeks (including exceptions)"
    ),
    "pct_over_1_year": (
        "In {period}, {area} issued {value} of new EHC plans more than a year after the request (excluding exceptions)"
    ),
    "requests_refused_pct": "In {period}, {area} refused {value} of initial requests for an EHC needs assessment",
    "tribunal_appeal_rate": "In {period}, {area}'s SEND Tribunal appeal rate was {value}",
    "high_needs_block_per_ehc_plan": "In {period}, {area}'s high needs block allocation was {value} per EHC plan",
    "ehc_plans": "In {period}, {area} maintained {value} EHC plans",
    "new_ehc_plans": "In {period}, {area} issued {value} new EHC plans",
    "initial_requests": "In {period}, {area} received {value} initial requests for an EHC needs assessment",
    "high_needs_block": "In {period}, {area}'s high needs block allocation was {value}",
    "pct_pupils_ehc_plan": "In {period}, {value} of {area}'s pupils had an EHC plan",
    "pct_pupils_sen_support": "In {period}, {value} of {area}'s pupils had SEN support",
}


# --- what the catalogue will say (each read in one place) -----------------------------------------------


def sentence_template(ind: Indicator) -> str:
    """The indicator's sentence template ({period}, {area}, {value})."""
    label = lower_first(ind.label).replace("{", "{{").replace("}", "}}")  # a label is text, not format fields
    return SENTENCES.get(ind.indicator_id, "In {period}, {area}'s figure for " + label + " was {value}")


def is_total(ind: Indicator) -> bool:
    """A size count or £ total (compared with England by growth, not by level; drawn as an index).

    Exactly the indicators the catalogue does not rank (``comparable`` False)."""
    return not ind.comparable


# --- polarity in words ----------------------------------------------------------------------------------


def better_end(polarity: str) -> str | None:
    """'higher' or 'lower': which figure is better; None for a neutral indicator."""
    return {HIGHER_IS_BETTER: "higher", LOWER_IS_BETTER: "lower"}.get(polarity)


def first_place(polarity: str) -> str:
    """What rank 1 is: 'lowest' where lower is better, else 'highest' (neutral indicators rank highest first)."""
    return "lowest" if polarity == LOWER_IS_BETTER else "highest"


def polarity_words(polarity: str) -> str:
    """'higher is better' / 'lower is better' / 'no better or worse'."""
    end = better_end(polarity)
    return f"{end} is better" if end else "no better or worse"


def rank_basis(polarity: str) -> str:
    """What 1st means: '1st = highest (higher is better)', '1st = highest (no better or worse)'."""
    return f"1st = {first_place(polarity)} ({polarity_words(polarity)})"


def rank_note(polarity: str) -> str:
    """What 1st means, short enough for a table cell: 'lower is better', or 'highest first' when neutral."""
    return polarity_words(polarity) if better_end(polarity) else f"{first_place(polarity)} first"


def ranking_order(polarity: str) -> str:
    """How a ranking chart runs: 'best to worst', or 'highest to lowest' for a neutral indicator."""
    return "best to worst" if better_end(polarity) else "highest to lowest"


def judgement(polarity: str, above: bool) -> str:
    """A figure above (``above``) or below another in words: 'better' / 'worse', or 'higher' / 'lower'
    for a neutral indicator."""
    end = better_end(polarity)
    if end is None:
        return "higher" if above else "lower"
    return "better" if above == (end == "higher") else "worse"


def count_better(ind: Indicator, own: float | None, others) -> int | None:
    """How many of ``others`` (figures; missing ones ignored) are better than ``own``; None when the
    indicator is neutral or not compared across authorities, or ``own`` is missing."""
    end = better_end(ind.polarity)
    if end is None or not ind.comparable or not has_value(own):
        return None
    figures = [v for v in others if has_value(v)]
    return sum(v > own if end == "higher" else v < own for v in figures)


def relation(value: float, other: float, value_text: str, other_text: str) -> str:
    """'above', 'below' or 'the same as', judged on the displayed figures (33.31% and 33.34% are the same)."""
    if value_text == other_text:
        return "the same as"
    return "above" if value > other else "below"


# --- sentences ------------------------------------------------------------------------------------------


def lower_first(text: str) -> str:
    """'% of new EHC plans' stays, 'EHC plans' stays, 'Initial requests' -> 'initial requests'."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def period_phrase(ind: Indicator, time_period: str) -> str:
    """A period as a reader says it: 'January 2025' for a January snapshot ('202425'), else as published
    ('2024', '2023-24'). The snapshot's year is the year the period ends (database contract)."""
    p = str(time_period)
    if ind.time_identifier.lower().startswith("january") and len(p) == 6 and p.isdigit():
        return f"January {int(p[:4]) + 1}"
    return period_label(p)


def versus(name: str, value: float, other: float, value_text: str, other_text: str) -> str:
    """'below England (46.4%)'."""
    return f"{relation(value, other, value_text, other_text)} {name} ({other_text})"


def change_clause(value: float, previous: float, value_text: str, previous_text: str, previous_period: str) -> str:
    """'down from 40.1% in 2023', 'up from ...', 'the same as in 2023 (40.1%)' (on the displayed figures)."""
    if value_text == previous_text:
        return f"the same as in {previous_period} ({previous_text})"
    return f"{'up' if value > previous else 'down'} from {previous_text} in {previous_period}"


def pct_change(new: float | None, old: float | None) -> float | None:
    """Percentage change from ``old`` to ``new``; None when either is missing or ``old`` is 0."""
    if has_value(new) and has_value(old) and old != 0:
        return (new - old) / old * 100
    return None


def signed_pct(p: float) -> str:
    """'up 5.0%', 'down 1.2%', 'unchanged' (to one decimal place)."""
    return f"{'up' if p > 0 else 'down'} {abs(p):.1f}%" if round(p, 1) != 0 else "unchanged"


def growth_clause(growth: float, previous_period: str, previous_text: str, england_growth: float | None) -> str:
    """A total's change: 'up 5.0% on January 2024 (18,000); England up 6.1%'."""
    clause = f"{signed_pct(growth)} on {previous_period} ({previous_text})"
    return clause + (f"; England {signed_pct(england_growth)}" if england_growth is not None else "")


def join_clauses(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    parts = [p for p in parts if p]
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1]


def figure_sentence(ind: Indicator, area: str, period: str, value_text: str, clauses: list[str] = ()) -> str:
    """'In 2024, Kent issued 33.3% of new EHC plans within 20 weeks (excluding exceptions), below England
    (46.4%) and 8th of ...': the indicator's template, then ``clauses`` joined (:func:`join_clauses`), a full stop.

    ``period`` as a reader says it (:func:`period_phrase`); ``value_text`` formatted; empty clauses are dropped.
    """
    text = sentence_template(ind).format(period=period, area=area, value=value_text)
    tail = join_clauses(list(clauses))
    return text[:1].upper() + text[1:] + (f", {tail}" if tail else "") + "."


def not_published_sentence(ind: Indicator, area: str, period: str, reason: str = "") -> str:
    """ "In 2024, Kent's figure for % of new EHC plans issued within 20 weeks was not published ('z': not
    applicable)." ``reason``: a publisher footnote or the marker's meaning ('' for none)."""
    why = f" ({reason})" if reason else ""
    return f"In {period}, {area}'s figure for {lower_first(ind.label)} was not published{why}."


def no_figures_sentence(ind: Indicator) -> str:
    """'No figures for <label> have been published.'"""
    return f"No figures for {lower_first(ind.label)} have been published."
