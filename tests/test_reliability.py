"""Reliability: a rebuilt database reaches every viewer, no bad download is kept, no cell is lost silently,
user and source text is inert, and every failure a user can cause ends with a clear message and exit status.

Every damaged or hostile file is made inside the test, under pytest's tmp_path (small files written here,
or a copy of one mirror file changed in one cell); the mirror is never written. Figures asserted are the
published ones (read from the mirror files). Tests that start a server, a browser or a full build are
marked ``slow``.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from browsing import CHROMIUM, LAUNCH_ARGS, free_port, start_app
from helpers import MIRROR

from etl.build import BuildLocked, TargetError, build, build_lock, check_target
from etl.fetch import SIDECAR_SUFFIX, Fetcher, FetchError, check_file
from etl.leftovers import clean_leftovers, owner_pid
from etl.model import DirectUrl, Source, SourceFormatError, parse_cell
from etl.sources import source_by_id
from send_pressure.escaping import csv_bytes, csv_cell, md
from send_pressure.queries import current_store

ROOT = Path(__file__).resolve().parents[1]
EHCP = "education-health-and-care-plans"
TRIBUNAL = f"{EHCP}/SEND Tribunals and appeal rate 2014-2024.csv"
ZIP_2025 = f"{EHCP}/education-health-and-care-plans_2025.zip"
KENT = "E10000016"
#: Kent's appealable decisions, 2024, as the newest release revised them ('SEND appealable decisions rate
#: 2024-2025.csv', Kent row: 1559 appeals, 14675 decisions; the 2025 release's file said 23,692).
KENT_DECISIONS_2024 = 14675.0
DECISIONS_SQL = (
    "SELECT value FROM observation WHERE indicator_id = 'appealable_decisions' AND area_code = ? "
    "AND time_period = '2024' AND breakdown_topic = 'Total' AND breakdown = 'Total'"
)


def quiet(_: str) -> None:
    pass


def changed_copy(db: Path, dest: Path, value: float) -> None:
    """A test-only copy of ``db`` in which Kent's 2024 appealable decisions read ``value``."""
    shutil.copyfile(db, dest)
    with duckdb.connect(str(dest)) as con:
        con.execute(
            "UPDATE observation SET value = ? WHERE indicator_id = 'appealable_decisions' AND area_code = ? "
            "AND time_period = '2024'",
            [value, KENT],
        )


# ======================================================================= 1. a rebuilt database reaches viewers


def test_current_store_follows_a_replaced_file(db_path, tmp_path):
    live = tmp_path / "send.duckdb"
    shutil.copyfile(db_path, live)
    old = current_store(live)
    assert old.query(DECISIONS_SQL, [KENT]).value[0] == KENT_DECISIONS_2024
    assert current_store(live) is old  # same file: same store

    changed_copy(db_path, tmp_path / "next.duckdb", 99_999)
    os.replace(tmp_path / "next.duckdb", live)  # what a build does
    new = current_store(live)
    assert new is not old
    assert new.query(DECISIONS_SQL, [KENT]).value[0] == 99_999
    assert old.closed  # no query was running: the old file is released at once
    # A page that still holds the old store (it started before the swap) does not fail.
    assert old.query(DECISIONS_SQL, [KENT]).value[0] == 99_999


