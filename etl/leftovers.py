"""Temporary files a killed build or download leaves behind, and their removal at the next start.

Every temporary file carries the id of the process that writes it:

* ``<db>.tmp-<pid>`` and ``<db>.tmp-<pid>.wal`` - the new database being written (``etl/load.py``);
* ``.<file>.<pid>.<random>.part`` - a download or sidecar being written (``etl/fetch.py``).

A normal run removes its own; ``kill -9`` or a power cut does not. :func:`clean_leftovers` removes
those whose process is no longer running, and never touches a file a live process is writing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PATTERNS = (
    re.compile(r"\.tmp-(\d+)(?:\.wal)?$"),
    re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.part$"),
)


def owner_pid(name: str) -> int | None:
    """The process id written into a temporary file's name, or None when ``name`` is not one of ours."""
    for pattern in _PATTERNS:
        if m := pattern.search(name):
            return int(m.group(1))
    return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (a process of another user counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(folder: Path, recursive: bool = False) -> list[Path]:
    """Remove the temporary files in ``folder`` (and below, when ``recursive``) whose writer is dead.

    Returns the files removed. A missing folder, or a file that vanishes or cannot be removed
    meanwhile, is skipped (the next start tries again).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.rglob("*") if recursive else folder.iterdir():
        pid = owner_pid(path.name)
        if pid is None or pid_alive(pid) or not path.is_file():
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed
