"""The indicator catalogue: every indicator defined once.

The build writes these definitions to the ``indicator`` table; the dashboard,
maps, rankings and briefings read them from there and nowhere else.

``unit``: count | percent | gbp | rate_per_1000.
``polarity``: higher_is_better | lower_is_better | neutral (how rankings order LAs).
``comparable``: whether authorities may be ranked, banded, coloured and called better or worse on it
(rates, shares, money per plan: yes; size counts and £ totals: no, ``not_comparable_because`` says why).
``time_identifier``: the period convention of ``time_period`` (as the source
publishes it): "Calendar year" (2024), "January snapshot" (202425 = January 2025),
"Financial year" (2023-24).
``ratio``: ``(numerator_id, denominator_id, scale)`` for rates. Any group figure
(neighbour average, region) is recomputed from these, never averaged. With
``derived=True`` the build computes the rate itself, joining numerator and
denominator on level, area, breakdown and ``year`` (so a financial year 2023-24
meets the January 2024 caseload); otherwise the published rate is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

CALENDAR = "Calendar year"
JANUARY = "January snapshot"
FINANCIAL = "Financial year"


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it measures, in which unit, and which way is better."""

    indicator_id: str
    label: str
    unit: str
    polarity: str
    definition: str
    source_id: str
    time_identifier: str
    ratio: tuple[str, str, float] | None = None
    derived: bool = False
    additive: bool = False  # counts whose regional/national totals are sums of LAs
    headline: bool = False  # shown on profiles, briefings and overview tiles
    first_release: str | None = None  # first release that publishes it: no figures before is not an error
    # Rates, shares and money per plan compare authorities of different sizes; size counts do not, so they
    # get no rank, quartile, map colour or better/worse words (their change over time is shown instead).
    comparable: bool = True
    not_comparable_because: str = ""


#: Why a count or £ total is not compared across authorities.
SIZE_REASON = "a count that mostly reflects how big the authority is, not how it performs"


def _count(iid, label, definition, source_id, time_identifier, headline=False, polarity="neutral", first_release=None):
    return Indicator(
        iid,
        label,
        "count",
        polarity,
        definition,
        source_id,
        time_identifier,
        additive=True,
        headline=headline,
        first_release=first_release,
        comparable=False,
        not_comparable_because=SIZE_REASON,
    )


def _pct(iid, label, definition, source_id, polarity, headline=False, time_identifier=CALENDAR, ratio=None):
    return Indicator(iid, label, "percent", polarity, definition, source_id, time_identifier, ratio, headline=headline)


EHCP = "ehcp"  # the latest release; older periods come from older releases (each observation names its source)
TRIBUNAL = "tribunal"  # the latest release's tribunal table; older years from older releases

