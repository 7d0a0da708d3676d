"""Accessibility audit: axe-core violations (failing nodes by impact) on every page and main selection.

Usage: ``.venv/bin/python benchmarks/axe_audit.py [--url http://127.0.0.1:PORT] [--db PATH] [--width 1400]``.
Without --url it starts the dashboard on a free port over --db (default $SEND_DB or data/send.duckdb).
Needs Debian's chromium and ``npm ci`` (axe-core in node_modules/). Prints one line per view and the rules hit.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browsing import CHROMIUM, LAUNCH_ARGS, ROOT, VIEWS, count_by_impact, free_port, run_axe, settle, start_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--db", default=os.environ.get("SEND_DB", ROOT / "data" / "send.duckdb"))
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--verbose", action="store_true", help="print each violated rule")
    args = parser.parse_args()
    proc = None
    url = args.url
    if not url:
        port = free_port()
        proc = start_app(Path(args.db), port)
        url = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright

    totals = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            for name, path in VIEWS.items():
                page = browser.new_page(viewport={"width": args.width, "height": 1000})
                page.goto(f"{url}/{path}")
                settle(page)
                violations = run_axe(page)
                counts = count_by_impact(violations)
                totals[name] = counts
                line = ", ".join(f"{k} {counts.get(k, 0)}" for k in ("critical", "serious", "moderate", "minor"))
                print(f"{name:28s} {line}  title={page.title()!r}")
                if args.verbose:
                    for v in violations:
                        print(f"    {v['impact']:9s} {v['id']}: {len(v['nodes'])} nodes")
                page.close()
            browser.close()
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
