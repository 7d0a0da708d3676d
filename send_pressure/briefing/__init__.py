"""A printable scrutiny briefing for one local authority (HTML for A4, and PDF).

:func:`briefing_html` builds a self-contained page (no external assets: charts are inline SVG images)
from the database only: the headline table (:func:`send_pressure.profile.headline_table`), plain-English
sentences (:mod:`send_pressure.narrative`), small trend charts, the caveats that apply to the authority and
scrutiny questions chosen by the declarative :data:`RULES`. :func:`briefing_pdf` prints that page.

* :mod:`.facts` - what the briefing says (figures, sentences, caveats), as plain text;
* :mod:`.questions` - the scrutiny rules and the figures they read;
* :mod:`.figures` - the charts, styled from :mod:`send_pressure.palette` like the app's;
* :mod:`.render` - the Jinja2 template (autoescaped: no text is escaped by hand), its CSS file, the PDF.
"""

from send_pressure.briefing.facts import (
    CHART_TOPICS,
    Facts,
    GroupRank,
    briefing_facts,
    caveats,
    chart_title,
    charted,
    group_rank,
    indicator_sentence,
)
from send_pressure.briefing.questions import RULES, Rule, scrutiny_facts, scrutiny_questions
from send_pressure.briefing.render import briefing_html, briefing_pdf, pdf_engine_problem

__all__ = [
    "CHART_TOPICS",
    "RULES",
    "Facts",
    "GroupRank",
    "Rule",
    "briefing_facts",
    "briefing_html",
    "briefing_pdf",
    "caveats",
    "chart_title",
    "charted",
    "group_rank",
    "indicator_sentence",
    "pdf_engine_problem",
    "scrutiny_facts",
    "scrutiny_questions",
]
