"""The indicator catalogue: every indicator defined once.

The build writes these definitions to the ``indicator`` table; the dashboard,
maps, rankings and briefings read them back from there as this same
:class:`Indicator` (``send_pressure.catalogue.load_catalogue``) and nowhere else.
Pages choose their indicators by ``topic``, never by id. Adding a headline
indicator from a loaded source: an entry here, its parser mapping, a value test.

``unit``: count | percent | gbp | rate_per_1000.
``polarity``: higher_is_better | lower_is_better | neutral (how rankings order LAs).
``comparable``: whether authorities may be ranked, banded, coloured and called better or worse on it
(rates, shares, money per plan: yes; size counts and £ totals: no, ``not_comparable_because`` says why).
``time_identifier``: the period convention of ``time_period`` (as the source
publishes it): "Calendar year" (2024), "January snapshot" (202425 = January 2025),
"Financial year" (2023-24).
``numerator_id``, ``denominator_id``, ``scale`` (``ratio``) for rates. Any group figure
(neighbour average, region) is recomputed from these, never averaged. With
``derived=True`` the build computes the rate itself, joining numerator and
denominator on level, area, breakdown and ``year`` (so a financial year 2023-24
meets the January 2024 caseload); otherwise the published rate is loaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import pandas as pd

CALENDAR = "Calendar year"
JANUARY = "January snapshot"
FINANCIAL = "Financial year"


#: What kind of figure an indicator is: a count of people or events, a rate (events over the cases they could
#: happen to), money (£ totals and £ per plan), or a share of a population (pupils).
KINDS = ("count", "rate", "money", "share")
#: The topics pages choose indicators by (a page names the topic it shows, never indicator ids).
TOPICS = {
    "plans": "EHC plans maintained, issued and ceased, and their reviews",
    "request_path": "the steps from a request for an assessment to a plan",
    "refusals": "requests refused, withdrawn or undecided, and assessments without a plan",
    "timeliness": "how quickly new EHC plans are issued (20 weeks, more than a year)",
    "tribunal": "SEND Tribunal appeals",
    "funding": "high needs funding and SEN spend",
    "pupils": "pupils with an EHC plan or SEN support",
}
#: Decimal places shown by default for each unit.
DECIMALS = {"count": 0, "percent": 1, "gbp": 0, "rate_per_1000": 1}


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it measures, in which unit, which way is better, and how the app words and draws it.

    The build writes every field to the ``indicator`` table (:meth:`to_row`); the app reads the rows back
    into this same class (:meth:`from_row`), so a field added here reaches every page.

    ``short_label``: a few words for table headings and legends (default: ``label``). ``decimals``: decimal
    places shown (default by unit, :data:`DECIMALS`). ``kind``: one of :data:`KINDS`. ``additive``: a count or
    £ total whose region and England figures are sums of the authorities' (drawn apart from them, compared by
    growth). ``topic``: one of :data:`TOPICS`. ``sentence``: how a sentence names an area's figure, a
    :meth:`str.format` template with the named fields ``{period}`` (the period in words,
    ``send_pressure.catalogue.period_words``: '2024', 'January 2025', '2023-24'), ``{area}`` (the area's
    name) and ``{value}`` (the figure formatted in the unit), e.g. 'In {period}, {area} issued {value} of new
    EHC plans within 20 weeks'; no full stop, so a comparison can follow (``send_pressure.narrative`` adds
    it). Indicators without one get 'In {period}, {area}'s figure for <label> was {value}' (:func:`lower_first`).
    ``chart_title``: the title of the indicator's trend chart (default: ``label``). ``comparable`` and
    ``not_comparable_because``: whether authorities are ranked on it, and why not. ``long_series_id``: the
    indicator that continues this one's history under an older method (EHC plans: statements and plans).
    """

    indicator_id: str
    label: str
    unit: str
    polarity: str
    definition: str
    source_id: str
    time_identifier: str
    kind: str
    topic: str
    short_label: str = ""
    decimals: int | None = None
    sentence: str = ""
    chart_title: str = ""
    numerator_id: str | None = None
    denominator_id: str | None = None
    scale: float | None = None
    derived: bool = False
    additive: bool = False  # counts whose regional/national totals are sums of LAs
    headline: bool = False  # shown on profiles, briefings and overview tiles
    first_release: str | None = None  # first release that publishes it: no figures before is not an error
    # Rates, shares and money per plan compare authorities of different sizes; size counts do not, so they
    # get no rank, quartile, map colour or better/worse words (their change over time is shown instead).
    comparable: bool = True
    not_comparable_because: str = ""
    long_series_id: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS or self.topic not in TOPICS:
            raise ValueError(f"{self.indicator_id}: kind {self.kind!r} or topic {self.topic!r} is not in the catalogue")
        defaults = {
            "short_label": self.label,
            "chart_title": self.label,
            "decimals": DECIMALS.get(self.unit, 1),
            # The label is text, not format fields: its braces are doubled.
            "sentence": "In {period}, {area}'s figure for "
            + lower_first(self.label).replace("{", "{{").replace("}", "}}")
            + " was {value}",
        }
        for name, value in defaults.items():
            if getattr(self, name) in ("", None):
                object.__setattr__(self, name, value)  # frozen: defaults that depend on other fields

    @property
    def ratio(self) -> tuple[str, str, float] | None:
        """``(numerator_id, denominator_id, scale)`` for rates, else None."""
        return (self.numerator_id, self.denominator_id, self.scale) if self.numerator_id else None

    @property
    def short_unit(self) -> str:
        """Unit as a short suffix for axis titles ('%', '£', 'number', 'per 1,000')."""
        return {"percent": "%", "gbp": "£", "count": "number", "rate_per_1000": "per 1,000"}.get(self.unit, self.unit)

    def better_than(self, values, reference):
        """Which of ``values`` (a number or a pandas Series) are better than ``reference`` by the polarity;
        None when there is no better or worse (neutral, or not :attr:`comparable`). The one rule for which way
        is better: rankings, maps, colours and every word about it (``send_pressure.narrative``) read it."""
        if self.polarity == "neutral" or not self.comparable:
            return None
        return values > reference if self.polarity == "higher_is_better" else values < reference

    @property
    def lowest_first(self) -> bool:
        """Whether rank 1 is the lowest figure: where lower is better (:meth:`better_than`); all other indicators
        rank the highest first."""
        return self.better_than(1, 0) is False

    def to_row(self, position: int) -> dict:
        """The ``indicator`` table row (columns as in etl/schema.sql; ``position``: order in the catalogue)."""
        row = asdict(self)
        row["not_comparable_because"] = self.not_comparable_because or None
        return {**row, "position": position}

    @classmethod
    def from_row(cls, row: dict) -> Indicator:
        """The indicator of one ``indicator`` table row (NULL and NaN read as absent; ``position`` dropped)."""
        names = {f.name for f in fields(cls)}
        kept = {k: (None if _missing(v) else v) for k, v in row.items() if k in names}
        kept["decimals"] = int(kept["decimals"])
        kept["scale"] = float(kept["scale"]) if kept["scale"] is not None else None
        kept["not_comparable_because"] = kept["not_comparable_because"] or ""
        return cls(**kept)


