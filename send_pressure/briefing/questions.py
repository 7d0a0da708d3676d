"""The briefing's scrutiny questions: declarative :data:`RULES`, each asked when the authority's figures meet
its condition, filled in from :func:`scrutiny_facts` (numbers, and ``_f`` / ``_p`` display strings).

The figures are the lead indicators of the topics in :data:`TOPIC_KEYS` (``catalogue.lead``), and the
numerator and denominator of the funding lead (the high needs block per EHC plan: block against plans)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from send_pressure import narrative
from send_pressure.catalogue import format_value, has_value, lead, period_words
from send_pressure.queries import Store


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


#: The key of each topic's lead figure in the facts the rules read ('t', 't_prev', 't_f', 't_p', 't_eng' ...).
TOPIC_KEYS = {"t": "timeliness", "req": "request_path", "ref": "refusals", "app": "tribunal"}
#: The topic whose lead is a ratio of two totals whose growth the funding rule compares (£ per EHC plan).
FUNDING_TOPIC = "funding"


def _aligned_growth(store: Store, iid: str, la_code: str, years: list[int]) -> tuple[float | None, str, str]:
    s = store.series(iid, [la_code]).set_index("year")
    ind = store.indicators[iid]
    y0, y1 = years
    growth = narrative.pct_change(s.value.get(y1), s.value.get(y0))
    return growth, period_words(ind, s.time_period[y0]), period_words(ind, s.time_period[y1])


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
        f[f"{key}_p"] = period_words(ind, r.latest_period)
        f[f"{key}_prev"], f[f"{key}_prev_f"] = r.previous_value, r.previous
        if isinstance(r.previous_period, str):
            f[f"{key}_prev_p"] = period_words(ind, r.previous_period)
        f[f"{key}_eng"] = r.england_value
        f[f"{key}_eng_f"] = format_value(r.england_value, None, ind.unit)
        f[f"{key}_nb"] = r.neighbours_value
        f[f"{key}_nb_f"] = format_value(r.neighbours_value, None, ind.unit)
        f[f"{key}_nb_n"] = r.neighbours_n
        f[f"{key}_nb_better"] = None if pd.isna(r.neighbours_better) else int(r.neighbours_better)
        f[f"{key}_nb_lo_f"] = format_value(r.neighbours_low, None, ind.unit)
        f[f"{key}_nb_hi_f"] = format_value(r.neighbours_high, None, ind.unit)

    for key, topic in TOPIC_KEYS.items():
        take(key, lead(inds, topic).indicator_id)
    # Plans against funding over the same years (January plans inside the financial year): the denominator
    # (EHC plans) and numerator (high needs block) of £ per plan.
    per_plan = lead(inds, FUNDING_TOPIC)
    if per_plan.ratio is None:
        return f
    plans_id, hnb_id = per_plan.denominator_id, per_plan.numerator_id
    plans = store.series(plans_id, [la_code]).dropna(subset=["value"])
    hnb = store.series(hnb_id, [la_code]).dropna(subset=["value"])
    common = sorted(set(plans.year) & set(hnb.year))
    if len(common) >= 2:
        years = common[-2:]
        f["plans_growth"], f["plans_p0"], f["plans_p1"] = _aligned_growth(store, plans_id, la_code, years)
        f["hnb_growth"], f["hnb_p0"], f["hnb_p1"] = _aligned_growth(store, hnb_id, la_code, years)
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
