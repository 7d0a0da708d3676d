"""Following each publication's newest release, and surviving a source that fails, against a local server.

The server (tests/test_fetch.py's, on 127.0.0.1) fakes the EES content API with a 2026 release marked
``latestRelease``; its zips are assembled in the test from the real files (the 2026 tribunal table of the
mirror, the 2025 release zip), never stored in the repository.
"""

from __future__ import annotations

import io
import shutil
import zipfile

import duckdb
import pytest
from helpers import MIRROR
from test_fetch import FakeServer, send_json, send_status

from etl.build import build
from etl.fetch import Fetcher, FetchError
from etl.sources import SOURCES, source_by_id

EHCP = "education-health-and-care-plans"
TRIBUNAL_2026 = f"{EHCP}/SEND appealable decisions rate 2024-2025.csv"
RELEASES = [
    {"id": "rv-2026", "slug": "2026", "coverageTitle": "Reporting year", "yearTitle": "2026", "latestRelease": True},
    {"id": "rv-2025", "slug": "2025", "coverageTitle": "Reporting year", "yearTitle": "2025", "latestRelease": False},
    {"id": "rv-2022", "slug": "2022", "coverageTitle": "Reporting year", "yearTitle": "2022", "latestRelease": False},
]
ZIP_2026 = "/ees/releases/rv-2026/files?fromPage=ReleaseDownloads"


