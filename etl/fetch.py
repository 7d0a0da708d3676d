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
``.X.*.part`` file beside the target and moved into place with :func:`os.replace`
only once complete and valid, so a failed download never leaves a partial file and
never damages an existing cached copy.
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
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
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
    ) -> None:
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
        self._sleep = time.sleep
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
                self.progress(
                    f"warning: could not download {source.source_id} from {exc.url}: {exc.reason}; "
                    f"using the cached copy retrieved {cached.retrieved_at} ({cached.path})"
                )
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

    def _cached(self, source: Source) -> FetchedFile | None:
        path = self.cache_path(source)
        if not path.is_file():
            return None
        meta = _read_meta(path)
        return FetchedFile(
            source_id=source.source_id,
            path=path,
            sha256=sha256_file(path),
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
        got = self._download(source, url, target, expect_zip=False)
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
            got = self._download(source, zip_url, target, expect_zip=True)
            return _with_release(self._as_fetched(source, got), release, releases)
        # The release zip is cached beside the member, named as EES names it, so
        # that every source of the same release shares one download.
        slug = str(release.get("slug") or locator.release_slug)
        zip_path = target.parent / f"{locator.publication}_{slug}.zip"
        got = self._download(source, zip_url, zip_path, expect_zip=True)
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

    def _retrying(self, source: Source, url: str, action: Callable[[], Any]) -> Any:
        last: _Transient | None = None
        attempts = 0
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

    def _download(self, source: Source, url: str, target: Path, expect_zip: bool) -> _Download:
        """Fetch ``url`` into ``target`` (conditionally when a valid cached copy exists)."""
        key = (url, target)
        if key in self._downloads_seen:  # already fetched during this run (shared release zip)
            return self._downloads_seen[key]
        target.parent.mkdir(parents=True, exist_ok=True)
        meta = _read_meta(target)
        conditional: dict[str, str] = {}
        if target.is_file() and meta.get("url") == url and meta.get("sha256") == sha256_file(target):
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
                tmp, digest = self._stream(source, url, resp, target)
            finally:
                resp.close()
            try:
                if expect_zip:
                    self._check_zip(url, tmp)
                os.replace(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            retrieved = _now()
            _write_meta(
                target,
                {
                    "url": url,
                    "etag": resp.headers.get("ETag"),
                    "last_modified": resp.headers.get("Last-Modified"),
                    "sha256": digest,
                    "retrieved_at": retrieved,
                },
            )
            self.progress(f"{source.source_id}: saved {target} ({_mb(target.stat().st_size)}, sha256 {digest[:12]}…)")
            return _Download(target, digest, url, retrieved, False)

        got = self._retrying(source, url, action)
        self._downloads_seen[key] = got
        return got

    def _stream(self, source: Source, url: str, resp: requests.Response, target: Path) -> tuple[Path, str]:
        """Write the body to a temporary file beside ``target``; returns (temp path, sha256)."""
        total = None
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and not resp.headers.get("Content-Encoding"):
            total = int(length)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        tmp = Path(name)
        digest = hashlib.sha256()
        written = 0
        next_report = PROGRESS_STEP
        try:
            with os.fdopen(fd, "wb") as fh:
                try:
                    for chunk in resp.iter_content(CHUNK_SIZE):
                        fh.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        if written >= next_report:
                            of = f" of {_mb(total)}" if total else ""
                            self.progress(f"{source.source_id}: {_mb(written)}{of}")
                            next_report += PROGRESS_STEP
                except requests.RequestException as exc:
                    raise _Transient(f"connection cut after {written} bytes ({_describe(exc)})", offline=True) from exc
            if total is not None and written != total:
                raise _Transient(f"connection cut: received {written} of {total} bytes", offline=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest()

    @staticmethod
    def _check_zip(url: str, path: Path) -> None:
        with open(path, "rb") as fh:
            head = fh.read(4)
        if head != ZIP_MAGIC:
            raise _DownloadFailed(url, f"the response is not a zip file (it starts with {head!r})")
        if not zipfile.is_zipfile(path):
            raise _Transient("the zip file is truncated or damaged", offline=True)

    # ------------------------------------------------------------ zip members

    def _extract_member(self, source: Source, pattern: str, got: _Download, target: Path) -> FetchedFile:
        meta = _read_meta(target)
        if (
            target.is_file()
            and meta.get("zip_sha256") == got.sha256
            and meta.get("sha256")
            and meta.get("sha256") == sha256_file(target)
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
                fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
                tmp = Path(name)
                digest = hashlib.sha256()
                try:
                    with os.fdopen(fd, "wb") as out, zf.open(member) as src:
                        for block in iter(lambda: src.read(CHUNK_SIZE), b""):
                            out.write(block)
                            digest.update(block)
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
