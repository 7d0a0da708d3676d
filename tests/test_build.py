"""Build-level behaviour: damaged or changed sources, atomic replacement, the CLI.

Every damaged file lives in a copy of the mirror under pytest's tmp_path; the real mirror is never written.
Failure tests parse only the sources they need (``sources=``) so each stays well under a full build.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from etl.build import build
from etl.fetch import Fetcher
from etl.load import BuildError
from etl.model import SourceFormatError
from etl.sources import SOURCES, source_by_id

ROOT = Path(__file__).resolve().parents[1]
EHCP = "education-health-and-care-plans"
TRIBUNAL = f"{EHCP}/SEND Tribunals and appeal rate 2014-2024.csv"
TRIBUNAL_2026 = f"{EHCP}/SEND appealable decisions rate 2024-2025.csv"
ZIP_2025 = f"{EHCP}/education-health-and-care-plans_2025.zip"
ZIP_2022 = f"{EHCP}/education-health-and-care-plans_2022.zip"
COMBINED_ODS = "dedicated-schools-grant/dedicated-schools-grant_allocations_2019-20_to_2023-24.ods"


def quiet(_: str) -> None:
    pass


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_info(path: Path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT fingerprint, built_at, observation_rows FROM build_info").fetchone()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or p.suffix == ".wal")


@pytest.fixture
def copy_mirror(mirror: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "sources"
    shutil.copytree(mirror, dest)
    return dest


@pytest.fixture
def old_db(db_path: Path, tmp_path: Path) -> Path:
    """A copy of the session's good database in a fresh folder (what a failed build must leave alone)."""
    folder = tmp_path / "db"
    folder.mkdir()
    target = folder / "send.duckdb"
    shutil.copyfile(db_path, target)
    return target


def fetcher(source_dir: Path, tmp_path: Path) -> Fetcher:
    return Fetcher(cache_dir=tmp_path / "cache", source_dir=source_dir, progress=quiet)


