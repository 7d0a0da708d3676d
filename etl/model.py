"""Shared vocabulary of the ETL: source descriptions and the tidy-row contract.

Every parser in ``etl/parsers`` turns one official file into a :class:`Parsed`
bundle. Its ``observations`` frame has exactly :data:`OBS_COLUMNS`; the loader
(``etl/load.py``) resolves LA codes, applies release precedence and writes the
``observation`` table described in ``etl/schema.sql``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

NATIONAL = "National"
REGIONAL = "Regional"
LOCAL_AUTHORITY = "Local authority"
ENGLAND_CODE = "E92000001"
TOTAL = "Total"

#: Columns of the frame every parser returns (one row per published cell).
#: ``old_la_code`` is the 3-digit DfE number as text (LA rows only);
#: ``la_name`` is the name printed beside it in the source (for the name check);
#: ``region_code`` is the E12 code (regional rows only);
#: ``value`` is a float or NaN; ``marker`` is the published symbol when the cell
#: is not a number (``x``, ``z``, ``-``, ``..`` ...), else None.
OBS_COLUMNS = [
    "indicator_id",
    "geographic_level",
    "old_la_code",
    "la_name",
    "region_code",
    "breakdown_topic",
    "breakdown",
    "time_period",
    "year",
    "value",
    "marker",
]


class SourceFormatError(ValueError):
    """A source file is not laid out as its parser expects (names the file and what is wrong)."""


@dataclass(frozen=True)
class EesRelease:
    """Locate a file in an Explore Education Statistics release.

    ``release_slug`` None means "the publication's latest release", resolved at
    run time. ``member`` (a glob) picks one file out of the release zip; None keeps
    the whole zip.
    """

    publication: str
    release_slug: str | None
    member: str | None = None


@dataclass(frozen=True)
class GovUkAttachment:
    """Locate an attachment on a GOV.UK publication page via the Content API.

    ``title_pattern`` / ``filename_pattern`` are regular expressions matched
    (case-insensitively) against each attachment's title and file name;
    ``exclude_pattern`` (matched against both) rules attachments out. Exactly one
    attachment must be left: several is an error, never "the first that matches".
    """

    content_path: str
    filename_pattern: str
    title_pattern: str = ""
    exclude_pattern: str = ""


@dataclass(frozen=True)
class DirectUrl:
    """A file with a stable URL (GitHub raw file, ArcGIS query)."""

    url: str


@dataclass(frozen=True)
class Source:
    """One official file the build reads: where it comes from and how to parse it.

    ``mirror_path`` is the file's place inside a local mirror laid out like
    ``../shared/data/sources``; ``mirror_release`` the release slug that copy belongs
    to. ``release`` labels the mirror copy (a live build labels the release it resolved).
    ``precedence`` orders sources that publish the same figure: the higher number wins
    (newer releases carry revisions); EES sources rank by their resolved release year.
    ``required=False``: the build goes on without the source when no copy of it can be
    had. ``options`` is handed to the parser unchanged.
    """

    source_id: str
    title: str
    publisher: str
    page_url: str
    locator: EesRelease | GovUkAttachment | DirectUrl
    mirror_path: str
    parser: str
    release: str
    licence: str = "Open Government Licence v3.0"
    precedence: int = 0
    options: dict = field(default_factory=dict)
    mirror_release: str = ""
    required: bool = True

    @property
    def publication(self) -> str:
        """The publication the source belongs to (EES slug or GOV.UK path; the URL for a direct file)."""
        loc = self.locator
        if isinstance(loc, EesRelease):
            return loc.publication
        if isinstance(loc, GovUkAttachment):
            return loc.content_path
        return loc.url

    @property
    def follows_latest(self) -> bool:
        """True when the source is resolved to its publication's latest release at run time."""
        return isinstance(self.locator, EesRelease) and self.locator.release_slug is None


def release_rank(slug: str | None, default: int = 0) -> int:
    """Order of a release by its slug ('2026', '2024-25' -> 2026, 2024); ``default`` when it has no year."""
    m = re.match(r"(\d{4})", slug) if isinstance(slug, str) else None
    return int(m.group(1)) if m else default


