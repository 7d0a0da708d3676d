"""Results shared between sessions (send_pressure.ui.shared): built once per database and key, never leaked
from one view, or one database, to another."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest
from helpers import open_page

from send_pressure import ui
from send_pressure.queries import Store

KENT, MANCHESTER = "E10000016", "E08000003"


def test_shared_builds_once_per_key(db_path):
    calls = []

    def build(x):
        calls.append(x)
        return [x]

    first = ui.shared(("test_shared_builds_once", 1), build, 1)
    assert ui.shared(("test_shared_builds_once", 1), build, 1) is first
    assert ui.shared(("test_shared_builds_once", 2), build, 2) == [2]
    assert calls == [1, 2]


def test_a_rebuilt_database_has_its_own_entries(db_path, tmp_path):
    """A new build (same path, new build time) is a new Store with its own memo; the file itself is a copy
    of the test database whose build time is moved on, as a rebuild would."""
    copy = tmp_path / "send.duckdb"
    shutil.copy(db_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE build_info SET built_at = built_at + INTERVAL 1 DAY")
    old, new = Store(db_path), Store(copy)
    assert old.identity != new.identity
    assert old.memo(("test_rebuilt",), lambda: "old") == "old"
    assert new.memo(("test_rebuilt",), lambda: "new") == "new"
    assert old.memo(("test_rebuilt",), lambda: "again") == "old"


def test_memo_keeps_nothing_from_a_failed_build(store):
    def fail():
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.memo(("test_failed",), fail)
    assert store.memo(("test_failed",), lambda: "built") == "built"


def test_store_ranks_once(store):
    """Every page and briefing gets the same ranking object for an indicator and period."""
    period = store.latest_period("pct_within_20_weeks")
    assert store.ranked("pct_within_20_weeks", period) is store.ranked("pct_within_20_weeks", period)


def test_chart_tables_are_reused_only_for_the_same_frame(db_path, store):
    rows = ui.benchmarks("ehc_plans", KENT)
    ind = store.indicators["ehc_plans"]
    same = ui._chart_tables(ui._Same(rows), ind, ui.store(), ())
    assert ui._chart_tables(ui._Same(rows), ind, ui.store(), ()) is same
    assert ui._chart_tables(ui._Same(rows.copy()), ind, ui.store(), ()) is not same


def test_each_authority_keeps_its_own_charts(db_path):
    """Kent then Manchester in one process: every chart table of the second page is Manchester's."""
    for code, name in ((KENT, "Kent"), (MANCHESTER, "Manchester"), (KENT, "Kent")):
        at = open_page("views/funding.py", la=code)
        # The page's first chart is the LA's own: its data table (a plain table when short) names the series.
        la_table = at.table[0].value
        assert set(la_table.Series) == {name}
        at = open_page("views/requests.py", la=code)
        assert any(f"{name} received" in m.value for m in at.markdown)


def test_identity_is_never_reused():
    """A number from ui.identity names one object; a later object (even at the same address) gets a new one."""

    class Thing:
        pass

    first = Thing()
    number = ui.identity(first)
    assert ui.identity(first) == number
    del first
    assert all(ui.identity(Thing()) != number for _ in range(100))


def test_charts_drawn_once_are_replayed_unchanged(db_path):
    """The second run of a page replays its charts and tables (ui.drawn): the same figures as the first run."""
    first = open_page("views/funding.py", la=KENT)
    again = open_page("views/funding.py", la=KENT)
    charts = [e.proto.spec for e in first.get("plotly_chart")]
    assert charts and charts == [e.proto.spec for e in again.get("plotly_chart")]
    assert [t.value.equals(u.value) for t, u in zip(first.table, again.table, strict=True)] == [True] * len(first.table)


def test_drawn_elements_are_dropped_with_the_database_file(db_path, tmp_path, monkeypatch):
    """The replayed elements (ui.drawn) are emptied once, when ui.store first hands out the store of a new file,
    and not at every run on the same file."""
    cleared = []
    monkeypatch.setattr(ui, "_drawn", type("Drawn", (), {"clear": lambda self: cleared.append(1)})())
    copy = tmp_path / "send.duckdb"
    shutil.copy(db_path, copy)
    monkeypatch.setattr(ui, "DB_PATH", copy)
    first = ui.store()
    assert ui.store() is first and cleared == [1]
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(db_path, rebuilt)
    with duckdb.connect(str(rebuilt)) as con:
        con.execute("UPDATE build_info SET built_at = built_at + INTERVAL 1 DAY")
    os.replace(rebuilt, copy)  # as a build publishes: same path, new file identity
    assert ui.store() is not first
    ui.store()
    assert cleared == [1, 1]
