"""deploy/: what can be checked without a container engine or a cluster.

The Kubernetes manifests against the Kubernetes schemas (kubernetes-validate, offline) and yamllint, the
Compose file against the Compose specification (check-jsonschema's bundled schema), the Dockerfile with
hadolint, and the image's entrypoint run here from the checkout: waiting for a database on a volume,
downloading one from a URL (atomically, only a real database, only when it changed), the ETL mode and the
app mode.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from helpers import ROOT

DEPLOY = ROOT / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
BIN = Path(sys.executable).parent
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}"


def test_kubernetes_manifests_are_valid():
    files = sorted((DEPLOY / "k8s").glob("*.yaml"))
    kinds = []
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            kubernetes_validate.validate(doc, "1.33", strict=True)  # raises ValidationError
            kinds.append(doc["kind"])
    assert {"Deployment", "Service", "Ingress", "CronJob", "PersistentVolumeClaim"} <= set(kinds)


def test_yaml_is_clean():
    run = subprocess.run(
        [sys.executable, "-m", "yamllint", "-d", YAMLLINT_CONFIG, str(DEPLOY)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout


def test_compose_file_follows_the_compose_spec():
    run = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
        + [str(DEPLOY / "compose.yaml")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(not (BIN / "hadolint").exists(), reason="hadolint (requirements-dev.txt) not installed")
def test_dockerfile_lints_clean():
    run = subprocess.run([str(BIN / "hadolint"), str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


# --- the entrypoint ------------------------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "SEND_PYTHON": sys.executable, "SEND_APP_DIR": str(ROOT), **extra}


def _entrypoint(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ENTRYPOINT), *args], env=_env(**env), capture_output=True, text=True, timeout=timeout
    )


PRINT_BUILT = "import duckdb, os; print(duckdb.connect(os.environ['SEND_DB'], read_only=True).execute('SELECT built_at FROM build_info').fetchone()[0])"  # noqa: E501


def test_waits_for_the_database_on_a_volume(db_path, tmp_path):
    dest = tmp_path / "volume" / "send.duckdb"
    dest.parent.mkdir()
    proc = subprocess.Popen(
        ["bash", str(ENTRYPOINT), sys.executable, "-c", PRINT_BUILT],
        env=_env(SEND_DB=str(dest), SEND_DB_WAIT="60"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    assert proc.poll() is None  # still waiting
    shutil.copy(db_path, dest.with_name("incoming"))
    os.replace(dest.with_name("incoming"), dest)  # as the ETL publishes it: a rename
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "waiting for the database" in err and out.strip()


def test_gives_up_when_no_database_comes(tmp_path):
    run = _entrypoint("true", SEND_DB=str(tmp_path / "send.duckdb"), SEND_DB_WAIT="2")
    assert run.returncode == 3
    assert "no database at" in run.stderr


@pytest.fixture()
def file_server(tmp_path):
    """A loopback HTTP server over tmp_path/www; yields (base URL, its directory)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", www
    server.shutdown()


def test_downloads_the_database_from_a_url(db_path, tmp_path, file_server):
    base, www = file_server
    shutil.copy(db_path, www / "send.duckdb")
    dest = tmp_path / "replica" / "send.duckdb"
    run = _entrypoint(sys.executable, "-c", PRINT_BUILT, SEND_DB=str(dest), SEND_DB_URL=f"{base}/send.duckdb")
    assert run.returncode == 0, run.stderr
    assert dest.read_bytes() == db_path.read_bytes()
    assert "now holds the database built" in run.stderr
    # Unchanged on the server: not downloaded again.
    again = subprocess.run(
        [sys.executable, str(DEPLOY / "fetch_db.py"), f"{base}/send.duckdb", str(dest)], capture_output=True, text=True
    )
    assert again.returncode == 0 and "up to date" in again.stderr


def test_a_bad_download_leaves_nothing_behind(tmp_path, file_server):
    base, www = file_server
    (www / "send.duckdb").write_text("<html>not a database (test file)</html>")
    dest = tmp_path / "replica" / "send.duckdb"
    run = _entrypoint("true", SEND_DB=str(dest), SEND_DB_URL=f"{base}/send.duckdb")
    assert run.returncode == 1
    assert "not a SEND dashboard database" in run.stderr
    assert list(dest.parent.iterdir()) == []
    missing = _entrypoint("true", SEND_DB=str(dest), SEND_DB_URL=f"{base}/nothing-here")
    assert missing.returncode == 1 and "404" in missing.stderr


@pytest.mark.slow
def test_build_mode_runs_the_etl(mirror, tmp_path):
    dest = tmp_path / "data" / "send.duckdb"
    run = _entrypoint(
        "build", "--source-dir", str(mirror), timeout=600, SEND_DB=str(dest), SEND_CACHE_DIR=str(tmp_path / "c")
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert dest.exists()


@pytest.mark.slow
def test_serve_mode_starts_the_app(db_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        ["bash", str(ENTRYPOINT), "serve"],
        env=_env(SEND_DB=str(db_path), SEND_ADDRESS="127.0.0.1", SEND_PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=3) as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