def test_queries_running_across_swaps_never_fail(db_path, tmp_path):
    live = tmp_path / "send.duckdb"
    shutil.copyfile(db_path, live)
    errors: list[BaseException] = []
    seen: set[float] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                store = current_store(live)
                seen.add(float(store.query(DECISIONS_SQL, [KENT]).value[0]))
                store.query("SELECT count(*) FROM observation")  # a second query on the same store
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for value in (1.0, 2.0, 3.0):
        changed_copy(db_path, tmp_path / "next.duckdb", value)
        os.replace(tmp_path / "next.duckdb", live)
        time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert current_store(live).query(DECISIONS_SQL, [KENT]).value[0] == 3.0
    assert 3.0 in seen


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_running_app_shows_the_rebuilt_figure(db_path, tmp_path):
    """Start the app, replace its database under it, and read the new figure on a fresh page load."""
    from playwright.sync_api import sync_playwright

    live = tmp_path / "send.duckdb"
    shutil.copyfile(db_path, live)
    with duckdb.connect(str(live), read_only=True) as con:
        pcon = con.execute("SELECT min(pcon_code) FROM constituency WHERE new_la_code = ?", [KENT]).fetchone()[0]
        published = con.execute(
            "SELECT value FROM observation WHERE indicator_id = 'ehc_plans' AND area_code = ? "
            "AND time_period = '202425' AND breakdown_topic = 'Total' AND breakdown = 'Total'",
            [KENT],
        ).fetchone()[0]
    assert published == 20635  # Kent, EHC plans January 2025 (caseload.csv)
    port = free_port()
    proc = start_app(live, port)
    try:

        def table_text(page) -> str:
            page.goto(f"http://127.0.0.1:{port}/mp?pcon={pcon}")
            page.wait_for_selector('[data-testid="stTable"]', timeout=90_000)
            page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
            return page.locator('[data-testid="stTable"]').inner_text()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page()
            assert "20,635" in table_text(page)
            # The rebuilt file: one figure differs (a test-only copy, swapped in as a build swaps it).
            shutil.copyfile(live, tmp_path / "next.duckdb")
            with duckdb.connect(str(tmp_path / "next.duckdb")) as con:
                con.execute(
                    "UPDATE observation SET value = 20999 WHERE indicator_id = 'ehc_plans' AND area_code = ? "
                    "AND time_period = '202425' AND breakdown_topic = 'Total' AND breakdown = 'Total'",
                    [KENT],
                )
            os.replace(tmp_path / "next.duckdb", live)
            again = table_text(page)
            assert "20,999" in again and "20,635" not in again
            assert "20,999" in table_text(browser.new_page())
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# ===================================================================================== 2. downloads checked


class Server:
    """A local HTTP server: path -> list of handlers (the last one repeats); records request headers."""

    def __init__(self) -> None:
        self.routes: dict[str, list] = {}
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append((self.path, dict(self.headers)))
                queue = outer.routes.get(self.path) or [reply(404, b"not found")]
                (queue.pop(0) if len(queue) > 1 else queue[0])(self)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(status: int, body: bytes, length: bool = True, etag: str | None = None, headers: dict | None = None):
    """Answer with ``body`` (304 when the client already has ``etag``); ``length`` False: no Content-Length,
    the body ends when the connection closes."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        if etag and h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.end_headers()
            return
        h.send_response(status)
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        if etag:
            h.send_header("ETag", etag)
        if length:
            h.send_header("Content-Length", str(len(body)))
        else:
            h.close_connection = True
        h.end_headers()
        h.wfile.write(body)

    return handle


def cut(body: bytes, keep: int):
    """Promise all of ``body`` in Content-Length, send ``keep`` bytes, close."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[:keep])
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)
        h.close_connection = True

    return handle


def trickle(body: bytes, every: float):
    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            for i in range(len(body)):
                h.wfile.write(body[i : i + 1])
                h.wfile.flush()
                time.sleep(every)
        except OSError:
            pass

    return handle


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


def source(server: Server, name: str, sid: str = "test_file") -> Source:
    """A test-only source at ``/<name>`` on the local server, cached as ``test/<name>``."""
    return Source(
        source_id=sid,
        title="test file",
        publisher="test",
        page_url=server.base,
        locator=DirectUrl(f"{server.base}/{name}"),
        mirror_path=f"test/{name}",
        parser="none",
        release="test",
    )


def fetcher(tmp_path: Path, **kw) -> Fetcher:
    options = dict(cache_dir=tmp_path / "cache", timeout=5, retries=2, backoff=0.01, progress=quiet, pins={})
    options.update(kw)
    return Fetcher(**options)


