"""Benchmark (not a test): server-side render time of each dashboard page, and of the scrutiny briefing.

Reports, per page, the median of warm runs (the store and its memoised queries
already loaded) and, for the first page, the first render in a fresh process
(imports, opening the database, first queries). Uses Streamlit's AppTest, which
runs the page script exactly as the server does, without a browser.

    .venv/bin/python benchmarks/page_benchmark.py [--db data/send.duckdb] [--runs 5] [--briefings 10] [--no-pages]

Targets on the 2-core reference machine: every page < 0.5 s warm, the map < 1.5 s,
first page < 3 s after start. The briefing part renders the HTML briefing (with charts) of the first
``--briefings`` current authorities in a fresh process (nothing memoised yet), then the first one again (memoised) and
its PDF.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["overview", "england", "delays", "requests", "funding", "profile", "compare", "mp", "about"]
FIRST = """
import time, sys
t = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.run()
assert not at.exception, at.exception
print(time.perf_counter() - t)
"""


def _warm(page: str, runs: int) -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.switch_page(f"views/{page}.py")
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    if at.exception:
        raise SystemExit(f"{page}: {at.exception}")
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    return first, statistics.median(times)


BRIEFINGS = """
import statistics, sys, time
from datetime import date
from send_pressure.briefing import briefing_html, briefing_pdf
from send_pressure.queries import Store
store = Store(sys.argv[1])
codes = store.current_authorities.new_la_code.tolist()[: int(sys.argv[2])]
each = []
cpu = time.process_time()
for code in codes:
    t = time.perf_counter()
    briefing_html(store, code, date(2026, 12, 1))
    each.append(time.perf_counter() - t)
cpu = time.process_time() - cpu
t = time.perf_counter()
html = briefing_html(store, codes[0], date(2026, 12, 1))
warm = time.perf_counter() - t
t = time.perf_counter()
briefing_pdf(html)
print(sum(each), statistics.median(each), cpu, warm, time.perf_counter() - t)
"""


def _briefings(db: Path, n: int) -> None:
    """Briefing render times in a fresh process (so nothing is memoised from the page runs)."""
    run = subprocess.run(
        [sys.executable, "-c", BRIEFINGS, str(db), str(n)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    total, median, cpu, warm, pdf = map(float, run.stdout.split())
    print(
        f"\nbriefing HTML with charts, {n} authorities in a fresh process: {total:.2f} s (median {median:.2f} s each; "
        f"{cpu:.2f} s of CPU, the steadier figure on a busy machine)"
    )
    print(f"briefing HTML, the first again (memoised): {warm:.3f} s;  its PDF from that HTML: {pdf:.2f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=ROOT / "data" / "send.duckdb")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--briefings", type=int, default=10, help="authorities whose briefing is timed (0: none)")
    p.add_argument("--no-pages", action="store_true", help="time the briefing only")
    args = p.parse_args()
    os.environ["SEND_DB"] = str(args.db.resolve())
    sys.path.insert(0, str(ROOT))
    if args.briefings:
        _briefings(args.db.resolve(), args.briefings)
    if args.no_pages:
        return

    cold = subprocess.run(
        [sys.executable, "-c", FIRST, str(ROOT / "dashboard.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ,
        check=True,
    )
    first_page = float(cold.stdout.strip().splitlines()[-1])
    print(f"first render after start (overview, fresh process incl. imports): {first_page:.2f} s  (target < 3 s)")
    print(f"\n{'page':<12} {'first in session':>17} {'warm median':>12}  target")
    for page in PAGES:
        first, warm = _warm(page, args.runs)
        target = 1.5 if page == "compare" else 0.5
        flag = "ok" if warm < target else "SLOW"
        print(f"{page:<12} {first:>15.3f} s {warm:>10.3f} s  < {target} s {flag}")


if __name__ == "__main__":
    main()
