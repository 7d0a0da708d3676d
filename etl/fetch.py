"""Download the official source files (or take them from a local mirror).

:class:`Fetcher` turns a :class:`~etl.model.Source` into a file on disk:

* **mirror mode** (``source_dir`` given): the file is ``source_dir / source.mirror_path``;
  the network is never used.
* **download mode**: the locator is resolved at run time (EES release version ids
  through ``/publications/{slug}/releases``, GOV.UK attachment URLs through the
  Content API), the file is streamed into ``cache_dir`` (laid out like the mirror)
  and re-validated on later runs with ``If-None-Match`` / ``If-Modified-Since``.
  Transient failures (connection errors, cut-off bodies, 403, 429, 5xx) are retried
  with exponential backoff; when the network stays unavailable, a cached copy is
  used with a warning.
* **offline mode** (``offline=True``): only the cache is read.

Each cached file ``X`` has a JSON sidecar ``X.fetch.json`` with the URL, ``ETag``,
``Last-Modified``, SHA-256 and retrieval time. Files are written to a temporary
``.X.<pid>.*.part`` file beside the target and moved into place with :func:`os.replace`
only once complete and valid, so a failed download never leaves a partial file and
never damages an existing cached copy.

Every download is checked before it can replace the cached copy (:func:`check_file`):
the body must be as long as its ``Content-Length`` says, be the expected kind of file
(zip, ods, xlsx, csv, parquet, geojson, from the file name) and open as one, and
match its pinned SHA-256 when the source is a fixed file (``etl.sources.PINNED_SHA256``,
also checked on every read of the cache). A file whose completeness cannot be proved
(no ``Content-Length``, no pin, not a self-checking format) is kept without its ``ETag``,
so the next run downloads it again instead of being told "304 Not Modified". Each
download has one overall deadline (``deadline`` seconds, ``Retry-After`` waits
included). ``.part`` files left by a killed run are removed at the next build
(``etl.leftovers.clean_leftovers``).
"""

from __future__ import annotations

import dataclasses
import email.utils
import fnmatch
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import urllib3

from etl.model import DirectUrl, EesRelease, GovUkAttachment, Source

#: Where the project lives; quoted in the User-Agent so publishers can reach us.
PROJECT_URL = "https://github.com/send-pressure-dashboard/send-pressure-dashboard"
USER_AGENT = f"send-pressure-dashboard-etl/0.1 (+{PROJECT_URL}; open data ETL)"
EES_API = "https://content.explore-education-statistics.service.gov.uk/api"
GOVUK_API = "https://www.gov.uk/api/content"

ZIP_MAGIC = b"PK\x03\x04"
SIDECAR_SUFFIX = ".fetch.json"
CHUNK_SIZE = 64 * 1024
PROGRESS_STEP = 1024 * 1024
#: Longest Retry-After we honour (seconds); longer requests are capped.
MAX_RETRY_AFTER = 120.0
OFFLINE_HINT = "Are you offline? Use --source-dir DIR with a local mirror of the source files."
#: Longest time one file may take, all attempts and waits included (seconds).
DEFAULT_DEADLINE = 900.0
#: The kinds of file :func:`check_file` knows, by file-name suffix.
KINDS = {".zip": "zip", ".ods": "ods", ".xlsx": "xlsx", ".csv": "csv", ".parquet": "parquet", ".geojson": "geojson"}
#: Members an OpenDocument spreadsheet / Office Open XML workbook cannot be without.
REQUIRED_MEMBERS = {"ods": ("content.xml",), "xlsx": ("[Content_Types].xml", "xl/workbook.xml")}


class FetchError(RuntimeError):
    """A source file could not be obtained (names the source, the URL or path tried and why)."""


@dataclass(frozen=True)
class FetchedFile:
    """A source file on local disk and where it came from.

    ``file_url`` is the URL the bytes were downloaded from (for mirror files: the
    official page or direct URL, as no resolution happens offline).
    ``retrieved_at`` is ISO-8601 UTC: the download time, or the file's mtime for a
    mirror file. ``from_cache``: served from the cache without new bytes (304, offline,
    or network failure). ``member``: the zip member extracted, for EES member sources.
    ``release``: the release the file belongs to (EES slug as resolved, or the mirror copy's
    ``Source.mirror_release``), ``release_title`` its title, ``newest_release`` the newest
    release the publisher listed (EES ``latestRelease``), when known.
    """

    source_id: str
    path: Path
    sha256: str
    file_url: str
    retrieved_at: str
    from_cache: bool
    from_mirror: bool
    member: str | None = None
    release: str | None = None
    release_title: str | None = None
    newest_release: str | None = None
    fallback: str | None = None