def read_tribunal(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write_tribunal(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def tribunal_row(rows: list[list[str]], name: str) -> list[str]:
    return next(r for r in rows if r and r[0].rstrip("0123456789,") == name)


def rewrite_zip_member(path: Path, member: str, change) -> None:
    """Rewrite one member of a zip in place (``change(bytes) -> bytes``)."""
    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            out.writestr(info, change(data) if info.filename == member else data)


TRIBUNAL_SUBSET = [source_by_id("ehcp_2025"), source_by_id("tribunal_2025")]


# ------------------------------------------------------------------------------------------ damaged sources


@pytest.mark.slow
def test_truncated_zip_keeps_the_last_good_copy_and_says_so(copy_mirror, old_db, tmp_path):
    target = copy_mirror / ZIP_2025
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    with duckdb.connect(str(old_db), read_only=True) as con:
        before = con.execute("SELECT count(*) FROM observation WHERE source_id = 'ehcp'").fetchone()
    result = build(old_db, fetcher(copy_mirror, tmp_path), log=quiet)
    assert result.status == "built"
    assert "education-health-and-care-plans_2025.zip" in result.stale["ehcp"]
    with duckdb.connect(str(old_db), read_only=True) as con:
        status = con.execute("SELECT status, status_note FROM source WHERE source_id = 'ehcp'").fetchone()
        after = con.execute("SELECT count(*) FROM observation WHERE source_id = 'ehcp'").fetchone()
        # caseload.csv 202425 Kent ehcplans, as the previous build loaded it
        kent = con.execute(
            "SELECT value FROM observation WHERE indicator_id = 'ehc_plans' AND area_code = 'E10000016' "
            "AND time_period = '202425' AND breakdown = 'Total'"
        ).fetchone()
    assert status[0] == "previous copy" and "could not be read" in status[1]
    assert after == before and kent == (20635,)
    assert leftovers(old_db.parent) == []


def test_truncated_zip_on_a_first_run_fails_naming_the_file(copy_mirror, tmp_path):
    target = copy_mirror / ZIP_2022
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    db = tmp_path / "first" / "send.duckdb"
    with pytest.raises(SourceFormatError, match="education-health-and-care-plans_2022.zip"):
        build(db, fetcher(copy_mirror, tmp_path), sources=[source_by_id("ehcp_2022")], log=quiet)
    assert not db.exists()


def test_csv_missing_a_column_raises_naming_it(copy_mirror, old_db, tmp_path):
    def drop_inreq(data: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        i = rows[0].index("InreqEHC")
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r[:i] + r[i + 1 :] for r in rows])
        return out.getvalue().encode("utf-8")

    rewrite_zip_member(copy_mirror / ZIP_2022, "data/sen2_mi.csv", drop_inreq)
    before = digest(old_db)
    # No earlier copy of the source at this path: the layout error stops the build and names the column.
    with pytest.raises(SourceFormatError, match="InreqEHC"):
        build(tmp_path / "new.duckdb", fetcher(copy_mirror, tmp_path), sources=[source_by_id("ehcp_2022")], log=quiet)
    assert digest(old_db) == before


def test_unknown_marker_in_tribunal_cell_names_the_marker(copy_mirror, old_db, tmp_path):
    path = copy_mirror / TRIBUNAL
    rows = read_tribunal(path)
    tribunal_row(rows, "Kent")[32] = "!!"  # Kent, 2024 appeals registered
    write_tribunal(path, rows)
    before = digest(old_db)
    with pytest.raises(BuildError, match=r"unknown marker '!!'") as err:
        build(old_db, fetcher(copy_mirror, tmp_path), sources=TRIBUNAL_SUBSET, log=quiet)
    assert "tribunal_2025" in str(err.value)
    assert digest(old_db) == before
    assert leftovers(old_db.parent) == []


def test_code_name_disagreement_names_the_pair(copy_mirror, old_db, tmp_path):
    path = copy_mirror / TRIBUNAL
    rows = read_tribunal(path)
    kent = tribunal_row(rows, "Kent")
    assert kent[1] == "886"
    kent[1] = "887"  # Medway's number printed beside Kent
    write_tribunal(path, rows)
    with pytest.raises(BuildError) as err:
        build(old_db, fetcher(copy_mirror, tmp_path), sources=TRIBUNAL_SUBSET, log=quiet)
    message = str(err.value)
    assert "887" in message and "Kent" in message and "Medway" in message


# ------------------------------------------------------------------------------- layouts that must still load


@pytest.fixture(scope="module")
def changed_build(mirror: Path, tmp_path_factory) -> Path:
    """One full build from a mirror whose newest tribunal table gained a 2026 column and whose combined DSG .ods
    lost its ``mimetype`` entry (two independent changes checked on one build to keep the suite fast)."""
    base = tmp_path_factory.mktemp("changed")
    sources = base / "sources"
    shutil.copytree(mirror, sources)

    path = sources / TRIBUNAL_2026
    rows = read_tribunal(path)
    header_at = next(i for i, r in enumerate(rows) if r[:3] == ["", "", "2024"])
    for i, row in enumerate(rows):
        if i == header_at:
            row += ["2026", "", ""]
        elif i == header_at + 1:
            row += ["Appeals", "Total Appealable decisions", "SEND Tribunal Appeal Rate"]
        elif i > header_at + 1:
            row += row[5:8]  # the 2025 figures again, as a stand-in for a new year's
        else:
            row += ["", "", ""]
    write_tribunal(path, rows)

    ods = sources / COMBINED_ODS
    with zipfile.ZipFile(ods) as src:
        assert "mimetype" in src.namelist()
        items = [(i, src.read(i.filename)) for i in src.infolist() if i.filename != "mimetype"]
    with zipfile.ZipFile(ods, "w") as out:
        for info, data in items:
            out.writestr(info, data)

    db = base / "send.duckdb"
    result = build(db, Fetcher(cache_dir=base / "cache", source_dir=sources, progress=quiet), log=quiet)
    assert result.status == "built"
    return db


def test_tribunal_new_year_column_is_loaded(changed_build):
    with duckdb.connect(str(changed_build), read_only=True) as con:
        kent = con.execute(
            "SELECT value, year FROM observation WHERE indicator_id = 'tribunal_appeals' AND area_code = 'E10000016' "
            "AND time_period = '2026'"
        ).fetchone()
        england = con.execute(
            "SELECT value FROM observation WHERE indicator_id = 'appealable_decisions' AND area_code = 'E92000001' "
            "AND time_period = '2026'"
        ).fetchone()
        n_las = con.execute(
            "SELECT count(*) FROM observation WHERE indicator_id = 'tribunal_appeals' AND time_period = '2026' "
            "AND geographic_level = 'Local authority'"
        ).fetchone()[0]
    assert kent == (1756, 2026)  # copied from Kent's 2025 column (1756)
    assert england == (405735,)  # copied from England Total's 2025 column
    assert 150 <= n_las <= 155


def test_ods_without_mimetype_still_builds(changed_build, mirror):
    # The four per-year DSG files in the mirror already lack the entry; the combined one lost it in this build.
    for s in SOURCES:
        if s.parser == "dsg_allocations" and s.required:  # later years are not in the mirror
            with zipfile.ZipFile(mirror / s.mirror_path) as z:
                assert "mimetype" not in z.namelist(), s.mirror_path
    with duckdb.connect(str(changed_build), read_only=True) as con:
        hnb = con.execute(
            "SELECT value, source_id FROM observation WHERE indicator_id = 'high_needs_block' "
            "AND area_code = 'E10000016' AND time_period = '2019-20'"
        ).fetchone()
        per_year = con.execute(
            "SELECT count(*) FROM observation WHERE source_id = 'dsg_2023_24' AND indicator_id = 'high_needs_block'"
        ).fetchone()[0]
    assert hnb[1] == "dsg_combined"
    assert hnb[0] == pytest.approx(204_032_770.37, abs=1.0)  # Allocations_1920 Kent [C] 204.03277037120196 £m
    assert per_year > 150


# -------------------------------------------------------------------------------------- interrupted builds


def _interrupt_validate(monkeypatch):
    import etl.validate

    def boom(tables):
        raise RuntimeError("validation crashed")

    monkeypatch.setattr(etl.validate, "validate", boom)
    return RuntimeError


def _failing_statement(monkeypatch, prefix: str, error: BaseException) -> None:
    """The loader's DuckDB statements starting with ``prefix`` raise ``error`` (on every connection it opens)."""
    import etl.load

    real_connect = duckdb.connect

    class Proxy:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args):
            if sql.startswith(prefix):
                raise error
            return self._con.execute(sql, *args)

        def cursor(self):  # the tables are written on connections of their own, in worker threads
            return Proxy(self._con.cursor())

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._con.close()

        def __getattr__(self, name):
            return getattr(self._con, name)

    def connect(path, *args, **kwargs):
        return Proxy(real_connect(path, *args, **kwargs))

    # Only the loader's own reference to duckdb is replaced (parsers keep the real module).
    fake = SimpleNamespace(connect=connect, Error=duckdb.Error, InterruptException=duckdb.InterruptException)
    monkeypatch.setattr(etl.load, "duckdb", fake)


