"""What the browser tests share (starting the app, Chromium's launch arguments, waiting for a page) and the
accessibility checks of tests/test_accessibility.py and benchmarks/axe_audit.py.

axe-core (npm package, pinned in package.json / package-lock.json, installed into node_modules/ by
``npm ci`` in scripts/test.sh) is injected into a page opened in headless Chromium and run against WCAG
2.0/2.1/2.2 A and AA rules.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: WCAG rule sets axe checks (AA includes A).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: Every page with its main selections: name -> path and query string (real LA, indicator and period codes).
VIEWS = {
    "overview": "",
    "overview-timeliness": "?ind=pct_within_20_weeks",
    "delays": "delays",
    "delays-leeds-over-1-year": "delays?la=E08000035&ind=pct_over_1_year",
    "requests": "requests",
    "requests-cumberland": "requests?la=E06000063",
    "journey": "journey",
    "journey-leeds-2023-plans": "journey?la=E08000035&year=2023&step=issued",
    "explore": "explore",
    "explore-surrey-new-plans-counts": "explore?la=E10000030&bd=new_ehc_plans%3APrimary+need&period=2024&as=count",
    "funding": "funding",
    "funding-leeds": "funding?la=E08000035",
    "profile": "profile",
    "profile-leeds": "profile?la=E08000035",
    "compare": "compare",
    "compare-appeal-rate": "compare?ind=tribunal_appeal_rate",
    "mp": "mp",
    "mp-constituency": "mp?pcon=E14001076",
    "about": "about",
    "guide": "guide",
    "accessibility": "accessibility",
}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_run(n: int) -> int:
    """A port p with p .. p+n all free on 127.0.0.1 (scripts/serve.sh uses PORT and PORT+1 .. PORT+N).

    Raises RuntimeError when no such run is found in 50 tries."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n > 65535:
            continue
        socks = []
        try:
            for p in range(base, base + n + 1):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no run of free ports on 127.0.0.1")


def start_app(db_path: Path, port: int) -> subprocess.Popen:
    """Start the dashboard on 127.0.0.1:``port`` over ``db_path``; returns once it accepts connections."""
    env = {**os.environ, "SEND_DB": str(db_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "send_pressure.server", str(ROOT / "dashboard.py"), "--server.headless", "true"]
        + ["--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"the dashboard did not start on port {port}")


def start_serve(db_path: Path, workers: int, port: int) -> subprocess.Popen:
    """``scripts/serve.sh port`` (nginx on 127.0.0.1:``port``, ``workers`` app processes on the ports after it) over
    ``db_path``, in its own process group (stop it with ``os.killpg``); its output is piped. Returns at once:
    the caller waits for ``/_stcore/health``."""
    env = {**os.environ, "SEND_DB": str(db_path), "SEND_WORKERS": str(workers), "SEND_LISTEN_ADDRESS": "127.0.0.1"}
    return subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "serve.sh"), str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def settle(page) -> None:
    """Wait until Streamlit has finished running the page script and drawn every element (no skeleton
    placeholders, no running-status widget) for a second in a row."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=60_000)
    page.wait_for_selector("h1", timeout=90_000)
    idle = "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stStatusWidget]')"
    for _ in range(2):
        page.wait_for_timeout(1000)
        page.wait_for_function(idle, timeout=90_000)


def run_axe(page) -> list[dict]:
    """axe-core's violations on the open page: dicts with id, impact, help, nodes (each with target, html,
    failureSummary).

    The viewport is first made as tall as the page: axe only judges the contrast of text it can see, and
    Streamlit scrolls the page inside its own container. Every expander is opened first.
    """
    # Open every expander (data tables, share boxes): axe skips hidden content.
    page.evaluate(
        "() => document.querySelectorAll('[data-testid=stExpander] details:not([open]) > summary')"
        ".forEach(s => s.click())"
    )
    page.wait_for_timeout(1500)
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(height, 600), 16_000)})
    page.wait_for_timeout(800)
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return result["violations"]


def count_by_impact(violations: list[dict]) -> Counter:
    """Number of failing nodes per impact (critical, serious, moderate, minor)."""
    return Counter({v["impact"]: 0 for v in violations}) + Counter(v["impact"] for v in violations for _ in v["nodes"])


def serious(violations: list[dict]) -> list[str]:
    """One line per serious or critical violation: rule, node count, first failing node."""
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}; e.g. {v['nodes'][0]['target']} "
        f"{v['nodes'][0].get('failureSummary', '')[:200]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