def ods_bytes(text: str) -> bytes:
    """A minimal zip laid out like an OpenDocument spreadsheet (enough for the container checks)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", f"<office:document-content>{text}</office:document-content>")
    return buf.getvalue()


CSV = b"code,name,value\r\n" + b"".join(f"{i:03d},Area {i},{i}\r\n".encode() for i in range(1, 41))


def meta(path: Path) -> dict:
    return json.loads(Path(str(path) + SIDECAR_SUFFIX).read_text())


def test_csv_cut_at_a_line_end_is_not_kept_with_its_etag(server, tmp_path):
    short = CSV[: CSV.index(b"\r\n020,") + 2]  # 19 of 40 rows, ending cleanly at a line end
    server.routes["/look-up.csv"] = [reply(200, short, length=False, etag='"v1"'), reply(200, CSV, etag='"v1"')]
    src = source(server, "look-up.csv")
    first = fetcher(tmp_path).get(src)
    assert first.path.read_bytes() == short  # cannot be told from a complete file ...
    assert meta(first.path)["etag"] is None  # ... so it is not kept under the real ETag
    second = fetcher(tmp_path).get(src)
    assert "If-None-Match" not in server.requests[-1][1]  # the next run asks for the whole file again
    assert second.path.read_bytes() == CSV and not second.from_cache
    assert meta(second.path)["etag"] == '"v1"'  # complete (Content-Length met): now re-validated with 304
    assert fetcher(tmp_path).get(src).from_cache


def test_short_body_against_content_length_keeps_the_old_copy_and_is_reported(server, tmp_path):
    src = source(server, "look-up.csv")
    server.routes["/look-up.csv"] = [reply(200, CSV)]
    good = fetcher(tmp_path).get(src)
    server.routes["/look-up.csv"] = [cut(CSV + b"041,Area 41,41\r\n", len(CSV))]
    f = fetcher(tmp_path)
    got = f.get(src)
    assert got.from_cache and got.path.read_bytes() == CSV and got.sha256 == good.sha256
    assert "connection cut" in got.fallback


def test_gzip_body_cut_short_is_a_failure(server, tmp_path):
    """Content-Length counts the compressed bytes: a cut gzip body must not pass for a whole file."""
    import gzip

    packed = gzip.compress(CSV)

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(packed)))
        h.end_headers()
        h.wfile.write(packed[: len(packed) - 20])
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)
        h.close_connection = True

    server.routes["/look-up.csv"] = [handle]
    with pytest.raises(FetchError, match="cut"):
        fetcher(tmp_path).get(source(server, "look-up.csv"))
    server.routes["/look-up.csv"] = [reply(200, packed, headers={"Content-Encoding": "gzip"})]
    assert fetcher(tmp_path).get(source(server, "look-up.csv")).path.read_bytes() == CSV


def test_html_error_page_served_with_200_never_replaces_a_good_ods(server, tmp_path):
    src = source(server, "allocations.ods")
    good = ods_bytes("<table>figures</table>")
    server.routes["/allocations.ods"] = [reply(200, good, etag='"a"')]
    fetcher(tmp_path).get(src)
    page = b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>"
    server.routes["/allocations.ods"] = [reply(200, page, etag='"b"')]
    f = fetcher(tmp_path)
    got = f.get(src)
    assert got.from_cache and got.path.read_bytes() == good
    assert "HTML" in got.fallback
    # With the publisher down the intact cache still builds: offline mode reads it.
    assert fetcher(tmp_path, offline=True).get(src).path.read_bytes() == good


def test_cut_geojson_is_retried_and_never_poisons_later_runs(server, tmp_path):
    body = json.dumps(
        {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"n": i}} for i in range(50)]}
    ).encode()
    src = source(server, "shapes.geojson")
    server.routes["/shapes.geojson"] = [reply(200, body[: len(body) // 2], length=False, etag='"g"')]
    with pytest.raises(FetchError, match="GeoJSON does not parse"):
        fetcher(tmp_path).get(src)
    assert not (tmp_path / "cache" / "test" / "shapes.geojson").exists()
    server.routes["/shapes.geojson"] = [reply(200, body, length=False, etag='"g"')]
    assert fetcher(tmp_path).get(src).path.read_bytes() == body


@pytest.mark.parametrize(
    "name, body, problem",
    [
        ("a.zip", b"PK\x03\x04" + b"\x00" * 40, "truncated or damaged"),
        ("a.xlsx", None, "not an xlsx workbook"),
        ("a.parquet", b"PAR1" + b"\x00" * 40, "parquet file is truncated"),
        ("a.geojson", b'{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ("a.csv", b"only a header\n", "no data rows"),
        ("a.ods", b"<?xml version='1.0'?><error/>", "HTML or XML page"),
    ],
)
def test_check_file_names_what_is_wrong(tmp_path, name, body, problem):
    path = tmp_path / name
    if body is None:  # a zip without a workbook inside
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("readme.txt", "not a workbook")
    else:
        path.write_bytes(body)
    reason, _ = check_file(path, path.suffix[1:])
    assert problem in reason


def test_check_file_accepts_complete_files(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "a.parquet")
    (tmp_path / "a.ods").write_bytes(ods_bytes("x"))
    (tmp_path / "a.csv").write_bytes(CSV)
    for name in ("a.parquet", "a.ods", "a.csv"):
        assert check_file(tmp_path / name, name.split(".")[1]) is None


def test_pinned_file_that_changed_is_refused_and_the_pinned_copy_kept(server, tmp_path):
    good = ods_bytes("2023-24 allocations")
    src = source(server, "dsg.ods", sid="pinned")
    pins = {"pinned": hashlib.sha256(good).hexdigest()}
    server.routes["/dsg.ods"] = [reply(200, good)]
    fetcher(tmp_path, pins=pins).get(src)
    server.routes["/dsg.ods"] = [reply(200, ods_bytes("replaced by the publisher"))]
    f = fetcher(tmp_path, pins=pins)
    got = f.get(src)
    assert got.path.read_bytes() == good and got.from_cache
    assert "differs from the pinned" in got.fallback and "PINNED_SHA256" in got.fallback
    # Verified on every read: a cached copy that no longer matches its pin is not used.
    got.path.write_bytes(ods_bytes("changed on disk"))
    with pytest.raises(FetchError):
        fetcher(tmp_path, pins=pins, offline=True).get(src)


def test_real_pins_match_the_mirror():
    from etl.sources import PINNED_SHA256

    if not MIRROR.exists():
        pytest.skip("no mirror")
    for sid, digest in PINNED_SHA256.items():
        assert hashlib.sha256((MIRROR / source_by_id(sid).mirror_path).read_bytes()).hexdigest() == digest, sid


def test_retry_after_waits_count_against_one_deadline(server, tmp_path):
    server.routes["/busy.csv"] = [reply(503, b"busy", headers={"Retry-After": "100"})]
    start = time.monotonic()
    with pytest.raises(FetchError, match="deadline"):
        fetcher(tmp_path, deadline=3, retries=4).get(source(server, "busy.csv"))
    assert time.monotonic() - start < 10


def test_trickling_server_hits_the_deadline(server, tmp_path):
    server.routes["/slow.csv"] = [trickle(CSV, every=0.05)]
    start = time.monotonic()
    with pytest.raises(FetchError, match="deadline"):
        fetcher(tmp_path, deadline=1.5, retries=0).get(source(server, "slow.csv"))
    assert time.monotonic() - start < 8
    assert not [p for p in (tmp_path / "cache").rglob("*.part")]


# =========================================================================== 3. every cell is a number or marker


@pytest.mark.parametrize("text", ["NaN", "nan", " NAN ", "inf", "-inf", "Infinity", "+nan"])
def test_parse_cell_refuses_non_finite_text(text):
    with pytest.raises(SourceFormatError, match=r"f\.csv, row 3, column C.*neither a number nor a known marker"):
        parse_cell(text, "f.csv, row 3, column C")


def test_parse_cell_keeps_numbers_and_markers():
    assert parse_cell("1,234") == (1234.0, None)
    assert parse_cell("-") == (None, "-")
    assert parse_cell("") == (None, "")
    assert parse_cell(float("nan")) == (None, "")  # a reader's empty cell, not text


def test_nan_in_tribunal_csv_names_file_row_and_column(mirror, tmp_path):
    from etl.parsers import tribunal

    path = tmp_path / Path(TRIBUNAL).name
    with open(mirror / TRIBUNAL, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    line = next(i for i, r in enumerate(rows) if r and r[0].rstrip("0123456789,") == "Kent")
    assert rows[line][33] == "23,692"  # Kent, 2024 appealable decisions, as published
    rows[line][33] = "NaN"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    with pytest.raises(SourceFormatError) as err:
        tribunal.parse(path, source_by_id("tribunal_2025"), lambda sid: mirror / source_by_id(sid).mirror_path)
    message = str(err.value)
    assert path.name in message and f"row {line + 1}" in message and "column 34" in message and "'NaN'" in message


def test_nan_in_release_csv_names_file_row_and_column(mirror, tmp_path):
    """Kent's 2024 initial requests written as 'nan' in requests.csv: an error, never a vanished cell."""
    from etl.parsers import ehcp

    src = source_by_id("ehcp_2025")
    damaged = tmp_path / "release.zip"
    with zipfile.ZipFile(mirror / ZIP_2025) as zin, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "data/requests.csv":
                rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
                col = rows[0].index("requests_received_in_year")
                at = next(
                    i for i, r in enumerate(rows) if r[0] == "2024" and r[9] == "Kent" and r[10].startswith("All")
                )
                assert rows[at][col] == "4001"  # as published
                rows[at][col] = "nan"
                text = io.StringIO()
                csv.writer(text, lineterminator="\r\n").writerows(rows)
                data = text.getvalue().encode("utf-8")
            out.writestr(info, data)
    with pytest.raises(SourceFormatError) as err:
        ehcp.parse_release(damaged, src, lambda sid: mirror / source_by_id(sid).mirror_path)
    message = str(err.value)
    assert "requests.csv" in message and f"row {at + 1}" in message and "requests_received_in_year" in message


