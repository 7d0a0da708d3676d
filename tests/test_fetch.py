"""Tests for etl/fetch.py against a local HTTP server that serves the real mirror files.

The server fakes the EES content API, the GOV.UK Content API and the file hosts; the
file bytes are read from the mirror at request time (never copied into the repo).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import MIRROR

from etl.fetch import SIDECAR_SUFFIX, USER_AGENT, FetchedFile, Fetcher, FetchError
from etl.model import DirectUrl, EesRelease, Source
from etl.sources import source_by_id

if not (MIRROR / "SHA256SUMS").is_file():
    pytest.skip(f"source mirror not found at {MIRROR} (set SEND_SOURCE_DIR)", allow_module_level=True)

EHCP = "education-health-and-care-plans"
EHCP_ZIP = f"{EHCP}/education-health-and-care-plans_2025.zip"
TRIBUNAL_CSV = f"{EHCP}/SEND Tribunals and appeal rate 2014-2024.csv"
DSG_2023_24 = "dedicated-schools-grant/dedicated-schools-grant_2024_07_20.ods"
DSG_COMBINED = "dedicated-schools-grant/dedicated-schools-grant_allocations_2019-20_to_2023-24.ods"
DSG_2020_21 = "dedicated-schools-grant/dedicated-schools-grant_2021_11_18.ods"
ZIP_ROUTE = "/ees/releases/rv-2025/files?fromPage=ReleaseDownloads"
DSG_PATH = "/govuk/government/publications/dedicated-schools-grant-dsg-2023-to-2024"


def _sums() -> dict[str, str]:
    sums = {}
    for line in (MIRROR / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            sums[name.strip().removeprefix("./")] = digest
    return sums


SUMS = _sums()

Behaviour = Callable[[BaseHTTPRequestHandler], None]


# ---------------------------------------------------------------- behaviours


def send_file(rel: str, content_length: bool = True) -> Behaviour:
    """Serve a mirror file (read now), with ETag/Last-Modified and 304 on a matching If-None-Match."""

    def behave(h: BaseHTTPRequestHandler) -> None:
        path = MIRROR / rel
        body = path.read_bytes()
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("ETag", etag)
        h.send_header("Last-Modified", formatdate(path.stat().st_mtime, usegmt=True))
        if content_length:  # else the body ends when the connection closes (streamed, like EES zips)
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return behave


def cut_file(rel: str) -> Behaviour:
    """Promise the full Content-Length, send half of the file, then drop the connection."""

    def behave(h: BaseHTTPRequestHandler) -> None:
        body = (MIRROR / rel).read_bytes()
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 2])
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)
        h.close_connection = True

    return behave


def send_json(obj: object) -> Behaviour:
    def behave(h: BaseHTTPRequestHandler) -> None:
        body = json.dumps(obj).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return behave


def send_status(code: int, headers: dict[str, str] | None = None, body: bytes = b"error") -> Behaviour:
    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(code)
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return behave


# -------------------------------------------------------------------- server


class FakeServer:
    """Routes (path with query) to a queue of behaviours; the last one repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Behaviour]] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                with outer.lock:
                    outer.log.append((self.path, dict(self.headers)))
                    queue = outer.routes.get(self.path)
                    behave = None if not queue else (queue.pop(0) if len(queue) > 1 else queue[0])
                if behave is None:
                    send_status(404, body=b"not found")(self)
                else:
                    behave(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, *behaviours: Behaviour) -> None:
        with self.lock:
            self.routes[path] = list(behaviours)

    def hits(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for p, headers in self.log if p == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = FakeServer()
    srv.route(
        f"/ees/publications/{EHCP}/releases",
        send_json(
            [
                {
                    "id": "rv-2025",
                    "releaseId": "r-2025",
                    "slug": "2025",
                    "title": "Reporting year 2025",
                    "latestRelease": True,
                },
                {
                    "id": "rv-2022",
                    "releaseId": "r-2022",
                    "slug": "2022",
                    "title": "Reporting year 2022",
                    "latestRelease": False,
                },
            ]
        ),
    )
    srv.route(ZIP_ROUTE, send_file(EHCP_ZIP, content_length=False))
    srv.route(
        DSG_PATH,
        send_json(
            {
                "title": "Dedicated schools grant (DSG): 2023 to 2024",
                "details": {
                    "attachments": [
                        {
                            "title": "DSG technical note",
                            "filename": "dsg_technical_note.pdf",
                            "url": srv.url("/media/a/note.pdf"),
                        },
                        {
                            "title": "Dedicated schools grant: 2023 to 2024 allocations",
                            "filename": "dedicated-schools-grant_2024_07_20.ods",
                            "url": srv.url("/media/b1/dedicated-schools-grant_2024_07_20.ods"),
                        },
                        {
                            "title": "DSG allocations 2019-20 to 2023-24",
                            "filename": "dedicated-schools-grant_allocations_2019-20_to_2023-24.ods",
                            "url": srv.url("/media/c2/dedicated-schools-grant_allocations_2019-20_to_2023-24.ods"),
                        },
                    ]
                },
            }
        ),
    )
    srv.route("/media/b1/dedicated-schools-grant_2024_07_20.ods", send_file(DSG_2023_24))
    srv.route("/media/c2/dedicated-schools-grant_allocations_2019-20_to_2023-24.ods", send_file(DSG_COMBINED))
    yield srv
    srv.close()


def direct_source(server: FakeServer, path: str = "/direct/dsg_2020_21.ods") -> Source:
    """The 2020-21 DSG source, located by a direct URL on the local server."""
    return dataclasses.replace(source_by_id("dsg_2020_21"), locator=DirectUrl(server.url(path)))


@pytest.fixture
def make(tmp_path, server):
    """Build a Fetcher on the local server with a fast backoff; messages go to .messages."""

    def build(**kw) -> Fetcher:
        messages: list[str] = []
        options = dict(
            cache_dir=tmp_path / "cache",
            ees_api=server.url("/ees"),
            govuk_api=server.url("/govuk"),
            timeout=5,
            retries=3,
            backoff=0.01,
            progress=messages.append,
        )
        options.update(kw)
        fetcher = Fetcher(**options)
        fetcher.messages = messages
        return fetcher

    return build


def cache_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_no_partials(root: Path) -> None:
    assert not [name for name in cache_files(root) if name.endswith(".part")]


# --------------------------------------------------------------------- tests


def test_ees_release_zip_download(make, server, tmp_path):
    fetcher = make()
    got = fetcher.get(source_by_id("ehcp_2025"))
    assert isinstance(got, FetchedFile)
    assert got.path == tmp_path / "cache" / EHCP_ZIP
    assert got.sha256 == SUMS[EHCP_ZIP]
    assert got.file_url == server.url(ZIP_ROUTE)
    assert not got.from_cache and not got.from_mirror
    assert got.retrieved_at.endswith("Z")
    meta = json.loads(Path(str(got.path) + SIDECAR_SUFFIX).read_text())
    assert meta["sha256"] == SUMS[EHCP_ZIP] and meta["url"] == got.file_url and meta["etag"]
    assert server.hits(ZIP_ROUTE)[0]["User-Agent"] == USER_AGENT
    # about 4 MB, streamed without Content-Length: start, 3 x 1 MB, end
    assert sum("MB" in m for m in fetcher.messages) >= 4
    assert_no_partials(tmp_path / "cache")


def test_latest_release_is_resolved(make, server):
    latest = dataclasses.replace(source_by_id("ehcp_2025"), locator=EesRelease(EHCP, None))
    got = make().get(latest)
    assert got.file_url == server.url(ZIP_ROUTE)
    assert got.sha256 == SUMS[EHCP_ZIP]


def test_govuk_attachments_picked_by_title_and_filename(make, server, tmp_path):
    fetcher = make()
    year = fetcher.get(source_by_id("dsg_2023_24"))
    assert year.file_url == server.url("/media/b1/dedicated-schools-grant_2024_07_20.ods")
    assert year.sha256 == SUMS[DSG_2023_24]
    assert year.path == tmp_path / "cache" / DSG_2023_24
    combined = fetcher.get(source_by_id("dsg_combined"))
    assert combined.sha256 == SUMS[DSG_COMBINED]
    assert len(server.hits(DSG_PATH)) == 1  # the content item is read once per run


def test_retry_after_500(make, server):
    server.route("/direct/dsg_2020_21.ods", send_status(500), send_file(DSG_2020_21))
    fetcher = make()
    got = fetcher.get(direct_source(server))
    assert got.sha256 == SUMS[DSG_2020_21]
    assert len(server.hits("/direct/dsg_2020_21.ods")) == 2
    assert any("HTTP 500" in m for m in fetcher.messages)


def test_429_honours_retry_after(make, server):
    server.route("/direct/dsg_2020_21.ods", send_status(429, {"Retry-After": "1"}), send_file(DSG_2020_21))
    start = time.monotonic()
    got = make().get(direct_source(server))
    assert time.monotonic() - start >= 1.0
    assert got.sha256 == SUMS[DSG_2020_21]
    assert len(server.hits("/direct/dsg_2020_21.ods")) == 2


def test_connection_cut_mid_file_is_retried(make, server, tmp_path):
    server.route("/direct/dsg_2020_21.ods", cut_file(DSG_2020_21), send_file(DSG_2020_21))
    fetcher = make()
    got = fetcher.get(direct_source(server))
    assert got.sha256 == SUMS[DSG_2020_21]
    assert got.path.read_bytes() == (MIRROR / DSG_2020_21).read_bytes()
    assert len(server.hits("/direct/dsg_2020_21.ods")) == 2
    assert any("cut" in m for m in fetcher.messages)
    assert_no_partials(tmp_path / "cache")


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/direct/dsg_2020_21.ods"


@pytest.mark.parametrize("failure", ["500", "cut", "refused", "404"])
def test_permanent_failure_without_cache_raises(make, server, tmp_path, failure):
    source = direct_source(server)
    if failure == "refused":
        source = dataclasses.replace(source, locator=DirectUrl(_closed_port_url()))
    else:
        behave = {"500": send_status(503), "cut": cut_file(DSG_2020_21), "404": send_status(404)}[failure]
        server.route("/direct/dsg_2020_21.ods", behave)
    with pytest.raises(FetchError) as info:
        make().get(source)
    message = str(info.value)
    assert source.source_id in message and source.title in message and source.locator.url in message
    if failure in ("cut", "refused"):
        assert "offline" in message and "--source-dir" in message
    if failure == "404":
        assert len(server.hits("/direct/dsg_2020_21.ods")) == 1  # not retried
    assert cache_files(tmp_path / "cache") == []


@pytest.mark.parametrize("failure", ["500", "cut"])
def test_permanent_failure_with_cache_uses_cache(make, server, tmp_path, failure):
    source = direct_source(server)
    server.route("/direct/dsg_2020_21.ods", send_file(DSG_2020_21))
    first = make().get(source)
    before = cache_files(tmp_path / "cache")
    server.route("/direct/dsg_2020_21.ods", send_status(500) if failure == "500" else cut_file(DSG_2020_21))
    fetcher = make()
    got = fetcher.get(source)
    assert got.from_cache and got.path == first.path
    assert got.sha256 == SUMS[DSG_2020_21] == first.sha256
    assert got.retrieved_at == first.retrieved_at and got.file_url == first.file_url
    assert got.path.read_bytes() == (MIRROR / DSG_2020_21).read_bytes()
    assert any(m.startswith("warning") and "cached copy" in m for m in fetcher.messages)
    assert cache_files(tmp_path / "cache") == before


def test_not_modified_returns_cached_copy(make, server):
    source = source_by_id("dsg_2023_24")
    first = make().get(source)
    route = "/media/b1/dedicated-schools-grant_2024_07_20.ods"
    assert "If-None-Match" not in server.hits(route)[0]
    mtime = first.path.stat().st_mtime_ns
    second = make().get(source)
    request = server.hits(route)[1]
    assert request["If-None-Match"] and request["If-Modified-Since"]
    assert second.from_cache and not second.from_mirror
    assert second.sha256 == first.sha256 == SUMS[DSG_2023_24]
    assert second.retrieved_at == first.retrieved_at
    assert first.path.stat().st_mtime_ns == mtime  # not rewritten


def test_ees_member_extraction_shares_the_release_zip(make, server, tmp_path):
    fetcher = make()
    tribunal = fetcher.get(source_by_id("tribunal_2025"))
    assert tribunal.path == tmp_path / "cache" / TRIBUNAL_CSV
    assert tribunal.sha256 == SUMS[TRIBUNAL_CSV]
    assert tribunal.member == "supporting-files/SEND Tribunals and appeal rate 2014-2024.csv"
    assert tribunal.file_url == server.url(ZIP_ROUTE)
    ehcp = fetcher.get(source_by_id("ehcp_2025"))
    assert ehcp.sha256 == SUMS[EHCP_ZIP]
    assert len(server.hits(ZIP_ROUTE)) == 1
    # a later run re-validates the zip (304) and keeps the extracted file
    again = make().get(source_by_id("tribunal_2025"))
    assert again.from_cache and again.sha256 == SUMS[TRIBUNAL_CSV]
    assert server.hits(ZIP_ROUTE)[-1].get("If-None-Match")


def test_member_glob_without_match_names_members(make):
    source = dataclasses.replace(
        source_by_id("tribunal_2025"), locator=EesRelease(EHCP, "2025", "supporting-files/nope*")
    )
    with pytest.raises(FetchError, match="no member matches.*sen2_dmo_dco"):
        make().get(source)


def test_release_not_found(make):
    source = dataclasses.replace(source_by_id("ehcp_2025"), locator=EesRelease(EHCP, "1999"))
    with pytest.raises(FetchError, match="release '1999' not found.*2025, 2022"):
        make().get(source)


def test_non_zip_release_download_is_refused(make, server, tmp_path):
    server.route(ZIP_ROUTE, send_status(200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><p>blocked</p>"))
    with pytest.raises(FetchError, match="not a zip"):
        make().get(source_by_id("ehcp_2025"))
    assert cache_files(tmp_path / "cache") == []


def test_offline_mode_uses_cache_only(make, server):
    source = direct_source(server)
    server.route("/direct/dsg_2020_21.ods", send_file(DSG_2020_21))
    with pytest.raises(FetchError, match="offline"):
        make(offline=True).get(source)
    assert server.hits("/direct/dsg_2020_21.ods") == []
    make().get(source)
    got = make(offline=True).get(source)
    assert got.from_cache and got.sha256 == SUMS[DSG_2020_21]
    assert len(server.hits("/direct/dsg_2020_21.ods")) == 1


def test_mirror_mode(make, server, tmp_path):
    fetcher = make(source_dir=MIRROR)
    got = fetcher.get(source_by_id("tribunal_2025"))
    assert got.path == MIRROR / TRIBUNAL_CSV
    assert got.sha256 == SUMS[TRIBUNAL_CSV]
    assert got.from_mirror and not got.from_cache
    assert got.file_url == source_by_id("tribunal_2025").page_url
    assert got.retrieved_at.endswith("Z")
    lait = fetcher.get(source_by_id("lait_dictionary"))
    assert lait.file_url == source_by_id("lait_dictionary").locator.url
    assert server.log == []


def test_mirror_mode_missing_file_names_expected_path(make, server, tmp_path):
    empty = tmp_path / "mirror"
    empty.mkdir()
    with pytest.raises(FetchError) as info:
        make(source_dir=empty).get(source_by_id("ehcp_2025"))
    assert str(empty / EHCP_ZIP) in str(info.value)
    assert "ehcp_2025" in str(info.value)
    assert server.log == []