@dataclass
class Parsed:
    """What a parser hands to the loader.

    ``observations``: frame with :data:`OBS_COLUMNS`.
    ``tables``: reference tables by name (e.g. ``statistical_neighbour``), each a
    frame whose columns match ``etl/schema.sql``; ``breakdown_cells`` (EHCP parsers) is
    an :class:`etl.breakdowns.ReleaseCells`, every published cell of the release.
    ``notes``: data-quality notes found while parsing (publisher errors corrected,
    rows dropped and why), each a dict with ``area_code``/``old_la_code``,
    ``time_period`` and ``note``.
    """

    observations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OBS_COLUMNS))
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[dict] = field(default_factory=list)


def make_note(old_la_code: str | None, time_period: str | None, text: str, indicator_id: str | None = None) -> dict:
    """A data-quality note as parsers hand it to the loader (one ``Parsed.notes`` entry).

    The loader turns ``old_la_code`` into the LA's ``area_code`` in the ``data_note`` table.
    """
    return {"old_la_code": old_la_code, "time_period": time_period, "indicator_id": indicator_id, "note": text}


def empty_observations() -> pd.DataFrame:
    """An observation frame with the contract's columns and no rows."""
    return pd.DataFrame(columns=OBS_COLUMNS)


def parse_cell(raw: object, where: str = "") -> tuple[float | None, str | None]:
    """Split one published cell into (value, marker).

    Handles thousands separators, ``%`` signs, padding and float artefacts.
    Anything that is not a number comes back as its stripped text in ``marker``
    (an empty cell gives marker ``""`` so that it is never taken for zero; the
    loader rejects text outside :data:`MARKER_MEANINGS`).

    Raises :class:`SourceFormatError` (prefixed with ``where``: file, row and column)
    for text that Python reads as a non-finite number (``NaN``, ``nan``, ``inf``,
    ``-Infinity`` ...): no publisher writes those, and a NaN would otherwise pass for an
    empty cell and vanish without a marker.
    """
    if raw is None:
        return None, ""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if pd.isna(raw):  # a reader's empty cell
            return None, ""
        if not math.isfinite(raw):
            raise SourceFormatError(f"{where or 'a cell'}: {raw!r} is not a published figure")
        return float(raw), None
    text = str(raw).strip()
    cleaned = text.replace(",", "").replace("%", "").replace("£", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None, text
    if not math.isfinite(value):
        raise SourceFormatError(non_finite_message(text, where))
    return value, None


def non_finite_message(text: str, where: str = "") -> str:
    """The error for a cell reading ``NaN``/``inf``: names the place (``where``: file, row, column) and the text."""
    return (
        f"{where or 'a cell'}: {text!r} is neither a number nor a known marker "
        f"({', '.join(MARKER_MEANINGS)}); NaN and infinity are not published figures"
    )


def map_text(values: pd.Series, mapping: pd.Series | dict) -> pd.Series:
    """``values.map(mapping)``, looking each distinct value up once (a missing value or one not in ``mapping``
    gives a missing value): far faster on a long text column that repeats a few hundred values."""
    codes, uniques = pd.factorize(values)
    mapped = pd.Series(uniques).map(mapping).array
    return pd.Series(mapped.take(codes, allow_fill=True), index=values.index, name=values.name)


def period_label(time_period: str) -> str:
    """A period as the publications print it: '202425' -> '2024/25', '2023-24' and '2024' unchanged."""
    p = str(time_period)
    if len(p) == 6 and p.isdigit():
        return f"{p[:4]}/{p[4:]}"
    return p


def source_file(mirror_root: Path, source: Source) -> Path:
    """Path of a source inside a mirror folder."""
    return mirror_root / source.mirror_path


#: Every symbol the publishers use for a cell that is not a number, with what it
#: means. A symbol outside this list fails the build (it may hide a new meaning).
MARKER_MEANINGS = {
    "x": "unavailable or suppressed",
    "z": "not applicable",
    "c": "confidential (suppressed)",
    "low": "rounds to zero but is not zero",
    "u": "low reliability",
    "~": "suppressed",
    "..": "not available",
    "-": "nil or not applicable (published as '-')",
    ":": "not available",
    # Our own marker, never a publisher's: a published figure this dashboard does not show because the
    # publisher's own evidence says it is wrong (a data_note names the error; etl/corrections.py).
    "w": "withheld by this dashboard: the published figure is known to be wrong (see the note)",
}
