"""Words about figures: the sentences and polarity words that the pages, the MP view and the briefing share.

One implementation of

* polarity in words: which end is better (:func:`better_end`), what rank 1 means (:func:`first_place`,
  :func:`rank_basis`, :func:`rank_note`), 'better' / 'worse' (:func:`judgement`, :func:`count_better`).
  Which way is better is the catalogue's data (:meth:`Indicator.better_than
  <etl.catalogue.Indicator.better_than>`, read here and nowhere else for words): a neutral indicator, or one
  authorities are not compared on, never gets better/worse words: it is 'higher' / 'lower', ranked highest
  first, and nobody "did better" than anybody;
* the figure sentence: "In 2024, Kent issued 33.3% of new EHC plans within 20 weeks (excluding
  exceptions), down from 40.1% in 2023, below England (46.4%) and 8th of the 11 authorities in its
  comparison group." (:func:`figure_sentence`, from the indicator's ``sentence`` template, and its clauses),
  and its not-published form.

Everything returns plain text (no Markdown, no HTML): the caller escapes it for where it goes
(``escaping.md`` on a page, Jinja2's autoescaping in the briefing). Nothing here reads the database.
"""

from __future__ import annotations

from send_pressure.catalogue import Indicator, has_value, lower_first

# --- polarity in words ----------------------------------------------------------------------------------


def better_end(ind: Indicator) -> str | None:
    """'higher' or 'lower': which figure is better (:meth:`Indicator.better_than`); None when neither is
    (a neutral indicator, or one authorities are not compared on)."""
    return {True: "higher", False: "lower"}.get(ind.better_than(1, 0))


def first_place(ind: Indicator) -> str:
    """What rank 1 is: 'lowest' where lower is better, else 'highest' (:attr:`Indicator.lowest_first`)."""
    return "lowest" if ind.lowest_first else "highest"


def polarity_words(ind: Indicator) -> str:
    """'higher is better' / 'lower is better' / 'no better or worse'."""
    end = better_end(ind)
    return f"{end} is better" if end else "no better or worse"


def rank_basis(ind: Indicator) -> str:
    """What 1st means: '1st = highest (higher is better)', '1st = highest (no better or worse)'."""
    return f"1st = {first_place(ind)} ({polarity_words(ind)})"


def rank_note(ind: Indicator) -> str:
    """What 1st means, short enough for a table cell: 'lower is better', or 'highest first' when neutral."""
    return polarity_words(ind) if better_end(ind) else f"{first_place(ind)} first"


def ranking_order(ind: Indicator) -> str:
    """How a ranking chart runs: 'best to worst', or 'highest to lowest' for a neutral indicator."""
    return "best to worst" if better_end(ind) else "highest to lowest"


def judgement(ind: Indicator, above: bool) -> str:
    """A figure above (``above``) or below another in words: 'better' / 'worse', or 'higher' / 'lower'
    for a neutral indicator."""
    better = ind.better_than(1, 0) if above else ind.better_than(0, 1)
    if better is None:
        return "higher" if above else "lower"
    return "better" if better else "worse"


def count_better(ind: Indicator, own: float | None, others) -> int | None:
    """How many of ``others`` (figures; missing ones ignored) are better than ``own``; None when the
    indicator is neutral or not compared across authorities, or ``own`` is missing."""
    if better_end(ind) is None or not has_value(own):
        return None
    return sum(bool(ind.better_than(v, own)) for v in others if has_value(v))


def relation(value: float, other: float, value_text: str, other_text: str) -> str:
    """'above', 'below' or 'the same as', judged on the displayed figures (33.31% and 33.34% are the same)."""
    if value_text == other_text:
        return "the same as"
    return "above" if value > other else "below"


# --- sentences ------------------------------------------------------------------------------------------


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


def long_run_sentence(area: str, first: tuple[str, str], last: tuple[str, str], times: float) -> str:
    """Growth of the caseload read from statements and plans together, e.g. 'Counting statements of SEN and EHC
    plans together, England went from 240,183 in January 2015 to 638,745 in January 2025 (2.7 times as many).'
    ``first`` and ``last``: (figure as text, period in words); ``times``: last over first."""
    return (
        f"Counting statements of SEN and EHC plans together, {area} went from {first[0]} in {first[1]} to "
        f"{last[0]} in {last[1]} ({times:.1f} times as many)."
    )


def join_clauses(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    parts = [p for p in parts if p]
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1]


def figure_sentence(ind: Indicator, area: str, period: str, value_text: str, clauses: list[str] = ()) -> str:
    """'In 2024, Kent issued 33.3% of new EHC plans within 20 weeks (excluding exceptions), below England
    (46.4%) and 8th of ...': the indicator's template, then ``clauses`` joined (:func:`join_clauses`), a full stop.

    ``period`` as a reader says it (``catalogue.period_words``); ``value_text`` formatted; empty clauses are
    dropped. Names are arguments, never part of the template, so braces in them stay text.
    """
    text = ind.sentence.format(period=period, area=area, value=value_text)
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
