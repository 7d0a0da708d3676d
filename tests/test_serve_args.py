"""scripts/serve.sh refuses a bad PORT or SEND_WORKERS before it starts anything (fast: no server is started).

Numbers past bash's 64-bit integers used to slip through (``[ N -lt 1 ]`` errs, which the ``if`` took as false,
and ``$((PORT + N))`` wraps), after which ``seq N`` would start app processes without end; a leading zero made
bash read the number as octal (a leading zero is now refused).
"""

from __future__ import annotations

import os
import subprocess

import pytest
from helpers import ROOT


def _serve(tmp_path, port: str, workers: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEND_DB": str(tmp_path / "none.duckdb"), "SEND_LISTEN_ADDRESS": "127.0.0.1"}
    env.pop("SEND_WORKERS", None)
    if workers is not None:
        env["SEND_WORKERS"] = workers
    # With a valid PORT and SEND_WORKERS the script stops at the missing database (status 4), never starting a server.
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "serve.sh"), port], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "workers",
    [
        "0",
        "-1",
        "abc",
        "1.5",
        " 2",
        "010",
        "60000",
        "99999999999999999999",
        "9223372036854775808",
        "18446744073709551617",
    ],
)
def test_bad_worker_counts_are_refused(tmp_path, workers):
    done = _serve(tmp_path, "8080", workers)
    assert done.returncode == 2, done.stderr
    assert "SEND_WORKERS must be a whole number" in done.stderr


@pytest.mark.parametrize("port", ["0", "65536", "08080", "18446744073709551617", "x"])
def test_bad_ports_are_refused(tmp_path, port):
    done = _serve(tmp_path, port, "2")
    assert done.returncode == 2, done.stderr
    assert "usage: scripts/serve.sh PORT" in done.stderr


@pytest.mark.parametrize("workers", [None, "", "1", "12"])
def test_good_values_get_past_the_checks(tmp_path, workers):
    done = _serve(tmp_path, "8080", workers)
    assert done.returncode == 4, done.stderr  # the missing database, after every check passed
    assert "No database at" in done.stderr