# ======================================================================================= 4. text made inert


@pytest.mark.parametrize(
    "text, shown",
    [
        ("[click](http://evil.example)", "\\[click\\](http:\u2060//evil.example)"),
        ("![x](http://e.example/p.png)", "!\\[x\\](http:\u2060//e.example/p.png)"),
        ("$\\int$ :red[x] <b>b</b>", "\\$\\\\int\\$ :red\\[x\\] \\<b\\>b\\</b\\>"),
        ("# heading\n- item", "\\# heading - item"),
        ("www.evil.example a@b.example", "www\u2060.evil.example a\u2060@b.example"),
        ("Bristol, City of", "Bristol, City of"),
        ("ehcp_2024", "ehcp_2024"),
        ("\u202edaolnwoD .ecnedifnoc", "daolnwoD .ecnedifnoc"),  # a right-to-left override cannot reorder a notice
    ],
)
def test_markdown_escaping(text, shown):
    assert md(text) == shown


@pytest.mark.parametrize(
    "cell, out",
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-", "-"),
        ("-2.5", "-2.5"),
        ("-1,234", "-1,234"),
        ("-inf", "'-inf"),
        ("-nan", "'-nan"),
        ("x", "x"),
        ("Kent", "Kent"),
        (3.0, 3.0),
    ],
)
def test_csv_cells_made_inert_but_markers_and_numbers_kept(cell, out):
    assert csv_cell(cell) == out


