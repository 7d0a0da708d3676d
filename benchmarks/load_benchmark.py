"""Benchmark (not a test): the dashboard served the production way (scripts/serve.sh: app processes behind
nginx) under 1, 10, 25 and 50 simulated browsers.

Each simulated browser (the websocket load tool st_load.py, by default ../shared/tools/st_load.py beside this
checkout) opens every page twice, with a think time of about 3 s between pages (uniform 0.5x-1.5x), all on the
same link's views (one LA) unless --la names several (session i gets the i-th). Levels run one after the other
against the same servers, after a warm-up visit of every page on every process (so the single-session level is
not a cold start). First, per page, one session straight to the first app process visits every page --page-cycles
times without pause: the median server CPU-seconds of a warm load of each page (the tool's server_cpu_s; the
first visit is left out) and the payload of the first and of later visits (later ones are smaller when the
browser's message cache holds the big elements). Per level it prints: page loads, errors, p50/p95/max page time
(rerun sent -> script finished, as the browser sees it), loads/s, server CPU-seconds per load (all app
processes), the load tool's own CPU (it runs on the same machine), peak RSS of each app process, and the
machine's load average (the machine may be shared).

    .venv/bin/python benchmarks/load_benchmark.py [--db data/send.duckdb] [--port 8630] [--sessions 1,10,25,50]
        [--page-cycles 4]

Target on the 2-core reference machine: 50 sessions, 0 errors, p95 <= 3x the single-session median of the
same run. Only loopback addresses are used; every level is bounded in sessions, cycles and time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ST_LOAD = ROOT.parent / "shared" / "tools" / "st_load.py"
sys.path.insert(0, str(ROOT / "tests"))

from browsing import free_port_run, start_serve  # noqa: E402  (the serving tests' port search and start)

PAGES = ["/", "/england", "/delays?la={la}", "/requests?la={la}", "/funding?la={la}", "/profile?la={la}", "/compare"]
PAGES += ["/journey?la={la}", "/explore?la={la}", "/about", "/guide", "/accessibility"]
PAGES += ["/mp?pcon=E14001063"]  # Aldershot: in the default LA's region


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_pids(serve_pid: int) -> list[int]:
    """The Streamlit processes serve.sh started (its children running send_pressure.server)."""
    out = subprocess.run(["pgrep", "-P", str(serve_pid), "-f", "send_pressure.server"], capture_output=True, text=True)
    return sorted(int(p) for p in out.stdout.split())


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"serve.sh exited:\n{proc.stdout.read().decode(errors='replace')[-3000:]}")
        time.sleep(0.5)
    raise SystemExit(f"{url} not healthy after {timeout:.0f} s")


def st_load(args: argparse.Namespace, urls: list[str], sessions: int, pids: list[int], out: Path) -> dict:
    cmd = [sys.executable, str(args.st_load)]
    for u in urls:
        cmd += ["--url", u]
    for p in PAGES:
        cmd += ["--page", p]
    cmd += ["--var", f"la={args.la}", "--sessions", str(sessions), "--cycles", str(args.cycles)]
    cmd += ["--think", str(args.think), "--ramp", str(args.ramp), "--timeout", "60", "--deadline", str(args.deadline)]
    cmd += ["--quiet", "--json", str(out)]
    for p in pids:
        cmd += ["--server-pid", str(p)]
    subprocess.run(cmd, timeout=args.deadline + 180, check=False)
    return json.loads(out.read_text())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=ROOT / "data" / "send.duckdb")
    p.add_argument("--port", type=int, help="nginx port (app processes on the next ports); default: free ones")
    p.add_argument("--workers", type=int, help="app processes (default: serve.sh's, three times the number of cores)")
    p.add_argument("--sessions", default="1,10,25,50", help="comma-separated levels (max 200 each)")
    p.add_argument("--cycles", type=int, default=2, help="times each session visits every page (default 2)")
    p.add_argument("--think", type=float, default=3.0, help="mean pause between pages, seconds (default 3)")
    p.add_argument("--ramp", type=float, default=3.0, help="session starts spread over this many seconds")
    p.add_argument("--deadline", type=float, default=600.0, help="seconds per level after which no load starts")
    p.add_argument("--page-cycles", type=int, default=4, help="visits of every page for the per-page costs (0: none)")
    p.add_argument("--la", default="E10000016", help="LA code(s) for the LA pages, comma-separated")
    p.add_argument("--st-load", type=Path, default=ST_LOAD, help="path of st_load.py")
    p.add_argument("--json", type=Path, help="write every level's summary and page loads here")
    args = p.parse_args()
    levels = [int(x) for x in args.sessions.split(",")]
    if not all(1 <= n <= 200 for n in levels) or not 1 <= args.cycles <= 10 or not 0 <= args.page_cycles <= 20:
        p.error("sessions 1..200 per level, cycles 1..10, page cycles 0..20")
    if not args.st_load.exists():
        p.error(f"no load tool at {args.st_load} (give --st-load)")
    if not args.db.exists():
        p.error(f"no database at {args.db}: build it first (python -m etl build)")
    workers = args.workers or 3 * (os.cpu_count() or 1)  # serve.sh's default: three per core
    port = args.port or free_port_run(workers)

    serve = start_serve(args.db.resolve(), workers, port)
    base = f"http://127.0.0.1:{port}"
    rows, pages, loads_by_level = [], [], {}
    try:
        wait_healthy(f"{base}/_stcore/health", serve)
        pids = app_pids(serve.pid)
        print(f"# serve.sh on {base}: {len(pids)} app processes (pids {pids}); load avg {os.getloadavg()[0]:.2f}")
        with tempfile.TemporaryDirectory() as tmp:
            # Warm-up: one session per process, straight to it, every page once.
            direct = [f"http://127.0.0.1:{port + i}" for i in range(1, workers + 1)]
            warm = argparse.Namespace(**{**vars(args), "cycles": 1, "think": 0.0, "ramp": 0.0})
            st_load(warm, direct, workers, [], Path(tmp) / "warm.json")
            if args.page_cycles > 1:
                pages = page_costs(args, direct[0], pids[0], Path(tmp) / "pages.json")
            for n in levels:
                cpu0 = {pid: cpu_seconds(pid) for pid in pids}
                load0 = os.getloadavg()[0]
                res = st_load(args, [base], n, pids, Path(tmp) / f"level{n}.json")
                cpu = sum(cpu_seconds(pid) - cpu0[pid] for pid in pids)
                row = next(r for r in res["summary"]["rows"] if r["page"] == "ALL")
                rss = [v.get("rss_peak_mb") for v in res["server"].values()]
                rows.append(
                    {
                        "sessions": n,
                        "loads": row["n"],
                        "errors": row["errors"],
                        "errors_by_status": row["errors_by_status"],
                        "p50_s": row["p50_s"],
                        "p95_s": row["p95_s"],
                        "max_s": row["max_s"],
                        "loads_per_s": res["summary"]["throughput_loads_per_s"],
                        "server_cpu_s_per_load": cpu / row["ok"] if row["ok"] else None,
                        "rss_peak_mb": rss,
                        "client_cpu_s": res["client_cpu_s"],
                        "loadavg": (round(load0, 2), round(res["loadavg_end"][0], 2)),
                    }
                )
                print_row(rows[-1], header=len(rows) == 1)
                loads_by_level[n] = res["loads"]
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
    verdict(rows)
    tail = breakdown(rows, loads_by_level)
    if args.json:
        out = {"workers": workers, "pages": pages, "levels": rows, "tail": tail, "loads": loads_by_level}
        args.json.write_text(json.dumps(out, indent=1))


def page_costs(args: argparse.Namespace, url: str, pid: int, out: Path) -> list[dict]:
    """One session on one app process, every page ``--page-cycles`` times without pause: per page, the median
    server CPU-seconds of its warm loads (the first visit left out), and the mean payload KB and elements
    (new_element/add_block deltas) of the first and of later visits. Printed as a table."""
    solo = argparse.Namespace(**{**vars(args), "cycles": args.page_cycles, "think": 0.0, "ramp": 0.0})
    loads = [r for r in st_load(solo, [url], 1, [pid], out)["loads"] if r["status"] == "ok"]
    pages = []
    for page in dict.fromkeys(r["page"] for r in loads):
        first = [r for r in loads if r["page"] == page and r["cycle"] == 0]
        later = [r for r in loads if r["page"] == page and r["cycle"] > 0]
        cpu = sorted(r["server_cpu_s"] for r in later if r["server_cpu_s"] is not None)
        pages.append(
            {
                "page": page,
                "warm_cpu_s": cpu[len(cpu) // 2] if cpu else None,
                "first_kb": sum(r["bytes"] for r in first) / 1024 / len(first) if first else None,
                "later_kb": sum(r["bytes"] for r in later) / 1024 / len(later) if later else None,
                "elements": first[0]["deltas"] if first else None,
            }
        )
    print(f"{'page':<24} {'warm CPU s':>10} {'KB first':>9} {'KB later':>9} {'elements':>8}")
    for r in pages:
        print(
            f"{r['page']:<24} {fmt(r['warm_cpu_s'], 3):>10} {fmt(r['first_kb'], 0):>9} {fmt(r['later_kb'], 0):>9} "
            f"{r['elements'] if r['elements'] is not None else '-':>8}"
        )
    cpus = [r["warm_cpu_s"] for r in pages if r["warm_cpu_s"] is not None]
    if cpus:
        print(f"# mean warm CPU s per page load over {len(cpus)} pages: {sum(cpus) / len(cpus):.3f}")
    return pages


def fmt(v, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def print_row(r: dict, header: bool) -> None:
    if header:
        print(
            f"{'sessions':>8} {'loads':>6} {'errors':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'loads/s':>8} "
            f"{'CPU s/load':>10} {'client CPU s':>12}  {'peak RSS MB per process':<24} load avg"
        )
    rss = ", ".join(fmt(x, 0) for x in r["rss_peak_mb"])
    print(
        f"{r['sessions']:>8} {r['loads']:>6} {r['errors']:>6} {fmt(r['p50_s']):>7} {fmt(r['p95_s']):>7} "
        f"{fmt(r['max_s']):>7} {fmt(r['loads_per_s']):>8} {fmt(r['server_cpu_s_per_load'], 3):>10} "
        f"{fmt(r['client_cpu_s'], 1):>12}  {rss:<24} "
        f"{r['loadavg'][0]:.2f} -> {r['loadavg'][1]:.2f}" + (f"  {r['errors_by_status']}" if r["errors"] else "")
    )


def breakdown(rows: list[dict], loads_by_level: dict[int, list[dict]]) -> list[dict]:
    """Where the top level's tail comes from: per page, its first visit in a session (the full payload) and
    its repeat visit (big elements sent as references), the loads, p50/p95/max seconds, mean KB, and how many
    took longer than the target (3 x the single-session median; 'over' is '-' without a single-session
    level). Printed as a table; returned as rows."""
    if not rows:
        return []
    top = max(rows, key=lambda r: r["sessions"])
    single = next((r for r in rows if r["sessions"] == 1 and r is not top), None)
    limit = 3 * single["p50_s"] if single and single["p50_s"] else None
    ok = [r for r in loads_by_level[top["sessions"]] if r["status"] == "ok"]
    out = []
    for page in dict.fromkeys(r["page"] for r in ok):
        for visit, sel in (("first", lambda r: r["cycle"] == 0), ("repeat", lambda r: r["cycle"] > 0)):
            part = [r for r in ok if r["page"] == page and sel(r)]
            if not part:
                continue
            lat = sorted(r["latency_s"] for r in part)
            out.append(
                {
                    "page": page,
                    "visit": visit,
                    "loads": len(part),
                    "p50_s": lat[len(lat) // 2],
                    "p95_s": lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))],
                    "max_s": lat[-1],
                    "kb": sum(r["bytes"] for r in part) / 1024 / len(part),
                    "over": sum(x > limit for x in lat) if limit else None,
                }
            )
    over = f"over {limit:.2f} s" if limit else "over"
    print(f"# {top['sessions']} sessions by page and visit (first: full payload; repeat: big elements as references)")
    print(f"{'page':<24} {'visit':<6} {'loads':>5} {'p50 s':>6} {'p95 s':>6} {'max s':>6} {'KB':>6} {over:>12}")
    for r in out:
        print(
            f"{r['page']:<24} {r['visit']:<6} {r['loads']:>5} {fmt(r['p50_s']):>6} {fmt(r['p95_s']):>6} "
            f"{fmt(r['max_s']):>6} {fmt(r['kb'], 0):>6} {r['over'] if r['over'] is not None else '-':>12}"
        )
    return out


def verdict(rows: list[dict]) -> None:
    single = next((r for r in rows if r["sessions"] == 1), None)
    top = max(rows, key=lambda r: r["sessions"], default=None)
    if not single or not top or top is single or single["p50_s"] is None or top["p95_s"] is None:
        return
    limit = 3 * single["p50_s"]
    ok = top["errors"] == 0 and top["p95_s"] <= limit
    print(
        f"# target at {top['sessions']} sessions: 0 errors and p95 <= 3 x single-session median "
        f"({limit:.2f} s): errors {top['errors']}, p95 {top['p95_s']:.2f} s -> {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
