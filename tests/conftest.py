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
