"""One indicator definition: the ETL's catalogue is what the app reads back, and it carries what pages need."""

from __future__ import annotations

import string

from etl.catalogue import INDICATORS, TOPICS, Indicator
from send_pressure import narrative
from send_pressure.catalogue import in_topic, lead, period_words


def test_the_app_reads_back_the_etl_catalogue(store):
    """The same class, the same values, the same order: nothing is typed twice."""
    assert all(type(i) is Indicator for i in store.indicators.values())
    assert list(store.indicators.values()) == INDICATORS


def test_sentence_templates_use_only_period_area_value():
    for ind in INDICATORS:
        names = {f for _, f, _, _ in string.Formatter().parse(ind.sentence) if f is not None}
        assert names == {"period", "area", "value"}, ind.indicator_id
        assert not ind.sentence.endswith("."), ind.indicator_id  # a comparison may follow


def test_every_topic_has_a_lead_and_totals_are_additive(store):
    inds = store.indicators
    for topic in TOPICS:
        assert lead(inds, topic).topic == topic
    assert lead(inds, "timeliness").indicator_id == "pct_within_20_weeks"
    assert lead(inds, "plans").indicator_id == "ehc_plans"
    assert [i.indicator_id for i in in_topic(inds, "timeliness", "rate")][:2] == [
        "pct_within_20_weeks",
        "pct_within_20_weeks_incl_exceptions",
    ]
    for ind in INDICATORS:
        # One rule for "a total": counts and £ totals are additive and never ranked; rates never additive.
        assert ind.additive == (ind.kind == "count" or (ind.kind == "money" and not ind.comparable)), ind.indicator_id
        assert not ind.additive or not ind.comparable, ind.indicator_id


def test_polarity_words_and_periods(store):
    inds = store.indicators
    rate, plans = inds["tribunal_appeal_rate"], inds["ehc_plans"]
    assert (narrative.first_place(rate), narrative.polarity_words(rate)) == ("lowest", "lower is better")
    assert (narrative.first_place(plans), narrative.polarity_words(plans)) == ("highest", "no better or worse")
    assert plans.better_than(3, 2) is None and rate.better_than(2, 3)
    assert rate.lowest_first and not plans.lowest_first
    assert period_words(plans, "202425") == "January 2025"
    assert period_words(rate, "2024") == "2024"
    assert period_words(inds["high_needs_block"], "2023-24") == "2023-24"
