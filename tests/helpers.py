"""What several test modules share: where the source mirror is, and small lookups on parsed rows."""

from __future__ import annotations

import os
from pathlib import Path

from etl.sources import source_by_id

ROOT = Path(__file__).resolve().parents[1]
#: The offline mirror of the official files ($SEND_SOURCE_DIR, else ../shared/data/sources beside the checkout).
MIRROR = Path(os.environ.get("SEND_SOURCE_DIR", ROOT.parent / "shared" / "data" / "sources"))


def mirror_path(source_id: str) -> Path:
    """The mirror copy of a source (the ``resolve`` callable parsers take)."""
    return MIRROR / source_by_id(source_id).mirror_path


def one(frame, **where):
    """The single row of ``frame`` matching every column=value given (fails the test otherwise)."""
    sel = frame
    for col, val in where.items():
        sel = sel[sel[col] == val]
    assert len(sel) == 1, f"{where}: {len(sel)} rows"
    return sel.iloc[0]


def open_page(page: str, timeout: float = 120, **params: str):
    """Run one dashboard page through ``dashboard.py`` with the given link parameters (Streamlit AppTest).

    Fails the test if the page raised. The session database comes from $SEND_DB (tests/conftest.py).
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def obs(con, indicator: str, area: str, period: str) -> tuple:
    """(value, marker, source_id, geographic_level) of one headline figure in the database behind ``con``
    (the ``con`` fixture); fails the test if it is absent or repeated."""
    rows = con.execute(
        "SELECT value, marker, source_id, geographic_level FROM observation WHERE indicator_id = ? AND area_code = ? "
        "AND time_period = ? AND breakdown_topic = 'Total' AND breakdown = 'Total'",
        [indicator, area, period],
    ).fetchall()
    assert len(rows) == 1, f"{indicator} {area} {period}: {len(rows)} rows"
    return rows[0]
