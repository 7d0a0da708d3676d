"""Download the published dashboard database to a replica, atomically (used by deploy/entrypoint.sh).

    python deploy/fetch_db.py URL DEST

Downloads URL to a temporary file beside DEST, checks that it is a SEND dashboard database (DuckDB, with
its build_info table), then renames it over DEST: a running app never sees half a file, and picks up
the new one at its next page load. The response's ETag / Last-Modified are kept in DEST + ".source", so
a later run asks the server for the file only if it changed (HTTP 304: nothing to do). Exit status:
0 done or unchanged, 1 download or check failed (DEST untouched).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import duckdb
import requests

TIMEOUT_S = (10, 300)  # connect, read between bytes
CHUNK = 1 << 20


def check_database(path: Path) -> str:
    """The build time recorded in the database at ``path``; raises ValueError when it is not a dashboard DB."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return str(con.execute("SELECT max(built_at) FROM build_info").fetchone()[0])
    except duckdb.Error as e:
        raise ValueError(f"not a SEND dashboard database: {e}") from e


def fetch(url: str, dest: Path) -> bool:
    """Download ``url`` over ``dest`` when it changed; True when a new file was put in place.

    Raises requests.RequestException on HTTP/network errors and ValueError when the file is not a database.
    """
    meta_path = dest.with_name(dest.name + ".source")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and dest.exists() else {}
    headers = {}
    if meta.get("url") == url:
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with requests.get(url, headers=headers, stream=True, timeout=TIMEOUT_S) as r:
        if r.status_code == 304:
            return False
        r.raise_for_status()
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.download-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in r.iter_content(CHUNK):
                    f.write(chunk)
            built = check_database(Path(tmp))
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        meta = {"url": url, "etag": r.headers.get("ETag"), "last_modified": r.headers.get("Last-Modified")}
    meta_path.write_text(json.dumps(meta))
    print(f"fetch_db: {dest} now holds the database built {built} UTC, from {url}", file=sys.stderr)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, dest = argv
    try:
        if not fetch(url, Path(dest)):
            print(f"fetch_db: {dest} is up to date with {url}", file=sys.stderr)
    except (requests.RequestException, ValueError, OSError) as e:
        print(f"fetch_db: could not get the database from {url}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