def _interrupt_insert(monkeypatch):
    """Ctrl-C while the observation table is being written into the temporary file."""
    _failing_statement(monkeypatch, "INSERT INTO observation", KeyboardInterrupt())
    return KeyboardInterrupt


def _interrupt_checkpoint(monkeypatch):
    """Ctrl-C during the final checkpoint: DuckDB raises it as RuntimeError('Query interrupted')."""
    _failing_statement(monkeypatch, "CHECKPOINT", RuntimeError("Query interrupted"))
    return KeyboardInterrupt


def _interrupt_swap(monkeypatch):
    import etl.load

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(etl.load.os, "replace", fail)
    return OSError


@pytest.mark.parametrize("interrupt", [_interrupt_validate, _interrupt_insert, _interrupt_checkpoint, _interrupt_swap])
def test_interrupted_build_leaves_old_database_and_no_tmp(interrupt, mirror, old_db, tmp_path, monkeypatch):
    expected = interrupt(monkeypatch)
    before, info = digest(old_db), build_info(old_db)
    with pytest.raises(expected):
        build(old_db, fetcher(mirror, tmp_path), force=True, log=quiet)
    monkeypatch.undo()
    assert digest(old_db) == before
    assert build_info(old_db) == info
    assert leftovers(old_db.parent) == []


def test_interrupted_first_build_leaves_nothing(mirror, tmp_path, monkeypatch):
    folder = tmp_path / "fresh"
    folder.mkdir()
    _interrupt_insert(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        build(folder / "send.duckdb", fetcher(mirror, tmp_path), log=quiet)
    monkeypatch.undo()
    assert list(folder.iterdir()) == []


# -------------------------------------------------------------------------------------------- no change, CLI


def test_no_change_rebuild_is_unchanged(mirror, old_db, tmp_path):
    before, info = digest(old_db), build_info(old_db)
    result = build(old_db, fetcher(mirror, tmp_path), log=quiet)
    assert result.status == "unchanged"
    assert result.seconds < 2
    assert digest(old_db) == before
    assert build_info(old_db) == info


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"SEND_SOURCE_DIR", "SEND_DB", "SEND_CACHE_DIR"}}
    env.update(extra)
    return env


def _run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "etl", *args],
        cwd=ROOT,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_offline_build_without_cache_or_mirror_fails_naming_source_and_url(tmp_path):
    db = tmp_path / "send.duckdb"
    done = _run("build", "--offline", "--cache-dir", str(tmp_path / "empty-cache"), "--db", str(db))
    assert done.returncode != 0
    assert "ehcp (" in done.stderr
    assert "https://explore-education-statistics.service.gov.uk/" in done.stderr
    assert not db.exists()


