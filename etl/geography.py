"""Local authorities, regions and reorganisations: the reference facts the loader joins on.

Sources are joined on the 3-digit DfE number (``old_la_code``), never on names or
GSS codes (Buckinghamshire, North Yorkshire and Somerset carry retired GSS codes
in the EES files). The facts below are declared, not inferred, because they are
legal changes that no file states cleanly.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

#: Current GSS code for authorities whose EES files still print a retired one.
CURRENT_GSS = {
    "815": "E06000065",  # North Yorkshire became unitary on 1 April 2023 (was E10000023)
    "933": "E06000066",  # Somerset became unitary on 1 April 2023 (was E10000027)
    "825": "E06000060",  # Buckinghamshire became unitary on 1 April 2020 (was E10000002)
}

#: (predecessor old_la_code, successor old_la_code, year of change, kind).
#: Re-codings keep their DfE number; they are listed by GSS code in RECODINGS.
SUCCESSIONS = [
    ("835", "838", 2019, "split"),  # Dorset county -> Dorset Council (most of the county)
    ("835", "839", 2019, "split"),  # ... and Christchurch -> Bournemouth, Christchurch and Poole
    ("836", "839", 2019, "merge"),  # Poole -> BCP
    ("837", "839", 2019, "merge"),  # Bournemouth -> BCP
    ("928", "940", 2021, "split"),  # Northamptonshire -> North Northamptonshire
    ("928", "941", 2021, "split"),  # ... and West Northamptonshire
    ("909", "942", 2023, "split"),  # Cumbria -> Cumberland
    ("909", "943", 2023, "split"),  # ... and Westmorland and Furness
]

#: (retired GSS code, current GSS code, year) for authorities recoded without a boundary change.
RECODINGS = [
    ("E10000002", "E06000060", 2020),  # Buckinghamshire
    ("E10000023", "E06000065", 2023),  # North Yorkshire
    ("E10000027", "E06000066", 2023),  # Somerset
]

REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}

_NAME_NOISE = {"city", "of", "county", "borough", "the", "and", "council", "pre", "lg"}


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """Normalise an LA name for comparison across publishers.

    'Kingston Upon Hull, City of', 'Durham' / 'County Durham', 'Bedford Borough',
    'St Helens' / 'St. Helens' and 'Dorset (Pre LG)' all compare equal to their EES
    spelling. Footnote digits must already be stripped by the parser.
    """
    words = re.sub(r"[^a-z ]", " ", str(name).lower()).split()
    return " ".join(w for w in words if w not in _NAME_NOISE)


def build_local_authorities(ees_la: pd.DataFrame) -> pd.DataFrame:
    """Build the ``local_authority`` table from the LA rows seen in the EES releases.

    ``ees_la`` has columns old_la_code, new_la_code, la_name, region_code,
    region_name, year (one row per LA per period per file). The latest row of each
    authority gives its name, region and code; :data:`CURRENT_GSS` overrides retired
    codes. Returns the table's columns (see ``etl/schema.sql``). Raises ValueError
    if two authorities end up with one GSS code.
    """
    latest = ees_la.sort_values("year").groupby("old_la_code", as_index=False).last()
    out = pd.DataFrame(
        {
            "new_la_code": [CURRENT_GSS.get(c, g) for c, g in zip(latest.old_la_code, latest.new_la_code, strict=True)],
            "old_la_code": latest.old_la_code,
            "la_name": latest.la_name,
            "region_code": latest.region_code,
            "region_name": [REGIONS[r] for r in latest.region_code],
        }
    )
    first = {succ: year for _, succ, year, _ in SUCCESSIONS}
    last = {pred: year for pred, _, year, _ in SUCCESSIONS}
    out["first_year"] = out.old_la_code.map(first).astype("Int64")
    out["last_year"] = out.old_la_code.map(last).astype("Int64")
    dupes = out[out.new_la_code.duplicated(keep=False)]
    if len(dupes):
        raise ValueError(f"two authorities share a GSS code:\n{dupes.to_string(index=False)}")
    return out.sort_values("old_la_code").reset_index(drop=True)


def build_successions(la: pd.DataFrame) -> pd.DataFrame:
    """The ``la_succession`` table in GSS codes (splits, merges and re-codings)."""
    gss = dict(zip(la.old_la_code, la.new_la_code, strict=True))
    rows = [(gss[p], gss[s], y, k) for p, s, y, k in SUCCESSIONS]
    rows += [(old, new, y, "recode") for old, new, y in RECODINGS]
    return pd.DataFrame(rows, columns=["predecessor_code", "successor_code", "year", "kind"])