def test_csv_download_bytes():
    frame = pd.DataFrame({"area_name": ["=cmd|' /C calc'!A0", "Kent"], "value": [1.0, None], "marker": [None, "-"]})
    text = csv_bytes(frame).decode()
    assert "'=cmd" in text and "\nKent,,-" in text


def test_link_notice_shows_the_link_text_literally(db_path):
    from helpers import open_page

    at = open_page("views/profile.py", la="[x](http://evil.example)")
    assert at.info[0].value == md(
        "Unknown local authority '[x](http://evil.example)' in the link; showing Kent instead."
    )


# ================================================================================ 5. failures a user can cause


def _etl(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SEND_DB", "SEND_CACHE_DIR"}}
    return subprocess.run(
        [sys.executable, "-m", "etl", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_empty_db_path_is_refused(tmp_path):
    done = _etl("build", "--source-dir", str(tmp_path), "--db", "")
    assert done.returncode == 2 and "database path is empty" in done.stderr
    assert "Traceback" not in done.stderr


def test_db_path_of_a_document_is_never_overwritten(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text("# notes\n")
    done = _etl("build", "--source-dir", str(tmp_path), "--db", str(doc))
    assert done.returncode == 2 and "not a DuckDB database; refusing to overwrite" in done.stderr
    assert doc.read_text() == "# notes\n"
    with pytest.raises(TargetError):
        check_target(doc)


def test_second_builder_is_refused_with_a_clear_message(tmp_path):
    db = tmp_path / "send.duckdb"
    with build_lock(db):
        done = _etl("build", "--source-dir", str(tmp_path), "--db", str(db))
        with pytest.raises(BuildLocked, match=f"process {os.getpid()}"), build_lock(db):
            pass
    assert done.returncode == 7, done.stderr
    assert f"another build (process {os.getpid()})" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # the lock file goes with the lock


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_killed_runs_are_removed_only_when_their_owner_is_gone(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    folder = tmp_path / "data"
    (folder / "cache" / "lait").mkdir(parents=True)
    stale = [
        folder / f"send.duckdb.tmp-{dead}",
        folder / f"send.duckdb.tmp-{dead}.wal",
        folder / "cache" / "lait" / f".bds_long_0.parquet.{dead}.k2j4_x9a.part",
    ]
    kept = [folder / f"send.duckdb.tmp-{alive}", folder / "cache" / "lait" / f".x.csv.{alive}.abc.part"]
    for path in stale + kept:
        path.write_bytes(b"partial")
    (folder / "send.duckdb.notes").write_text("not ours")
    assert owner_pid(stale[2].name) == dead
    removed = clean_leftovers(folder) + clean_leftovers(folder / "cache", recursive=True)
    assert sorted(removed) == sorted(stale)
    assert all(p.exists() for p in kept) and (folder / "send.duckdb.notes").exists()


def test_build_cleans_leftovers_at_start(mirror, tmp_path):
    db = tmp_path / "db" / "send.duckdb"
    db.parent.mkdir()
    dead = _dead_pid()
    leftover = db.with_name(f"send.duckdb.tmp-{dead}.wal")
    leftover.write_bytes(b"x")
    bad = tmp_path / "mirror"
    (bad / "mp-lookup").mkdir(parents=True)
    (bad / "mp-lookup" / "mp_lookup.csv").write_bytes("pcon_name,x\r\nYnys Môn,1\r\n".encode("cp1252"))
    logged: list[str] = []
    with pytest.raises(SourceFormatError):  # stops early: only the damaged look-up is parsed
        fetch = Fetcher(cache_dir=tmp_path / "cache", source_dir=bad, progress=quiet)
        build(db, fetch, [source_by_id("mp_lookup")], log=logged.append)
    assert not leftover.exists() and any(str(leftover) in line for line in logged)


def test_cp1252_look_up_names_the_encoding(tmp_path):
    folder = tmp_path / "mirror" / "mp-lookup"
    folder.mkdir(parents=True)
    (folder / "mp_lookup.csv").write_bytes("pcon_name,country_name\r\nYnys Môn,Wales\r\n".encode("cp1252"))
    fetch = Fetcher(cache_dir=tmp_path / "cache", source_dir=tmp_path / "mirror", progress=quiet)
    with pytest.raises(SourceFormatError, match=r"mp_lookup.csv \(mp_lookup\) is not UTF-8 text.*cp1252"):
        build(tmp_path / "send.duckdb", fetch, [source_by_id("mp_lookup")], log=quiet)


def test_read_only_folder_and_full_disk_give_exit_6(tmp_path, monkeypatch, capsys):
    import etl.__main__ as cli
    import etl.build

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(args[0]))

    monkeypatch.setattr(etl.build.os, "open", refuse)
    assert cli.main(["build", "--source-dir", str(tmp_path), "--db", str(tmp_path / "ro" / "send.duckdb")]) == 6
    err = capsys.readouterr().err
    assert "folder is not writable" in err and "was not changed" in err
    monkeypatch.undo()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(etl.build, "_build", full)
    assert cli.main(["build", "--source-dir", str(tmp_path), "--db", str(tmp_path / "send.duckdb")]) == 6
    assert "the disk is full" in capsys.readouterr().err


@pytest.mark.parametrize(
    "error",
    [  # what DuckDB raised when a build filled a small disk while writing, committing or checkpointing the new file
        duckdb.TransactionException(
            'TransactionContext Error: Failed to commit: Could not write file "/d/send.duckdb.tmp-1.wal": '
            "No space left on device"
        ),
        duckdb.FatalException(
            "FATAL Error: Failed to create checkpoint because of error: Could not write file "
            '"/d/send.duckdb.tmp-1": No space left on device'
        ),
    ],
)
def test_full_disk_reported_by_duckdb_gives_exit_6(tmp_path, monkeypatch, capsys, error):
    import etl.__main__ as cli
    import etl.build

    def full(*args, **kwargs):
        raise error

    monkeypatch.setattr(etl.build, "_build", full)
    assert cli.main(["build", "--source-dir", str(tmp_path), "--db", str(tmp_path / "send.duckdb")]) == 6
    err = capsys.readouterr().err
    assert "the disk is full" in err and "bug" not in err


@pytest.mark.slow
def test_full_disk_while_writing_keeps_the_old_database(db_path, mirror, tmp_path, monkeypatch):
    import etl.load

    db = tmp_path / "send.duckdb"
    shutil.copyfile(db_path, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(etl.load.os, "replace", full)
    with pytest.raises(OSError) as err:
        build(db, Fetcher(cache_dir=tmp_path / "cache", source_dir=mirror, progress=quiet), force=True, log=quiet)
    assert err.value.errno == errno.ENOSPC
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert [p.name for p in tmp_path.iterdir()] == ["send.duckdb"]  # no .tmp-<pid>, .wal or .lock left


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB tmpfs at tmp_path/disk (root only: skipped where mounting is not allowed)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        mounted = not subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True
        ).returncode
    except OSError:  # no mount command
        mounted = False
    if not mounted:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.slow
@pytest.mark.parametrize("free_mb", [0.05, 15, 19])  # the disk fills while writing, committing, checkpointing
def test_disk_filling_up_keeps_the_old_database_and_leaves_no_file(db_path, mirror, tmp_path, small_disk, free_mb):
    db = small_disk / "send.duckdb"
    shutil.copyfile(db_path, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    free = shutil.disk_usage(small_disk).free
    with open(small_disk / "filler", "wb") as fh:
        fh.truncate(0)
        os.posix_fallocate(fh.fileno(), 0, free - int(free_mb * 2**20))
    done = _etl(
        "build", "--force", "--source-dir", str(mirror), "--cache-dir", str(tmp_path / "cache"), "--db", str(db)
    )
    assert done.returncode == 6, done.stderr
    assert "the disk is full" in done.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "send.duckdb"]  # no .tmp-<pid>.wal


def _mirror_with_look_up(mirror: Path, tmp_path: Path, change) -> Path:
    """A mirror of symlinks to the real files, except a changed copy of the MP look-up."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    for entry in mirror.iterdir():
        if entry.name != "mp-lookup":
            (folder / entry.name).symlink_to(entry)
    (folder / "mp-lookup").mkdir()
    lines = (mirror / "mp-lookup" / "mp_lookup.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    (folder / "mp-lookup" / "mp_lookup.csv").write_text("".join(change(lines)), encoding="utf-8")
    return folder


@pytest.mark.slow
def test_duplicated_look_up_row_fails_with_exit_5(mirror, tmp_path):
    folder = _mirror_with_look_up(mirror, tmp_path, lambda lines: lines + [lines[5]])
    done = _etl(
        "build",
        "--source-dir",
        str(folder),
        "--db",
        str(tmp_path / "send.duckdb"),
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert done.returncode == 5, done.stderr
    assert "Table constituency: a source gives the same row twice" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "send.duckdb").exists()


@pytest.mark.slow
def test_look_up_code_of_another_area_fails_with_exit_5(mirror, tmp_path):
    def medway_for_kent(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            if line.startswith('"Ashford"'):  # a Kent constituency; Medway's GSS code in new_la_codes_2024
                at = line.rfind(f'"{KENT}"')
                line = line[:at] + '"E06000035"' + line[at + 11 :]
            out.append(line)
        return out

    folder = _mirror_with_look_up(mirror, tmp_path, medway_for_kent)
    done = _etl(
        "build",
        "--source-dir",
        str(folder),
        "--db",
        str(tmp_path / "send.duckdb"),
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert done.returncode == 5, done.stderr
    assert "LA 886 has GSS code E06000035 in the MP lookup but E10000016 here" in done.stderr
    assert "Traceback" not in done.stderr


def test_unexpected_error_is_reported_as_a_bug_with_exit_1(tmp_path, monkeypatch, capsys):
    import etl.__main__ as cli
    import etl.build

    def bug(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(etl.build, "_build", bug)
    assert cli.main(["build", "--source-dir", str(tmp_path), "--db", str(tmp_path / "send.duckdb")]) == 1
    err = capsys.readouterr().err
    assert "This is a bug in the ETL" in err and "Traceback" not in err


@pytest.mark.parametrize("stale, status", [({}, 0), ({"tribunal_2026": "last good copy"}, 8)])
def test_ctrl_c_while_the_summary_prints_keeps_the_builds_status(tmp_path, monkeypatch, capsys, stale, status):
    """A Ctrl-C after the new file is in place cuts only the summary: the exit status is the build's (0 or 8), never
    130, which says the database was not changed."""
    import etl.__main__ as cli
    import etl.build

    done = etl.build.BuildResult("built", tmp_path / "send.duckdb", 1.0, 10, [], stale)
    monkeypatch.setattr(etl.build, "_build", lambda *args, **kwargs: done)

    def cut(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_report", cut)
    assert cli.main(["build", "--source-dir", str(tmp_path), "--db", str(tmp_path / "send.duckdb")]) == status
    err = capsys.readouterr().err
    assert "Summary interrupted" in err and "is complete" in err and "Traceback" not in err