def test_cli_sources_prints_each_source_and_checksum(db_path):
    done = _run("sources", "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute("SELECT source_id, sha256 FROM source").fetchall()
    # every source, except a pinned release the latest release already is (read once)
    assert {sid for sid, _ in rows} == {s.source_id for s in SOURCES} - {"ehcp_2025"}
    for sid, sha in rows:
        assert sid in done.stdout
        assert sha in done.stdout
    # each publication with the newest release known (the mirror's tribunal table is from the 2026 release),
    # and what was loaded from it
    assert "Publication education-health-and-care-plans: newest release known 2026" in done.stdout
    assert "loaded Reporting year 2025 (June 2025) (newer release 2026 not loaded from this file)" in done.stdout


def test_cli_summary_prints_tables_and_indicators(db_path):
    done = _run("summary", "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db_path), read_only=True) as con:
        n_obs = con.execute("SELECT observation_rows FROM build_info").fetchone()[0]
        indicators = [r[0] for r in con.execute("SELECT indicator_id FROM indicator").fetchall()]
    assert f"{n_obs:,} observations" in done.stdout
    for name in ("local_authority", "statistical_neighbour", "constituency", "boundary", "data_note"):
        assert name in done.stdout
    for iid in indicators:
        assert iid in done.stdout


def test_cli_without_database_fails(tmp_path):
    done = _run("summary", "--db", str(tmp_path / "missing.duckdb"))
    assert done.returncode != 0
    assert "python -m etl build" in done.stderr


def test_header_only_member_fails_and_keeps_the_database(tmp_path, mirror):
    """A release whose caseload.csv kept only its header must not replace a good database."""
    import zipfile

    from etl.build import build
    from etl.fetch import Fetcher
    from etl.model import SourceFormatError
    from etl.parsers import ehcp
    from etl.sources import source_by_id

    source = source_by_id("ehcp_2025")
    damaged = tmp_path / "release.zip"
    with zipfile.ZipFile(mirror / source.mirror_path) as src, zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "data/caseload.csv":
                data = data.split(b"\r\n", 1)[0] + b"\r\n"
            out.writestr(info, data)
    with pytest.raises(SourceFormatError, match="caseload.csv: has a header but no data rows"):
        ehcp.parse_release(damaged, source, None)
    db = tmp_path / "send.duckdb"
    with duckdb.connect(str(db)) as con:  # a previous database (an empty one does: only its bytes are compared)
        con.execute("CREATE TABLE kept (x INTEGER)")
    before = db.read_bytes()
    copy = tmp_path / "mirror"
    shutil.copytree(mirror, copy)
    (copy / source.mirror_path).write_bytes(damaged.read_bytes())
    with pytest.raises(SourceFormatError):
        build(db, Fetcher(cache_dir=tmp_path / "cache", source_dir=copy), force=True, log=lambda _: None)
    assert db.read_bytes() == before


def test_validation_rejects_an_observation_of_an_unknown_indicator_or_source(db_path):
    """The observation table declares no foreign keys (etl/schema.sql): validation checks both references."""
    import dataclasses

    from etl.load import Tables
    from etl.validate import validate

    with duckdb.connect(str(db_path), read_only=True) as con:
        names = [f.name for f in dataclasses.fields(Tables) if f.name != "notes"]
        frames = {name: con.execute(f"SELECT * FROM {name}").df() for name in names}
    assert validate(Tables(**frames))[0] == []
    obs = frames["observation"].copy()
    obs.loc[0, "indicator_id"], obs.loc[1, "source_id"] = "no_such_indicator", "no_such_source"
    failures, _ = validate(Tables(**{**frames, "observation": obs}))
    assert "observations of indicator no_such_indicator, which is not in the indicator table" in failures
    assert "observations from unknown source no_such_source" in failures


def test_retrieval_times_are_stored_as_naive_utc():
    """The fetcher writes UTC ('...Z'); a time with another offset is converted, one without a zone taken as UTC."""
    from etl.build import _utc_naive

    assert str(_utc_naive("2026-12-02T02:30:00Z")) == "2026-12-02 02:30:00"
    assert str(_utc_naive("2026-12-02T03:30:00+01:00")) == "2026-12-02 02:30:00"
    assert str(_utc_naive("2026-12-02T02:30:00")) == "2026-12-02 02:30:00"
