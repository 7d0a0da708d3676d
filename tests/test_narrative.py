"""The narrative module: polarity words and figure sentences (no database: the indicators are the ETL
catalogue's own definitions, and two test-only ones for the default sentence). No figure here is presented as
published.
"""

from __future__ import annotations

import math

import pytest

from etl.catalogue import Indicator, by_id
from send_pressure import narrative as n

CATALOGUE = by_id()
TIMELINESS = CATALOGUE["pct_within_20_weeks"]  # higher is better
REFUSALS = CATALOGUE["requests_refused_pct"]  # lower is better
PUPILS = CATALOGUE["pct_pupils_ehc_plan"]  # neutral
PLANS = CATALOGUE["ehc_plans"]  # a size count, January snapshot
OVER_YEAR = CATALOGUE["plans_over_1_year"]  # a size count whose polarity is lower is better


def _ind(iid: str, label: str, unit: str, ti: str = "Calendar year") -> Indicator:
    """A test-only indicator with no sentence of its own (so it gets the catalogue's default)."""
    return Indicator(iid, label, unit, "neutral", "", "lait", ti, "money" if unit == "gbp" else "rate", "funding")


@pytest.mark.parametrize(
    ("ind", "end", "first", "words", "basis", "note"),
    [
        (TIMELINESS, "higher", "highest", "higher is better", "1st = highest (higher is better)", "higher is better"),
        (REFUSALS, "lower", "lowest", "lower is better", "1st = lowest (lower is better)", "lower is better"),
        (PUPILS, None, "highest", "no better or worse", "1st = highest (no better or worse)", "highest first"),
        # Not compared across authorities: no better or worse, whatever its polarity.
        (OVER_YEAR, None, "highest", "no better or worse", "1st = highest (no better or worse)", "highest first"),
    ],
)  # fmt: skip
def test_polarity_words(ind, end, first, words, basis, note):
    assert n.better_end(ind) == end
    assert n.first_place(ind) == first
    assert n.polarity_words(ind) == words
    assert n.rank_basis(ind) == basis
    assert n.rank_note(ind) == note


def test_neutral_indicator_gets_no_better_or_worse_words():
    assert (n.judgement(PUPILS, True), n.judgement(PUPILS, False)) == ("higher", "lower")
    assert n.ranking_order(PUPILS) == "highest to lowest" and n.ranking_order(REFUSALS) == "best to worst"
    assert n.count_better(PUPILS, 4.0, [5.0, 6.0, 3.0]) is None
    for text in (n.polarity_words(PUPILS), n.rank_basis(PUPILS), n.rank_note(PUPILS)):
        assert "better" not in text.replace("no better or worse", "")


def test_judgement_follows_polarity():
    assert n.judgement(TIMELINESS, True) == "better"
    assert n.judgement(TIMELINESS, False) == "worse"
    assert n.judgement(REFUSALS, True) == "worse"
    assert n.judgement(REFUSALS, False) == "better"


def test_count_better_ignores_missing_and_uncomparable():
    assert n.count_better(TIMELINESS, 33.3, [40.0, 20.0, math.nan, None, 35.5, 33.3]) == 2
    assert n.count_better(REFUSALS, 10.0, [5.0, 20.0, 9.9]) == 2
    assert n.count_better(TIMELINESS, math.nan, [40.0]) is None
    assert n.count_better(OVER_YEAR, 100, [50, 200]) is None  # a size count is not compared across authorities


def test_relation_is_judged_on_displayed_figures():
    assert n.relation(33.31, 33.34, "33.3%", "33.3%") == "the same as"
    assert n.relation(33.3, 46.4, "33.3%", "46.4%") == "below"
    assert n.relation(50.0, 46.4, "50.0%", "46.4%") == "above"
    assert n.versus("England", 33.3, 46.4, "33.3%", "46.4%") == "below England (46.4%)"


def test_change_and_growth_clauses():
    assert n.change_clause(33.3, 40.1, "33.3%", "40.1%", "2023") == "down from 40.1% in 2023"
    assert n.change_clause(41.0, 40.1, "41.0%", "40.1%", "2023") == "up from 40.1% in 2023"
    assert n.change_clause(40.12, 40.14, "40.1%", "40.1%", "2023") == "the same as in 2023 (40.1%)"
    assert n.pct_change(110, 100) == pytest.approx(10.0)
    assert n.pct_change(110, 0) is None and n.pct_change(None, 100) is None
    assert n.signed_pct(-1.04) == "down 1.0%" and n.signed_pct(0.04) == "unchanged"
    assert n.growth_clause(5.0, "January 2024", "18,000", 6.14) == "up 5.0% on January 2024 (18,000); England up 6.1%"
    assert n.growth_clause(5.0, "January 2024", "18,000", None) == "up 5.0% on January 2024 (18,000)"


def test_join_clauses():
    assert n.join_clauses([]) == ""
    assert n.join_clauses(["a", ""]) == "a"
    assert n.join_clauses(["a", "b"]) == "a and b"
    assert n.join_clauses(["a", "b", "c"]) == "a, b and c"


def test_figure_sentence():
    text = n.figure_sentence(
        TIMELINESS,
        "Testshire",
        "2024",
        "30.0%",
        ["down from 40.0% in 2023", "below England (46.4%)", "8th of the 11 authorities in its comparison group"],
    )
    assert text == (
        "In 2024, Testshire issued 30.0% of new EHC plans within 20 weeks (excluding exceptions), down from 40.0% in "
        "2023, below England (46.4%) and 8th of the 11 authorities in its comparison group."
    )
    assert (
        n.figure_sentence(PUPILS, "Testshire", "2024", "4.0%") == "In 2024, 4.0% of Testshire's pupils had an EHC plan."
    )
    other = _ind("sen_unit_cost_s251", "SEN unit cost (s251)", "gbp", ti="Financial year")
    assert n.figure_sentence(other, "Testshire", "2023-24", "£1,000") == (
        "In 2023-24, Testshire's figure for SEN unit cost (s251) was £1,000."
    )


def test_template_placeholders_take_names_literally():
    # Braces in a name are not format fields: the name is an argument, never part of the template.
    assert n.figure_sentence(PLANS, "{area} & Co", "January 2025", "1,234") == (
        "In January 2025, {area} & Co maintained 1,234 EHC plans."
    )
    odd = _ind("odd", "Plans {per} 1,000", "rate_per_1000")
    assert (
        n.figure_sentence(odd, "Testshire", "2024", "3.0")
        == "In 2024, Testshire's figure for plans {per} 1,000 was 3.0."
    )


def test_not_published_sentences():
    assert n.not_published_sentence(TIMELINESS, "Testshire", "2024", "'z': not applicable") == (
        "In 2024, Testshire's figure for % of new EHC plans issued within 20 weeks was not published "
        "('z': not applicable)."
    )
    assert n.not_published_sentence(PLANS, "Testshire", "January 2025") == (
        "In January 2025, Testshire's figure for EHC plans (January) was not published."
    )
    assert n.no_figures_sentence(REFUSALS) == "No figures for % of initial requests refused have been published."
