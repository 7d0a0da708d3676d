"""Ready-to-paste citations for a dashboard view: the official sources behind it, and the link to the view.

Format (one sentence per source, then how and when the view was accessed)::

    Department for Education (2025). Education, health and care plans, reporting year 2025 (SEN2).
    Release: Reporting year 2025 (June 2025); file education-health-and-care-plans_2025.zip.
    Accessed 29 November 2026 via SEND Pressure Dashboard, "MPs and constituencies": <url>
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import pandas as pd

from send_pressure.queries import Store

DASHBOARD_NAME = "SEND Pressure Dashboard"


def long_date(d: date) -> str:
    """'29 November 2026' (no leading zero)."""
    return f"{d.day} {d:%B %Y}"


def _year(row: pd.Series) -> str:
    """Publication year: the last year named in the release text ('... published 20 July 2023' -> 2023),
    else the year the file was retrieved, else 'n.d.'."""
    years = re.findall(r"\b(?:19|20)\d{2}\b", str(row.get("release") or ""))
    if years:
        return years[-1]
    retrieved = row.get("retrieved_at")
    if retrieved is not None and not pd.isna(retrieved):
        return str(pd.Timestamp(retrieved).year)
    return "n.d."


def source_reference(row: pd.Series) -> str:
    """One source as a reference: 'Publisher (year). Title. Release: ...; file name.'"""
    title = str(row["title"]).rstrip(".")
    return f"{row['publisher']} ({_year(row)}). {title}. Release: {row['release']}; file {row['file_name']}."


def citation(store: Store, source_ids: Iterable[str], page_title: str, url: str, accessed: date) -> str:
    """A ready citation for a view built from ``source_ids`` (unknown ids are skipped, duplicates once).

    Names each source's publisher, year, title, release and file, then the date accessed, the page and the
    link to the view.
    """
    s = store.sources.set_index("source_id", drop=False)
    refs = [source_reference(s.loc[sid]) for sid in dict.fromkeys(source_ids) if sid in s.index]
    accessed_line = f'Accessed {long_date(accessed)} via {DASHBOARD_NAME}, "{page_title}": {url}'
    return "\n".join([*refs, accessed_line])
