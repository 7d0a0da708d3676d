"""The briefing page: :mod:`~send_pressure.briefing.facts` and :mod:`~send_pressure.briefing.figures` put into
``templates/briefing.html`` (Jinja2, autoescaped) with ``templates/briefing.css`` inline, so the page is one
self-contained file; and the same page printed to PDF by WeasyPrint.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from pathlib import Path

import jinja2
from markupsafe import Markup

from send_pressure.briefing.facts import briefing_facts
from send_pressure.briefing.figures import chart_figures, legend_sentence
from send_pressure.queries import Store

TEMPLATES = Path(__file__).with_name("templates")


def _css_string(text: str) -> Markup:
    """Text for a quoted CSS string inside <style> (raw text, where HTML escapes are not decoded): the
    characters that could end the string or the element are dropped rather than escaped."""
    return Markup(re.sub(r'[\\"<>\n]', "", str(text)))


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is escaped unless it is Markup (the CSS file, the footer above)
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = _css_string
    return env


def briefing_html(store: Store, la_code: str, today: date, *, charts: bool = True) -> str:
    """The scrutiny briefing for one current LA as one self-contained HTML page (A4 print CSS).

    ``charts=False`` leaves the charts out (faster; the text and tables are unchanged). Raises KeyError
    for an unknown LA code.
    """
    f = briefing_facts(store, la_code, today)
    env = _environment()
    return env.get_template("briefing.html").render(
        f=f,
        charts=chart_figures(store, la_code) if charts else [],
        legend=legend_sentence(f.name, f.region),
        css=Markup((TEMPLATES / "briefing.css").read_text(encoding="utf-8")),
        footer=f"SEND scrutiny briefing: {f.name} ({f.prepared})",
    )


@functools.cache
def pdf_engine_problem() -> str | None:
    """Why PDFs cannot be made on this machine (WeasyPrint or its Pango libraries missing), or None."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as e:  # OSError: the Pango/HarfBuzz shared libraries are missing
        return f"The PDF engine (WeasyPrint) could not be loaded: {e}. Download the HTML briefing instead."
    return None


def briefing_pdf(html_text: str) -> bytes:
    """Print a briefing page to PDF bytes with WeasyPrint, tagged for screen readers (PDF/UA-1).

    Raises RuntimeError (with :func:`pdf_engine_problem`'s message) when WeasyPrint cannot be
    loaded, so the caller can offer the HTML only.
    """
    problem = pdf_engine_problem()
    if problem:
        raise RuntimeError(problem)
    from weasyprint import HTML

    # PDF/UA-1: a tagged PDF (headings, tables, figures with their alt text) that screen readers can follow;
    # WeasyPrint takes the document title from <title> and the language from <html lang>.
    return HTML(string=html_text).write_pdf(pdf_variant="pdf/ua-1")
