"""The one place where text from users (link parameters, search boxes) and from the sources (LA, MP and
constituency names) is made safe for where it goes: Markdown, HTML or a CSV cell.

* :func:`md` - for ``st.markdown``, ``st.info``/``st.warning``, subheaders, button and link labels (all
  Markdown in Streamlit): the text shows exactly as typed and can never become a link, an image the browser
  fetches, LaTeX, an emoji or colour directive, HTML or a new block.
* HTML: the briefing's template escapes every value itself (Jinja2 autoescaping, ``send_pressure.briefing``).
* :func:`csv_bytes` - every CSV the app offers for download: a text cell that a spreadsheet would run as a
  formula is made inert.

CSV rule (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe, which spreadsheets show as plain text. Two kinds of cell are left alone
because they are data, not formulas, and must stay readable and sortable: a cell that is exactly a published
marker (``-`` means nil; see ``send_pressure.catalogue.MARKER_MEANINGS``) and a cell that reads as a number
(``-3.5``). Numeric columns are never changed.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from send_pressure.catalogue import MARKER_MEANINGS

#: Characters that start inline Markdown, GFM or Streamlit constructs: emphasis, code, links and images
#: (``[``; ``!`` and ``(`` mean nothing without it), raw HTML, LaTeX, strikethrough, tables, entities,
#: headings, colour directives (``:red[``, which needs ``[``). Other punctuation is left as typed so that
#: plain sentences stay plain.
#: An underscore inside a word (``ehcp_2025``) cannot start emphasis in CommonMark and is left alone.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>$~|&#]|(?<!\w)_|_(?!\w))")
#: Emoji and icon short codes (``:smile:``, ``:material/home:``): the first colon is escaped.
_SHORT_CODE = re.compile(r":(?=[\w+\-/]+:)")
#: A line that starts like a list, quote, heading underline or numbered item.
_BLOCK_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
#: GFM turns ``http://...``, ``www.x`` and ``a@b.c`` in the *unescaped* text into links, so backslashes
#: cannot stop it: an invisible word joiner (U+2060) goes inside ``://``, after ``www`` and before ``@``.
_WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(:)(?=//)|((?i:www))(?=\.)|(?=@)")
#: Characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


#: Unicode bidirectional embeddings, overrides, isolates and marks (U+202A-202E, U+2066-2069, U+200E/F, U+061C).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def md(text: object) -> str:
    """``text`` as literal Markdown, shown exactly as typed and inside the sentence it is put in.

    Line breaks become spaces; bidirectional controls are dropped (they would reorder the sentence around
    the text); Markdown/GFM/Streamlit syntax characters and a leading list or quote marker are
    backslash-escaped; an invisible word joiner breaks anything GFM would turn into a link by itself.
    ``None`` gives ``''``.
    """
    if text is None:
        return ""
    text = _BIDI_CONTROLS.sub("", _LINE_BREAKS.sub(" ", str(text)))
    text = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + _WORD_JOINER, text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _SHORT_CODE.sub(r"\\:", text)
    if (m := _BLOCK_START.match(text)) is not None:
        # "1." escapes the dot, the other markers themselves.
        cut = m.end() if m.group(2)[0].isdigit() else m.start(2)
        text = text[:cut] + "\\" + text[cut:]
    return text


def _is_number(text: str) -> bool:
    # "-inf" and "-nan" parse as floats but a spreadsheet reads them as formulas: only finite numbers pass.
    try:
        return math.isfinite(float(text.replace(",", "")))
    except ValueError:
        return False


def csv_cell(value: object) -> object:
    """One cell made inert for a spreadsheet (see the module note); non-text values are returned unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if value in MARKER_MEANINGS or _is_number(value):
        return value
    return "'" + value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (object or string columns) went through :func:`csv_cell`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV bytes (no index) for a download button, formula cells made inert."""
    return csv_safe(frame).to_csv(index=False).encode("utf-8")