def send_bytes(body: bytes):
    def behave(h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return behave


def release_2026_zip() -> bytes:
    """A zip laid out like the 2026 release holding its tribunal table (the only 2026 file in the mirror)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "supporting-files/SEND appealable decisions rate 2024-2025.csv", (MIRROR / TRIBUNAL_2026).read_bytes()
        )
        z.writestr("data-guidance/data-guidance.txt", "Education, health and care plans / Reporting year 2026")
    return out.getvalue()


@pytest.fixture
def server():
    srv = FakeServer()
    srv.route(f"/ees/publications/{EHCP}/releases", send_json(RELEASES))
    srv.route(ZIP_2026, send_bytes(release_2026_zip()))
    yield srv
    srv.close()


def fetcher(server, tmp_path) -> Fetcher:
    return Fetcher(
        cache_dir=tmp_path / "cache",
        ees_api=server.url("/ees"),
        govuk_api=server.url("/govuk"),
        timeout=5,
        retries=1,
        backoff=0.01,
        progress=lambda _: None,
    )


@pytest.mark.slow
def test_a_new_release_is_asked_for_without_any_change(server, tmp_path):
    # The declared sources are used as they are: no slug names 2026 anywhere.
    got = fetcher(server, tmp_path).get(source_by_id("tribunal"))
    assert [p for p, _ in server.log if "/releases/" in p and "files" in p] == [ZIP_2026]
    assert (got.release, got.release_title, got.newest_release) == ("2026", "Reporting year 2026", "2026")
    assert got.member == "supporting-files/SEND appealable decisions rate 2024-2025.csv"
    assert got.path.read_bytes() == (MIRROR / TRIBUNAL_2026).read_bytes()
    # The pinned 2025 source keeps asking for its own release, and knows that 2026 is the newest.
    server.route("/ees/releases/rv-2025/files?fromPage=ReleaseDownloads", send_status(404))
    with pytest.raises(FetchError, match="rv-2025"):
        fetcher(server, tmp_path).get(source_by_id("tribunal_2025"))


@pytest.mark.slow
def test_the_latest_release_label_survives_in_the_cache(server, tmp_path):
    f = fetcher(server, tmp_path)
    f.get(source_by_id("tribunal"))
    server.route(ZIP_2026, send_status(404))
    again = fetcher(server, tmp_path).get(source_by_id("tribunal"))
    assert again.from_cache and again.release == "2026" and "404" in again.fallback


class OneSourceOnline:
    """Every source from the mirror, except ``source_id``, which is downloaded from the local server."""

    def __init__(self, source_id: str, online: Fetcher, mirror: Fetcher) -> None:
        self.source_id, self.online, self.mirror = source_id, online, mirror
        self.cache_dir = online.cache_dir  # where a build looks for leftovers of killed downloads

    def get(self, source):
        return (self.online if source.source_id == self.source_id else self.mirror).get(source)


@pytest.mark.slow
def test_a_source_answering_404_keeps_its_last_good_copy(server, db_path, tmp_path):
    server.route(ZIP_2026, send_status(404))
    db = tmp_path / "send.duckdb"
    shutil.copyfile(db_path, db)
    mirror = Fetcher(cache_dir=tmp_path / "mirror-cache", source_dir=MIRROR, progress=lambda _: None)
    result = build(db, OneSourceOnline("tribunal", fetcher(server, tmp_path), mirror), log=lambda _: None)
    assert result.status == "built"
    assert "could not be fetched" in result.stale["tribunal"] and "404" in result.stale["tribunal"]
    with duckdb.connect(str(db), read_only=True) as con:
        status = con.execute("SELECT status, release_slug FROM source WHERE source_id = 'tribunal'").fetchone()
        # 'England Total' of the 2026 table, 2025 appeals 26977: still there, from the previous build
        kept = con.execute(
            "SELECT value, source_id FROM observation WHERE indicator_id = 'tribunal_appeals' "
            "AND area_code = 'E92000001' AND time_period = '2025'"
        ).fetchone()
        breaks = con.execute("SELECT count(*) FROM series_break").fetchone()
    assert status == ("previous copy", "2026")
    assert kept == (26977, "tribunal")
    assert breaks == (2,)


@pytest.mark.slow
def test_a_first_run_fails_naming_the_source_and_url(server, tmp_path):
    server.route(ZIP_2026, send_status(404))
    mirror = Fetcher(cache_dir=tmp_path / "mirror-cache", source_dir=MIRROR, progress=lambda _: None)
    sources = [s for s in SOURCES if s.source_id in ("tribunal", "tribunal_2025")]
    with pytest.raises(FetchError) as err:
        build(tmp_path / "send.duckdb", OneSourceOnline("tribunal", fetcher(server, tmp_path), mirror), sources)
    assert "tribunal (" in str(err.value) and server.url(ZIP_2026) in str(err.value)
    assert not (tmp_path / "send.duckdb").exists()


# ------------------------------------------------------------------------------------------ DSG years


DSG_PAGE = "/govuk/government/publications/dedicated-schools-grant-dsg-2023-to-2024"


def dsg_page(srv, *attachments):
    return send_json(
        {
            "details": {
                "attachments": [{"title": t, "filename": f, "url": srv.url(f"/media/{f}")} for t, f in attachments]
            }
        }
    )


def test_dsg_attachment_is_the_one_the_rule_picks_never_the_first_match(server, tmp_path):
    year = ("Dedicated schools grant: 2023 to 2024 allocations", "dedicated-schools-grant_2024_07_20.ods")
    combined = ("DSG allocations 2019-20 to 2023-24", "dedicated-schools-grant_allocations_2019-20_to_2023-24.ods")
    # The combined file listed first: the per-year source still takes its own file, the combined one its own.
    server.route(DSG_PAGE, dsg_page(server, combined, year))
    for name in (year[1], combined[1]):
        server.route(f"/media/{name}", send_bytes((MIRROR / "dedicated-schools-grant" / name).read_bytes()))
    f = fetcher(server, tmp_path)
    assert f.get(source_by_id("dsg_2023_24")).file_url.endswith(year[1])
    assert f.get(source_by_id("dsg_combined")).file_url.endswith(combined[1])
    # Two per-year-like attachments: an error listing both, not a guess.
    server.route(DSG_PAGE, dsg_page(server, year, ("Revised 2023 to 2024 allocations", "dsg_2023-24_revised.ods")))
    with pytest.raises(FetchError, match="2 attachments"):
        fetcher(server, tmp_path / "again").get(source_by_id("dsg_2023_24"))


def test_later_dsg_years_are_declared_and_optional():
    for fy in ("2024_25", "2025_26", "2026_27"):
        s = source_by_id(f"dsg_{fy}")
        assert not s.required and s.locator.content_path.endswith(f"dsg-{fy[:4]}-to-20{fy[5:]}")


def test_a_dsg_year_with_no_copy_is_recorded_as_not_loaded(db_path):
    # The mirror has no file for 2024-25 onwards: the build goes on and the source table says so.
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT source_id, status FROM source WHERE source_id LIKE 'dsg_202%' AND status <> 'current' ORDER BY 1"
        ).fetchall()
    assert rows == [("dsg_2024_25", "not loaded"), ("dsg_2025_26", "not loaded"), ("dsg_2026_27", "not loaded")]


def _renamed_sheet(tmp_path):
    """The 2023-24 file with its summary sheet renamed, as a later year's layout might have it."""
    src = MIRROR / "dedicated-schools-grant" / "dedicated-schools-grant_2024_07_20.ods"
    out = tmp_path / "renamed.ods"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "content.xml":
                data = data.replace(b'table:name="Allocations_summary"', b'table:name="2023 to 2024 Allocations"')
            zout.writestr(info, data)
    return out


def test_dsg_summary_sheet_is_found_by_content(tmp_path):
    from etl.parsers import dsg

    got = dsg.parse_year_file(_renamed_sheet(tmp_path), source_by_id("dsg_2023_24"), None)
    obs = got.observations
    # Allocations summary, Kent (886) [C] high needs block 311,663,662 (as tests/test_values.py reads it)
    kent = obs[(obs.old_la_code == "886") & (obs.indicator_id == "high_needs_block")]
    assert kent.value.tolist() == [311663662]
    assert any("found by content" in n["note"] for n in got.notes)
