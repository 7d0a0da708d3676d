"""Shared fixtures: the real mirror, and one database built from it for the whole test session.

The app reads the database named by $SEND_DB; it is set here, before any app
module is imported, to a file under pytest's temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from helpers import MIRROR

SESSION_DIR = Path(tempfile.mkdtemp(prefix="send-tests-"))
os.environ["SEND_DB"] = str(SESSION_DIR / "send.duckdb")


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The offline mirror of the official files (skips the test when it is absent)."""
    if not MIRROR.exists():
        pytest.skip(f"no source mirror at {MIRROR}")
    return MIRROR


@pytest.fixture(scope="session")
def db_path(mirror: Path) -> Path:
    """A database built once from the mirror (the path the app reads via $SEND_DB)."""
    from etl.build import build
    from etl.fetch import Fetcher

    path = Path(os.environ["SEND_DB"])
    build(path, Fetcher(cache_dir=SESSION_DIR / "cache", source_dir=mirror), log=lambda _: None)
    return path


@pytest.fixture(scope="session")
def store(db_path: Path):
    """A read-only Store over the session database."""
    from send_pressure.queries import Store

    return Store(db_path)


@pytest.fixture(scope="module")
def con(db_path: Path):
    """A read-only DuckDB connection to the session database (for value tests)."""
    import duckdb

    connection = duckdb.connect(str(db_path), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def app_url(db_path: Path):
    """The dashboard running on 127.0.0.1 over the session database (browser tests); stopped afterwards."""
    from browsing import free_port, start_app

    port = free_port()
    proc = start_app(db_path, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (browser tests)."""
    from browsing import CHROMIUM, LAUNCH_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


#: CI (CI=true) and SEND_ALL_TESTS=1 run every test; a developer's default run leaves out the slow ones.
RUN_ALL = os.environ.get("CI") == "true" or os.environ.get("SEND_ALL_TESTS") == "1"


def pytest_collection_modifyitems(config, items):
    """Deselect slow and browser tests in a developer's default run (CI runs them; see README)."""
    if RUN_ALL or config.option.markexpr:
        return
    keep, slow = [], []
    for item in items:
        (slow if "slow" in item.keywords or "browser" in item.keywords else keep).append(item)
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test fails: a check that passes by not running (no Chromium, no PDF) proves nothing."""
    report = yield
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"
    return report
