"""Shareable views: every selection lives in the URL's query string.

:class:`LinkState` reads each parameter once, checks it against the database
(unknown LA codes, indicators or periods fall back to a default with a short
notice, never a traceback) and writes the user's choices back, so that opening
the link in a fresh browser shows the same view.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

from send_pressure.catalogue import lead
from send_pressure.queries import Store

DEFAULT_LA = "E10000016"  # Kent: the largest caseload, a recognisable first view
#: Selections that follow the user from page to page when a link does not name them.
CARRIED = ("la",)


class LinkState:
    """Read and write view parameters on a query-string mapping (``st.query_params`` in the app).

    ``notices`` collects one line per parameter that could not be used. ``memory``
    (``st.session_state`` in the app) keeps the :data:`CARRIED` selections, so the LA
    chosen on one page is still chosen on the next one the sidebar opens; a link that
    names them wins.
    """

    def __init__(self, store: Store, params: MutableMapping[str, str], memory: MutableMapping | None = None):
        self.store = store
        self.params = params
        self.memory = {} if memory is None else memory
        self.notices: list[str] = []

    def raw(self, key: str) -> str | None:
        """The parameter as given in the link (stripped; the last one if repeated), or None.

        A carried selection missing from the link comes from ``memory``.
        """
        value = self.params.get(key)
        if value is None and key in CARRIED:
            value = self.memory.get(f"link_{key}")
        if isinstance(value, list):  # a parameter given twice: use the last
            value = value[-1] if value else None
        return value.strip() if isinstance(value, str) else None

    def choice(self, key: str, options: Sequence[str], default: str, what: str, shown_as: str | None = None) -> str:
        """A value that must be one of ``options``; otherwise ``default`` with a notice naming ``what``
        (and the default as ``shown_as``, e.g. its label, when given)."""
        raw = self.raw(key)
        if raw is None or raw == "":
            return default
        if raw in options:
            return raw
        self.notices.append(f"Unknown {what} '{raw[:40]}' in the link; showing {shown_as or default} instead.")
        return default

    def la(self, key: str = "la") -> str:
        """A current LA's GSS code; the link may also give the 3-digit DfE number."""
        la = self.store.current_authorities
        raw = self.raw(key)
        by_old = dict(zip(la.old_la_code, la.new_la_code, strict=True))
        if raw in by_old:
            return by_old[raw]
        default = DEFAULT_LA if DEFAULT_LA in set(la.new_la_code) else la.new_la_code.iloc[0]
        return self.choice(key, list(la.new_la_code), default, "local authority", self.store.area_name(default))

    def indicator(self, key: str = "ind", options: Sequence[str] | None = None, default: str | None = None) -> str:
        """An indicator id from ``options`` (default: every indicator with data)."""
        options = list(options or self.store.indicators)
        default = default or options[0]
        return self.choice(key, options, default, "indicator", self.store.indicators[default].label)

    def period(self, indicator_id: str, key: str = "period") -> str | None:
        """One of the indicator's published time periods (default: the latest)."""
        periods = self.store.periods(indicator_id)
        if not periods:
            return None
        return self.choice(key, periods, periods[-1], "period")

    def write(self, **values: str | None) -> None:
        """Put the current selections in the URL (only those that changed; None removes a key)."""
        for key, value in values.items():
            if value is None:
                if key in self.params:
                    del self.params[key]
            else:
                if key in CARRIED:
                    self.memory[f"link_{key}"] = str(value)
                given = self.params.get_all(key) if hasattr(self.params, "get_all") else [self.params.get(key)]
                if given != [str(value)]:  # also collapses a parameter given twice to the one shown
                    self.params[key] = str(value)


# --- the data release a link showed ------------------------------------------------------------------

RELEASE_KEY = "rel"


#: The topic whose lead figure's release a link records: the EHC plans caseload (its source follows the latest
#: release).
RELEASE_TOPIC = "plans"


def current_release(store: Store) -> str | None:
    """The release of the EHC plans figures in the database: the ``release_slug`` (e.g. '2025') of the source
    the caseload indicator names, or that source's id when it has no slug; None when the database has neither.
    Memoised on the store (asked at every rerun)."""
    return store.memo(("current release",), lambda: _current_release(store))


def _current_release(store: Store) -> str | None:
    try:
        ind = lead(store.indicators, RELEASE_TOPIC)
    except KeyError:
        return None
    s = store.sources.set_index("source_id")
    if ind.source_id not in s.index:
        return None
    slug = s.at[ind.source_id, "release_slug"]
    return slug if isinstance(slug, str) and slug else ind.source_id


def release_notice(store: Store, link_release: str | None) -> str | None:
    """The notice for a link made with an older release, or None when the link names the current one (or none).

    'This link showed figures from <old release title>; the database now holds <new>. The page shows the
    current figures.' An id the database does not know is named as given (shortened).
    """
    current = current_release(store)
    if not link_release or current is None or link_release == current:
        return None
    s = store.sources.sort_values("source_id")  # 'ehcp' names a release before the tables of the same release
    labels: dict[str, str] = {}
    for slug, title, release in zip(s.release_slug, s.title, s.release, strict=True):
        if isinstance(slug, str):
            labels.setdefault(slug, f"{title}, {release}")
    old = labels.get(link_release) or f"a release this database does not hold ('{link_release[:40]}')"
    return (
        f"This link showed figures from {old}; the database now holds {labels.get(current, current)}. "
        "The page shows the current figures."
    )


def record_release(state: LinkState) -> str | None:
    """Check the link's 'rel' against the database (adding any notice to ``state.notices``), then write the
    current release to the URL so a shared link records which figures it showed. Returns the notice."""
    notice = release_notice(state.store, state.raw(RELEASE_KEY))
    if notice:
        state.notices.append(notice)
    state.write(**{RELEASE_KEY: current_release(state.store)})
    return notice
