"""scripts/serve.sh: several app processes behind nginx, the way the dashboard is served to the public.

Starts it on free loopback ports over the test database and checks the health check through nginx, that
a browser (its cookie) stays on one process while cookie-less requests spread over all of them, a
websocket page load through nginx (the load tool the benchmarks use, when ../shared/tools has it), and
that SIGTERM stops every process. Skipped when nginx is not installed (scripts/test.sh installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from browsing import free_port_run, start_serve
from helpers import ROOT

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
ST_LOAD = ROOT.parent / "shared" / "tools" / "st_load.py"
WORKERS = 2

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/test.sh installs nginx-light)"),
]


def _get(url: str, cookie: str | None = None) -> tuple[int, Message, bytes]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers, r.read()


def _our_cookie(headers: Message) -> str | None:
    """The send_backend=... pair nginx set, if any (Streamlit sets cookies of its own)."""
    for c in headers.get_all("Set-Cookie") or []:
        if c.startswith("send_backend="):
            return c.split(";")[0]
    return None


@pytest.fixture(scope="module")
def served(db_path: Path):
    """serve.sh on a free port with two app processes; yields (base URL, the script's process)."""
    port = free_port_run(WORKERS)
    proc = start_serve(db_path, WORKERS, port)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if _get(f"{base}/_stcore/health")[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"serve.sh did not come up:\n{proc.stdout.read().decode(errors='replace')[-3000:]}")
        time.sleep(0.5)
    yield base, proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)


def test_health_check_through_nginx(served):
    base, _ = served
    status, headers, body = _get(f"{base}/_stcore/health")
    assert status == 200 and body == b"ok"
    assert headers["Server"].startswith("nginx")
    assert headers["X-Served-By"] in {f"app-{i}" for i in range(1, WORKERS + 1)}


def test_a_browser_stays_on_one_process_and_browsers_spread(served):
    base, _ = served
    _, headers, _ = _get(f"{base}/")
    cookie = _our_cookie(headers)
    assert cookie
    first = headers["X-Served-By"]
    assert {_get(f"{base}/", cookie)[1]["X-Served-By"] for _ in range(10)} == {first}
    # A request that carries the cookie is not given a new one.
    assert _our_cookie(_get(f"{base}/", cookie)[1]) is None
    # Browsers without a cookie yet (e.g. many people behind one school's address) reach every process.
    seen = {_get(f"{base}/")[1]["X-Served-By"] for _ in range(30)}
    assert seen == {f"app-{i}" for i in range(1, WORKERS + 1)}


@pytest.mark.skipif(not ST_LOAD.exists(), reason=f"no load tool at {ST_LOAD}")
def test_websocket_page_loads_through_nginx(served, tmp_path):
    base, _ = served
    out = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, str(ST_LOAD), "--url", base, "--page", "/about", "--page", "/delays?la=E10000016"]
        + ["--sessions", "2", "--cycles", "1", "--timeout", "120", "--deadline", "240", "--quiet", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    loads = json.loads(out.read_text())["loads"]
    assert run.returncode == 0, [(x["page"], x["status"], x["detail"]) for x in loads]
    assert len(loads) == 4 and all(x["status"] == "ok" and x["deltas"] > 5 for x in loads)


def test_sigterm_stops_every_process(served):
    base, proc = served
    children = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) >= WORKERS + 2  # the script, its app processes, nginx's master and worker
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    deadline = time.monotonic() + 15
    while subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "processes left after SIGTERM"
        time.sleep(0.3)
    with pytest.raises(OSError):
        _get(f"{base}/_stcore/health")
