"""The About page's "What's new" and the freshness line every page shows (session database from the mirror)."""

from __future__ import annotations

from helpers import open_page

from send_pressure import freshness


def test_revised_figures_biggest_first(store):
    revised = freshness.revised_figures(store, limit=500)
    england = revised[(revised.area == "England") & (revised.indicator == "Appealable decisions")]
    # The 2025 release's 2014-2024 table printed England 2024 as 689,739; the 2026 release's table 364,912.
    row = england[england.period == "2024"].iloc[0]
    assert (row.old, row.new, bool(row.series_break)) == ("689,739", "364,912", True)
    changes = revised.change.abs().dropna()
    assert list(changes) == sorted(changes, reverse=True)


def test_new_periods_are_the_2025_tribunal_figures(store):
    added = freshness.new_periods(store)
    assert set(added.indicator) == {
        "SEND Tribunal appeals registered",
        "Appealable decisions",
        "SEND Tribunal appeal rate",
    }
    assert set(added.periods) == {"2025"}


def test_about_lists_whats_new(db_path):
    at = open_page("views/about.py")
    body = "\n".join(m.value for m in at.markdown)
    assert "newest release known **2026**" in body
    assert "series break from 2024" in body
    tables = [t.value for t in at.dataframe]
    statuses = next(t for t in tables if "Status" in t.columns)
    assert {"active", "retired"} <= set(statuses.Status)


def test_pages_name_release_and_period_of_their_figures(db_path):
    at = open_page("views/requests.py", la="E10000016")
    line = next(c.value for c in at.caption if c.value.startswith("**Figures on this page.**"))
    assert "SEND Tribunal appeals and appealable decisions (supporting file): Reporting year 2026 (June 2026)" in line
    assert "periods 2024 to 2025" in line
    # the EHC plans figures come from the 2025 release while the build knows of 2026
    assert "The publisher has a newer release (2026)" in line
    citation = at.code[-1].value
    assert "SEND appealable decisions rate 2024-2025.csv" in citation and "ehcp" not in citation.split("Accessed")[1]


def test_briefing_names_the_series_break(store):
    from send_pressure.briefing import caveats
    from send_pressure.profile import headline_table

    kent = "E10000016"
    lines = caveats(store, kent, headline_table(store, kent))
    assert any(line.startswith("SEND Tribunal appeal rate: series break from 2024. New method") for line in lines)


def test_stale_and_newer_release_sentences():
    import pandas as pd

    # Source metadata only (no figures): one source kept from the previous build, one behind the newest release.
    sources = pd.DataFrame(
        {
            "source_id": ["tribunal", "ehcp"],
            "title": ["SEND Tribunal table", "EHC plans"],
            "release": ["Reporting year 2025", "Reporting year 2025"],
            "publication": ["education-health-and-care-plans"] * 2,
            "release_slug": ["2025", "2025"],
            "newest_release": ["2026", "2026"],
            "follows_latest": [True, True],
            "status": ["previous copy", "current"],
            "status_note": [
                "the newest copy could not be fetched on 2026-12-01; figures from the previous build",
                None,
            ],
        }
    )
    assert freshness.stale_notices(sources) == [
        "SEND Tribunal table: Reporting year 2025 is shown (previous copy); the newest copy could not be fetched on "
        "2026-12-01; figures from the previous build"
    ]
    lines = freshness.figures_line(sources, {"ehcp": ["2019", "2024"]})
    assert lines[0] == "EHC plans: Reporting year 2025, periods 2019 to 2024."
    assert lines[1].startswith("The publisher has a newer release (2026) than some figures here (Reporting year 2025)")
