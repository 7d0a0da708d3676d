"""One parser per source layout: raw official file -> :class:`etl.model.Parsed`.

Every parser has the signature ``parse(path, source, resolve) -> Parsed`` where
``path`` is the local copy of the source file, ``source`` its
:class:`etl.model.Source` entry and ``resolve(source_id) -> Path`` gives the local
copy of another source (e.g. the LAIT dictionary).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from etl.model import Parsed, Source

Parser = Callable[[Path, Source, Callable[[str], Path]], Parsed]

#: parser name (as used in ``etl/sources.py``) -> "module:function"
PARSERS = {
    "ehcp_release": "etl.parsers.ehcp:parse_release",
    "ehcp_release_2022": "etl.parsers.ehcp:parse_release_2022",
    "tribunal_appeal_rate": "etl.parsers.tribunal:parse",
    "dsg_allocations": "etl.parsers.dsg:parse_year_file",
    "dsg_combined": "etl.parsers.dsg:parse_combined_file",
    "lait": "etl.parsers.lait:parse",
    "statistical_neighbours": "etl.parsers.reference:parse_statistical_neighbours",
    "mp_lookup": "etl.parsers.reference:parse_mp_lookup",
    "boundaries": "etl.parsers.reference:parse_boundaries",
}


def get_parser(name: str) -> Parser | None:
    """The parse function for a parser name; None for sources read by another parser."""
    if name == "none":
        return None
    module_name, func = PARSERS[name].split(":")
    return getattr(import_module(module_name), func)