class _Transient(Exception):
    """A failure worth retrying (connection trouble, 403/429/5xx, cut-off body)."""

    def __init__(self, reason: str, retry_after: float | None = None, offline: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.offline = offline


class _DownloadFailed(Exception):
    """A download that failed for good (after retries, or a non-retryable answer)."""

    def __init__(self, url: str, reason: str, offline: bool = False):
        super().__init__(reason)
        self.url = url
        self.reason = reason
        self.offline = offline


@dataclass(frozen=True)
class _Download:
    path: Path
    sha256: str
    url: str
    retrieved_at: str
    from_cache: bool


def official_url(source: Source) -> str:
    """The URL to cite for a source without using the network: its direct URL, else its page URL."""
    if isinstance(source.locator, DirectUrl):
        return source.locator.url
    return source.page_url


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes. Raises OSError if it cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mtime_iso(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


NO_HOST = "could not resolve the host name"


def _describe(exc: BaseException) -> str:
    """A short human reason for a requests exception (its text is very long)."""
    text = str(exc)
    lowered = text.lower()
    if "connection refused" in lowered:
        return "connection refused"
    if any(s in lowered for s in ("name or service not known", "temporary failure in name resolution", "nodename")):
        return NO_HOST
    if isinstance(exc, requests.Timeout) or "timed out" in lowered:
        return "timed out"
    if "network is unreachable" in lowered:
        return "network is unreachable"
    return text if len(text) <= 200 else text[:200] + "…"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def kind_of(path: Path | str) -> str | None:
    """The kind of file :func:`check_file` expects from a file name (``'zip'``, ``'csv'`` ...), or None."""
    return KINDS.get(Path(path).suffix.lower())


def check_file(path: Path, kind: str | None) -> tuple[str, bool] | None:
    """Check that ``path`` is a readable, complete file of ``kind``; None when it is.

    Otherwise returns ``(reason, damaged)``: ``damaged`` True when the file is the right
    kind but cut short or corrupt (worth downloading again), False when it is another kind
    of file altogether (e.g. an HTML error page served with status 200). Zip-based kinds
    have every member's CRC checked; parquet needs its footer; GeoJSON must parse as a
    FeatureCollection with features; CSV must not be HTML, must be text and have a header
    and at least one row. ``kind`` None (an unknown suffix) accepts any file.
    """
    if kind is None:
        return None
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return "the file is empty", True
    if head.lstrip().lower().startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        return f"it is an HTML or XML page, not a {kind} file (it starts with {head[:40]!r})", False
    if kind in ("zip", "ods", "xlsx"):
        if head[:4] != ZIP_MAGIC:
            return f"the response is not a zip file (it starts with {head[:16]!r})", False
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                bad = zf.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            return f"the zip file is truncated or damaged ({exc})", True
        if bad is not None:
            return f"the zip file is damaged (member {bad!r} fails its CRC check)", True
        missing = [m for m in REQUIRED_MEMBERS.get(kind, ()) if m not in names]
        if missing:
            return f"the zip file is not an {kind} workbook (no {', '.join(missing)})", False
        return None
    if kind == "parquet":
        import pyarrow.parquet as pq

        if head[:4] != b"PAR1":
            return f"the response is not a parquet file (it starts with {head[:16]!r})", False
        try:
            pq.read_metadata(path)
        except Exception as exc:  # noqa: BLE001  (pyarrow raises several types for a cut file)
            return f"the parquet file is truncated or damaged ({exc})", True
        return None
    if kind == "geojson":
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (ValueError, UnicodeDecodeError) as exc:
            return f"the GeoJSON does not parse ({exc})", True
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not data.get("features"):
            return "the JSON is not a GeoJSON FeatureCollection with features", False
        return None
    # csv
    if b"\x00" in head:
        return "the file is binary, not CSV text", False
    with open(path, "rb") as fh:
        lines = [line for line in fh.read(1 << 20).splitlines() if line.strip()][:2]
    if len(lines) < 2:
        return "the CSV has no data rows", True
    return None


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    target = _sidecar(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=2, sort_keys=True)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _matching_attachments(attachments: list, locator: GovUkAttachment) -> list[dict]:
    """The GOV.UK attachments (``details.attachments[]`` items) that the locator's rule picks."""
    name_re = re.compile(locator.filename_pattern, re.IGNORECASE)
    title_re = re.compile(locator.title_pattern, re.IGNORECASE)
    exclude_re = re.compile(locator.exclude_pattern, re.IGNORECASE) if locator.exclude_pattern else None
    out = []
    for item in attachments:
        if not isinstance(item, dict) or not item.get("url"):
            continue
        filename = str(item.get("filename") or item["url"].rsplit("/", 1)[-1])
        title = str(item.get("title") or "")
        if exclude_re is not None and (exclude_re.search(filename) or exclude_re.search(title)):
            continue
        if name_re.search(filename) and title_re.search(title):
            out.append(item)
    return out


def _with_release(fetched: FetchedFile, release: dict, releases: list) -> FetchedFile:
    """``fetched`` labelled with the EES release it came from and the publication's newest release.

    The labels are also kept in the file's sidecar, so that a cached copy still says which release it is.
    """
    latest = [r for r in releases if isinstance(r, dict) and r.get("latestRelease") is True]
    title = " ".join(str(release.get(k) or "") for k in ("coverageTitle", "yearTitle")).strip()
    labels = {
        "release": str(release.get("slug") or "") or None,
        "release_title": title or release.get("title"),
        "newest_release": str(latest[0].get("slug")) if latest else None,
    }
    meta = _read_meta(fetched.path)
    if meta and any(meta.get(k) != v for k, v in labels.items()):
        _write_meta(fetched.path, {**meta, **labels})
    return dataclasses.replace(fetched, **labels)


def _default_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Fetcher:
    """Obtain source files from a mirror, the cache or the official publishers.

    ``cache_dir``: where downloads are kept (created on demand), laid out like the mirror.
    ``source_dir``: a local mirror; when given, the network is never used.
    ``session``: a :class:`requests.Session` to reuse (one is created otherwise).
    ``ees_api`` / ``govuk_api``: base URLs of the EES content API and the GOV.UK Content API.
    ``timeout``: connect and read timeout per request, in seconds.
    ``retries``: extra attempts after the first for transient failures; the wait
    before retry *n* (0-based) is ``backoff * 2**n`` seconds, or the server's
    ``Retry-After`` (capped at :data:`MAX_RETRY_AFTER`).
    ``progress``: called with one-line messages (default: print to stderr).
    ``offline``: never use the network; serve from the cache or raise.
    ``deadline``: the longest one file may take, all attempts and ``Retry-After`` waits
    included (seconds); a slow or trickling server then counts as a failed download.
    ``pins``: source id -> expected SHA-256 of sources that are fixed files (default
    ``etl.sources.PINNED_SHA256``); checked on every download and every read of the cache.

    A file that fails to download is replaced by its cached copy when one passes its checks; the
    returned :class:`FetchedFile` then says why in ``fallback``.
    """

    def __init__(
        self,
        cache_dir: Path,
        source_dir: Path | None = None,
        session: requests.Session | None = None,
        ees_api: str = EES_API,
        govuk_api: str = GOVUK_API,
        timeout: float = 30,
        retries: int = 4,
        backoff: float = 1.0,
        progress: Callable[[str], None] | None = None,
        offline: bool = False,
        deadline: float = DEFAULT_DEADLINE,
        pins: dict[str, str] | None = None,
    ) -> None:
        if pins is None:
            from etl.sources import PINNED_SHA256 as pins
        self.cache_dir = Path(cache_dir)
        self.source_dir = Path(source_dir) if source_dir is not None else None
        self.session = session if session is not None else requests.Session()
        self.ees_api = ees_api.rstrip("/")
        self.govuk_api = govuk_api.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.progress = progress if progress is not None else _default_progress
        self.offline = offline
        self.deadline = deadline
        self.pins = dict(pins)
        self._sleep = time.sleep
        self._clock = time.monotonic
        self._json_seen: dict[str, Any] = {}
        self._downloads_seen: dict[tuple[str, Path], _Download] = {}

    # ------------------------------------------------------------------ public

    def get(self, source: Source) -> FetchedFile:
        """Return the local file for ``source`` (mirror, fresh download or cache).

        Raises :class:`FetchError` when the mirror lacks the file (naming the expected
        path), when offline with no cached copy, when the locator cannot be resolved
        (no such release or attachment, zip member missing or ambiguous), or when the
        download fails after retries and nothing is cached (naming source and URL).
        """
        if self.source_dir is not None:
            return self._from_mirror(source)
        if self.offline:
            cached = self._cached(source)
            if cached is None:
                raise FetchError(
                    f"{self._name(source)} is not in the cache ({self.cache_dir / source.mirror_path}) "
                    f"and offline mode forbids downloading it from {official_url(source)}. "
                    "Run once with network access, or use --source-dir DIR with a local mirror of the source files."
                )
            return cached
        try:
            return self._download_source(source)
        except _DownloadFailed as exc:
            cached = self._cached(source)
            if cached is not None:
                warning = (
                    f"could not download {source.source_id} from {exc.url}: {exc.reason}; "
                    f"using the cached copy retrieved {cached.retrieved_at} ({cached.path})"
                )
                self.progress(f"warning: {warning}")
                return dataclasses.replace(cached, fallback=f"could not download from {exc.url}: {exc.reason}")
            hint = f" {OFFLINE_HINT}" if exc.offline else ""
            raise FetchError(f"could not download {self._name(source)} from {exc.url}: {exc.reason}.{hint}") from exc

    def cache_path(self, source: Source) -> Path:
        """Where ``source`` is kept in the cache (``cache_dir / mirror_path``)."""
        return self.cache_dir / source.mirror_path

    # ----------------------------------------------------------- mirror / cache

    @staticmethod
    def _name(source: Source) -> str:
        return f"{source.source_id} ({source.title})"

    def _from_mirror(self, source: Source) -> FetchedFile:
        assert self.source_dir is not None
        path = self.source_dir / source.mirror_path
        if not path.is_file():
            raise FetchError(
                f"{self._name(source)} is missing from the source mirror: expected {path}. "
                "Check --source-dir, or drop it to download from the publisher."
            )
        return FetchedFile(
            source_id=source.source_id,
            path=path,
            sha256=sha256_file(path),
            file_url=official_url(source),
            retrieved_at=_mtime_iso(path),
            from_cache=False,
            from_mirror=True,
            release=source.mirror_release or None,
        )

    def _pin_problem(self, source: Source, digest: str) -> str | None:
        """Why ``digest`` is not the source's pinned SHA-256 (None when it is, or nothing is pinned)."""
        pin = self.pins.get(source.source_id)
        if pin is None or pin == digest:
            return None
        return (
            f"its SHA-256 {digest[:16]}… differs from the pinned {pin[:16]}… (the publisher may have replaced "
            "the file: check the new file, then update PINNED_SHA256 in etl/sources.py)"
        )

    def _cached(self, source: Source) -> FetchedFile | None:
        """The cached copy of ``source`` if it passes its checks (kind, pinned SHA-256), else None."""
        path = self.cache_path(source)
        if not path.is_file():
            return None
        digest = sha256_file(path)
        problem = self._pin_problem(source, digest)
        bad = check_file(path, kind_of(path)) if problem is None else (problem, True)
        if bad is not None:
            self.progress(f"warning: the cached copy of {source.source_id} ({path}) is not used: {bad[0]}")
            return None
        meta = _read_meta(path)
        return FetchedFile(
            source_id=source.source_id,
            path=path,
            sha256=digest,
            file_url=meta.get("url") or official_url(source),
            retrieved_at=meta.get("retrieved_at") or _mtime_iso(path),
            from_cache=True,
            from_mirror=False,
            member=meta.get("member"),
            release=meta.get("release"),
            release_title=meta.get("release_title"),
            newest_release=meta.get("newest_release"),
        )

    # ------------------------------------------------------------- resolution

    def _download_source(self, source: Source) -> FetchedFile:
        locator = source.locator
        target = self.cache_path(source)
        if isinstance(locator, EesRelease):
            return self._fetch_ees(source, locator, target)
        if isinstance(locator, GovUkAttachment):
            url = self._resolve_govuk(source, locator)
        elif isinstance(locator, DirectUrl):
            url = locator.url
        else:  # pragma: no cover - model guarantees one of the three
            raise FetchError(f"{self._name(source)}: unknown locator {locator!r}")
        got = self._download(source, url, target, kind_of(target))
        return self._as_fetched(source, got)

    def _as_fetched(self, source: Source, got: _Download, member: str | None = None) -> FetchedFile:
        return FetchedFile(
            source_id=source.source_id,
            path=got.path,
            sha256=got.sha256,
            file_url=got.url,
            retrieved_at=got.retrieved_at,
            from_cache=got.from_cache,
            from_mirror=False,
            member=member,
        )

    def _fetch_ees(self, source: Source, locator: EesRelease, target: Path) -> FetchedFile:
        releases_url = f"{self.ees_api}/publications/{locator.publication}/releases"
        releases = self._get_json(source, releases_url)
        if not isinstance(releases, list):
            raise FetchError(f"{self._name(source)}: {releases_url} did not return a list of releases")
        if locator.release_slug is None:
            chosen = [r for r in releases if isinstance(r, dict) and r.get("latestRelease") is True]
            wanted = "the latest release"
        else:
            chosen = [r for r in releases if isinstance(r, dict) and r.get("slug") == locator.release_slug]
            wanted = f"release {locator.release_slug!r}"
        if not chosen or not chosen[0].get("id"):
            slugs = ", ".join(str(r.get("slug")) for r in releases if isinstance(r, dict)) or "none"
            raise FetchError(
                f"{self._name(source)}: {wanted} not found for publication {locator.publication!r} "
                f"at {releases_url} (releases listed: {slugs})"
            )
        release = chosen[0]
        zip_url = f"{self.ees_api}/releases/{release['id']}/files?fromPage=ReleaseDownloads"
        if locator.member is None:
            got = self._download(source, zip_url, target, "zip")
            return _with_release(self._as_fetched(source, got), release, releases)
        # The release zip is cached beside the member, named as EES names it, so
        # that every source of the same release shares one download.
        slug = str(release.get("slug") or locator.release_slug)
        zip_path = target.parent / f"{locator.publication}_{slug}.zip"
        got = self._download(source, zip_url, zip_path, "zip", pinned=False)
        return _with_release(self._extract_member(source, locator.member, got, target), release, releases)

    def _resolve_govuk(self, source: Source, locator: GovUkAttachment) -> str:
        url = f"{self.govuk_api}/{locator.content_path.lstrip('/')}"
        data = self._get_json(source, url)
        details = data.get("details") if isinstance(data, dict) else None
        attachments = details.get("attachments") if isinstance(details, dict) else None
        if not isinstance(attachments, list):
            raise FetchError(f"{self._name(source)}: {url} has no details.attachments list")
        matches = _matching_attachments(attachments, locator)
        if len(matches) == 1:
            return str(matches[0]["url"])
        listed = "; ".join(f"{a.get('title')!r} ({a.get('filename')})" for a in attachments if isinstance(a, dict))
        problem = "no attachment" if not matches else f"{len(matches)} attachments"
        raise FetchError(
            f"{self._name(source)}: {problem} at {url} match the file name {locator.filename_pattern!r}, the title "
            f"{locator.title_pattern!r} and not {locator.exclude_pattern!r} (attachments: {listed or 'none'})"
        )

    # ------------------------------------------------------------------ HTTP

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT}
        headers.update(extra or {})
        return headers

    def _send(self, url: str, headers: dict[str, str] | None = None, stream: bool = False) -> requests.Response:
        """One GET. Returns a 200 or 304 response; raises _Transient or _DownloadFailed otherwise."""
        try:
            resp = self.session.get(url, headers=self._headers(headers), timeout=self.timeout, stream=stream)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Transient(_describe(exc), offline=True) from exc
        except requests.RequestException as exc:
            raise _DownloadFailed(url, _describe(exc)) from exc
        status = resp.status_code
        if status in (200, 304):
            return resp
        reason = f"HTTP {status} {resp.reason or ''}".strip()
        wait = _retry_after(resp.headers.get("Retry-After"))
        resp.close()
        if status == 429 or status == 403 or status >= 500:
            raise _Transient(reason, retry_after=wait)
        raise _DownloadFailed(url, reason)

    def _retrying(self, source: Source, url: str, action: Callable[[], Any], started: float | None = None) -> Any:
        """Run ``action`` with retries; gives up early when the wait would pass the deadline from ``started``."""
        last: _Transient | None = None
        attempts = 0
        ends = (self._clock() if started is None else started) + self.deadline
        for attempt in range(self.retries + 1):
            attempts += 1
            try:
                return action()
            except _Transient as exc:
                last = exc
                # An unknown host name means no network (or a wrong URL): one retry is enough.
                if attempt == self.retries or (attempt >= 1 and exc.reason == NO_HOST):
                    break
                if exc.retry_after is not None:
                    delay = min(exc.retry_after, MAX_RETRY_AFTER)
                else:
                    delay = self.backoff * 2**attempt
                if self._clock() + delay > ends:
                    raise _DownloadFailed(
                        url,
                        f"{exc.reason}; gave up after {attempts} attempt(s): waiting {delay:g} s more would pass "
                        f"the {self.deadline:g} s deadline for one file",
                        offline=exc.offline,
                    ) from exc
                planned = 1 if exc.reason == NO_HOST else self.retries
                self.progress(
                    f"{source.source_id}: {exc.reason} from {url}; retry {attempt + 1} of {planned} in {delay:g} s"
                )
                self._sleep(delay)
        assert last is not None
        tries = f" (gave up after {attempts} attempts)" if attempts > 1 else ""
        raise _DownloadFailed(url, f"{last.reason}{tries}", offline=last.offline)

    def _get_json(self, source: Source, url: str) -> Any:
        if url in self._json_seen:
            return self._json_seen[url]

        def action() -> Any:
            resp = self._send(url, {"Accept": "application/json"})
            try:
                return resp.json()
            except ValueError as exc:
                raise _DownloadFailed(url, "the response is not JSON") from exc
            finally:
                resp.close()

        data = self._retrying(source, url, action)
        self._json_seen[url] = data
        return data

    def _download(self, source: Source, url: str, target: Path, kind: str | None, pinned: bool = True) -> _Download:
        """Fetch ``url`` into ``target`` (conditionally when a valid cached copy exists).

        The new body replaces the cached copy only once it passes :func:`check_file` for ``kind``,
        its ``Content-Length`` and (when ``pinned``) the source's pinned SHA-256.
        """
        key = (url, target)
        if key in self._downloads_seen:  # already fetched during this run (shared release zip)
            return self._downloads_seen[key]
        started = self._clock()
        target.parent.mkdir(parents=True, exist_ok=True)
        meta = _read_meta(target)
        conditional: dict[str, str] = {}
        # A conditional request only for a cached copy that is still intact: a 304 must never keep a bad file.
        if (
            target.is_file()
            and meta.get("url") == url
            and meta.get("sha256") == sha256_file(target)
            and not (pinned and self._pin_problem(source, meta["sha256"]))
            and check_file(target, kind) is None
        ):
            if meta.get("etag"):
                conditional["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                conditional["If-Modified-Since"] = meta["last_modified"]

        def action() -> _Download:
            self.progress(f"{source.source_id}: downloading {url}")
            resp = self._send(url, conditional, stream=True)
            try:
                if resp.status_code == 304:
                    if not conditional:
                        raise _DownloadFailed(url, "the server answered 304 Not Modified to a plain request")
                    self.progress(f"{source.source_id}: not modified since {meta.get('retrieved_at')}; using {target}")
                    return _Download(target, meta["sha256"], url, meta.get("retrieved_at") or _now(), True)
                tmp, digest, length_checked = self._stream(source, url, resp, target, started)
            finally:
                resp.close()
            try:
                self._check_body(source, url, tmp, digest, kind, pinned)
                os.replace(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            retrieved = _now()
            # Only a body known to be complete may be re-validated later: otherwise a file cut at a line
            # end (no Content-Length, no pin, a format that cannot tell) would be kept by every later 304.
            complete = length_checked or kind in ("zip", "ods", "xlsx", "parquet", "geojson")
            complete = complete or (pinned and source.source_id in self.pins)
            _write_meta(
                target,
                {
                    "url": url,
                    "etag": resp.headers.get("ETag") if complete else None,
                    "last_modified": resp.headers.get("Last-Modified") if complete else None,
                    "sha256": digest,
                    "retrieved_at": retrieved,
                },
            )
            self.progress(f"{source.source_id}: saved {target} ({_mb(target.stat().st_size)}, sha256 {digest[:12]}…)")
            return _Download(target, digest, url, retrieved, False)

        got = self._retrying(source, url, action, started)
        self._downloads_seen[key] = got
        return got

    def _stream(
        self, source: Source, url: str, resp: requests.Response, target: Path, started: float
    ) -> tuple[Path, str, bool]:
        """Write the body to a temporary file beside ``target``.

        Returns (temp path, sha256, whether a ``Content-Length`` was given and met). Reads return
        as soon as some bytes arrive, so the deadline is checked even against a trickling server.
        """
        total = None
        length = resp.headers.get("Content-Length")
        if length and length.isdigit():
            total = int(length)  # bytes on the wire (before any Content-Encoding is undone)
        ends = started + self.deadline
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".part")
        tmp = Path(name)
        digest = hashlib.sha256()
        written = 0
        next_report = PROGRESS_STEP
        try:
            with os.fdopen(fd, "wb") as fh:
                try:
                    while chunk := resp.raw.read1(CHUNK_SIZE, decode_content=True):
                        fh.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        if written >= next_report:
                            of = f" of {_mb(total)}" if total else ""
                            self.progress(f"{source.source_id}: {_mb(written)}{of}")
                            next_report += PROGRESS_STEP
                        if self._clock() > ends:
                            raise _DownloadFailed(
                                url,
                                f"no complete file within the {self.deadline:g} s deadline for one file "
                                f"({written} bytes received)",
                                offline=True,
                            )
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                    raise _Transient(f"connection cut after {written} bytes ({_describe(exc)})", offline=True) from exc
            received = resp.raw.tell()
            if total is not None and received != total:
                raise _Transient(f"connection cut: received {received} of {total} bytes", offline=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest(), total is not None

    def _check_body(self, source: Source, url: str, path: Path, digest: str, kind: str | None, pinned: bool) -> None:
        """Raise unless the downloaded file is a complete file of ``kind`` (and the pinned one, if any)."""
        problem = self._pin_problem(source, digest) if pinned else None
        if problem is not None:
            raise _DownloadFailed(url, problem)
        bad = check_file(path, kind)
        if bad is None:
            return
        reason, damaged = bad
        if damaged:  # a cut or corrupted body of the right kind: another attempt may succeed
            raise _Transient(reason, offline=True)
        raise _DownloadFailed(url, reason)

    # ------------------------------------------------------------ zip members

    def _extract_member(self, source: Source, pattern: str, got: _Download, target: Path) -> FetchedFile:
        meta = _read_meta(target)
        if (
            target.is_file()
            and meta.get("zip_sha256") == got.sha256
            and meta.get("sha256")
            and meta.get("sha256") == sha256_file(target)
            and self._pin_problem(source, meta["sha256"]) is None
        ):
            return FetchedFile(
                source_id=source.source_id,
                path=target,
                sha256=meta["sha256"],
                file_url=got.url,
                retrieved_at=meta.get("retrieved_at") or got.retrieved_at,
                from_cache=got.from_cache,
                from_mirror=False,
                member=meta.get("member"),
            )
        try:
            with zipfile.ZipFile(got.path) as zf:
                names = [n for n in zf.namelist() if not n.endswith("/")]
                matches = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
                if len(matches) != 1:
                    problem = "no member matches" if not matches else f"{len(matches)} members match"
                    raise FetchError(
                        f"{self._name(source)}: {problem} {pattern!r} in the release zip {got.path} "
                        f"from {got.url} (members: {', '.join(matches or names)})"
                    )
                member = matches[0]
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".part")
                tmp = Path(name)
                digest = hashlib.sha256()
                try:
                    with os.fdopen(fd, "wb") as out, zf.open(member) as src:
                        for block in iter(lambda: src.read(CHUNK_SIZE), b""):
                            out.write(block)
                            digest.update(block)
                    problem = self._pin_problem(source, digest.hexdigest())
                    if problem is not None:
                        raise FetchError(
                            f"{self._name(source)}: member {member!r} of the release zip from {got.url}: {problem}"
                        )
                    os.replace(tmp, target)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
        except zipfile.BadZipFile as exc:
            raise FetchError(
                f"{self._name(source)}: cannot read the release zip {got.path} from {got.url}: {exc}"
            ) from exc
        sha = digest.hexdigest()
        _write_meta(
            target,
            {
                "url": got.url,
                "member": member,
                "zip_sha256": got.sha256,
                "sha256": sha,
                "retrieved_at": got.retrieved_at,
            },
        )
        self.progress(f"{source.source_id}: extracted {member!r} to {target}")
        return FetchedFile(
            source_id=source.source_id,
            path=target,
            sha256=sha,
            file_url=got.url,
            retrieved_at=got.retrieved_at,
            from_cache=got.from_cache,
            from_mirror=False,
            member=member,
        )
