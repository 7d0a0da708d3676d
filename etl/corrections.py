"""Publisher errors found by the build's checks, and what the build does about each.

Every entry was found by validation (name/code check, region = sum of LAs) and
checked by hand against the source file. Each produces a ``data_note`` row, so
the dashboard shows the caveat beside the figure. Nothing here changes a value:
rows go to the authority they belong to, or are not loaded.
"""

from __future__ import annotations

#: Published (code, name) pairs known to be wrong, with the code the row belongs to.
#: The name check reports them; only pairs listed here are corrected.
KNOWN_CODE_ERRORS = {
    # The SEND Tribunal table 2014-2024 prints five authorities with another's number; the
    # figures belong to the name (their size matches the name's EHC plan caseload).
    ("tribunal_2025", "892", "northamptonshire"): "928",  # 892 is Nottingham
    ("tribunal_2025", "891", "nottingham"): "892",  # 891 is Nottinghamshire
    ("tribunal_2025", "928", "nottinghamshire"): "891",  # 928 is Northamptonshire
    ("tribunal_2025", "873", "central bedfordshire"): "823",  # 873 is Cambridgeshire
    ("tribunal_2025", "823", "cambridgeshire"): "873",  # 823 is Central Bedfordshire
}

#: Figures loaded as published but known to be doubtful: (source_id, old_la_code, time_period, note).
CAVEATS = [
    (
        "tribunal_2025",
        code,
        "2024",
        "The 2024 appealable decisions of Cambridgeshire (4,410) and Central Bedfordshire (8,246) look swapped: "
        "against the January 2025 EHC plans (8,007 and 4,035) each fits the other authority, so the 2024 appeal "
        "rates of both are doubtful. Loaded as published.",
    )
    for code in ("873", "823")
]

#: Rows a source prints under a successor's code for years before the successor existed,
#: re-attributed to the predecessor: (source_id, old_la_code, last year to move, to code).
REATTRIBUTIONS = [
    # The tribunal table's footnote 6: Dorset figures before 2019 are the old Dorset County Council.
    ("tribunal_2025", "838", 2018, "835"),
]


#: Published LA figures that are not the LA's own and are therefore not loaded:
#: (source_id, indicator_id, time_period, region_code, note).
WITHDRAWN = [
    (
        "ehcp_2025",
        "new_ehc_plans",
        "2022",
        "E12000003",
        "The 2025 release prints the Yorkshire and The Humber total (6,078) as the 2022 new EHC plans of every "
        "authority in the region, so these authority figures are not shown.",
    ),
]
