"""The MP page (constituency -> MP and local authorities), release-stamped links and citations."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from helpers import open_page
from streamlit.testing.v1 import AppTest

BARROW = "Barrow and Furness"


@pytest.fixture(scope="module")
def lookup(mirror: Path) -> dict[str, dict]:
    """The official MP look-up, read directly (not through the ETL), keyed by constituency name."""
    with open(mirror / "mp-lookup" / "mp_lookup.csv", newline="", encoding="utf-8-sig") as f:
        return {r["pcon_name"]: r for r in csv.DictReader(f)}


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [h.value for h in at.subheader] + [c.value for c in at.caption]
    parts += [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def test_constituency_spanning_two_authorities_shows_both(db_path, lookup):
    row = lookup[BARROW]
    assert row["la_names"] == "Cumberland / Westmorland and Furness"
    at = open_page("views/mp.py", pcon=row["pcon_code"])
    text = _text(at)
    assert row["display_as"] in text  # the MP as the official look-up names them
    assert row["party_text"] in text
    assert "Cumberland issued" in text and "Westmorland and Furness issued" in text
    assert len(at.table) == 1  # one compact table for both authorities
    columns = list(at.table[0].value.columns)
    assert {"England", "Cumberland", "Westmorland and Furness", "Cumberland: neighbours (median)"} <= set(columns)
    assert "England" in text and "within 20 weeks" in text
    assert at.query_params["rel"] in ("2025", ["2025"])  # the link records the release it showed
    citation = at.code[0].value
    assert "mp_lookup.csv" in citation and f"pcon={row['pcon_code']}" in citation


def test_table_text_is_escaped_markdown(store, lookup):
    """st.table renders every cell, heading and index label as Markdown: the MP table's source text (authority
    names, indicator names, figures) goes through md_table, as on every other page."""
    from send_pressure import mp
    from send_pressure.escaping import md_table

    at = open_page("views/mp.py", pcon=lookup[BARROW]["pcon_code"])
    las = mp.authorities(store, lookup[BARROW]["pcon_code"])
    raw = mp.combined_table(
        {n: mp.headline_figures(store, c) for c, n in zip(las.new_la_code, las.la_name, strict=True)}
    )
    shown = at.table[0].value
    assert not shown.equals(raw)  # some text here has Markdown characters ('46.4%' is not shown as '46\\.4%')
    assert shown.equals(md_table(raw))


def test_unknown_mp_name_gives_suggestions(db_path, lookup):
    at = open_page("views/mp.py", mp="Michele Scroggam")
    warning = at.warning[0].value
    assert warning.startswith("No MP or constituency matches 'Michele Scroggam'. Did you mean:")
    assert BARROW in warning
    button = next(b for b in at.button if BARROW in b.label)
    button.click().run()
    assert at.query_params["pcon"] in (lookup[BARROW]["pcon_code"], [lookup[BARROW]["pcon_code"]])
    assert "Westmorland and Furness issued" in _text(at)


def test_nonsense_name_says_no_match(db_path):
    at = open_page("views/mp.py", mp="qqqzzz")
    assert at.warning[0].value.startswith("No MP or constituency matches 'qqqzzz'.")


def test_find_by_surname_and_place(store, lookup):
    from send_pressure.mp import find

    code = lookup[BARROW]["pcon_code"]
    assert find(store, "Scrogham").codes == [code]
    assert find(store, "barrow and furness").codes == [code]
    assert find(store, lookup[BARROW]["full_title"]).codes == [code]  # 'Michelle Scrogham MP'


def test_citation_names_publisher_release_file_and_date(store):
    from send_pressure.citation import citation

    text = citation(
        store,
        ["ehcp", "nonexistent"],
        "MPs and constituencies",
        "http://localhost/mp?pcon=E14001076",
        date(2026, 11, 29),
    )
    assert text.startswith("Department for Education (2025). Education, health and care plans (SEN2).")
    assert "Release: Reporting year 2025 (June 2025)" in text
    assert "education-health-and-care-plans_2025.zip" in text
    assert "Accessed 29 November 2026" in text
    assert text.endswith("http://localhost/mp?pcon=E14001076")


def test_release_check(store):
    from send_pressure.links import current_release, release_notice

    assert current_release(store) == "2025"
    assert release_notice(store, "2025") is None
    assert release_notice(store, None) is None
    old = release_notice(store, "2022")
    assert old.startswith("This link showed figures from Education, health and care plans, reporting year 2022")


def test_stale_release_link_shows_notice(db_path, lookup):
    at = open_page("views/mp.py", pcon=lookup[BARROW]["pcon_code"], rel="2024")
    notices = [i.value for i in at.info]
    assert any(
        n.startswith("This link showed figures from")
        and "'2024'" in n
        and "the database now holds Education, health and care plans (SEN2), Reporting year 2025" in n
        for n in notices
    ), notices
    assert at.query_params["rel"] in ("2025", ["2025"])


def test_flagged_figure_is_marked_and_explained(db_path, lookup):
    """Kent's new EHC plans rose from 1,976 (2023) to 2,890 (2024) in the 2025 release's newplans.csv: the
    build flags the jump, and the MP page marks the figure and says why, as the profile does."""
    at = open_page("views/mp.py", pcon=lookup["Canterbury"]["pcon_code"])
    table = at.table[0].value
    assert table.loc["New EHC plans issued", "Kent"] == "2,890 ⚠"
    text = _text(at)
    assert "Data-quality flags" in text
    assert "Kent, New EHC plans issued (2024): As published; looks implausible because" in text
    assert "from 1,976 in 2023 to 2,890 in 2024" in text
