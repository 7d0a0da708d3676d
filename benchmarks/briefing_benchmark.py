"""Benchmark (not a test): the headline table and the briefing of ten authorities, from a fresh store.

The profile's headline table ranks every headline indicator among all authorities; ``Store.ranked`` does
it once per indicator and period for every authority, page and briefing. Reports the seconds (wall
clock, and CPU: on a shared machine the CPU time is the steadier figure) for ten headline tables,
then ten HTML briefings (charts included, no PDF), each on a fresh store.

    .venv/bin/python benchmarks/briefing_benchmark.py [--db data/send.duckdb] [--n 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "send.duckdb")
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()

    from send_pressure.briefing import briefing_html
    from send_pressure.profile import headline_table
    from send_pressure.queries import Store

    codes = list(Store(args.db).current_authorities.new_la_code[: args.n])

    def timed(work) -> str:
        store = Store(args.db)  # fresh: nothing memoised yet
        wall, cpu = time.perf_counter(), time.process_time()
        for code in codes:
            work(store, code)
        return f"{time.perf_counter() - wall:.1f} s (CPU {time.process_time() - cpu:.1f} s)"

    print(f"{len(codes)} headline tables: {timed(headline_table)}")
    print(f"{len(codes)} briefings (HTML): {timed(lambda s, c: briefing_html(s, c, date.today()))}")


if __name__ == "__main__":
    main()