def lower_first(text: str) -> str:
    """A label inside a sentence: 'Initial requests' -> 'initial requests'; an acronym or symbol stays
    ('EHC plans', 'SEN spend', '% of new EHC plans')."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _missing(v) -> bool:
    return v is None or (pd.api.types.is_scalar(v) and pd.isna(v))


#: Why a count or £ total is not compared across authorities.
SIZE_REASON = "a count that mostly reflects how big the authority is, not how it performs"


def _count(iid, label, definition, source_id, time_identifier, topic, **kw):
    kw.setdefault("polarity", "neutral")
    return Indicator(iid, label, "count", kw.pop("polarity"), definition, source_id, time_identifier, "count", topic,
                     additive=True, comparable=False, not_comparable_because=SIZE_REASON, **kw)  # fmt: skip


def _pct(iid, label, definition, source_id, polarity, topic, kind="rate", time_identifier=CALENDAR, ratio=None, **kw):
    num, den, scale = ratio or (None, None, None)
    return Indicator(iid, label, "percent", polarity, definition, source_id, time_identifier, kind, topic,
                     numerator_id=num, denominator_id=den, scale=scale, **kw)  # fmt: skip


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
        topic="plans",
        short_label="EHC plans",
        sentence="In {period}, {area} maintained {value} EHC plans",
        long_series_id="statements_and_ehc_plans",
    ),
    _count(
        "statements_of_sen",
        "Statements of SEN (January)",
        "Children and young people with a statement of special educational needs at the January census (SEN2, "
        "2022 release). Statements were replaced by EHC plans between September 2014 and April 2018; none are "
        "counted from January 2019 ('z', not applicable).",
        "ehcp_2022",
        JANUARY,
        topic="plans",
        short_label="Statements of SEN",
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
        topic="plans",
        short_label="Statements and EHC plans",
        chart_title="Statements of SEN and EHC plans in January",
    ),
    _count(
        "initial_requests",
        "Initial requests for an EHC needs assessment",
        "Initial requests for an EHC needs assessment received in the calendar year (SEN2).",
        EHCP,
        CALENDAR,
        headline=True,
        topic="request_path",
        short_label="Initial requests",
        sentence="In {period}, {area} received {value} initial requests for an EHC needs assessment",
    ),
    _count(
        "requests_decided_to_assess",
        "Requests: decided to assess",
        "Initial requests received in the year where the local authority decided to carry out an EHC needs "
        "assessment (published from 2023).",
        EHCP,
        CALENDAR,
        topic="request_path",
        short_label="Decided to assess",
    ),
    _count(
        "requests_refused",
        "Requests: decided not to assess",
        "Initial requests for an EHC needs assessment that the local authority decided not to assess (refusals).",
        EHCP,
        CALENDAR,
        topic="refusals",
        short_label="Refused",
    ),
    _count(
        "requests_withdrawn",
        "Requests: withdrawn",
        "Initial requests withdrawn before a decision (published from 2023).",
        EHCP,
        CALENDAR,
        topic="refusals",
        short_label="Withdrawn",
    ),
    _count(
        "requests_decision_not_made",
        "Requests: decision not yet made",
        "Initial requests received in the year with no decision by the end of the year (published from 2023).",
        EHCP,
        CALENDAR,
        topic="refusals",
        short_label="No decision yet",
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
        numerator_id="requests_refused",
        denominator_id="initial_requests",
        scale=100.0,
        derived=True,
        headline=True,
        kind="rate",
        topic="refusals",
        short_label="% refused",
        sentence="In {period}, {area} refused {value} of initial requests for an EHC needs assessment",
    ),
    _count(
        "ehc_needs_assessments",
        "EHC needs assessments",
        "EHC needs assessments carried out in the calendar year (published from 2022).",
        EHCP,
        CALENDAR,
        topic="request_path",
        short_label="Assessments",
    ),
    _count(
        "assessments_plan_issued",
        "Assessments: plan issued",
        "EHC needs assessments in the year that ended with an EHC plan being issued.",
        EHCP,
        CALENDAR,
        topic="request_path",
        short_label="Plan issued",
    ),
    _count(
        "assessments_plan_not_issued",
        "Assessments: decided not to issue a plan",
        "EHC needs assessments in the year that ended with a decision not to issue an EHC plan.",
        EHCP,
        CALENDAR,
        topic="refusals",
        short_label="No plan issued",
    ),
    _count(
        "assessments_decision_outstanding",
        "Assessments: decision outstanding",
        "EHC needs assessments with no outcome by the end of the year.",
        EHCP,
        CALENDAR,
        topic="refusals",
        short_label="Outcome outstanding",
    ),
    _count(
        "new_ehc_plans",
        "New EHC plans issued",
        "EHC plans issued for the first time in the calendar year (SEN2).",
        EHCP,
        CALENDAR,
        headline=True,
        topic="plans",
        short_label="New EHC plans",
        sentence="In {period}, {area} issued {value} new EHC plans",
    ),
    _count(
        "plans_issued_excl_exceptions",
        "New EHC plans (excluding exceptions)",
        "New EHC plans issued in the year, excluding those where an exception to the 20-week limit applied: the "
        "denominator of the 20-week rate.",
        EHCP,
        CALENDAR,
        topic="timeliness",
        short_label="New plans (excl. exceptions)",
    ),
    _count(
        "plans_issued_incl_exceptions",
        "New EHC plans (including exceptions)",
        "New EHC plans issued in the year, including exceptions: the denominator of the 20-week rate including "
        "exceptions.",
        EHCP,
        CALENDAR,
        topic="timeliness",
        short_label="New plans (incl. exceptions)",
    ),
    _count(
        "plans_within_20_weeks",
        "New EHC plans issued within 20 weeks (excluding exceptions)",
        "New EHC plans issued within the statutory 20 weeks, excluding exceptions.",
        EHCP,
        CALENDAR,
        topic="timeliness",
        short_label="Within 20 weeks",
    ),
    _count(
        "plans_within_20_weeks_incl_exceptions",
        "New EHC plans issued within 20 weeks (including exceptions)",
        "New EHC plans issued within 20 weeks, including cases where an exception applied.",
        EHCP,
        CALENDAR,
        topic="timeliness",
        short_label="Within 20 weeks (incl. exceptions)",
    ),
    _pct(
        "pct_within_20_weeks",
        "% of new EHC plans issued within 20 weeks",
        "Percentage of new EHC plans issued within the statutory 20 weeks, excluding exceptions, as published.",
        EHCP,
        "higher_is_better",
        headline=True,
        ratio=("plans_within_20_weeks", "plans_issued_excl_exceptions", 100.0),
        topic="timeliness",
        short_label="% within 20 weeks",
        sentence="In {period}, {area} issued {value} of new EHC plans within 20 weeks (excluding exceptions)",
    ),
    _pct(
        "pct_within_20_weeks_incl_exceptions",
        "% issued within 20 weeks (including exceptions)",
        "Percentage of new EHC plans issued within 20 weeks, including cases where an exception applied, as published.",
        EHCP,
        "higher_is_better",
        topic="timeliness",
        short_label="% within 20 weeks (incl. exceptions)",
        sentence="In {period}, {area} issued {value} of new EHC plans within 20 weeks (including exceptions)",
    ),
    _count(
        "plans_over_1_year",
        "New EHC plans issued after more than a year",
        "New EHC plans issued more than 52 weeks after the request, excluding exceptions (published from 2023).",
        EHCP,
        CALENDAR,
        polarity="lower_is_better",
        topic="timeliness",
        short_label="Over a year",
    ),
    _pct(
        "pct_over_1_year",
        "% of new EHC plans issued after more than a year",
        "Percentage of new EHC plans issued more than 52 weeks after the request, excluding exceptions "
        "(published from 2023).",
        EHCP,
        "lower_is_better",
        ratio=("plans_over_1_year", "plans_issued_excl_exceptions", 100.0),
        topic="timeliness",
        short_label="% over a year",
        sentence="In {period}, {area} issued {value} of new EHC plans more than a year after the request "
        "(excluding exceptions)",
    ),
    _pct(
        "pct_over_1_year_incl_exceptions",
        "% issued after more than a year (including exceptions)",
        "Percentage of new EHC plans issued more than 52 weeks after the request, including exceptions "
        "(published from 2023).",
        EHCP,
        "lower_is_better",
        topic="timeliness",
        short_label="% over a year (incl. exceptions)",
        sentence="In {period}, {area} issued {value} of new EHC plans more than a year after the request "
        "(including exceptions)",
    ),
    _count(
        "ceased_plans",
        "EHC plans ceased",
        "EHC plans that ceased to be maintained in the calendar year, for any reason (published from 2022).",
        EHCP,
        CALENDAR,
        topic="plans",
        short_label="Plans ceased",
    ),
    _count(
        "annual_reviews_expected",
        "Annual reviews expected",
        "EHC plans whose annual review was due in the calendar year (published from 2024).",
        EHCP,
        CALENDAR,
        topic="plans",
        short_label="Reviews expected",
    ),
    _count(
        "annual_reviews_held",
        "Annual review meetings held",
        "Annual review meetings recorded for plans whose review was due in the year (published from 2024).",
        EHCP,
        CALENDAR,
        topic="plans",
        short_label="Review meetings held",
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
        topic="plans",
        short_label="Reviews completed",
    ),
    _count(
        "tribunal_appeals",
        "SEND Tribunal appeals registered",
        "Appeals to the SEND Tribunal registered against the local authority in the calendar year (HMCTS).",
        TRIBUNAL,
        CALENDAR,
        topic="tribunal",
        short_label="Appeals",
        sentence="In {period}, {value} SEND Tribunal appeals were registered against {area}",
    ),
    _count(
        "appealable_decisions",
        "Appealable decisions",
        "Decisions that could be appealed: refusals to assess, decisions not to issue a plan, the following "
        "January's EHC plans and plans ceased because needs were met (DfE definition).",
        TRIBUNAL,
        CALENDAR,
        topic="tribunal",
        short_label="Appealable decisions",
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
        topic="tribunal",
        short_label="Appeal rate",
        sentence="In {period}, {area}'s SEND Tribunal appeal rate was {value}",
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
        kind="money",
        topic="funding",
        short_label="High needs block",
        sentence="In {period}, {area}'s high needs block allocation was {value}",
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
        kind="money",
        topic="funding",
        short_label="DSG total",
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
        numerator_id="high_needs_block",
        denominator_id="ehc_plans",
        scale=1.0,
        derived=True,
        headline=True,
        kind="money",
        topic="funding",
        short_label="High needs block per plan",
        sentence="In {period}, {area}'s high needs block allocation was {value} per EHC plan",
    ),
    _pct(
        "pct_pupils_ehc_plan",
        "% of pupils with an EHC plan",
        "Pupils with an EHC plan (or statement) as a percentage of all pupils in schools in the area, January "
        "school census (LAIT measure SEN_TotStat).",
        "lait",
        "neutral",
        time_identifier=JANUARY,
        kind="share",
        topic="pupils",
        short_label="% pupils with a plan",
        sentence="In {period}, {value} of {area}'s pupils had an EHC plan",
    ),
    _pct(
        "pct_pupils_sen_support",
        "% of pupils with SEN support",
        "Pupils receiving SEN support (no EHC plan) as a percentage of all pupils in schools in the area, "
        "January school census (LAIT).",
        "lait",
        "neutral",
        time_identifier=JANUARY,
        kind="share",
        topic="pupils",
        short_label="% pupils with SEN support",
        sentence="In {period}, {value} of {area}'s pupils had SEN support",
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
        kind="money",
        topic="funding",
        short_label="SEN spend per plan per week",
    ),
]


def by_id() -> dict[str, Indicator]:
    """Indicators keyed by id."""
    return {i.indicator_id: i for i in INDICATORS}


@dataclass(frozen=True)
class JourneyStep:
    """One step of the EHC plan journey (the journey page of one authority).

    ``counts``: the step's own count first, then ``branches`` (parts of the step's count: those that left the
    path there, such as refusals, withdrawals and appeals, or the reviews held of those due); ``rates``:
    percentages that say how the step went (timeliness, refusal rate), compared across authorities where the
    catalogue allows. ``snapshot_lag``: 1 for a January count, which is read for the January after the calendar
    year (the caseload at the end of the year).
    """

    key: str
    title: str
    what: str
    counts: tuple[str, ...]
    branches: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()
    snapshot_lag: int = 0


#: The path from request to ceased plan, each step's indicators (catalogue ids) and published columns of the
#: releases (``dataset.column`` ids of the ``measure`` table).
JOURNEY: tuple[JourneyStep, ...] = (
    JourneyStep(
        "requests",
        "Requests for an EHC needs assessment",
        "Initial requests received in the year, and those refused, withdrawn or still undecided at its end.",
        ("initial_requests",),
        ("requests_refused", "requests_withdrawn", "requests_decision_not_made"),
        ("requests_refused_pct",),
    ),
    JourneyStep(
        "decided",
        "Decided to assess",
        "Requests received in the year that the authority decided to assess, and how many decisions (to assess "
        "or not) were made within the 6 weeks the law allows (published from 2023).",
        ("requests_decided_to_assess",),
        (),
        ("requests.request_outcome_six_weeks_pc",),
    ),
    JourneyStep(
        "assessed",
        "Assessed",
        "EHC needs assessments carried out in the year, those ending without a plan or still open, and how many "
        "decisions not to issue a plan were made within 16 weeks.",
        ("ehc_needs_assessments",),
        ("assessments_plan_not_issued", "assessments_decision_outstanding"),
        ("assessments.outcome_decision_within_time_pc",),
    ),
    JourneyStep(
        "issued",
        "Plan issued",
        "New EHC plans issued in the year, and how many within the 20 weeks the law allows, between 20 and 52 "
        "weeks, and after more than a year (excluding exceptions).",
        ("new_ehc_plans",),
        (),
        ("pct_within_20_weeks", "timeliness_20_week.pc_plans_issued_gt20weeks_ltyear_ex", "pct_over_1_year"),
    ),
    JourneyStep(
        "caseload",
        "Caseload",
        "EHC plans the authority maintains at the January after the year.",
        ("ehc_plans",),
        snapshot_lag=1,
    ),
    JourneyStep(
        "reviews",
        "Annual reviews",
        "Plans whose annual review was due in the year, review meetings held, reviews that decided to end the "
        "plan, and how many review outcomes were sent within 4 weeks.",
        ("annual_reviews_expected",),
        ("annual_reviews_held", "annual_reviews.outcome_cease"),
        ("annual_reviews.pc_decsion_4weeks",),
    ),
    JourneyStep(
        "ceased",
        "Ceased",
        "EHC plans that stopped being maintained in the year; why is broken down below the table.",
        ("ceased_plans",),
    ),
    JourneyStep(
        "appeals",
        "Mediation and tribunal appeals",
        "Appeals to the SEND Tribunal registered against the authority in the year (HMCTS), the appeal rate, and "
        "the requests and assessment decisions that went to mediation or to the tribunal (SEN2, from 2023).",
        ("tribunal_appeals",),
        (
            "requests.mediation_related_request",
            "requests.tribunal_related_request",
            "assessments.number_assess_mediation",
            "assessments.number_assess_tribunal",
        ),
        ("tribunal_appeal_rate",),
    ),
)

#: Short names for the published columns a step shows (the data guidance's labels are long; each chart and
#: CSV keeps the guidance's own label and definition).
JOURNEY_LABELS = {
    "requests.request_outcome_six_weeks_pc": "% of decisions on requests made within 6 weeks",
    "assessments.outcome_decision_within_time_pc": "% of decisions not to issue a plan made within 16 weeks",
    "timeliness_20_week.pc_plans_issued_gt20weeks_ltyear_ex": "% of new EHC plans issued in 20 to 52 weeks",
    "annual_reviews.pc_decsion_4weeks": "% of review outcomes sent within 4 weeks",
    "annual_reviews.outcome_cease": "Reviews: decided to cease the plan",
    "requests.mediation_related_request": "Requests that went to mediation",
    "requests.tribunal_related_request": "Requests that went to the tribunal",
    "assessments.number_assess_mediation": "Assessment decisions that went to mediation",
    "assessments.number_assess_tribunal": "Assessment decisions that went to the tribunal",
}


@dataclass(frozen=True)
class ColumnGroup:
    """For the breakdown explorer: columns of one data file that split its total: ``figure`` (the indicator it
    breaks down), ``title`` ('placement type'), ``total`` (measure id) and ``parts`` (measure ids, in the order
    shown)."""

    key: str
    figure: str
    title: str
    total: str
    parts: tuple[str, ...]


_NEEDS = ("asd", "slcn", "semh", "mld", "sld", "pd", "spld", "hi", "pmld", "vi", "msi", "oth", "need_unknown")
#: Placement groups that add up to the total (mainstream, special, AP, FE, elsewhere, early years, unknown).
PLACEMENT_GROUPS = ("mainstream_total", "special_total", "ap_pru_total", "fe_total", "ed_elsewhere", "nm_early_years",
                    "placement_unknown")  # fmt: skip

#: Column groups of the releases' data files that split a total (measure ids of the ``measure`` table).
BREAKDOWN_GROUPS: tuple[ColumnGroup, ...] = (
    ColumnGroup("need", "ehc_plans", "primary need", "sen_needs_all_plans.ehc_plans",
                tuple(f"sen_needs_all_plans.number_{n}" for n in _NEEDS)),
    ColumnGroup("placement", "ehc_plans", "placement type", "caseload.ehcplans",
                tuple(f"caseload.{p}" for p in PLACEMENT_GROUPS)),
    ColumnGroup("new_need", "new_ehc_plans", "primary need", "sen_need_newplans.ehc_plans",
                tuple(f"sen_need_newplans.number_{n}" for n in _NEEDS)),
    ColumnGroup("new_placement", "new_ehc_plans", "placement type", "newplans.new_ehc_plans",
                tuple(f"newplans.{p}" for p in PLACEMENT_GROUPS)),
    ColumnGroup("request_outcome", "initial_requests", "decision", "requests.requests_received_in_year",
                tuple(f"requests.{c}" for c in ("requests_decided_to_assess", "requests_decided_not_to_assess",
                                                "requests_decision_not_made", "requests_withdrawn"))),
    ColumnGroup("assessment_outcome", "ehc_needs_assessments", "outcome", "assessments.assess_in_year",
                tuple(f"assessments.{c}" for c in ("assess_issued", "assess_not_issued", "assess_not_made",
                                                   "assess_withdrawn"))),
    ColumnGroup("timeliness", "plans_issued_excl_exceptions", "time taken (excluding exceptions)",
                "timeliness_20_week.plans_issued_den_ex",
                tuple(f"timeliness_20_week.{c}" for c in ("plans_issued_20_weeks_ex",
                                                          "plans_issued_gt20weeks_ltyear_ex",
                                                          "plans_issued_gt_1_year_ex"))),
    ColumnGroup("review_outcome", "annual_reviews_held", "outcome", "annual_reviews.total_review_meeting",
                tuple(f"annual_reviews.{c}" for c in ("outcome_maintan", "outcome_amend", "outcome_cease",
                                                      "no_outcome"))),
    ColumnGroup("ceased_reason", "ceased_plans", "reason", "ceased_plans.total_ceased",
                tuple(f"ceased_plans.{c}" for c in ("max_age", "needs_met", "he", "employ", "transfer", "no_engage",
                                                    "moved_outside_eng", "deceased", "other", "not_rec"))),
)  # fmt: skip