INDICATORS: list[Indicator] = [
    _count(
        "ehc_plans",
        "EHC plans (January)",
        "Children and young people with an education, health and care (EHC) plan maintained by the local "
        "authority at the January census date (SEN2). Before 2019 only EHC plans are counted here, not the "
        "statements of SEN still being converted: for growth over time use 'Statements of SEN and EHC plans'.",
        EHCP,
        JANUARY,
        headline=True,
    ),
    _count(
        "statements_of_sen",
        "Statements of SEN (January)",
        "Children and young people with a statement of special educational needs at the January census (SEN2, "
        "2022 release). Statements were replaced by EHC plans between September 2014 and April 2018; none are "
        "counted from January 2019 ('z', not applicable).",
        "ehcp_2022",
        JANUARY,
    ),
    _count(
        "statements_and_ehc_plans",
        "Statements of SEN and EHC plans (January)",
        "Children and young people with a statement of SEN or an EHC plan at the January census: one series "
        "across the transfer from statements to plans (2014 to 2018), as published in the 2022 release (total "
        "of statements and plans). From January 2019, when no statements remain, it equals the EHC plans figure "
        "(newest release). Use this series for growth over time; EHC plans alone before 2019 count only the "
        "plans issued so far.",
        EHCP,
        JANUARY,
    ),
    _count(
        "initial_requests",
        "Initial requests for an EHC needs assessment",
        "Initial requests for an EHC needs assessment received in the calendar year (SEN2).",
        EHCP,
        CALENDAR,
        headline=True,
    ),
    _count(
        "requests_decided_to_assess",
        "Requests: decided to assess",
        "Initial requests received in the year where the local authority decided to carry out an EHC needs "
        "assessment (published from 2023).",
        EHCP,
        CALENDAR,
    ),
    _count(
        "requests_refused",
        "Requests: decided not to assess",
        "Initial requests for an EHC needs assessment that the local authority decided not to assess (refusals).",
        EHCP,
        CALENDAR,
    ),
    _count(
        "requests_withdrawn",
        "Requests: withdrawn",
        "Initial requests withdrawn before a decision (published from 2023).",
        EHCP,
        CALENDAR,
    ),
    _count(
        "requests_decision_not_made",
        "Requests: decision not yet made",
        "Initial requests received in the year with no decision by the end of the year (published from 2023).",
        EHCP,
        CALENDAR,
    ),
    Indicator(
        "requests_refused_pct",
        "% of initial requests refused",
        "percent",
        "lower_is_better",
        "Initial requests decided not to assess as a percentage of initial requests received in the year. "
        "Computed from the two published counts (also for regions and England), so it is available for every year "
        "both counts are published.",
        EHCP,
        CALENDAR,
        ratio=("requests_refused", "initial_requests", 100.0),
        derived=True,
        headline=True,
    ),
    _count(
        "ehc_needs_assessments",
        "EHC needs assessments",
        "EHC needs assessments carried out in the calendar year (published from 2022).",
        EHCP,
        CALENDAR,
    ),
    _count(
        "assessments_plan_issued",
        "Assessments: plan issued",
        "EHC needs assessments in the year that ended with an EHC plan being issued.",
        EHCP,
        CALENDAR,
    ),
    _count(
        "assessments_plan_not_issued",
        "Assessments: decided not to issue a plan",
        "EHC needs assessments in the year that ended with a decision not to issue an EHC plan.",
        EHCP,
        CALENDAR,
    ),
    _count(
        "assessments_decision_outstanding",
        "Assessments: decision outstanding",
        "EHC needs assessments with no outcome by the end of the year.",
        EHCP,
        CALENDAR,
    ),
    _count(
        "new_ehc_plans",
        "New EHC plans issued",
        "EHC plans issued for the first time in the calendar year (SEN2).",
        EHCP,
        CALENDAR,
        headline=True,
    ),
    _count(
        "plans_issued_excl_exceptions",
        "New EHC plans (excluding exceptions)",
        "New EHC plans issued in the year, excluding those where an exception to the 20-week limit applied: the "
        "denominator of the 20-week rate.",
        EHCP,
        CALENDAR,
    ),
    _count(
        "plans_issued_incl_exceptions",
        "New EHC plans (including exceptions)",
        "New EHC plans issued in the year, including exceptions: the denominator of the 20-week rate including "
        "exceptions.",
        EHCP,
        CALENDAR,
    ),
    _count(
        "plans_within_20_weeks",
        "New EHC plans issued within 20 weeks (excluding exceptions)",
        "New EHC plans issued within the statutory 20 weeks, excluding exceptions.",
        EHCP,
        CALENDAR,
    ),
    _count(
        "plans_within_20_weeks_incl_exceptions",
        "New EHC plans issued within 20 weeks (including exceptions)",
        "New EHC plans issued within 20 weeks, including cases where an exception applied.",
        EHCP,
        CALENDAR,
    ),
    _pct(
        "pct_within_20_weeks",
        "% of new EHC plans issued within 20 weeks",
        "Percentage of new EHC plans issued within the statutory 20 weeks, excluding exceptions, as published.",
        EHCP,
        "higher_is_better",
        headline=True,
        ratio=("plans_within_20_weeks", "plans_issued_excl_exceptions", 100.0),
    ),
    _pct(
        "pct_within_20_weeks_incl_exceptions",
        "% issued within 20 weeks (including exceptions)",
        "Percentage of new EHC plans issued within 20 weeks, including cases where an exception applied, as published.",
        EHCP,
        "higher_is_better",
    ),
    _count(
        "plans_over_1_year",
        "New EHC plans issued after more than a year",
        "New EHC plans issued more than 52 weeks after the request, excluding exceptions (published from 2023).",
        EHCP,
        CALENDAR,
        polarity="lower_is_better",
    ),
    _pct(
        "pct_over_1_year",
        "% of new EHC plans issued after more than a year",
        "Percentage of new EHC plans issued more than 52 weeks after the request, excluding exceptions "
        "(published from 2023).",
        EHCP,
        "lower_is_better",
        ratio=("plans_over_1_year", "plans_issued_excl_exceptions", 100.0),
    ),
    _pct(
        "pct_over_1_year_incl_exceptions",
        "% issued after more than a year (including exceptions)",
        "Percentage of new EHC plans issued more than 52 weeks after the request, including exceptions "
        "(published from 2023).",
        EHCP,
        "lower_is_better",
    ),
    _count(
        "ceased_plans",
        "EHC plans ceased",
        "EHC plans that ceased to be maintained in the calendar year, for any reason (published from 2022).",
        EHCP,
        CALENDAR,
    ),
    _count(
        "annual_reviews_expected",
        "Annual reviews expected",
        "EHC plans whose annual review was due in the calendar year (published from 2024).",
        EHCP,
        CALENDAR,
    ),
    _count(
        "annual_reviews_held",
        "Annual review meetings held",
        "Annual review meetings recorded for plans whose review was due in the year (published from 2024).",
        EHCP,
        CALENDAR,
    ),
    _count(
        "annual_reviews_completed",
        "Annual reviews completed in the year",
        "Annual reviews of EHC plans completed in the calendar year, for plans whose review was due in it (published "
        "from the 2026 release). Not the same measure as 'Annual review meetings held', which counted meetings "
        "recorded at any time, including before the year.",
        EHCP,
        CALENDAR,
        first_release="2026",
    ),
    _count(
        "tribunal_appeals",
        "SEND Tribunal appeals registered",
        "Appeals to the SEND Tribunal registered against the local authority in the calendar year (HMCTS).",
        TRIBUNAL,
        CALENDAR,
    ),
    _count(
        "appealable_decisions",
        "Appealable decisions",
        "Decisions that could be appealed: refusals to assess, decisions not to issue a plan, the following "
        "January's EHC plans and plans ceased because needs were met (DfE definition).",
        TRIBUNAL,
        CALENDAR,
    ),
    _pct(
        "tribunal_appeal_rate",
        "SEND Tribunal appeal rate",
        "Appeals registered as a percentage of appealable decisions, as published. The 2023 and 2024 figures "
        "follow a change in the tribunal data collection.",
        TRIBUNAL,
        "lower_is_better",
        headline=True,
        ratio=("tribunal_appeals", "appealable_decisions", 100.0),
    ),
    Indicator(
        "high_needs_block",
        "High needs block allocation",
        "gbp",
        "neutral",
        "Dedicated schools grant high needs block allocation for the financial year, before academy recoupment "
        "and deductions (column [C] of the allocations summary). City of London and Isles of Scilly are not in "
        "the DSG tables.",
        "dsg_2023_24",
        FINANCIAL,
        additive=True,
        headline=True,
        comparable=False,
        not_comparable_because="an amount that mostly reflects how big the authority is; per EHC plan is compared",
    ),
    Indicator(
        "dsg_total",
        "Dedicated schools grant (total)",
        "gbp",
        "neutral",
        "Total dedicated schools grant allocation for the financial year before recoupment and deductions "
        "(column [E] of the allocations summary).",
        "dsg_2023_24",
        FINANCIAL,
        additive=True,
        comparable=False,
        not_comparable_because="an amount that mostly reflects how big the authority is",
    ),
    Indicator(
        "high_needs_block_per_ehc_plan",
        "High needs block per EHC plan",
        "gbp",
        "neutral",
        "High needs block allocation for the financial year divided by the EHC plans maintained at the January "
        "inside that year (e.g. 2023-24 over January 2024). A rough pressure measure: the block also funds "
        "support for children without a plan.",
        "dsg_2023_24",
        FINANCIAL,
        ratio=("high_needs_block", "ehc_plans", 1.0),
        derived=True,
        headline=True,
    ),
    _pct(
        "pct_pupils_ehc_plan",
        "% of pupils with an EHC plan",
        "Pupils with an EHC plan (or statement) as a percentage of all pupils in schools in the area, January "
        "school census (LAIT measure SEN_TotStat).",
        "lait",
        "neutral",
        time_identifier=JANUARY,
    ),
    _pct(
        "pct_pupils_sen_support",
        "% of pupils with SEN support",
        "Pupils receiving SEN support (no EHC plan) as a percentage of all pupils in schools in the area, "
        "January school census (LAIT).",
        "lait",
        "neutral",
        time_identifier=JANUARY,
    ),
    Indicator(
        "sen_unit_cost_s251",
        "SEN spend per child with a plan, per week (s251)",
        "gbp",
        "neutral",
        "Section 251 outturn spend on SEN services (support services, direct payments, home-to-school transport, "
        "assessment and administration) divided by the children with an EHC plan in January, per week, rounded to "
        "£5 (LAIT measure SENFinance; approximate).",
        "lait",
        FINANCIAL,
    ),
]


def by_id() -> dict[str, Indicator]:
    """Indicators keyed by id."""
    return {i.indicator_id: i for i in INDICATORS}
